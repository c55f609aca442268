//! Who did something: how the audit log, revocations and feed batches name
//! the one responsible, never by personal data.

use std::fmt;

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A staff member, by staff id.
    Staff(String),
    /// A resident, by account id.
    Resident(String),
    /// Someone registering or activating, not yet known to the system.
    Applicant,
    /// An operator at the `issuer` command line.
    Cli,
    /// The service itself (a background worker).
    System,
    /// A re-evaluation, by its id.
    Reevaluation(String),
}

impl fmt::Display for Actor {
    /// `staff:<id>`, `resident:<id>`, `applicant`, `cli`, `system`, `reevaluation:<id>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "staff:{id}"),
            Actor::Resident(id) => write!(f, "resident:{id}"),
            Actor::Applicant => f.write_str("applicant"),
            Actor::Cli => f.write_str("cli"),
            Actor::System => f.write_str("system"),
            Actor::Reevaluation(id) => write!(f, "reevaluation:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_written_as_the_audit_log_has_always_had_them() {
        assert_eq!(Actor::Staff("s1".into()).to_string(), "staff:s1");
        assert_eq!(Actor::Resident("a1".into()).to_string(), "resident:a1");
        assert_eq!(
            Actor::Reevaluation("r1".into()).to_string(),
            "reevaluation:r1"
        );
        assert_eq!(Actor::Applicant.to_string(), "applicant");
        assert_eq!(Actor::Cli.to_string(), "cli");
        assert_eq!(Actor::System.to_string(), "system");
    }
}
