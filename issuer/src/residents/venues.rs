//! Importing the venue registry, CSV with the header `venue_id,name_en,name_zh`
//! (`name_zh` may be empty): the only source of the venue names residents
//! see beside their visits and in their code's reasons.
//!
//! An import replaces the whole registry; a file with any bad row changes
//! nothing.

use std::{collections::HashSet, io::Read};

use serde::Deserialize;
use time::OffsetDateTime;

use super::housing::{ImportRowProblem, WholeCsv, read_whole_csv};
use crate::{
    Error,
    model::{
        PlaceId,
        venue::{VenueName, check_venue_name},
    },
    store::Store,
};

/// The largest registry file read (Hong Kong had about 100,000 venues).
pub const MAX_REGISTRY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
struct Row {
    venue_id: String,
    name_en: String,
    #[serde(default)]
    name_zh: String,
}

/// Reads the CSV in `input` into (venue id, names).
///
/// # Errors
/// [`Error::ImportRows`] listing every bad row (a bad id, a name that is
/// empty, too long or hides characters, an id given twice);
/// [`Error::ImportTooLarge`].
pub fn read_registry_csv(input: impl Read) -> Result<Vec<(String, VenueName)>, Error> {
    let file = WholeCsv {
        what: "venue registry",
        columns: "venue_id,name_en,name_zh",
        limit: MAX_REGISTRY_BYTES,
    };
    let mut seen = HashSet::new();
    read_whole_csv(input, file, |row: Row| {
        let id = PlaceId::parse(&row.venue_id).map_err(ImportRowProblem::VenueId)?;
        let name_problem = |column| move |problem| ImportRowProblem::VenueName { column, problem };
        let en = check_venue_name(&row.name_en).map_err(name_problem("name_en"))?;
        let zh = match row.name_zh.trim() {
            "" => None,
            zh => Some(check_venue_name(zh).map_err(name_problem("name_zh"))?),
        };
        if !seen.insert(id.as_str().to_owned()) {
            return Err(ImportRowProblem::Repeated {
                id: id.as_str().to_owned(),
            });
        }
        Ok((id.as_str().to_owned(), VenueName { en, zh }))
    })
}

/// Replaces the registry with the CSV in `input`; returns the venue count.
///
/// # Errors
/// As [`read_registry_csv`]; [`Error::Db`].
pub async fn import(store: &Store, input: impl Read, now: OffsetDateTime) -> Result<usize, Error> {
    let venues = read_registry_csv(input)?;
    store.replace_venues(&venues, now).await?;
    Ok(venues.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_reads_in_both_languages() -> Result<(), Error> {
        let csv =
            "venue_id,name_en,name_zh\nvenue-1, Lucky Cafe ,好運茶餐廳\nvenue-2,Harbour Pier,\n";
        let venues = read_registry_csv(csv.as_bytes())?;
        assert_eq!(
            venues[0].1,
            VenueName {
                en: "Lucky Cafe".into(),
                zh: Some("好運茶餐廳".into())
            }
        );
        assert_eq!(venues[1].1.zh, None);
        Ok(())
    }

    #[test]
    fn every_bad_row_is_named_and_nothing_is_read() {
        let csv = "venue_id,name_en,name_zh\nvenue 1,Cafe,\nvenue-2,,\nvenue-3,Cafe\u{202E}x,\nvenue-4,Cafe,\nvenue-4,Bar,\n";
        match read_registry_csv(csv.as_bytes()) {
            Err(Error::ImportRows { problems }) => {
                let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
                assert_eq!(lines, [2, 3, 4, 6]);
                assert!(problems[2].problem.contains("U+202E"), "{:?}", problems[2]);
                assert!(problems[3].problem.contains("twice"), "{:?}", problems[3]);
            }
            other => panic!("{other:?}"),
        }
    }
}
