//! Signals a service obeys: Ctrl-C or SIGTERM to stop gracefully, SIGHUP (or
//! a changed file) to reload a key or trust list without a restart.

use std::{path::PathBuf, time::Duration};

use tokio::signal::unix::{SignalKind, signal};

/// Resolves on Ctrl-C or SIGTERM: the signal for a graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match signal(SignalKind::terminate()) {
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

/// How often a watched file's modification time is looked at.
pub const FILE_POLL: Duration = Duration::from_secs(2);

/// Calls `on_change` on SIGHUP and whenever the file at `path` changes (its
/// modification time, checked every [`FILE_POLL`]); runs forever. Used to
/// reload a trust list or a signing key without a restart.
pub async fn on_file_change(path: PathBuf, mut on_change: impl FnMut()) {
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut seen = modified(&path);
    let mut hangup = signal(SignalKind::hangup()).ok();
    let mut poll = tokio::time::interval(FILE_POLL);
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
