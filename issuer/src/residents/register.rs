//! Importing the Immigration Department's register of identity cards: CSV
//! with the header `id_document,date_of_issue,name`, one row per card. Only
//! a keyed blind index of the three is kept, never the data itself.
//!
//! An HKID application whose document, date of issue and name are not in a
//! loaded register goes to a reviewer; one that is proves more than the
//! document number, which is what lets it pass a competing application.

use std::io::Read;

use healthcode_keys::IdDocument;
use serde::Deserialize;
use time::{Date, OffsetDateTime, macros::format_description};

use super::housing::{ImportRowProblem, WholeCsv, read_whole_csv};
use crate::{Error, model::application::register_entry, store::Store};

/// The largest register file read (about 9 million cards).
pub const MAX_REGISTER_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Deserialize)]
struct Row {
    id_document: String,
    date_of_issue: String,
    name: String,
}

/// The blind index of one card's entry, as registration looks it up.
pub fn entry_index(
    store: &Store,
    document: &IdDocument,
    date_of_issue: Date,
    name: &str,
) -> String {
    store.key().blind_index(
        "id_register",
        &register_entry(document, date_of_issue, name),
    )
}

/// Reads the CSV in `input` into blind indexes.
///
/// # Errors
/// [`Error::ImportRows`] listing every bad row; [`Error::ImportTooLarge`].
pub fn read_register_csv(store: &Store, input: impl Read) -> Result<Vec<String>, Error> {
    let file = WholeCsv {
        what: "register of identity cards",
        columns: "id_document,date_of_issue,name",
        limit: MAX_REGISTER_BYTES,
    };
    read_whole_csv(input, file, |row: Row| {
        let document = row
            .id_document
            .parse::<IdDocument>()
            .map_err(ImportRowProblem::Document)?;
        let date = Date::parse(
            row.date_of_issue.trim(),
            format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| ImportRowProblem::Date)?;
        if !row.name.chars().any(char::is_alphanumeric) {
            return Err(ImportRowProblem::EmptyName);
        }
        Ok(entry_index(store, &document, date, &row.name))
    })
}

/// Replaces the register with the CSV in `input`; returns the card count.
///
/// # Errors
/// As [`read_register_csv`]; [`Error::Db`].
pub async fn import(store: &Store, input: impl Read, now: OffsetDateTime) -> Result<usize, Error> {
    let entries = read_register_csv(store, input)?;
    store.replace_register(&entries, now).await?;
    Ok(entries.len())
}
