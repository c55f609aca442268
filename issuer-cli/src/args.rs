//! The `issuer` command line: every flag, parsed once, before anything runs.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand};
use healthcode_issuer::{
    model::{FeedKind, Role},
    service::state::RateLimits,
};
use healthcode_keys::{
    Colour, IdDocument, TokenId,
    hktime::{parse_date, parse_rfc3339},
    names::UnknownName,
    revocation::RevocationReason,
};
use healthcode_service_kit::http::ConnectionLimits;
use time::OffsetDateTime;

/// The issuer service and the operators' tool.
#[derive(Parser)]
#[command(
    name = "issuer",
    version,
    about = "The Hong Kong Health Code issuer: resident accounts, colour rules, signed codes"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Sign a code and print its token text (a drill and test tool: it needs the key).
    Issue(IssueArgs),
    /// The colour rules over test vectors (shared/spec/colour-rules.md).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The commands over the database.
    #[command(flatten)]
    Store(Box<StoreCommand>),
    /// Print the API description (OpenAPI 3.1 JSON), as docs/openapi.json holds it.
    Openapi,
}

/// `issuer issue`.
#[derive(clap::Args)]
pub struct IssueArgs {
    /// The issuer secret key file (<kid>.secret, mode 0600).
    #[arg(long)]
    pub key: PathBuf,
    /// The master identity key file (mode 0600), from `keys identity-master-key`.
    #[arg(long)]
    pub identity_master_key: PathBuf,
    /// green, amber or red.
    #[arg(long)]
    pub colour: Colour,
    /// The holder's ID document, TYPE:NUMBER (e.g. HKID:A123456(3)).
    #[arg(long)]
    pub id_doc: IdDocument,
    /// The date of issue on the holder's card, YYYY-MM-DD: the code binds it.
    #[arg(long, value_parser = parse_date)]
    pub date_of_issue: time::Date,
    /// Issue time, RFC 3339 with offset (default now).
    #[arg(long, value_parser = parse_rfc3339)]
    pub at: Option<OffsetDateTime>,
    /// Also write the QR code to this .png or .svg file.
    #[arg(long)]
    pub qr: Option<PathBuf>,
}

/// `issuer rules`.
#[derive(Subcommand)]
pub enum RulesCommand {
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

/// The commands that open the database.
#[derive(Subcommand)]
pub enum StoreCommand {
    /// Serve the residents' and staff's HTTP API (see /openapi.json).
    Serve(ServeArgs),
    /// Revoke one code: recorded in the database (the source of truth) and
    /// delivered to Redis, now with --redis, else by `issuer serve --redis`.
    Revoke(RevokeArgs),
    /// Revocations in Redis.
    #[command(subcommand)]
    Revocations(RevocationsCommand),
    /// The health authority's and immigration department's records.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// The public housing resident database.
    #[command(subcommand)]
    Housing(HousingCommand),
    /// The building directory: building addresses and their place ids.
    #[command(subcommand)]
    Buildings(BuildingsCommand),
    /// The venue registry: venue place ids and their names.
    #[command(subcommand)]
    Venues(VenuesCommand),
    /// The Immigration Department's register of identity cards.
    #[command(subcommand)]
    IdRegister(IdRegisterCommand),
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
    /// Delete what the retention table (docs/retention.md) says is past its
    /// time, audited with counts; print the counts as JSON.
    Purge {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// Count what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Where the data lives.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// The data folder: the SQLite database by default, and by default the
    /// data key and the audit anchor.
    #[arg(long, env = "HEALTHCODE_DATA", default_value = "data")]
    pub data: PathBuf,
    /// The database: sqlite:PATH, or postgres://USER@HOST:PORT/NAME for
    /// several instances on one server. Default: sqlite:DATA/healthcode.db.
    #[arg(long, env = "HEALTHCODE_DATABASE_URL", value_parser = parse_database)]
    pub database: Option<healthcode_issuer::store::Database>,
    /// The data key file (mode 0600) that seals personal data; keep it apart
    /// from the database in production. Default: DATA/data.key, created with a new database.
    #[arg(long, env = "HEALTHCODE_DATA_KEY")]
    pub data_key: Option<PathBuf>,
    /// The audit anchor file: the audit log's newest entry, signed, kept
    /// outside the database so that cutting entries shows. Keep it apart from
    /// the database, like the data key. Default: DATA/audit-anchor.json.
    #[arg(long, env = "HEALTHCODE_AUDIT_ANCHOR")]
    pub audit_anchor: Option<PathBuf>,
}

fn parse_database(text: &str) -> Result<healthcode_issuer::store::Database, String> {
    healthcode_issuer::store::Database::parse(text).map_err(|e| e.to_string())
}

impl DataArgs {
    /// The database these flags name.
    pub fn database(&self) -> healthcode_issuer::store::Database {
        self.database
            .clone()
            .unwrap_or_else(|| healthcode_issuer::store::Database::in_data_dir(&self.data))
    }

