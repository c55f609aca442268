//! Issues Hong Kong Health Codes: resident accounts, the colour rules, signing and QR codes.
//!
//! # Layout
//! - [`issue`]: from a colour and an ID document to a signed token.
//! - [`qr`]: the token's QR code as PNG or SVG.
//! - [`rules`]: the colour rules (a pure function), their test vectors and checks.
//! - [`residents`]: registration, verification routes, activation, visit records.
//! - [`feeds`]: the health authority's and immigration department's records.
//! - [`codes`]: applying for a code, re-evaluation, delivering revocations.
//! - [`store`]: the database (SQLite; portable to PostgreSQL), sealing personal data.
//! - [`privacy`]: the data key, field encryption and blind indexes.
//! - [`service`]: the `issuer serve` HTTP API.
//! - [`Error`]: this crate's one error type.

pub mod codes;
mod error;
pub mod feeds;
pub mod issue;
pub mod privacy;
pub mod qr;
pub mod residents;
pub mod rules;
pub mod service;
pub mod store;

pub use error::{Error, RowProblem};
