//! The issuer's types: what the store keeps and the workflows pass around.
//! Types and the one check each has; no I/O. Both `store` and the workflows
//! (`residents`, `feeds`, `codes`) import from here, never from each other's
//! insides.
//!
//! # Layout
//! - [`place`]: [`PlaceId`], the venues and buildings designations name.
//! - [`actor`]: [`Actor`], who did something, as the audit log names them.
//! - [`account`]: verification routes, account status, staff roles.
//! - [`appeal`]: a resident's request to correct a record, and its checks.
//! - [`application`], [`phone`], [`proof`]: the registration form, checked.
//! - [`address`]: addresses as matched, however they are written.
//! - [`audit`]: the audit chain's anchor.
//! - [`conversion`]: why a code cannot be converted for a partner.
//! - [`password`]: the password policy.
//! - [`visit`]: visit records from the check-in app.
//! - [`venue`]: venue names, from the operator's registry.
//! - [`feed`]: the health authority's and immigration department's records.
//! - [`refused`]: a record refused on its own, by position.
//! - [`text`]: characters that hide or reorder what a reader sees.

pub mod account;
pub mod actor;
pub mod address;
pub mod appeal;
pub mod application;
pub mod audit;
pub mod conversion;
pub mod feed;
pub mod password;
pub mod phone;
pub mod place;
pub mod poster;
pub mod proof;
pub mod refused;
pub mod text;
pub mod venue;
pub mod visit;

pub use account::{AccountStatus, RegisterCheck, Role, Route, StaffMember};
pub use actor::Actor;
pub use appeal::{AppealGround, AppealProblem, AppealState};
pub use conversion::Unconvertible;
pub use feed::{FeedFact, FeedKind, FeedRecord};
/// The two languages, shared with the verifier's pages.
pub use healthcode_keys::Lang;
pub use place::PlaceId;
pub use refused::RefusedRecord;
pub use visit::{VISIT_WINDOW, VisitProblem, VisitRecord};
