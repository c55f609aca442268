//! Visit records uploaded from the check-in app, and the venue names they name.

use serde::Serialize;
use time::OffsetDateTime;

use super::{Store, from_db, to_db};
use crate::{Error, residents::visits::VisitRecord};

/// A stored visit, as the resident sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredVisit {
    /// The venue's place id.
    pub venue_id: String,
    /// The venue's name.
    pub venue_name: String,
    /// Check-in (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub check_in: OffsetDateTime,
    /// Check-out (UTC), if the app recorded one.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub check_out: Option<OffsetDateTime>,
}

impl Store {
    /// Stores `records` for `account_id` in one transaction. The same record
    /// (account, venue, check-in) uploaded again changes nothing, except that
    /// a check-out the app learnt since is kept.
    ///
    /// # Errors
    /// [`Error::Db`]; on error nothing is stored.
    pub async fn store_visits(
        &self,
        account_id: &str,
        records: &[VisitRecord],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let mut tx = self.write().await?;
        for record in records {
            sqlx::query(
                "INSERT INTO venues (id, name) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE venues.name <> excluded.name",
            )
            .bind(&record.venue_id)
            .bind(&record.venue_name)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO visits (account_id, venue_id, check_in, check_out, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, venue_id, check_in) \
                 DO UPDATE SET check_out = COALESCE(excluded.check_out, visits.check_out)",
            )
            .bind(account_id)
            .bind(&record.venue_id)
            .bind(to_db(record.check_in))
            .bind(record.check_out.map(to_db))
            .bind(to_db(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The visits of `account_id` since `since`, oldest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn visits_since(
        &self,
        account_id: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<StoredVisit>, Error> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT v.venue_id, n.name, v.check_in, v.check_out FROM visits v \
             JOIN venues n ON n.id = v.venue_id \
             WHERE v.account_id = $1 AND v.check_in > $2 ORDER BY v.check_in, v.venue_id",
        )
        .bind(account_id)
        .bind(to_db(since))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(venue_id, venue_name, check_in, check_out)| StoredVisit {
                venue_id,
                venue_name,
                check_in: from_db(check_in),
                check_out: check_out.map(from_db),
            })
            .collect())
    }
}
