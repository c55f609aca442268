//! Revocations: single codes taken back during their day, carried from the
//! issuer to every checkpoint through Redis.
//!
//! Revoking a whole key (a leak) goes through the trust list instead. A
//! revocation expires by itself when the code it revokes would have expired
//! anyway, so the set stays small (codes live one day).
//!
//! # Layout
//! - [`Revocation`], [`Reason`], [`SignedSnapshot`]: the formats, from the
//!   keys crate (a fixed set of reasons: free text could carry health data
//!   to every checkpoint).
//! - [`RevocationSet`]: the in-memory set a verifier checks, additive only.
//! - [`store`]: the Redis side: write and publish, look up, list for a resync.

mod set;
pub mod store;

pub use healthcode_keys::revocation::{REASONS, Reason, Revocation, SignedSnapshot};
pub use set::RevocationSet;

use std::path::Path;

use healthcode_keys::{TrustList, files::read_public};
use time::OffsetDateTime;

/// Reads a snapshot file and checks the issuer's signature under `trust`.
///
/// # Errors
/// File and JSON errors, an unknown or revoked issuer key, a bad signature.
pub fn read_snapshot(
    path: &Path,
    trust: &TrustList,
    now: OffsetDateTime,
) -> Result<SignedSnapshot, healthcode_keys::Error> {
    let snapshot = SignedSnapshot::from_json(&read_public(path)?)?;
    snapshot.verify(trust, now)?;
    Ok(snapshot)
}
