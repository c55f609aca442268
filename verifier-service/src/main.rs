//! `verifier serve`: the checkpoint verifier service.
//!
//! Exit codes: 0 after a graceful shutdown (SIGTERM or Ctrl-C); 2 on a
//! configuration error (message on stderr); 1 when serving failed.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Context as _;
use clap::Parser;
use healthcode_keys::{
    IdentityKeyring, Region, RootPublicKey, SignedTrustList, hktime, region_and_file,
    revocation::SignedSnapshot,
    trust_state::{TrustState, default_path},
};
use healthcode_service_kit::{
    http::{self, ConnectionLimits},
    logging,
    signals::shutdown_signal,
};
use healthcode_verifier::{
    Checker,
    admission::Policy,
    revocation::{StalenessPolicy, WhenStale},
};
use healthcode_verifier_service::{
    AppState, app, bundle, identity,
    state::{RevocationSource, Settings},
    sync::sync_forever,
    trust,
};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(name = "verifier", version, about = "The checkpoint verifier service")]
enum Cli {
    /// Serve POST /v1/verify, GET /v1/codes/{token_id}/status, /healthz, /readyz and /metrics.
    Serve(Box<ServeArgs>),
    /// Print the API description (OpenAPI 3.1 JSON), as docs/verifier-openapi.json holds it.
    Openapi,
    /// Write an offline bundle for a handheld with no network: the trust
    /// list, the revocation snapshot and the policy, each checked, signed
    /// as one file by an issuer key of the list (`scanner verify --bundle`).
    Bundle {
        /// The signed trust list.
        #[arg(long)]
        trust: PathBuf,
        /// The pinned root public key.
        #[arg(long)]
        root: PathBuf,
        /// The issuer-signed revocation snapshot (GET /v1/revocations).
        #[arg(long)]
        revocations: PathBuf,
        /// The checkpoint's admission policy (set `revocations-max-age-hours`).
        #[arg(long)]
        policy: PathBuf,
        /// The issuer secret key that signs the bundle (<kid>.secret).
        #[arg(long)]
        key: PathBuf,
        /// The bundle file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The signed trust list (JSON).
    #[arg(long)]
    trust: PathBuf,
    /// The pinned root public key.
    #[arg(long)]
    root: PathBuf,
    /// An identity day-key file (mode 0600, from `keys identity-day-keys`),
    /// as `REGION=FILE` (HK, GD or MO) or `FILE` for Hong Kong's; repeat
    /// for each region: checks ID documents presented with codes that
    /// region issued on those days, and no other region's.
    #[arg(long, value_parser = region_and_file)]
    identity_day_keys: Vec<(Region, PathBuf)>,
    /// A version 1 identity key file (mode 0600), as `REGION=FILE` or
    /// `FILE` for Hong Kong's; repeatable: checks ID documents presented
    /// with version 1 codes, while any are still valid.
    #[arg(long, value_parser = region_and_file)]
    identity_key: Vec<(Region, PathBuf)>,
    /// Redis for revocations: redis://[user:password@]host:port[/db],
    /// rediss:// (TLS), or redis+sentinel://host:port,host:port/master
    /// (failover). Without it, an in-process set is the only source.
    #[arg(long, env = "HEALTHCODE_REDIS")]
    redis: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// How old revocation data may get before valid codes answer revocation_unavailable.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    stale_after: std::time::Duration,
    /// reject (secondary inspection) or accept, knowingly, past --stale-after.
    #[arg(long, default_value = "reject", value_parser = clap::builder::ValueParser::new(str::parse::<WhenStale>))]
    when_stale: WhenStale,
    /// Issuer-signed revocation snapshots to load at start (repeatable): the
    /// in-process set without Redis, added to Redis's with it.
    #[arg(long)]
    revocations: Vec<PathBuf>,
    /// Full resync from Redis this often, besides pub/sub.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    resync_every: std::time::Duration,
    /// Accept codes signed by a TEST key as valid (answered with `specimen:
    /// true`): for drills only. Without it a specimen is not valid.
    #[arg(long)]
    accept_specimen: bool,
    /// The checkpoint's admission policy (docs/admission.md): every answer
    /// then carries `admission` (admit, secondary or refuse, and why). A bad
    /// file stops the service at start, naming the line.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// This checkpoint's id (1 to 32 letters, digits, '.', '_' or '-'), in
    /// every metric, audit line and the supervisor's page; each request
    /// names its lane (a `lane` field or the X-Healthcode-Lane header).
    #[arg(long, default_value = healthcode_verifier_service::state::UNNAMED_CHECKPOINT)]
    checkpoint: String,
    /// How long a client may take to send a request's headers (and, on a
    /// kept-alive connection, sit idle between requests) before it is cut off.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    header_read_timeout: std::time::Duration,
    /// Connections open at once (keep below the file-descriptor limit).
    #[arg(long, default_value_t = ConnectionLimits::default().max_connections)]
    max_connections: usize,
    /// Requests one kept-alive connection serves before it is closed.
    #[arg(long, default_value_t = ConnectionLimits::default().max_requests_per_connection)]
    max_requests_per_connection: u64,
    /// Photos decoded at once (default: one fewer than the cores, at least one).
    #[arg(long, default_value_t = Settings::default_image_decoders())]
    image_decoders: usize,
    /// File keeping the highest trust-list sequence seen, so that an older
    /// list is refused after a restart too (default:
    /// $XDG_STATE_HOME/healthcode/verifier-trust.json or ~/.local/state/...).
    #[arg(long)]
    state: Option<PathBuf>,
}

fn main() -> ExitCode {
    logging::init();
    let args = match Cli::parse() {
        Cli::Serve(args) => *args,
        Cli::Openapi => {
            print!("{}", healthcode_verifier_service::openapi::json());
            return ExitCode::SUCCESS;
        }
        Cli::Bundle {
            trust,
            root,
            revocations,
            policy,
            key,
            out,
        } => {
            let sources = bundle::Sources {
                trust,
                root,
                revocations,
                policy,
                key,
            };
            return write_bundle(&sources, &out);
        }
    };
    let configured = match configure(args) {
        Ok(configured) => configured,
        Err(e) => {
            eprintln!("verifier: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("verifier: error: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(configured)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("verifier: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `verifier bundle`: exit 0 with the file written, 2 when a part is refused.
fn write_bundle(sources: &bundle::Sources, out: &std::path::Path) -> ExitCode {
    let made = bundle::make(sources, hktime::now());
    let written = made.map_err(anyhow::Error::from).and_then(|bundle| {
        std::fs::write(out, bundle.to_json()).with_context(|| out.display().to_string())
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("verifier: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// What `serve` needs after the flags are checked.
struct Configured {
    state: Arc<AppState>,
    listen: SocketAddr,
    redis: Option<String>,
    resync_every: std::time::Duration,
    trust: trust::TrustSource,
    day_keys: Vec<(Region, PathBuf)>,
    limits: ConnectionLimits,
}

fn configure(args: ServeArgs) -> anyhow::Result<Configured> {
    let now = hktime::now();
    let root = RootPublicKey::read(&args.root).with_context(|| args.root.display().to_string())?;
    let trust = SignedTrustList::read_verified(&args.trust, &root, now)
        .with_context(|| args.trust.display().to_string())?;
    let state_file = args.state.or_else(|| {
        default_path(
            "verifier-trust.json",
            std::env::var_os("XDG_STATE_HOME"),
            std::env::var_os("HOME"),
        )
    });
    if let Some(path) = &state_file {
        TrustState::guard(path, root.kid, &trust).with_context(|| path.display().to_string())?;
    }
    let identity = IdentityKeyring::read(&args.identity_key, &args.identity_day_keys)
        .map_err(|(at, e)| anyhow::anyhow!("{at}: {e}"))?;
    if let Some(url) = &args.redis {
        healthcode_service_kit::redis::check_url(url).context("--redis")?;
    }
    let settings = Settings {
        staleness: StalenessPolicy {
            stale_after: Some(time::Duration::try_from(args.stale_after).context("--stale-after")?),
            when_stale: args.when_stale,
        },
        source: if args.redis.is_some() {
            RevocationSource::Redis
        } else {
            RevocationSource::Embedded
        },
        image_decoders: args.image_decoders,
    };
    let snapshots = args
        .revocations
        .iter()
        .map(|path| {
            SignedSnapshot::read_verified(path, &trust, now)
                .with_context(|| path.display().to_string())
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let policy = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
            Some(Policy::parse(&text).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    let checkpoint = args.checkpoint.parse().context("--checkpoint")?;
    let checker = Checker::new(trust, identity).accepting_specimens(args.accept_specimen);
    let state = AppState::new(checker, settings, hktime::now)
        .with_policy(policy)
        .with_checkpoint(checkpoint);
    state.with_revocations(|held| {
        for snapshot in snapshots {
            held.set
                .merge(snapshot.snapshot.revocations.iter().cloned());
            held.keep_newest_snapshot(snapshot);
        }
    });
    Ok(Configured {
        state: Arc::new(state),
        listen: args.listen,
        redis: args.redis,
        resync_every: args.resync_every,
        limits: ConnectionLimits {
            header_read_timeout: args.header_read_timeout,
            max_connections: args.max_connections,
            max_requests_per_connection: args.max_requests_per_connection,
        },
        trust: trust::TrustSource {
            path: args.trust,
            root,
            state_file,
        },
        day_keys: args.identity_day_keys,
    })
}

async fn serve(configured: Configured) -> anyhow::Result<()> {
    let Configured {
        state,
        listen,
        redis,
        resync_every,
        trust,
        day_keys,
        limits,
    } = configured;
    if let Some(url) = redis {
        tokio::spawn(sync_forever(state.clone(), url, resync_every));
    }
    tokio::spawn(trust::watch(state.clone(), trust));
    tokio::spawn(trust::warn_while_expired(state.clone()));
    for (region, path) in &day_keys {
        tokio::spawn(identity::watch(state.clone(), *region, path.clone()));
    }
    if !day_keys.is_empty() {
        tokio::spawn(identity::warn_while_uncovered(state.clone()));
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "verifier listening");
    http::serve(listener, app(state), limits, shutdown_signal()).await?;
    tracing::info!("verifier stopped");
    Ok(())
}
