//! `token-vectors`: write the token test vectors, or check that the files on
//! disk are exactly what the generator makes.
//!
//! Exit codes: 0 success (or up to date); 1 failure or out of date; 2 usage error.

use std::{path::PathBuf, process::ExitCode};

use clap::Parser;
use healthcode_tests::vectors::files;

#[derive(Parser)]
#[command(about = "Write or check the token test vectors")]
struct Args {
    /// The vector folder.
    #[arg(long, default_value = "tests/vectors/tokens")]
    dir: PathBuf,
    /// Compare instead of writing; fail if anything differs.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("token-vectors: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let expected = files();
    if args.check {
        let stale: Vec<_> = expected
            .iter()
            .filter(|(name, text)| {
                std::fs::read_to_string(args.dir.join(name)).ok().as_ref() != Some(*text)
            })
            .map(|(name, _)| name.as_str())
            .collect();
        anyhow::ensure!(
            stale.is_empty(),
            "out of date: {} (run token-vectors to rewrite)",
            stale.join(", ")
        );
        println!(
            "{} files up to date in {}",
            expected.len(),
            args.dir.display()
        );
        return Ok(());
    }
    std::fs::create_dir_all(&args.dir)?;
    for (name, text) in &expected {
        std::fs::write(args.dir.join(name), text)?;
    }
    println!("wrote {} files to {}", expected.len(), args.dir.display());
    Ok(())
}
