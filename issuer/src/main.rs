//! `issuer`: the administrator's tool for issuing codes.
//!
//! Exit codes: 0 success; 1 an operation failed (message on stderr) or, for
//! `rules check`, a vector failed; 2 usage error.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use healthcode_issuer::{issue::issue_code, qr, rules::check};
use healthcode_keys::{
    Colour, IdDocument, IdentityKey, IssuerSecretKey, TokenId,
    hktime::{self, parse_rfc3339},
};
use healthcode_verifier::revocation::{Reason, Revocation, SignedSnapshot, store::RevocationStore};
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
    /// Revoke one code: stored in Redis until the code would have expired, and
    /// published so that every verifier learns of it at once.
    Revoke {
        /// Redis URL: redis://[user:password@]host:port[/db], or rediss:// for TLS.
        #[arg(long)]
        redis: String,
        /// The code's token id (24 hex digits).
        #[arg(long)]
        token_id: TokenId,
        /// superseded, risk_changed, issued_in_error, holder_request or fraud.
        #[arg(long)]
        reason: Reason,
        /// When the revoked code expires anyway (default: 23:59:59 Hong Kong time today).
        #[arg(long, value_parser = parse_rfc3339)]
        until: Option<OffsetDateTime>,
        /// Issuer secret key (<kid>.secret): re-sign the snapshot of every
        /// revocation that offline scanners download.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// The colour rules over test vectors (shared/spec/colour-rules.md).
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Print one JSON line per vector: colour, valid_until and reasons, or the
    /// error. Exit 0 when every file could be read as JSON, 1 otherwise.
    Eval {
        /// Vector files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Compare every vector with its `expect`; print each failure, then
    /// `N passed, M failed`. Exit 1 on any failure.
    Check {
        /// Vector files, or folders searched for .json files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        // A reader that stopped early (`| head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("issuer: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Runs `command`; `Ok(false)` when it ran but its answer is a failure.
fn run(command: Command) -> anyhow::Result<bool> {
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
        Command::Revoke {
            redis,
            token_id,
            reason,
            until,
            key,
        } => {
            let key = key.as_deref().map(IssuerSecretKey::read).transpose()?;
            let now = hktime::now();
            let revocation = Revocation {
                token_id,
                reason,
                revoked_at: now,
                until: until.unwrap_or_else(|| hktime::end_of_hk_day(now)),
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let store = RevocationStore::connect(&redis).await?;
                // The snapshot holds every revocation in force, this one included.
                let snapshot = match &key {
                    Some(key) => {
                        let (mut all, _) = store.all().await?;
                        all.retain(|r| r.token_id != revocation.token_id);
                        all.push(revocation.clone());
                        Some(SignedSnapshot::sign(key, now, all))
                    }
                    None => None,
                };
                store.revoke(&revocation, snapshot.as_ref(), now).await
            })?;
            println!(
                "revoked {token_id} ({reason}) until {}",
                hktime::format_hk(revocation.until)
            );
        }
        Command::Rules(RulesCommand::Eval { files }) => {
            return Ok(check::eval_files(
                &files,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            )?);
        }
        Command::Rules(RulesCommand::Check { paths }) => {
            let summary = check::check_paths(&paths, &mut std::io::stdout().lock())?;
            return Ok(summary.failed == 0);
        }
    }
    Ok(true)
}
