//! The audit chain's anchor as it is written outside the database, and why
//! one may not hold.

use serde::{Deserialize, Serialize};

/// A signed statement that the chain held `hash` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchor {
    /// The anchored entry's position.
    pub seq: i64,
    /// Its link.
    pub hash: String,
    /// When the anchor was made (Unix seconds, UTC).
    pub at: i64,
    /// The MAC over the three, under the audit key.
    pub mac: String,
}

/// Why an anchor does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorProblem {
    /// The file is missing while the chain has entries.
    #[error(
        "there is no audit anchor at {path}, but the audit log has entries: \
         whether the newest were cut cannot be told"
    )]
    Missing {
        /// The file.
        path: String,
    },
    /// The file does not parse, or its MAC is not the audit key's.
    #[error("the audit anchor at {path} is not one this service wrote: {why}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        why: &'static str,
    },
    /// The chain no longer holds the anchored link.
    #[error(
        "the audit log no longer holds entry {seq} as anchored: entries were cut or the chain rebuilt"
    )]
    Cut {
        /// The anchored position.
        seq: i64,
    },
}
