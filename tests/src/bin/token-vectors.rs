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
    match healthcode_tests::write_or_check(&args.dir, &files(), args.check) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("token-vectors: {e:#}");
            ExitCode::from(1)
        }
    }
}
