//! The trust list while serving: read and verified at start, reloaded
//! without dropping a request, refused when it is worse than the one in use.

use std::path::Path;

use healthcode_keys::{Error, RootPublicKey, SignedTrustList};

use crate::AppState;

/// Reads and verifies the trust list at `path` and, if it is acceptable,
/// puts it in use; returns its sequence number.
///
/// # Errors
/// A bad signature, an expired list or a set-back clock, and
/// [`Error::TrustListRollback`] for a lower sequence number than the one in use.
pub fn reload(state: &AppState, path: &Path, root: &RootPublicKey) -> Result<u64, Error> {
    let list = SignedTrustList::read_verified(path, root, state.now())?;
    let current = state.checker();
    list.check_not_older_than(Some(current.trust().seq()))?;
    let seq = list.seq();
    state.set_checker(current.with_trust(list));
    Ok(seq)
}
