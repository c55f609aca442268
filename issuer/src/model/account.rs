//! Accounts and staff: how an application is verified, where it stands, and
//! what a staff member may do.

healthcode_keys::named_enum! {
    /// How an application is being verified.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Route("verification route") {
        /// Matched in the public housing resident database.
        Housing = "housing",
        /// An address proof, reviewed by staff.
        Proof = "proof",
        /// A confirmation letter with a PIN.
        Letter = "letter",
        /// A letter, then an identity check at a post office (non-HKID holders).
        PostOffice = "post_office",
        /// Registered in person at a counter, which saw the document.
        Counter = "counter",
        /// Refused: the document already has an active account.
        Refused = "refused",
    }
}

healthcode_keys::named_enum! {
    /// Where an application stands.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum AccountStatus("account status") {
        /// Waiting for a reviewer.
        Review = "review",
        /// Waiting for the confirmation letter (and its PIN).
        Letter = "letter",
        /// Waiting for the identity check at a post office.
        PostOffice = "post_office",
        /// Verified; an SMS PIN was sent.
        PinSent = "pin_sent",
        /// Activated.
        Active = "active",
        /// Refused.
        Refused = "refused",
        /// Another application for the same document was activated.
        Superseded = "superseded",
        /// Closed at the holder's request: personal fields erased, history kept.
        Closed = "closed",
    }
}

healthcode_keys::named_enum! {
    /// Whether an application's document, date of issue and name were found
    /// in the Immigration Department's register of identity cards.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum RegisterCheck("register check") {
        /// Found as given: the applicant knows what is on the card.
        Matched = "matched",
        /// The register is loaded and does not have them.
        Mismatched = "mismatched",
        /// No register is loaded (or the document is not an HKID).
        Unchecked = "unchecked",
    }
}

impl AccountStatus {
    /// Still on its way to activation: neither decided nor history.
    pub fn is_pending(self) -> bool {
        match self {
            AccountStatus::Review
            | AccountStatus::Letter
            | AccountStatus::PostOffice
            | AccountStatus::PinSent => true,
            AccountStatus::Active
            | AccountStatus::Refused
            | AccountStatus::Superseded
            | AccountStatus::Closed => false,
        }
    }
}

healthcode_keys::named_enum! {
    /// What a staff member may do.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Role("staff role") {
        /// Reviews address proofs: approves or rejects applications.
        Reviewer = "reviewer",
        /// Checks identity documents at a designated post office.
        PostOffice = "post_office",
        /// Submits health records (statuses of persons, designations of places).
        HealthAuthority = "health_authority",
        /// Submits arrivals into Hong Kong (the Immigration Department).
        Immigration = "immigration",
        /// Serves residents at a counter: finds or registers them by the
        /// document in hand, applies for and prints their code.
        Counter = "counter",
        /// Operates the system: reads the SMS outbox and the audit log.
        Admin = "admin",
    }
}

/// `reviewer or post_office`: the roles that may do something, for messages.
pub fn list_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// An authenticated staff member.
#[derive(Debug, Clone)]
pub struct StaffMember {
    /// The staff id (in the audit log).
    pub id: String,
    /// The name given at `staff add`.
    pub name: String,
    /// The role.
    pub role: Role,
}

impl StaffMember {
    /// How the audit log names this staff member.
    pub fn actor(&self) -> super::Actor {
        super::Actor::Staff(self.id.clone())
    }
}
