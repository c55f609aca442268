//! Importing the public housing resident database: CSV with the header
//! `id_document,address,building_id`, one row per resident.
//!
//! Only keyed blind indexes of document and address are kept, never the
//! personal data itself. An import replaces the whole database, so a file
//! with any bad row changes nothing.

use std::io::Read;

use healthcode_keys::IdDocument;
use serde::Deserialize;
use time::OffsetDateTime;

use super::application::address_match_key;
use crate::{Error, RowProblem, store::Store};

/// The largest housing file read (the full Housing Authority extract is well under).
pub const MAX_HOUSING_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Deserialize)]
struct Row {
    id_document: String,
    address: String,
    building_id: String,
}

/// Whether `id` is a place id: 1 to 64 letters, digits, `.`, `_`, `:` or `-`.
pub fn is_place_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Reads the CSV in `input` into (match index, building id) pairs.
///
/// # Errors
/// [`Error::HousingRows`] listing every bad row by line;
/// [`Error::HousingFileTooLarge`] past [`MAX_HOUSING_BYTES`].
pub fn read_housing_csv(store: &Store, input: impl Read) -> Result<Vec<(String, String)>, Error> {
    read_limited(store, input, MAX_HOUSING_BYTES)
}

fn read_limited(
    store: &Store,
    input: impl Read,
    limit: u64,
) -> Result<Vec<(String, String)>, Error> {
    // One byte past the limit tells a file that is too large from one that
    // fits exactly. Cutting it short instead could end on a line boundary
    // and, since an import replaces everything, silently drop residents.
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input.take(limit + 1));
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (number, record) in reader.deserialize::<Row>().enumerate() {
        // Line 1 is the header.
        let line = number as u64 + 2;
        let mut problem = |text: String| {
            problems.push(RowProblem {
                line,
                problem: text,
            })
        };
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                problem(format!("not a row of id_document,address,building_id: {e}"));
                continue;
            }
        };
        let document = match row.id_document.parse::<IdDocument>() {
            Ok(document) => document,
            Err(e) => {
                problem(format!("id_document: {e}"));
                continue;
            }
        };
        let address = address_match_key(&row.address);
        if address.is_empty() {
            problem("address: empty".into());
        } else if !is_place_id(&row.building_id) {
            problem(format!(
                "building_id: {:?} is not a place id",
                row.building_id
            ));
        } else {
            let index = store
                .key()
                .blind_index("housing", &format!("{}\n{address}", document.normalised()));
            rows.push((index, row.building_id));
        }
    }
    if reader.into_inner().limit() == 0 {
        return Err(Error::HousingFileTooLarge { limit });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(Error::HousingRows { problems })
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
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            path: "tempdir".into(),
            source,
        })?;
        let store = Store::open(dir.path(), None).await?;
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
                Err(Error::HousingFileTooLarge { .. })
            ));
        }
        Ok(())
    }
}
