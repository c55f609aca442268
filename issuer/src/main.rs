//! `issuer`: the issuer service and the operators' tool.
//!
//! Exit codes: 0 success (for `serve`, after a graceful shutdown on SIGTERM or
//! Ctrl-C); 1 an operation failed (message on stderr) or, for `rules check`,
//! a vector failed, for `audit verify`, the chain is broken or feed records
//! were altered, for `feeds import`, some rows were refused (the good ones
//! are stored); 2 usage error.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use healthcode_issuer::{
    codes::{publish, revoke, signer::Signer},
    feeds::{FeedKind, Submitter, import::import_file},
    issue::issue_code,
    qr,
    residents::{buildings, housing, verification},
    rules::check,
    service::{self, state::RateLimits},
    store::{Store, staff::Role},
};
use healthcode_keys::revocation::Reason;
use healthcode_keys::{
    Colour, IdDocument, IdentityKey, IssuerSecretKey, TokenId,
    hktime::{self, parse_rfc3339},
};
use healthcode_service_kit::redis::RevocationStore;
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
    /// The colour rules over test vectors (shared/spec/colour-rules.md).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The commands over the database (serve, revoke, feeds, housing, buildings, letters, staff, sms, audit).
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
    /// Revoke one code: recorded in the database (the source of truth) and
    /// delivered to Redis, now with --redis, else by `issuer serve --redis`.
    Revoke(RevokeArgs),
    /// The health authority's and immigration department's records.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// The public housing resident database.
    #[command(subcommand)]
    Housing(HousingCommand),
    /// The building directory: building addresses and their place ids.
    #[command(subcommand)]
    Buildings(BuildingsCommand),
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
    /// The issuer key that signs codes (<kid>.secret, mode 0600). Reloaded on
    /// SIGHUP and when the file changes, for key rotation. Without it, no codes are issued.
    #[arg(long, env = "HEALTHCODE_SIGNING_KEY", requires = "identity_key")]
    signing_key: Option<PathBuf>,
    /// The identity key file (mode 0600) that binds codes to ID documents.
    #[arg(long, env = "HEALTHCODE_IDENTITY_KEY", requires = "signing_key")]
    identity_key: Option<PathBuf>,
    /// Deliver revocations to this Redis: redis://[user:password@]host:port[/db], or rediss://.
    #[arg(long, env = "HEALTHCODE_REDIS")]
    redis: Option<String>,
}

#[derive(clap::Args)]
struct RevokeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The code's token id (24 hex digits).
    #[arg(long)]
    token_id: TokenId,
    /// superseded, risk_changed, issued_in_error, holder_request or fraud.
    #[arg(long)]
    reason: Reason,
    /// When the revoked code expires anyway (default: its expiry if this
    /// issuer issued it, else 23:59:59 Hong Kong time today).
    #[arg(long, value_parser = parse_rfc3339)]
    until: Option<OffsetDateTime>,
    /// Deliver every revocation waiting in the database to this Redis now.
    #[arg(long)]
    redis: Option<String>,
    /// Issuer secret key (<kid>.secret): with --redis, also re-sign the
    /// snapshot of every revocation that offline scanners download.
    #[arg(long, requires = "redis")]
    key: Option<PathBuf>,
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// Import a CSV or JSON file of records: each bad row is refused with its
    /// line and reason, every good row stored. Exit 1 if any row was refused.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// statuses, designations or arrivals.
        #[arg(long, value_enum)]
        kind: FeedKind,
        /// The staff member who submits them (health_authority, or
        /// immigration for arrivals); recorded with every record.
        #[arg(long)]
        staff: String,
        /// The file (.csv with a header row, or .json).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum BuildingsCommand {
    /// Replace the building directory with a CSV file (header
    /// building_id,address) and match every resident's address again. A file
    /// with any bad row changes nothing.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        file: PathBuf,
    },
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
        Command::Store(command) => return run_with_store(command),
    }
    Ok(true)
}