    /// Where the audit anchor lives.
    pub fn anchor_path(&self) -> PathBuf {
        self.audit_anchor.clone().unwrap_or_else(|| {
            self.data
                .join(healthcode_issuer::store::audit_anchor::ANCHOR_FILE)
        })
    }
}

impl StoreCommand {
    /// Where the command's data lives.
    pub fn data(&self) -> &DataArgs {
        match self {
            StoreCommand::Serve(args) => &args.data,
            StoreCommand::Revoke(args) => &args.data,
            StoreCommand::Revocations(
                RevocationsCommand::Deliver { data, .. }
                | RevocationsCommand::Filtered { data, .. },
            )
            | StoreCommand::Feeds(FeedsCommand::Import { data, .. })
            | StoreCommand::Housing(HousingCommand::Import { data, .. })
            | StoreCommand::Buildings(BuildingsCommand::Import { data, .. })
            | StoreCommand::Venues(VenuesCommand::Import { data, .. })
            | StoreCommand::IdRegister(IdRegisterCommand::Import { data, .. })
            | StoreCommand::Letters(LettersCommand::Export { data, .. })
            | StoreCommand::Staff(
                StaffCommand::Add { data, .. }
                | StaffCommand::Disable { data, .. }
                | StaffCommand::Rotate { data, .. },
            )
            | StoreCommand::Sms(SmsCommand::Outbox { data, .. })
            | StoreCommand::Audit(AuditCommand::Verify { data })
            | StoreCommand::Purge { data, .. } => data,
        }
    }
}

/// `issuer serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where the data lives.
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// Deliver SMS by POSTing {"id","to","text"} to this URL; without it,
    /// messages wait in the outbox (`issuer sms outbox`).
    #[arg(long)]
    pub sms_webhook: Option<String>,
    /// Registrations per minute from one address.
    #[arg(long, default_value_t = RateLimits::default().register_per_minute)]
    pub register_per_minute: std::num::NonZeroU32,
    /// Logins per minute from one address.
    #[arg(long, default_value_t = RateLimits::default().login_per_minute)]
    pub login_per_minute: std::num::NonZeroU32,
    /// PIN tries and resends per minute from one address.
    #[arg(long, default_value_t = RateLimits::default().pin_per_minute)]
    pub pin_per_minute: std::num::NonZeroU32,
    /// A proxy (address or CIDR, repeatable) whose `Forwarded` /
    /// `X-Forwarded-For` names the client; without one, those headers are
    /// ignored and each client is its socket address (IPv6: its /64).
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Leave `Secure` off the session cookie: only for plain-HTTP development.
    #[arg(long)]
    pub insecure_cookies: bool,
    /// The issuer key that signs codes (<kid>.secret, mode 0600). Reloaded on
    /// SIGHUP and when the file changes, for key rotation. Without it, no codes are issued.
    #[arg(long, env = "HEALTHCODE_SIGNING_KEY", requires = "identity_master_key")]
    pub signing_key: Option<PathBuf>,
    /// The master identity key file (mode 0600): the key of each Hong Kong
    /// day, which binds that day's codes to ID documents, derives from it.
    #[arg(long, env = "HEALTHCODE_IDENTITY_MASTER_KEY", requires = "signing_key")]
    pub identity_master_key: Option<PathBuf>,
    /// The key that signs conversions of green codes for Guangdong and
    /// Macao (<kid>.secret, mode 0600): a Hong Kong issuer key of its own,
    /// listed in the trust list the partners hold. Without it, conversions
    /// are refused.
    #[arg(long, env = "HEALTHCODE_CONVERSION_KEY", requires = "partner_key")]
    pub conversion_key: Option<PathBuf>,
    /// A partner region's public key (from `keys partner-key`) as GD=FILE or
    /// MO=FILE; repeat for each partner. Conversions are sealed to it.
    #[arg(long, requires = "conversion_key", value_parser = healthcode_keys::region_and_file)]
    pub partner_key: Vec<(healthcode_keys::Region, PathBuf)>,
    /// Deliver revocations to this Redis: redis://[user:password@]host:port[/db], rediss:// (TLS), or redis+sentinel://host:port,host:port/master (failover).
    #[arg(long, env = "HEALTHCODE_REDIS")]
    pub redis: Option<String>,
    /// With --redis: how often to put a new filtered snapshot there (a
    /// filter cascade of every code in force, about 1 MB for a million
    /// revocations; verifiers serve it to handhelds on a slow link). Each
    /// reads every code in force: seconds for a population.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub filtered_every: std::time::Duration,
    /// How long a client may take to send a request's headers (and, on a
    /// kept-alive connection, sit idle between requests) before it is cut off.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: std::time::Duration,
    /// Connections open at once (keep below the file-descriptor limit).
    #[arg(long, default_value_t = ConnectionLimits::default().max_connections)]
    pub max_connections: usize,
    /// Requests one kept-alive connection serves before it is closed.
    #[arg(long, default_value_t = ConnectionLimits::default().max_requests_per_connection)]
    pub max_requests_per_connection: u64,
}

/// `issuer revoke`.
#[derive(clap::Args)]
pub struct RevokeArgs {
    /// Where the data lives.
    #[command(flatten)]
    pub data: DataArgs,
    /// The code's token id (24 hex digits).
    #[arg(long)]
    pub token_id: TokenId,
    /// superseded, risk_changed, issued_in_error, holder_request or fraud.
    #[arg(long, value_parser = parse_reason)]
    pub reason: RevocationReason,
    /// When the revoked code expires anyway (default: its expiry if this
    /// issuer issued it, else 23:59:59 Hong Kong time today).
    #[arg(long, value_parser = parse_rfc3339)]
    pub until: Option<OffsetDateTime>,
    /// Deliver every revocation waiting in the database to this Redis now.
    #[arg(long)]
    pub redis: Option<String>,
    /// Issuer secret key (<kid>.secret): with --redis, also re-sign the
    /// snapshot of every revocation that offline scanners download.
    #[arg(long, requires = "redis")]
    pub key: Option<PathBuf>,
}

/// `issuer revocations`.
#[derive(Subcommand)]
pub enum RevocationsCommand {
    /// Deliver every revocation waiting in the database to Redis now; if
    /// Redis lacks this issuer's generation (a new or emptied Redis), restore
    /// every revocation in force first and set a new generation, so that
    /// verifiers count their data as current. What `issuer serve --redis`
    /// does continuously.
    Deliver {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The Redis: redis://[user:password@]host:port[/db], rediss:// (TLS), or redis+sentinel://host:port,host:port/master (failover).
        #[arg(long, env = "HEALTHCODE_REDIS")]
        redis: String,
        /// Issuer secret key (<kid>.secret): also re-sign the snapshot of
        /// every revocation that offline scanners download.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Write the filtered snapshot for handhelds on a slow link: a filter
    /// cascade over every code in force issued up to five minutes ago, and
    /// the revocations it cannot answer listed exactly; about 1 MB for
    /// a million revocations among 7.4 million codes. `scanner verify
    /// --revocations FILE` reads it.
    Filtered {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// Issuer secret key (<kid>.secret) that signs it.
        #[arg(long)]
        key: PathBuf,
        /// The file to write (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// The instant it is made as of, RFC 3339 with offset (default now;
        /// another is for drills and tests, as `issuer issue --at`).
        #[arg(long, value_parser = parse_rfc3339)]
        at: Option<OffsetDateTime>,
    },
}

/// A revocation reason as typed: `risk-changed` is `risk_changed`.
fn parse_reason(text: &str) -> Result<RevocationReason, UnknownName> {
    text.replace('-', "_").parse()
}

/// `issuer feeds`.
#[derive(Subcommand)]
pub enum FeedsCommand {
    /// Import a CSV or JSON file of records: each bad row is refused with its
    /// line and reason, every good row stored. Exit 1 if any row was refused.
    Import {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// statuses, designations or arrivals.
        #[arg(long)]
        kind: FeedKind,
        /// The staff member who submits them (health_authority, or
        /// immigration for arrivals); recorded with every record.
        #[arg(long)]
        staff: String,
        /// The file (.csv with a header row, or .json).
        file: PathBuf,
    },
}

/// `issuer housing`.
#[derive(Subcommand)]
pub enum HousingCommand {
    /// Replace the housing database with a CSV file (header
    /// id_document,address,building_id,phone; phone, the tenancy record's
    /// contact number, may be empty: a PIN goes by SMS only to it, else by
    /// letter). A file with any bad row changes nothing.
    Import {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        file: PathBuf,
    },
}

/// `issuer buildings`.
#[derive(Subcommand)]
pub enum BuildingsCommand {
    /// Replace the building directory with a CSV file (header
    /// building_id,address) and match every resident's address again. A file
    /// with any bad row changes nothing.
    Import {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        file: PathBuf,
    },
}

/// `issuer venues`.
#[derive(Subcommand)]
pub enum VenuesCommand {
    /// Replace the venue registry with a CSV file (header
    /// venue_id,name_en,name_zh; name_zh may be empty). Residents see these
    /// names beside their visits; a venue not in it shows as its id. A file
    /// with any bad row changes nothing.
    Import {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        file: PathBuf,
    },
}

/// `issuer id-register`.
#[derive(Subcommand)]
pub enum IdRegisterCommand {
    /// Replace the register of identity cards with a CSV file (header
    /// id_document,date_of_issue,name). Only keyed blind indexes are kept.
    /// Once loaded, an HKID application whose details are not in it goes to
    /// a reviewer. A file with any bad row changes nothing.
    Import {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The CSV file.
        file: PathBuf,
    },
}

/// `issuer letters`.
#[derive(Subcommand)]
pub enum LettersCommand {
    /// Write each pending letter as a printable text file (0600: it holds a
    /// PIN) into OUT, and mark it sent.
    Export {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `issuer staff`.
#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add a staff member; prints the API token, shown this once, which also
    /// sets up their console sign-in once (at /staff/set-up).
    Add {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// A unique name.
        #[arg(long)]
        name: String,
        /// reviewer, post_office, health_authority, immigration or admin.
        #[arg(long)]
        role: Role,
    },
    /// Disable a staff member: their token and console sessions stop working at once.
    Disable {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The staff member's name.
        #[arg(long)]
        name: String,
    },
    /// Give a staff member a new token (printed, shown this once); the old one stops
    /// working, and so do their console password, authenticator and sessions.
    Rotate {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// The staff member's name.
        #[arg(long)]
        name: String,
    },
}

/// `issuer sms`.
#[derive(Subcommand)]
pub enum SmsCommand {
    /// Print the newest messages as JSON lines (they hold PINs: operators only).
    Outbox {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// `issuer audit`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log: its keyed chain from the first entry to the
    /// last, the anchor (so that cut entries show), and every feed batch
    /// against the entry that recorded it. Exit 1 on any alteration.
    Verify {
        /// Where the data lives.
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `10.0.0.0/8`, `2001:db8::/32`, or one address (`127.0.0.1`).
fn parse_proxy(value: &str) -> Result<ipnet::IpNet, String> {
    value
        .parse::<ipnet::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            format!("{value:?} is neither an address nor a CIDR block (10.0.0.0/8, 2001:db8::/32)")
        })
}
