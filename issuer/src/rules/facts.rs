//! The facts about a person that the colour rules read, as the spec names them.

use time::OffsetDateTime;

/// The spec's names of an enum's values, in both directions.
macro_rules! spec_names {
    ($ty:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $ty {
            /// Every value with its name in the spec.
            pub const ALL: &'static [(&'static str, $ty)] = &[$(($text, $ty::$variant)),*];
            /// The names, for messages.
            pub const NAMES: &'static [&'static str] = &[$($text),*];

            /// The name in the spec.
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }

            /// The value the spec calls `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
            }
        }
    };
}

/// A record from the health authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// What the record says.
    pub kind: StatusKind,
    /// When it starts.
    pub start: OffsetDateTime,
    /// When it ends; `None` while ongoing.
    pub end: Option<OffsetDateTime>,
}

/// Kinds of health-authority status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// A confirmed case.
    ConfirmedCase,
    /// A probable case.
    ProbableCase,
    /// A close contact.
    CloseContact,
    /// A household contact of a close contact.
    HouseholdContact,
    /// Under compulsory quarantine.
    CompulsoryQuarantine,
    /// Discharged from hospital after recovering, at `start`.
    Discharged,
    /// Symptoms shown from `start`, to `end` or still.
    Symptoms,
}

/// A visit record uploaded from the check-in app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// The venue's place id.
    pub place: String,
    /// Check-in.
    pub start: OffsetDateTime,
    /// Check-out; `None` for a check-in without check-out (the instant `start`).
    pub end: Option<OffsetDateTime>,
}

/// An entry into Hong Kong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// When.
    pub at: OffsetDateTime,
    /// From where.
    pub origin: Origin,
    /// Under which scheme, if any.
    pub scheme: Option<Scheme>,
    /// Quarantine on arrival (recorded; it does not exempt).
    pub quarantine: Quarantine,
}

/// Where an arrival came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The Mainland.
    Mainland,
    /// Macao.
    Macao,
    /// Taiwan.
    Taiwan,
    /// Anywhere else.
    Overseas,
}

/// Quarantine-free entry schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Return2hk (Hong Kong residents returning from Guangdong or Macao).
    Return2hk,
    /// Come2hk (non-residents from the Mainland or Macao).
    Come2hk,
}

/// Quarantine on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quarantine {
    /// Completed.
    Completed,
    /// Exempted.
    Exempted,
    /// Still in quarantine.
    Ongoing,
    /// None required.
    None,
}

/// A place designated high-risk for an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Designation {
    /// The venue or building.
    pub place: String,
    /// Start (may be in the past: designations can be retroactive).
    pub start: OffsetDateTime,
    /// End; `None` while still high-risk.
    pub end: Option<OffsetDateTime>,
}

/// Everything the rules know about one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// Health-authority records.
    pub statuses: Vec<Status>,
    /// The building of the registered residential address.
    pub residence: Option<String>,
    /// Uploaded visit records.
    pub visits: Vec<Visit>,
    /// Entries into Hong Kong.
    pub arrivals: Vec<Arrival>,
}

spec_names!(StatusKind {
    ConfirmedCase = "confirmed_case",
    ProbableCase = "probable_case",
    CloseContact = "close_contact",
    HouseholdContact = "household_contact",
    CompulsoryQuarantine = "compulsory_quarantine",
    Discharged = "discharged",
    Symptoms = "symptoms",
});
spec_names!(Origin {
    Mainland = "mainland",
    Macao = "macao",
    Taiwan = "taiwan",
    Overseas = "overseas",
});
spec_names!(Scheme {
    Return2hk = "return2hk",
    Come2hk = "come2hk",
});
spec_names!(Quarantine {
    Completed = "completed",
    Exempted = "exempted",
    Ongoing = "ongoing",
    None = "none",
});
