//! The JSON of every file this system writes (key files, trust lists,
//! snapshots, state files): pretty, ending in a newline, and read strictly
//! with an error that names what was being read.

use serde::{Serialize, de::DeserializeOwned};

use crate::Error;

/// `value` as pretty JSON ending in a newline.
pub fn to_pretty<T: Serialize>(value: &T) -> String {
    // Every file type here is plain structs of strings, numbers, booleans and
    // enums, which always serialise.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Parses `text` as the JSON of a `what`.
///
/// # Errors
/// [`Error::Json`] naming `what` and the parser's complaint.
pub fn parse<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|source| Error::Json { what, source })
}
