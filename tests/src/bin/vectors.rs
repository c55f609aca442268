//! `vectors`: write the test vectors, or check that the files on disk are
//! exactly what the generators make.
//!
//! `vectors tokens [--check]` (tests/vectors/tokens), `vectors colour [--check]`
//! (tests/vectors/colour), `vectors conversion [--check]` (tests/vectors/conversion). Run from the repository root.
//!
//! Exit codes: 0 success (or up to date); 1 failure or out of date; 2 usage error.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, ValueEnum};
use healthcode_tests::{colour_vectors, conversion_vectors, vectors, write_or_check};

#[derive(Parser)]
#[command(about = "Write or check the test vectors")]
struct Args {
    /// Which vectors.
    set: Set,
    /// The folder (default: tests/vectors/<set>).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Compare instead of writing; fail if anything differs.
    #[arg(long)]
    check: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Set {
    /// Signed-token vectors.
    Tokens,
    /// Colour-rule vectors.
    Colour,
    /// Conversion vectors.
    Conversion,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (files, default_dir) = match args.set {
        Set::Tokens => (vectors::files(), "tests/vectors/tokens"),
        Set::Colour => (colour_vectors::files(), "tests/vectors/colour"),
        Set::Conversion => (conversion_vectors::files(), "tests/vectors/conversion"),
    };
    let dir = args.dir.unwrap_or_else(|| default_dir.into());
    match write_or_check(&dir, &files, args.check) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vectors: {e:#}");
            ExitCode::from(1)
        }
    }
}
