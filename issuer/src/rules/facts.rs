//! The facts about a person that the colour rules read, as the spec names them.

use time::OffsetDateTime;

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

healthcode_keys::named_enum! {
    /// Kinds of health-authority status.
    pub enum StatusKind("status kind") {
        /// A confirmed case.
        ConfirmedCase = "confirmed_case",
        /// A probable case.
        ProbableCase = "probable_case",
        /// A close contact.
        CloseContact = "close_contact",
        /// A household contact of a close contact.
        HouseholdContact = "household_contact",
        /// Under compulsory quarantine.
        CompulsoryQuarantine = "compulsory_quarantine",
        /// Discharged from hospital after recovering, at `start`.
        Discharged = "discharged",
        /// Symptoms shown from `start`, to `end` or still.
        Symptoms = "symptoms",
    }
}

healthcode_keys::named_enum! {
    /// Where an arrival came from.
    pub enum Origin("arrival origin") {
        /// The Mainland.
        Mainland = "mainland",
        /// Macao.
        Macao = "macao",
        /// Taiwan.
        Taiwan = "taiwan",
        /// Anywhere else.
        Overseas = "overseas",
    }
}

healthcode_keys::named_enum! {
    /// Quarantine-free entry schemes.
    pub enum Scheme("arrival scheme") {
        /// Return2hk (Hong Kong residents returning from Guangdong or Macao).
        Return2hk = "return2hk",
        /// Come2hk (non-residents from the Mainland or Macao).
        Come2hk = "come2hk",
    }
}

healthcode_keys::named_enum! {
    /// Quarantine on arrival.
    pub enum Quarantine("quarantine") {
        /// Completed.
        Completed = "completed",
        /// Exempted.
        Exempted = "exempted",
        /// Still in quarantine.
        Ongoing = "ongoing",
        /// None required.
        None = "none",
    }
}
