//! The trust list while serving: reloaded without dropping a request,
//! refused when it is worse than the one in use or older than the highest
//! sequence ever held (across restarts, through the state file).

use std::{path::PathBuf, sync::Arc};

use healthcode_keys::{Error, RootPublicKey, SignedTrustList, trust_state::TrustState};
use healthcode_service_kit::signals::on_file_change;

use crate::AppState;

/// Where the trust list comes from, and where the highest sequence held is kept.
#[derive(Debug, Clone)]
pub struct TrustSource {
    /// The signed trust list file.
    pub path: PathBuf,
    /// The pinned root.
    pub root: RootPublicKey,
    /// The anti-rollback state file, if any.
    pub state_file: Option<PathBuf>,
}

/// Reads and verifies the trust list of `source` and, if it is acceptable,
/// puts it in use; returns its sequence number.
///
/// # Errors
/// A bad signature, an expired list or a set-back clock, and
/// [`Error::TrustListRollback`] for a lower sequence number than the one in
/// use or than the state file holds.
pub fn reload(state: &AppState, source: &TrustSource) -> Result<u64, Error> {
    let list = SignedTrustList::read_verified(&source.path, &source.root, state.now())?;
    let seq = list.seq();
    state.update_checker(|current| {
        list.check_not_older_than(Some(current.trust().seq()))?;
        if let Some(file) = &source.state_file {
            TrustState::guard(file, source.root.kid, &list)?;
        }
        Ok(current.with_trust(list))
    })?;
    Ok(seq)
}

/// Reloads the trust list on SIGHUP and when its file changes; runs forever.
pub async fn watch(state: Arc<AppState>, source: TrustSource) {
    let path = source.path.clone();
    on_file_change(path, move || match reload(&state, &source) {
        Ok(seq) => tracing::info!(seq, "trust list reloaded"),
        Err(e) => tracing::error!(error = %e, "new trust list refused; keeping the one in use"),
    })
    .await;
}

/// How often an expired trust list is said in the log while it stays expired.
const EXPIRED_WARN_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Logs an error every half minute while the trust list in use is expired
/// (every answer is then `trust_list_expired`); runs forever.
pub async fn warn_while_expired(state: Arc<AppState>) {
    let mut every = tokio::time::interval(EXPIRED_WARN_EVERY);
    loop {
        every.tick().await;
        let checker = state.checker();
        if checker.trust_expired(state.now()) {
            tracing::error!(
                expired_at = %healthcode_keys::hktime::format_utc(checker.trust().expires_at()),
                "the trust list has expired: every verification answers trust_list_expired until a current list is loaded"
            );
        }
    }
}
