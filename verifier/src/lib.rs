//! Checks Hong Kong Health Codes offline, with nothing but public keys.
//!
//! Shared by the officer's `scanner` CLI and the checkpoint verifier service,
//! so both give the same verdict, fields and error codes for the same input.
//!
//! # Layout
//! - [`image`]: loads photos within memory and size limits.
//! - [`qr`]: finds QR codes in degraded photos (several passes over rqrr).
//! - [`check`]: token text or image in, [`Report`] out.
//! - [`report`]: the verdict as people and programs read it.
//! - [`revocation`]: revoked codes, in memory and in Redis (shared with the issuer).
//! - [`service`]: the checkpoint verifier service (`verifier serve`).

pub mod check;
mod error;
pub mod image;
pub mod qr;
pub mod report;
pub mod revocation;
pub mod service;

pub use check::Checker;
pub use error::Error;
pub use report::{ErrorCode, Identity, Report};
