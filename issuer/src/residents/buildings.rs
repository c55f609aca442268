//! Importing the building directory, CSV with the header `building_id,address`:
//! the addresses of buildings (public data) and their place ids, so that each
//! resident's address maps to the building that designations name.
//!
//! An import replaces the whole directory (a file with any bad row changes
//! nothing) and matches every account's address against it again, since a
//! building new to the directory may be where someone lives.

use std::io::Read;

use serde::Deserialize;
use time::OffsetDateTime;

use super::housing::{ImportRowProblem, WholeCsv, read_whole_csv};
use crate::{
    Error,
    model::{PlaceId, address::address_match_key},
    store::Store,
};

/// The largest directory file read.
pub const MAX_DIRECTORY_BYTES: u64 = 256 * 1024 * 1024;

/// Accounts matched again per transaction.
const ACCOUNTS_PER_STEP: i64 = 500;

#[derive(Deserialize)]
struct Row {
    building_id: String,
    address: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirectoryImport {
    /// Buildings in the directory.
    pub buildings: usize,
    /// Accounts whose address now matches a building.
    pub matched: usize,
    /// Accounts whose address matches none.
    pub unmatched: usize,
}

/// Reads the CSV in `input` into (match key, building id) pairs.
///
/// # Errors
/// [`Error::ImportRows`] listing every bad row; [`Error::ImportTooLarge`].
pub fn read_directory_csv(input: impl Read) -> Result<Vec<(String, String)>, Error> {
    let file = WholeCsv {
        what: "building directory",
        columns: "building_id,address",
        limit: MAX_DIRECTORY_BYTES,
    };
    read_whole_csv(input, file, |row: Row| {
        PlaceId::parse(&row.building_id).map_err(ImportRowProblem::BuildingId)?;
        let key = address_match_key(&row.address);
        if key.is_empty() {
            return Err(ImportRowProblem::EmptyAddress);
        }
        Ok((key, row.building_id))
    })
}

/// The building of `address`, from the directory.
///
/// # Errors
/// [`Error::Db`].
pub async fn building_of(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    address: &str,
) -> Result<Option<String>, Error> {
    store
        .match_building(conn, &address_match_key(address))
        .await
}

/// Replaces the directory with the CSV in `input` and matches every account
/// (but those matched in the public housing database) against it again.
///
/// # Errors
/// As [`read_directory_csv`]; [`Error::Db`], [`Error::Undecryptable`].
pub async fn import(
    store: &Store,
    input: impl Read,
    now: OffsetDateTime,
) -> Result<DirectoryImport, Error> {
    let rows = read_directory_csv(input)?;
    store.replace_buildings(&rows, now).await?;
    let mut done = DirectoryImport {
        buildings: rows.len(),
        ..DirectoryImport::default()
    };
    let mut after = String::new();
    loop {
        let accounts = store
            .directory_matched_accounts(&after, ACCOUNTS_PER_STEP)
            .await?;
        let Some((last, _)) = accounts.last() else {
            return Ok(done);
        };
        after = last.clone();
        let mut tx = store.write().await?;
        for (id, held) in &accounts {
            let address = store.details_of(&mut *tx, id).await?.address;
            let building = building_of(store, &mut tx, &address).await?;
            match &building {
                Some(_) => done.matched += 1,
                None => done.unmatched += 1,
            }
            if building != *held {
                store.set_building(&mut tx, id, building.as_deref()).await?;
            }
        }
        tx.commit().await?;
    }
}
