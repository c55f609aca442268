//! A record of an upload or submission refused on its own, by position.

use serde::Serialize;

/// A record refused, by its position in the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RefusedRecord {
    /// Position in `records`, from 0.
    pub index: usize,
    /// Why.
    pub reason: String,
}

impl RefusedRecord {
    /// Record `index`, refused for `problem`.
    pub fn new(index: usize, problem: impl std::fmt::Display) -> Self {
        RefusedRecord {
            index,
            reason: problem.to_string(),
        }
    }
}
