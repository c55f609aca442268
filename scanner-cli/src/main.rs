//! `scanner`: verify Hong Kong Health Codes offline.
//!
//! Exit codes: 0 every input is a valid code; 1 some input is not (a code
//! signed by a test key included, unless `--accept-specimen`); 2 usage or
//! configuration error, an expired trust list included (message on stderr).

use std::{
    io::{IsTerminal as _, Write as _},
    path::PathBuf,
    process::ExitCode,
};

use clap::Parser as _;
use healthcode_keys::trust_state::default_path;
use healthcode_scanner::{Args, Config, config::Command, scan};

fn main() -> ExitCode {
    let args = match Args::parse().command {
        Command::Verify(args) => *args,
        Command::AdmissionVectors { files } => return admission_vectors(&files),
    };
    let config = match Config::from_args(
        args,
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        default_state_file(),
    ) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("scanner: error: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match scan(
        &config,
        std::io::stdin().lock(),
        &mut out,
        &mut std::io::stderr(),
    ) {
        Ok(outcome) => {
            let _ = out.flush();
            ExitCode::from(outcome.exit_code())
        }
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scanner: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `scanner admission-vectors FILE...`: every case of every file.
fn admission_vectors(files: &[PathBuf]) -> ExitCode {
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("scanner: error: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        match healthcode_verifier::admission_vectors::check(&text) {
            Ok(passed) => println!("{}: {passed} cases pass", file.display()),
            Err(problem) => {
                eprintln!("scanner: {}: {problem}", file.display());
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}

/// `$XDG_STATE_HOME/healthcode/scanner-trust.json`, else under `~/.local/state`.
fn default_state_file() -> Option<PathBuf> {
    default_path(
        "scanner-trust.json",
        std::env::var_os("XDG_STATE_HOME"),
        std::env::var_os("HOME"),
    )
}
