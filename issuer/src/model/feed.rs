//! The health authority's and immigration department's records: what they
//! say, and what identifies one across submissions.

use time::OffsetDateTime;

use super::account::Role;
use crate::rules::facts::{Arrival, Designation, Status};

healthcode_keys::named_enum! {
    /// Which feed a record belongs to (also its table's name).
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum FeedKind("feed kind") {
        /// Statuses of persons, by ID document (health authority).
        Statuses = "statuses",
        /// High-risk designations of venues and buildings (health authority).
        Designations = "designations",
        /// Arrivals into Hong Kong, by ID document (immigration department).
        Arrivals = "arrivals",
    }
}

impl FeedKind {
    /// The staff roles that may submit this feed.
    pub fn roles(self) -> &'static [Role] {
        match self {
            FeedKind::Statuses | FeedKind::Designations => &[Role::HealthAuthority],
            FeedKind::Arrivals => &[Role::Immigration],
        }
    }
}

/// What a record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedFact {
    /// A status of the person whose document has blind index `person_index`.
    Status {
        /// The blind index of the ID document (as `accounts.id_index`).
        person_index: String,
        /// The status.
        status: Status,
    },
    /// A designation of a place.
    Designation(Designation),
    /// An arrival of the person whose document has blind index `person_index`.
    Arrival {
        /// The blind index of the ID document.
        person_index: String,
        /// The arrival.
        arrival: Arrival,
    },
}

/// A checked record, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRecord {
    /// What it says.
    pub fact: FeedFact,
    /// True for a record entered in error: it replaces the one with the same
    /// key and counts for nothing from then on.
    pub withdrawn: bool,
}

impl FeedRecord {
    /// What identifies the record across submissions: a later record with the
    /// same key is a correction of it.
    pub fn key(&self) -> String {
        let seconds = |at: OffsetDateTime| at.unix_timestamp();
        match &self.fact {
            FeedFact::Status {
                person_index,
                status,
            } => format!(
                "{person_index}/{}/{}",
                status.kind.as_str(),
                seconds(status.start)
            ),
            FeedFact::Designation(d) => format!("{}/{}", d.place, seconds(d.start)),
            FeedFact::Arrival {
                person_index,
                arrival,
            } => format!("{person_index}/{}", seconds(arrival.at)),
        }
    }

    /// When the record comes into force: a status's or designation's start, an arrival.
    pub fn starts(&self) -> OffsetDateTime {
        match &self.fact {
            FeedFact::Status { status, .. } => status.start,
            FeedFact::Designation(d) => d.start,
            FeedFact::Arrival { arrival, .. } => arrival.at,
        }
    }
}