/// The commands that work on the database; `Ok(false)` when one ran but
/// its answer is a failure.
fn run_with_store(command: StoreCommand) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Runtime::new()?;
    let now = hktime::now();
    match command {
        StoreCommand::Serve(args) => serve(&runtime, args)?,
        StoreCommand::Revoke(args) => revoke_code(&runtime, args, now)?,
        StoreCommand::Feeds(FeedsCommand::Import {
            data,
            kind,
            staff,
            file,
        }) => {
            let store = data.open(&runtime)?;
            return runtime.block_on(import_feed(&store, kind, &staff, &file, now));
        }
        StoreCommand::Buildings(BuildingsCommand::Import { data, file }) => {
            let store = data.open(&runtime)?;
            let input = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let done = runtime.block_on(buildings::import(&store, input, now))?;
            println!(
                "imported {} buildings; {} residents' addresses match a building, {} match none",
                done.buildings, done.matched, done.unmatched
            );
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
            let (records, batches) = runtime.block_on(store.verify_feeds())?;
            println!(
                "feed records intact: {records} records in {batches} batches, each in the audit log"
            );
        }
    }
    Ok(true)
}

fn serve(runtime: &tokio::runtime::Runtime, args: ServeArgs) -> anyhow::Result<()> {
    let signer = match (&args.signing_key, &args.identity_key) {
        (Some(key), Some(identity)) => Some(Signer::load(key, identity, hktime::now())?),
        _ => None,
    };
    if signer.is_none() {
        tracing::warn!("no --signing-key: applications for codes are refused (503)");
    }
    let store = args.data.open(runtime)?;
    let limits = RateLimits {
        register_per_minute: args.register_per_minute,
        login_per_minute: args.login_per_minute,
        pin_per_minute: args.pin_per_minute,
    };
    let state = service::AppState::new(store, limits, !args.insecure_cookies, signer, hktime::now);
    let background = service::Background {
        sms_webhook: args.sms_webhook,
        redis: args.redis,
    };
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        tracing::info!(address = %listener.local_addr()?, "issuer listening");
        service::serve(state, listener, background).await
    })?;
    tracing::info!("issuer stopped");
    Ok(())
}

fn revoke_code(
    runtime: &tokio::runtime::Runtime,
    args: RevokeArgs,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let key = args.key.as_deref().map(IssuerSecretKey::read).transpose()?;
    let store = args.data.open(runtime)?;
    runtime.block_on(async {
        let revoked =
            revoke::revoke(&store, args.token_id, args.reason, args.until, "cli", now).await?;
        let r = &revoked.revocation;
        if revoked.new {
            println!(
                "revoked {} ({}) until {}",
                r.token_id,
                r.reason,
                hktime::format_hk(r.until)
            );
        } else {
            println!(
                "{} was already revoked ({}); that revocation stands",
                r.token_id, r.reason
            );
        }
        let Some(url) = &args.redis else {
            eprintln!("recorded; `issuer serve --redis` delivers it to Redis");
            return Ok(());
        };
        let deliver = async {
            let mut publisher = publish::Publisher::new(RevocationStore::connect(url).await?);
            publisher.round(&store, now).await?;
            if let Some(key) = key {
                let key = std::sync::Arc::new(key);
                publish::refresh_snapshot(&store, publisher.redis(), &key, now).await?;
            }
            Ok::<_, healthcode_issuer::Error>(())
        };
        deliver.await.map_err(|e| {
            anyhow::anyhow!(
                "recorded in the database, but not delivered (`issuer serve --redis` will): {e}"
            )
        })
    })
}

async fn import_feed(
    store: &Store,
    kind: FeedKind,
    staff: &str,
    file: &std::path::Path,
    now: OffsetDateTime,
) -> anyhow::Result<bool> {
    let member = store
        .staff_by_name(staff)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no staff member named {staff:?} (issuer staff add)"))?;
    if !kind.roles().contains(&member.role) {
        return Err(healthcode_issuer::Error::WrongRole {
            name: member.name,
            role: member.role.as_str(),
            needed: kind
                .roles()
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        }
        .into());
    }
    let actor = format!("staff:{}", member.id);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let source = format!("import:{name}");
    let submitter = Submitter {
        actor: &actor,
        source: &source,
    };
    let summary = import_file(store, kind, file, submitter, now).await?;
    for refused in &summary.refused {
        eprintln!("{}: {}", refused.at, refused.reason);
    }
    println!(
        "{} records: {} stored, {} unchanged, {} refused, in {} batches",
        summary.received,
        summary.stored,
        summary.unchanged,
        summary.refused.len(),
        summary.batches.len()
    );
    Ok(summary.refused.is_empty())
}
