//! `verifier serve`: the checkpoint verifier service.
//!
//! Exit codes: 0 after a graceful shutdown (SIGTERM or Ctrl-C); 2 on a
//! configuration error (message on stderr); 1 when serving failed.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Context as _;
use clap::Parser;
use healthcode_keys::{IdentityKey, RootPublicKey, SignedTrustList, files::read_public, hktime};
use healthcode_verifier::{
    Checker,
    service::{
        AppState, app,
        state::{RevocationSource, Settings, WhenStale},
        sync::sync_forever,
    },
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
    #[arg(long, value_enum, default_value_t = WhenStale::Reject)]
    when_stale: WhenStale,
    /// Full resync from Redis this often, besides pub/sub.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    resync_every: std::time::Duration,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Cli::Serve(args) = Cli::parse();
    let (state, listen, redis, resync_every) = match configure(args) {
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
    match runtime.block_on(serve(state, listen, redis, resync_every)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("verifier: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

type Configured = (
    Arc<AppState>,
    SocketAddr,
    Option<String>,
    std::time::Duration,
);

fn configure(args: ServeArgs) -> anyhow::Result<Configured> {
    let now = hktime::now();
    let root = RootPublicKey::read(&args.root).with_context(|| args.root.display().to_string())?;
    let text = read_public(&args.trust)?;
    let trust = SignedTrustList::from_json(&text)
        .and_then(|list| list.verify(&root, now))
        .with_context(|| args.trust.display().to_string())?;
    let identity_key = args
        .identity_key
        .as_deref()
        .map(IdentityKey::read)
        .transpose()?;
    let settings = Settings {
        stale_after: time::Duration::try_from(args.stale_after).context("--stale-after")?,
        when_stale: args.when_stale,
        source: if args.redis.is_some() {
            RevocationSource::Redis
        } else {
            RevocationSource::Embedded
        },
    };
    let state = AppState::new(Checker::new(trust, identity_key), settings, hktime::now);
    Ok((Arc::new(state), args.listen, args.redis, args.resync_every))
}

async fn serve(
    state: Arc<AppState>,
    listen: SocketAddr,
    redis: Option<String>,
    resync_every: std::time::Duration,
) -> anyhow::Result<()> {
    if let Some(url) = redis {
        tokio::spawn(sync_forever(state.clone(), url, resync_every));
    }
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

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
