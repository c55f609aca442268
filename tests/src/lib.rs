//! Test support for the whole workspace: generators of data and helpers for end-to-end tests.
//!
//! # Layout
//! - [`photo`]: a seeded generator of degraded photos of QR codes.
//! - [`vectors`]: the token test vectors: generation, checking, the file format.
//! - `src/bin/photo-corpus.rs`, `src/bin/token-vectors.rs`: their command lines.

pub mod photo;
pub mod vectors;
