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
use healthcode_scanner::{Args, Config, config::Command, convert, scan};

fn main() -> ExitCode {
    let args = match Args::parse().command {
        Command::Verify(args) => *args,
        Command::AdmissionVectors { files } => {
            return run_vectors(&files, healthcode_verifier::admission_vectors::check);
        }
        Command::ConversionVectors { files } => {
            return run_vectors(&files, healthcode_verifier::conversion_vectors::check);
        }
        Command::ConvertCheck(args) => return convert_check(&args),
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

/// `scanner convert-check`: 0 accepted, 1 refused, 2 configuration.
fn convert_check(args: &convert::ConvertCheckArgs) -> ExitCode {
    let answer = match convert::check(args) {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("scanner: error: {e}");
            return ExitCode::from(2);
        }
    };
    let _ = convert::render(&mut std::io::stdout().lock(), &answer, args.json);
    ExitCode::from(u8::from(answer.is_err()))
}

/// `scanner admission-vectors FILE...` and `conversion-vectors FILE...`:
/// every case of every file.
fn run_vectors(files: &[PathBuf], check: fn(&str) -> Result<usize, String>) -> ExitCode {
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("scanner: error: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        match check(&text) {
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
