//! Issues Hong Kong Health Codes: builds and signs the token, renders its QR code.
//!
//! # Layout
//! - [`issue`]: from a colour and an ID document to a signed token.
//! - [`qr`]: the token's QR code as PNG or SVG.
//! - [`Error`]: this crate's one error type.

mod error;
pub mod issue;
pub mod qr;

pub use error::Error;
