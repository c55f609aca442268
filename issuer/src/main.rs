//! `issuer`: the administrator's tool for issuing codes.
//!
//! Exit codes: 0 success; 1 an operation failed (message on stderr); 2 usage error.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use healthcode_issuer::{issue::issue_code, qr};
use healthcode_keys::{
    Colour, IdDocument, IdentityKey, IssuerSecretKey,
    hktime::{self, parse_rfc3339},
};
use time::OffsetDateTime;

#[derive(Parser)]
#[command(name = "issuer", version, about = "Issue Hong Kong Health Codes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a code and print its token text.
    Issue {
        /// The issuer secret key file (<kid>.secret, mode 0600).
        #[arg(long)]
        key: PathBuf,
        /// The identity key file (mode 0600).
        #[arg(long)]
        identity_key: PathBuf,
        /// green, amber or red.
        #[arg(long)]
        colour: Colour,
        /// The holder's ID document, TYPE:NUMBER (e.g. HKID:A123456(3)).
        #[arg(long)]
        id_doc: IdDocument,
        /// Issue time, RFC 3339 with offset (default now).
        #[arg(long, value_parser = parse_rfc3339)]
        at: Option<OffsetDateTime>,
        /// Also write the QR code to this .png or .svg file.
        #[arg(long)]
        qr: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("issuer: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Issue {
            key,
            identity_key,
            colour,
            id_doc,
            at,
            qr,
        } => {
            let key = IssuerSecretKey::read(&key)?;
            let identity_key = IdentityKey::read(&identity_key)?;
            let at = at.unwrap_or_else(hktime::now);
            let token = issue_code(
                &mut rand::rngs::OsRng,
                &key,
                &identity_key,
                colour,
                &id_doc,
                at,
            )?;
            let text = token.to_text();
            if let Some(path) = qr {
                qr::write(&text, &path)?;
            }
            println!("{text}");
        }
    }
    Ok(())
}
