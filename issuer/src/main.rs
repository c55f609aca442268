//! `issuer`: the issuer service and the operators' tool.
//!
//! Exit codes: 0 success (for `serve`, after a graceful shutdown on SIGTERM or
//! Ctrl-C); 1 an operation failed (message on stderr) or, for `rules check`,
//! a vector failed, or for `audit verify`, the chain is broken; 2 usage error.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use healthcode_issuer::{
    issue::issue_code,
    qr,
    residents::{housing, verification},
    rules::check,
    service::{self, state::RateLimits},
    store::{Store, staff::Role},
};
use healthcode_keys::{
    Colour, IdDocument, IdentityKey, IssuerSecretKey, TokenId,
    hktime::{self, parse_rfc3339},
};
use healthcode_verifier::revocation::{Reason, Revocation, SignedSnapshot, store::RevocationStore};
use time::OffsetDateTime;

#[derive(Parser)]
#[command(
    name = "issuer",
    version,
    about = "The Hong Kong Health Code issuer: resident accounts, colour rules, signed codes"
)]
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
    /// The commands over the database (serve, housing, letters, staff, sms, audit).
    #[command(flatten)]
    Store(StoreCommand),
    /// Print the API description (OpenAPI 3.1 JSON), as docs/openapi.json holds it.
    Openapi,
}

/// The commands that open the database.
#[derive(Subcommand)]
enum StoreCommand {
    /// Serve the residents' and staff's HTTP API (see /openapi.json).
    Serve(ServeArgs),
    /// The public housing resident database.
    #[command(subcommand)]
    Housing(HousingCommand),
    /// Confirmation letters waiting to be printed.
    #[command(subcommand)]
    Letters(LettersCommand),
    /// Staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The SMS outbox.
    #[command(subcommand)]
    Sms(SmsCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// Where the data lives.
#[derive(clap::Args)]
struct DataArgs {
    /// The data folder: the SQLite database (and, by default, the data key).
    #[arg(long, env = "HEALTHCODE_DATA", default_value = "data")]
    data: PathBuf,
    /// The data key file (mode 0600) that seals personal data; keep it apart
    /// from the database in production. Default: DATA/data.key, created with a new database.
    #[arg(long, env = "HEALTHCODE_DATA_KEY")]
    data_key: Option<PathBuf>,
}

impl DataArgs {
    fn open(&self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Store> {
        Ok(runtime.block_on(Store::open(&self.data, self.data_key.as_deref()))?)
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Deliver SMS by POSTing {"id","to","text"} to this URL; without it,
    /// messages wait in the outbox (`issuer sms outbox`).
    #[arg(long)]
    sms_webhook: Option<String>,
    /// Registrations per minute from one address.
    #[arg(long, default_value_t = RateLimits::default().register_per_minute)]
    register_per_minute: std::num::NonZeroU32,
    /// Logins per minute from one address.
    #[arg(long, default_value_t = RateLimits::default().login_per_minute)]
    login_per_minute: std::num::NonZeroU32,
    /// PIN tries and resends per minute from one address.
    #[arg(long, default_value_t = RateLimits::default().pin_per_minute)]
    pin_per_minute: std::num::NonZeroU32,
    /// Leave `Secure` off the session cookie: only for plain-HTTP development.
    #[arg(long)]
    insecure_cookies: bool,
}

#[derive(Subcommand)]
enum HousingCommand {
    /// Replace the housing database with a CSV file (header
    /// id_document,address,building_id). A file with any bad row changes nothing.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum LettersCommand {
    /// Write each pending letter as a printable text file (0600: it holds a
    /// PIN) into OUT, and mark it sent.
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a staff member; prints the API token, shown this once.
    Add {
        #[command(flatten)]
        data: DataArgs,
        /// A unique name.
        #[arg(long)]
        name: String,
        /// What they may do.
        #[arg(long, value_enum)]
        role: Role,
    },
}

#[derive(Subcommand)]
enum SmsCommand {
    /// Print the newest messages as JSON lines (they hold PINs: operators only).
    Outbox {
        #[command(flatten)]
        data: DataArgs,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain from the first entry to the last.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
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
        Command::Openapi => print!("{}", service::openapi::json()),
        Command::Store(command) => run_with_store(command)?,
    }
    Ok(true)
}

/// The commands that work on the database.
fn run_with_store(command: StoreCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let now = hktime::now();
    match command {
        StoreCommand::Serve(args) => {
            let store = args.data.open(&runtime)?;
            let limits = RateLimits {
                register_per_minute: args.register_per_minute,
                login_per_minute: args.login_per_minute,
                pin_per_minute: args.pin_per_minute,
            };
            let state = service::AppState::new(store, limits, !args.insecure_cookies, hktime::now);
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(args.listen).await?;
                tracing::info!(address = %listener.local_addr()?, "issuer listening");
                service::serve(state, listener, args.sms_webhook).await
            })?;
            tracing::info!("issuer stopped");
        }
        StoreCommand::Housing(HousingCommand::Import { data, file }) => {
            let store = data.open(&runtime)?;
            let input = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let count = runtime.block_on(housing::import(&store, input, now))?;
            println!("imported {count} public housing residents");
        }
        StoreCommand::Letters(LettersCommand::Export { data, out }) => {
            let store = data.open(&runtime)?;
            let written = runtime.block_on(verification::export_letters(&store, &out, now))?;
            for path in &written {
                println!("{}", path.display());
            }
            eprintln!("{} letters exported to {}", written.len(), out.display());
        }
        StoreCommand::Staff(StaffCommand::Add { data, name, role }) => {
            let store = data.open(&runtime)?;
            let token = runtime.block_on(store.add_staff(&name, role, now))?;
            println!("{token}");
            eprintln!("staff member {name:?} added as {role}; the token above is shown only now");
        }
        StoreCommand::Sms(SmsCommand::Outbox { data, limit }) => {
            let store = data.open(&runtime)?;
            for sms in runtime.block_on(store.outbox(limit))? {
                println!("{}", serde_json::to_string(&sms)?);
            }
        }
        StoreCommand::Audit(AuditCommand::Verify { data }) => {
            let store = data.open(&runtime)?;
            let count = runtime.block_on(store.verify_audit_chain())?;
            println!("audit log intact: {count} entries");
        }
    }
    Ok(())
}
