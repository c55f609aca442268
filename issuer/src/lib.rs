//! Issues Hong Kong Health Codes: resident accounts, the colour rules, signing and QR codes.
//!
//! # Layout
//! Each module imports only from those below it (see `docs/architecture.md`):
//! - [`service`]: the `issuer serve` HTTP API (top).
//! - [`residents`], [`feeds`], [`codes`], [`staff_access`]: the workflows:
//!   registration to activation and visits; the health authority's and
//!   immigration's records; applying for codes, re-evaluation, delivering
//!   revocations; staff setting up and signing in to the consoles.
//! - [`vectors`]: the colour rules over test-vector files (`issuer rules`).
//! - [`store`]: the database (SQLite; portable to PostgreSQL), sealing personal data.
//! - [`model`]: the types the store keeps and the workflows pass around.
//! - [`issue`], [`qr`]: from a colour and an ID document to a signed token and its QR code.
//! - [`pdf`]: printable, tagged documents with a CJK font subset (the code, letters).
//! - [`secrets`], [`totp`]: PINs and password hashes; authenticator apps'
//!   one-time codes (RFC 6238).
//! - [`sms_texts`]: the SMS a resident receives, in each language.
//! - [`privacy`]: the data key, field encryption and blind indexes.
//! - [`rules`]: the colour rules, a pure function (bottom).
//! - [`Error`]: this crate's one error type.

pub mod codes;
mod error;
pub mod feeds;
pub mod issue;
pub mod model;
pub mod pdf;
pub mod privacy;
pub mod qr;
pub mod residents;
pub mod rules;
pub mod secrets;
pub mod service;
pub mod sms_texts;
pub mod staff_access;
pub mod store;
pub mod totp;
pub mod vectors;

pub use error::{BadRow, Error, FileProblem};
