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
    /// The field the problem is in, where it is in one (e.g. `start`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl RefusedRecord {
    /// Record `index`, refused for `problem`.
    pub fn new(index: usize, problem: impl std::fmt::Display) -> Self {
        RefusedRecord {
            index,
            reason: problem.to_string(),
            code: None,
            field: None,
        }
    }

    /// Record `index`, refused for `problem`, whose stable code is `code`.
    pub fn coded(index: usize, code: &'static str, problem: impl std::fmt::Display) -> Self {
        RefusedRecord {
            code: Some(code),
            ..RefusedRecord::new(index, problem)
        }
    }

    /// The same refusal, naming the field it is in.
    #[must_use]
    pub fn in_field(self, field: Option<&str>) -> Self {
        RefusedRecord {
            field: field.map(str::to_owned),
            ..self
        }
    }
}
