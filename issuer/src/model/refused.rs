//! A record of an upload or submission refused on its own, by position.

use serde::Serialize;

/// A record refused, by its position in the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RefusedRecord {
    /// Position in `records`, from 0.
    pub index: usize,
    /// Why.
    pub reason: String,
    /// Why, as a stable code (for pages that say it in the reader's
    /// language), where the kind of record has codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

impl RefusedRecord {
    /// Record `index`, refused for `problem`.
    pub fn new(index: usize, problem: impl std::fmt::Display) -> Self {
        RefusedRecord {
            index,
            reason: problem.to_string(),
            code: None,
        }
    }

    /// Record `index`, refused for `problem`, whose stable code is `code`.
    pub fn coded(index: usize, code: &'static str, problem: impl std::fmt::Display) -> Self {
        RefusedRecord {
            code: Some(code),
            ..RefusedRecord::new(index, problem)
        }
    }
}
