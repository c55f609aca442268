//! A resident's request to correct a record behind their code's colour: what
//! it contests, what the resident says, and where it stands.

use time::Duration;

use super::{FeedKind, Role, text};

healthcode_keys::named_enum! {
    /// What kind of record an appeal contests: the reasons a code can give.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum AppealGround("appeal ground") {
        /// A health-authority status of the resident (close contact, symptoms ...).
        Status = "status",
        /// A designation that covered one of the resident's visits.
        Designation = "designation",
        /// The designation of the building the resident lives in.
        Residence = "residence",
        /// An arrival into Hong Kong recorded by immigration.
        Arrival = "arrival",
    }
}

impl AppealGround {
    /// The feed that holds the contested record, and so the one a correction goes to.
    pub fn feed(self) -> FeedKind {
        match self {
            AppealGround::Status => FeedKind::Statuses,
            AppealGround::Designation | AppealGround::Residence => FeedKind::Designations,
            AppealGround::Arrival => FeedKind::Arrivals,
        }
    }

    /// The staff roles that decide it: the owners of that feed.
    pub fn deciders(self) -> &'static [Role] {
        self.feed().roles()
    }
}

healthcode_keys::named_enum! {
    /// Where an appeal stands: `open` until decided, then `upheld` or `rejected`.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum AppealState("appeal state") {
        /// Waiting for a decision.
        Open = "open",
        /// Decided for the resident: the record was corrected.
        Upheld = "upheld",
        /// Decided against: the record stands.
        Rejected = "rejected",
    }
}

/// How long the deciding department has to decide (the deadline shown to the
/// resident and ordering the queue).
pub const DECISION_DEADLINE: Duration = Duration::days(7);

/// How many appeals one resident may have open at once.
pub const MAX_OPEN_APPEALS: usize = 3;

/// The longest statement, in characters.
pub const MAX_STATEMENT_CHARS: usize = 2000;

/// The longest decision reason, in characters.
pub const MAX_DECISION_REASON_CHARS: usize = 1000;

/// Why an appeal, or a decision on one, is refused; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppealProblem {
    /// A text field left empty.
    #[error("{field}: empty")]
    Empty {
        /// `statement` or `reason`.
        field: &'static str,
    },
    /// A text field over its length.
    #[error("{field}: longer than {limit} characters")]
    TooLong {
        /// `statement` or `reason`.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A character a reader would not see as written.
    #[error("{field}: holds the hidden character {character}")]
    Hidden {
        /// `statement` or `reason`.
        field: &'static str,
        /// As `U+202E`.
        character: String,
    },
    /// The evidence file is not one the service accepts.
    #[error("evidence: {0}")]
    Evidence(String),
    /// Already as many appeals open as one resident may have.
    #[error("ground: {MAX_OPEN_APPEALS} appeals are already open; wait for a decision")]
    TooManyOpen,
    /// An open appeal on the same ground already exists.
    #[error("ground: an appeal on this ground is already open")]
    AlreadyOpen,
    /// An upheld appeal names no record to correct, or one not about the appellant.
    #[error("record: not a record held about this resident on this ground")]
    NoSuchRecord,
    /// An end before the record's start, or a correction that changes nothing.
    #[error("end: {0}")]
    BadEnd(&'static str),
}

impl AppealProblem {
    /// The field the problem is in.
    pub fn field(&self) -> &'static str {
        match self {
            AppealProblem::Empty { field }
            | AppealProblem::TooLong { field, .. }
            | AppealProblem::Hidden { field, .. } => field,
            AppealProblem::Evidence(_) => "evidence",
            AppealProblem::TooManyOpen | AppealProblem::AlreadyOpen => "ground",
            AppealProblem::NoSuchRecord => "record",
            AppealProblem::BadEnd(_) => "end",
        }
    }

    /// A stable code, for pages that say it in the reader's language.
    pub fn code(&self) -> &'static str {
        match self {
            AppealProblem::Empty { .. } => "empty",
            AppealProblem::TooLong { .. } => "too_long",
            AppealProblem::Hidden { .. } => "hidden_character",
            AppealProblem::Evidence(_) => "bad_evidence",
            AppealProblem::TooManyOpen => "too_many_open",
            AppealProblem::AlreadyOpen => "already_open",
            AppealProblem::NoSuchRecord => "no_such_record",
            AppealProblem::BadEnd(_) => "bad_end",
        }
    }
}

/// Text a person wrote for another to read (a statement, a decision's
/// reason): trimmed, not empty, within `limit` characters, nothing hidden.
///
/// # Errors
/// The [`AppealProblem`] naming `field`.
pub fn checked_text(
    field: &'static str,
    text: &str,
    limit: usize,
) -> Result<String, AppealProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppealProblem::Empty { field });
    }
    if text.chars().count() > limit {
        return Err(AppealProblem::TooLong { field, limit });
    }
    if let Some(c) = text::hidden_character(text, true) {
        return Err(AppealProblem::Hidden {
            field,
            character: text::describe(c),
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_checked_by_field() {
        assert_eq!(
            checked_text("statement", "  I was at home.\nSee the letter. ", 50),
            Ok("I was at home.\nSee the letter.".to_owned())
        );
        assert_eq!(
            checked_text("statement", " \n ", 50),
            Err(AppealProblem::Empty { field: "statement" })
        );
        assert_eq!(
            checked_text("reason", &"字".repeat(51), 50),
            Err(AppealProblem::TooLong {
                field: "reason",
                limit: 50
            })
        );
        assert_eq!(
            checked_text("reason", &"字".repeat(50), 50).map(|t| t.chars().count()),
            Ok(50)
        );
        let Err(hidden) = checked_text("statement", "abc\u{202E}def", 50) else {
            panic!("a bidi override passes");
        };
        assert_eq!(
            hidden.to_string(),
            "statement: holds the hidden character U+202E"
        );
        assert_eq!(
            (hidden.field(), hidden.code()),
            ("statement", "hidden_character")
        );
    }

    #[test]
    fn each_ground_goes_to_the_owner_of_its_feed() {
        assert_eq!(AppealGround::Status.deciders(), &[Role::HealthAuthority]);
        assert_eq!(AppealGround::Residence.feed(), FeedKind::Designations);
        assert_eq!(AppealGround::Arrival.deciders(), &[Role::Immigration]);
    }
}
