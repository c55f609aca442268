//! `verifier serve`: the checkpoint verifier service.
//!
//! Exit codes: 0 after a graceful shutdown (SIGTERM or Ctrl-C); 2 on a
//! configuration error (message on stderr); 1 when serving failed.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Context as _;
use clap::Parser;
use healthcode_keys::{
    IdentityKey, RootPublicKey, SignedTrustList, hktime, revocation::SignedSnapshot,
};
use healthcode_service_kit::{
    logging,
    signals::{on_file_change, shutdown_signal},
};
use healthcode_verifier::{
    Checker,
    revocation::{StalenessPolicy, WhenStale},
};
use healthcode_verifier_service::{
    AppState, app,
    state::{RevocationSource, Settings},
    sync::sync_forever,
    trust,
};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(name = "verifier", version, about = "The checkpoint verifier service")]
enum Cli {
    /// Serve POST /v1/verify, GET /v1/codes/{token_id}/status, /healthz and /metrics.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The signed trust list (JSON).
    #[arg(long)]
    trust: PathBuf,
    /// The pinned root public key.
    #[arg(long)]
    root: PathBuf,
    /// The identity key file (mode 0600), to check ID documents.
    #[arg(long)]
    identity_key: Option<PathBuf>,
    /// Redis URL for revocations; without it, an in-process set is the only source.
    #[arg(long)]
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
}

fn main() -> ExitCode {
    logging::init();
    let Cli::Serve(args) = Cli::parse();
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

/// What `serve` needs after the flags are checked.
struct Configured {
    state: Arc<AppState>,
    listen: SocketAddr,
    redis: Option<String>,
    resync_every: std::time::Duration,
    trust_path: PathBuf,
    root: RootPublicKey,
}

fn configure(args: ServeArgs) -> anyhow::Result<Configured> {
    let now = hktime::now();
    let root = RootPublicKey::read(&args.root).with_context(|| args.root.display().to_string())?;
    let trust = SignedTrustList::read_verified(&args.trust, &root, now)
        .with_context(|| args.trust.display().to_string())?;
    let identity_key = args
        .identity_key
        .as_deref()
        .map(IdentityKey::read)
        .transpose()?;
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
    };
    let snapshots = args
        .revocations
        .iter()
        .map(|path| {
            SignedSnapshot::read_verified(path, &trust, now)
                .with_context(|| path.display().to_string())
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let state = AppState::new(Checker::new(trust, identity_key), settings, hktime::now);
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
        trust_path: args.trust,
        root,
    })
}

async fn serve(configured: Configured) -> anyhow::Result<()> {
    let Configured {
        state,
        listen,
        redis,
        resync_every,
        trust_path,
        root,
    } = configured;
    if let Some(url) = redis {
        tokio::spawn(sync_forever(state.clone(), url, resync_every));
    }
    tokio::spawn(watch_trust_list(state.clone(), trust_path, root));
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "verifier listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("verifier stopped");
    Ok(())
}

/// Reloads the trust list on SIGHUP and when its file changes.
async fn watch_trust_list(state: Arc<AppState>, path: PathBuf, root: RootPublicKey) {
    on_file_change(path.clone(), move || {
        match trust::reload(&state, &path, &root) {
            Ok(seq) => tracing::info!(seq, "trust list reloaded"),
            Err(e) => tracing::error!(error = %e, "new trust list refused; keeping the one in use"),
        }
    })
    .await;
}
