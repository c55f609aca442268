//! The building directory: building addresses and their place ids, and the
//! residence of each account matched against it.

use sqlx::AnyConnection;

use super::sql::SqlBuilder;
use time::OffsetDateTime;

use super::{Store, Tx, to_db};
use crate::Error;

/// The most words of a building's address in the directory: longer runs of a
/// resident's address are never looked up.
pub const MAX_BUILDING_WORDS: usize = 24;

/// Rows per multi-row insert (3 parameters each).
const ROWS_PER_STATEMENT: usize = 1000;

/// Every run of 1 to [`MAX_BUILDING_WORDS`] consecutive words of `key` (an
/// address as [`crate::model::address::address_match_key`] writes it).
pub fn word_runs(key: &str) -> Vec<String> {
    let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
    (0..words.len())
        .flat_map(|start| {
            let words = &words;
            (start + 1..=(start + MAX_BUILDING_WORDS).min(words.len()))
                .map(move |end| words[start..end].join(" "))
        })
        .collect()
}

impl Store {
    /// The building whose directory address is the longest run of words of
    /// `address_key`: `FLAT 12 3 F BLOCK A KWAI CHUNG ESTATE` finds `BLOCK A
    /// KWAI CHUNG ESTATE` before `KWAI CHUNG ESTATE`. Words match whole, so
    /// `21 NATHAN ROAD` never finds `1 NATHAN ROAD`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn match_building(
        &self,
        conn: &mut AnyConnection,
        address_key: &str,
    ) -> Result<Option<String>, Error> {
        let runs = word_runs(address_key);
        if runs.is_empty() {
            return Ok(None);
        }
        let mut query = SqlBuilder::new(
            self.engine(),
            "SELECT match_key, building_id FROM buildings WHERE match_key IN (",
        );
        let mut keys = query.separated(", ");
        for run in &runs {
            keys.push_bind(run);
        }
        query.push(")");
        let found: Vec<(String, String)> = query.build_query_as().fetch_all(conn).await?;
        Ok(found
            .into_iter()
            .max_by_key(|(key, _)| (key.split(' ').count(), key.len()))
            .map(|(_, building)| building))
    }

    /// Replaces the building directory with `rows` of (match key, building id).
    ///
    /// # Errors
    /// [`Error::Db`]; on error nothing changes.
    pub async fn replace_buildings(
        &self,
        rows: &[(String, String)],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM buildings")
            .execute(&mut *tx)
            .await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut insert = SqlBuilder::new(
                self.engine(),
                "INSERT INTO buildings (match_key, building_id, imported_at) ",
            );
            insert.push_values(chunk, |mut row, (key, building)| {
                row.push_bind(key).push_bind(building).push_bind(to_db(now));
            });
            insert
                .push(" ON CONFLICT (match_key) DO UPDATE SET building_id = excluded.building_id");
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the residence of `account_id`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn set_building(
        &self,
        tx: &mut Tx,
        account_id: &str,
        building: Option<&str>,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE accounts SET building_id = $1 WHERE id = $2")
            .bind(building)
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The ids of the accounts whose residence comes from the directory (all
    /// but those matched in the public housing database), after `after`, at most `limit`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn directory_matched_accounts(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>)>, Error> {
        Ok(sqlx::query_as(
            "SELECT id, building_id FROM accounts WHERE route <> 'housing' AND status <> 'refused' \
             AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_whole_words_up_to_the_limit() {
        assert_eq!(word_runs("A B C"), ["A", "A B", "A B C", "B", "B C", "C"]);
        assert!(word_runs("").is_empty());
        let long = vec!["W"; 40].join(" ");
        assert!(
            word_runs(&long)
                .iter()
                .all(|r| r.split(' ').count() <= MAX_BUILDING_WORDS)
        );
    }
}
