//! Checks Hong Kong Health Codes offline, with nothing but public keys.
//!
//! Shared by the officer's `scanner` CLI and the checkpoint verifier service,
//! so both give the same verdict, fields and error codes for the same input.
//! Pure checking: no network, no async runtime, no server (those are
//! `healthcode-verifier-service`'s), so the offline scanner links none.
//!
//! # Layout
//! - [`image`]: loads photos within memory and size limits.
//! - [`qr`]: finds QR codes in degraded photos (several passes over rqrr).
//! - [`check`]: token text or image in, [`Verdict`] out.
//! - [`verdict`]: the verdict as people and programs read it.
//! - [`revocation`]: revoked codes held in memory, and how they change a verdict.
//! - [`admission`]: a checkpoint's policy: from a verdict to admit, secondary or refuse;
//!   [`admission_vectors`] runs the language-neutral cases of it.
//! - [`conversion_vectors`]: the partner's cases for opening a conversion payload.
//! - [`Error`]: why an image could not be loaded.

pub mod admission;
pub mod admission_vectors;
pub mod check;
pub mod conversion_vectors;
mod error;
pub mod image;
pub mod qr;
pub mod revocation;
pub mod verdict;

pub use check::Checker;
pub use error::Error;
pub use verdict::{ErrorCode, Identity, Refusal, RevocationStatus, Verdict};
