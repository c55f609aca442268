//! `colour-vectors`: write our colour-rule vectors, or check that the files on
//! disk are exactly what this generator makes.
//!
//! Exit codes: 0 success (or up to date); 1 failure or out of date; 2 usage error.

use std::{path::PathBuf, process::ExitCode};

use clap::Parser;
use healthcode_tests::colour_vectors::files;

#[derive(Parser)]
#[command(about = "Write or check the colour-rule vectors")]
struct Args {
    /// The vector folder.
    #[arg(long, default_value = "tests/vectors/colour")]
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
            eprintln!("colour-vectors: {e:#}");
            ExitCode::from(1)
        }
    }
}
