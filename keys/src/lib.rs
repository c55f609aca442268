//! Keys, key ids, the signed trust list and the signed code token of the Hong Kong Health Code.
//!
//! Everything a border officer's verifier needs to check a code offline lives
//! here, with no I/O beyond reading and writing key files and no clock: every
//! check takes `now` as an argument.
//!
//! # Layout
//! - [`token`]: the binary token, its text form, signing and typestate verification.
//! - [`trust`]: the root-signed list of issuer keys; [`trust_state`]: the
//!   highest sequence seen, kept across restarts (anti-rollback).
//! - [`identity`]: ID documents and the keyed identity binding (version 1);
//!   [`day_key`]: the slow binding under keys per Hong Kong day (version 2);
//!   [`presented`]: the document a holder shows, checked against a code.
//! - [`revocation`]: revoked codes and the issuer-signed snapshot of them;
//!   [`bundle`]: the offline kit (trust list, snapshot, policy) for a handheld.
//! - [`conversion`]: a green code converted for Guangdong or Macao, signed
//!   and sealed to the partner's key.
//! - [`keyfile`], [`files`]: key types with metadata and their 0600 files.
//! - [`ed25519`], [`kid`], [`region`], [`colour`]: the small types;
//!   [`names`]: the one way their names are written and parsed.
//! - [`hktime`]: UTC instants and Hong Kong days; [`lang`]: the two languages.
//! - [`json`]: how every file of this system is written and read.
//! - [`testkeys`]: deterministic, clearly labelled test-only keys.

pub mod b64;
pub mod bundle;
pub mod colour;
pub mod conversion;
pub mod countries;
pub mod day_key;
pub mod ed25519;
mod error;
pub mod files;
pub mod hex;
pub mod hktime;
pub mod identity;
pub mod json;
pub mod keyfile;
pub mod kid;
pub mod lang;
pub mod names;
pub mod presented;
pub mod region;
pub mod revocation;
pub mod testkeys;
pub mod token;
pub mod trust;
pub mod trust_state;

pub use colour::Colour;
pub use day_key::{BindingMemory, DayIdentityKey, DayKeys, IdentityMasterKey};
pub use ed25519::{PublicKey, SecretKey, Signature};
pub use error::{Error, Rejection, Result};
pub use identity::{IdDocument, IdentityBinding, IdentityKey};
pub use keyfile::{IssuerPublicKey, IssuerSecretKey, RootPublicKey, RootSecretKey};
pub use kid::KeyId;
pub use lang::Lang;
pub use presented::{IdentityCheck, IdentityKeyring, IdentityKeys, Presented, region_and_file};
pub use region::Region;
pub use token::{Claims, TokenId, TokenVersion, UnverifiedToken, VerifiedToken};
pub use trust::{KeyStatus, SignedTrustList, TrustEntry, TrustList, TrustListBody};
