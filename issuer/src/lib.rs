//! Issues Hong Kong Health Codes: builds and signs the token, renders its QR code.
//!
//! # Layout
//! - [`issue`]: from a colour and an ID document to a signed token.
//! - [`qr`]: the token's QR code as PNG or SVG.
//! - [`rules`]: the colour rules (a pure function), their test vectors and checks.
//! - [`Error`]: this crate's one error type.

mod error;
pub mod issue;
pub mod qr;
pub mod rules;

pub use error::Error;
