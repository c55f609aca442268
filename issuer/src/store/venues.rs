//! The venue registry: the operator's list of venues and their names.

use super::sql::SqlBuilder;
use time::OffsetDateTime;

use super::{Store, to_db};
use crate::{Error, model::venue::VenueName};

/// Rows per multi-row insert: 4 parameters each.
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Replaces the registry with `venues` (id, names) in one transaction.
    ///
    /// # Errors
    /// [`Error::Db`]; on error the old registry stays.
    pub async fn replace_venues(
        &self,
        venues: &[(String, VenueName)],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM venues").execute(&mut *tx).await?;
        for chunk in venues.chunks(ROWS_PER_STATEMENT) {
            let mut insert = SqlBuilder::new(
                self.engine(),
                "INSERT INTO venues (id, name_en, name_zh, imported_at) ",
            );
            insert.push_values(chunk, |mut row, (id, name)| {
                row.push_bind(id)
                    .push_bind(&name.en)
                    .push_bind(&name.zh)
                    .push_bind(to_db(now));
            });
            insert.build().execute(&mut *tx).await?;
        }
        let detail = serde_json::json!({ "venues": venues.len() });
        self.audit(
            &mut tx,
            now,
            &crate::model::Actor::Cli,
            "venues_imported",
            "venues",
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
