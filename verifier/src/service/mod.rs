//! The checkpoint verifier service: the scanner's checks over HTTP, with
//! revocations held in memory and kept current from Redis.
//!
//! # Layout
//! - [`state`]: [`AppState`]: the checker, the revocation set and its freshness.
//! - [`routes`]: the handlers.
//! - [`sync`]: the Redis subscriber with full resyncs and reconnects.
//! - [`trust`]: reloading the trust list while serving.
//! - [`metrics`]: counters for `/metrics`.
//! - [`AppError`]: how a handler refuses a request.

mod error;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod sync;
pub mod trust;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
pub use error::AppError;
pub use state::AppState;
use tower_http::timeout::TimeoutLayer;

use crate::image::ImageLimits;

/// How long one request may take (a photo decodes in well under a second).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The service's routes over `state`.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/verify", post(routes::verify))
        .route("/v1/codes/{token_id}/status", get(routes::status))
        .route("/v1/revocations", get(routes::revocations))
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .layer(DefaultBodyLimit::max(ImageLimits::default().max_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Resolves on Ctrl-C or SIGTERM: the signal for a graceful shutdown.
pub async fn shutdown_signal() {
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

/// Calls `on_change` on SIGHUP and whenever the file at `path` changes
/// (its modification time, checked every `every`); runs forever. Used to
/// reload a trust list or a signing key without a restart.
pub async fn on_file_change(
    path: std::path::PathBuf,
    every: Duration,
    mut on_change: impl FnMut(),
) {
    use tokio::signal::unix::{SignalKind, signal};
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut seen = modified(&path);
    let mut hangup = signal(SignalKind::hangup()).ok();
    let mut poll = tokio::time::interval(every);
    loop {
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = signalled => {}
            _ = poll.tick() => {
                let now_modified = modified(&path);
                if now_modified == seen {
                    continue;
                }
                seen = now_modified;
            }
        }
        on_change();
    }
}

/// Lets a repeated warning through at most once every `every`: a Redis that
/// stays down is retried every second, but said once, then every half minute.
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    last: Option<tokio::time::Instant>,
}

impl LogLimit {
    /// A limit of one every `every`.
    pub fn new(every: Duration) -> Self {
        LogLimit { every, last: None }
    }

    /// True for the first call, and then once `every` has passed since the last true.
    pub fn ready(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        let ready = self.last.is_none_or(|last| now - last >= self.every);
        if ready {
            self.last = Some(now);
        }
        ready
    }

    /// Starts again: the next call is ready (after a recovery, say).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_passes_once_then_after_its_interval_or_a_reset() {
        let mut hourly = LogLimit::new(Duration::from_secs(3600));
        assert!(hourly.ready());
        assert!(!hourly.ready(), "not again within the hour");
        hourly.reset();
        assert!(hourly.ready(), "news after a reset");
        let mut always = LogLimit::new(Duration::ZERO);
        assert!(always.ready() && always.ready());
    }
}
