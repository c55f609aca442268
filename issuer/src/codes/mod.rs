//! Codes: applying for one, re-evaluating them when the facts change, and
//! delivering their revocations.
//!
//! # Layout
//! - [`signer`]: the service's signing key, reloaded for key rotation.
//! - [`gather`]: residents' facts, read for the rules a group at a time.
//! - [`apply`]: a resident applies; evaluate, sign, store, supersede.
//! - [`convert`]: today's green code converted for Guangdong or Macao.
//! - [`explain`]: why a code has its colour, in plain words.
//! - [`reevaluate`]: after feed records change, revoke codes now too green.
//! - [`revoke`]: revoking one code by hand.
//! - [`publish`]: revocations from the database (the source of truth) to Redis.

pub mod apply;
pub mod binders;
pub mod convert;
pub mod explain;
pub mod gather;
pub mod publish;
pub mod reevaluate;
pub mod revoke;
pub mod signer;
