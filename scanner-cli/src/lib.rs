//! The border officer's offline scanner: photos or token texts in, verdicts out.
//!
//! # Layout
//! - [`config`]: command-line flags, turned once into a validated [`Config`].
//! - [`convert`]: the partner's side of a conversion (`scanner convert-check`).
//! - [`input`]: what an INPUT is (image file, token text, stdin lines).
//! - [`render`]: the verdict for people (coloured) and for programs (JSON lines).
//! - [`scan`]: runs every input through the checker and picks the exit code.

pub mod config;
pub mod convert;
pub mod input;
pub mod render;
pub mod scan;

pub use config::{Args, Config, ConfigError};
pub use scan::{Outcome, scan};
