//! Importing the public housing resident database: CSV with the header
//! `id_document,address,building_id,phone`, one row per resident; `phone`
//! (the tenancy record's contact number) may be empty. A PIN goes by SMS
//! only to that phone.
//!
//! Only keyed blind indexes of document and address are kept, never the
//! personal data itself. An import replaces the whole database, so a file
//! with any bad row changes nothing.

use std::io::Read;

use healthcode_keys::IdDocument;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::{
    Error,
    model::{PlaceId, address::address_match_key, phone::Phone, place::InvalidPlaceId},
    store::{Store, accounts::HousingRow},
};

/// The largest housing file read (the full Housing Authority extract is well under).
pub const MAX_HOUSING_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Deserialize)]
struct Row {
    id_document: String,
    address: String,
    building_id: String,
    #[serde(default)]
    phone: String,
}

/// Reads the CSV in `input` into rows of the housing database.
///
/// # Errors
/// [`Error::ImportRows`] listing every bad row by line;
/// [`Error::ImportTooLarge`] past [`MAX_HOUSING_BYTES`].
pub fn read_housing_csv(store: &Store, input: impl Read) -> Result<Vec<HousingRow>, Error> {
    read_limited(store, input, MAX_HOUSING_BYTES)
}

fn read_limited(store: &Store, input: impl Read, limit: u64) -> Result<Vec<HousingRow>, Error> {
    let file = WholeCsv {
        what: "housing",
        columns: "id_document,address,building_id,phone",
        limit,
    };
    read_whole_csv(input, file, |row: Row| {
        let document = row
            .id_document
            .parse::<IdDocument>()
            .map_err(ImportRowProblem::Document)?;
        let address = address_match_key(&row.address);
        if address.is_empty() {
            return Err(ImportRowProblem::EmptyAddress);
        }
        PlaceId::parse(&row.building_id).map_err(ImportRowProblem::BuildingId)?;
        let phone = match row.phone.trim() {
            "" => None,
            text => Some(
                Phone::parse(text)
                    .map_err(ImportRowProblem::Phone)?
                    .e164()
                    .to_owned(),
            ),
        };
        let match_index = store
            .key()
            .blind_index("housing", &format!("{}\n{address}", document.normalised()));
        Ok(HousingRow {
            match_index,
            building_id: row.building_id,
            phone,
        })
    })
}

/// Why a row of a file imported whole (housing, building directory) is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportRowProblem {
    /// Not a row of the file's columns.
    #[error("not a row of {columns}: {source}")]
    NotARow {
        /// The columns, for the message.
        columns: &'static str,
        /// The reader's complaint.
        source: csv::Error,
    },
    /// The ID document does not parse.
    #[error("id_document: {0}")]
    Document(healthcode_keys::Error),
    /// An address with no letters or digits.
    #[error("address: empty")]
    EmptyAddress,
    /// The building id is not a place id.
    #[error("building_id: {0}")]
    BuildingId(InvalidPlaceId),
    /// A phone number that is not a Hong Kong mobile number.
    #[error("phone: {0}")]
    Phone(crate::model::phone::PhoneProblem),
    /// A date that is not `YYYY-MM-DD`.
    #[error("date_of_issue: not a date written YYYY-MM-DD")]
    Date,
    /// A name with no letters.
    #[error("name: empty")]
    EmptyName,
    /// The venue id is not a place id.
    #[error("venue_id: {0}")]
    VenueId(InvalidPlaceId),
    /// A venue name that is refused.
    #[error("{column}: {problem}")]
    VenueName {
        /// `name_en` or `name_zh`.
        column: &'static str,
        /// What is wrong.
        problem: crate::model::venue::VenueNameProblem,
    },
    /// An id given on an earlier row too.
    #[error("{id} is given twice")]
    Repeated {
        /// The id.
        id: String,
    },
}

/// A CSV file that is imported whole: what it holds, its columns, its size limit.
#[derive(Debug, Clone, Copy)]
pub struct WholeCsv {
    /// `housing`, `building directory`.
    pub what: &'static str,
    /// The header, for messages.
    pub columns: &'static str,
    /// The largest file read.
    pub limit: u64,
}

/// Reads a CSV file that is imported whole (it replaces what is held): every
/// row through `check`, every bad row reported by line, and nothing returned
/// unless every row is good and the file is within its limit.
///
/// # Errors
/// [`Error::ImportRows`], [`Error::ImportTooLarge`].
pub fn read_whole_csv<T: serde::de::DeserializeOwned, Out>(
    input: impl Read,
    file: WholeCsv,
    mut check: impl FnMut(T) -> Result<Out, ImportRowProblem>,
) -> Result<Vec<Out>, Error> {
    let WholeCsv {
        what,
        columns,
        limit,
    } = file;
    // One byte past the limit tells a file that is too large from one that
    // fits exactly. Cutting it short instead could end on a line boundary
    // and, since an import replaces everything, silently drop rows.
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input.take(limit + 1));
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (number, record) in reader.deserialize::<T>().enumerate() {
        // Line 1 is the header.
        let line = number as u64 + 2;
        let checked = record
            .map_err(|source| ImportRowProblem::NotARow { columns, source })
            .and_then(&mut check);
        match checked {
            Ok(row) => rows.push(row),
            Err(problem) => problems.push(crate::BadRow {
                line,
                problem: problem.to_string(),
            }),
        }
    }
    if reader.into_inner().limit() == 0 {
        return Err(Error::ImportTooLarge { what, limit });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(Error::ImportRows { problems })
    }
}

/// Replaces the housing database with the CSV in `input`; returns the row count.
///
/// # Errors
/// As [`read_housing_csv`], and [`Error::Db`].
pub async fn import(store: &Store, input: impl Read, now: OffsetDateTime) -> Result<usize, Error> {
    let rows = read_housing_csv(store, input)?;
    store.replace_housing(&rows, now).await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_whole() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let csv = "id_document,address,building_id\n\
                   HKID:A1234563,Flat 1 Block A,bldg-a\n\
                   HKID:K1000020,Flat 2 Block A,bldg-a\n";
        let exact = csv.len() as u64;
        assert_eq!(
            read_limited(&store, csv.as_bytes(), exact)?.len(),
            2,
            "exactly the limit"
        );
        // Cut after the first row, the file would parse cleanly with one resident lost.
        let first_row_end = csv.find("HKID:K").unwrap_or(0) as u64;
        for limit in [exact - 1, first_row_end] {
            assert!(matches!(
                read_limited(&store, csv.as_bytes(), limit),
                Err(Error::ImportTooLarge { .. })
            ));
        }
        Ok(())
    }
}
