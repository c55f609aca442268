//! Visit records uploaded from the check-in app, read with the venue
//! registry's names.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use time::OffsetDateTime;

use super::{
    Engine, Store, from_db, push_list,
    sql::{SqlBuilder, from_json_rows, json_rows},
    to_db,
};
use crate::{
    Error,
    model::{VisitRecord, venue::VenueName},
};

/// A stored visit, as the resident sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredVisit {
    /// The venue's place id.
    pub venue_id: String,
    /// The venue's names from the registry; absent for a venue it does not
    /// have (show the id).
    pub venue_name: Option<VenueName>,
    /// Check-in (UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub check_in: OffsetDateTime,
    /// Check-out (UTC), if the app recorded one.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub check_out: Option<OffsetDateTime>,
}

/// Records per multi-row insert: 5 parameters each stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Stores `records` for `account_id` in one transaction, as append-only
    /// facts: a record already stored (account, venue, check-in) changes
    /// nothing, except that a missing check-out may be added. A record that
    /// would change a stored check-out (or disagrees with another record of
    /// the same upload) is not stored; its index in `records` is returned.
    ///
    /// # Errors
    /// [`Error::Db`]; on error nothing is stored.
    pub async fn store_visits(
        &self,
        account_id: &str,
        records: &[VisitRecord],
        now: OffsetDateTime,
    ) -> Result<Vec<usize>, Error> {
        // One row per visit, so that no multi-row upsert touches a row
        // twice (PostgreSQL refuses that).
        let (mut visits, mut conflicts) = merge_upload(records);
        let mut tx = self.write().await?;
        let stored = stored_check_outs(&mut tx, account_id, &visits).await?;
        visits.retain(|key, (index, check_out)| {
            match (stored.get(&(key.0.to_owned(), key.1)), check_out) {
                (Some(Some(kept)), Some(new)) if *kept != *new => {
                    conflicts.push(*index);
                    false
                }
                _ => true,
            }
        });
        let visits: Vec<_> = visits.into_iter().collect();
        // Multi-row inserts: one statement per chunk, not one per record.
        for chunk in visits.chunks(ROWS_PER_STATEMENT) {
            let mut insert = SqlBuilder::new(
                self.engine(),
                "INSERT INTO visits (account_id, venue_id, check_in, check_out, uploaded_at) ",
            );
            insert.push_values(chunk, |mut row, ((venue_id, check_in), (_, check_out))| {
                row.push_bind(account_id)
                    .push_bind(*venue_id)
                    .push_bind(*check_in)
                    .push_bind(*check_out)
                    .push_bind(to_db(now));
            });
            // Only a missing check-out is filled in: a stored one is a fact.
            insert.push(
                " ON CONFLICT (account_id, venue_id, check_in) \
                 DO UPDATE SET check_out = excluded.check_out \
                 WHERE visits.check_out IS NULL AND excluded.check_out IS NOT NULL",
            );
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        conflicts.sort_unstable();
        Ok(conflicts)
    }

    /// The visits of `account_id` since `since`, oldest first, with their
    /// venues' names.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn visits_since(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<StoredVisit>, Error> {
        let visits = self
            .visits_of_accounts(conn, &[account_id.to_owned()], since, VenueNames::Read)
            .await?;
        Ok(visits.into_iter().map(|(_, visit)| visit).collect())
    }

    /// The visits of each of `account_ids` since `since`, by account, each
    /// account's oldest first; with their venues' names if `names` says so.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn visits_of_accounts(
        &self,
        conn: &mut AnyConnection,
        account_ids: &[String],
        since: OffsetDateTime,
        names: VenueNames,
    ) -> Result<Vec<(String, StoredVisit)>, Error> {
        // On PostgreSQL each visit's names are looked up by key: the generic
        // plan of a plain join hashed the whole venue registry for every
        // application (4-10 ms of server CPU at 20,000 venues, for five
        // visits), and `OFFSET 0` keeps the planner from turning the lateral
        // lookup back into that join. SQLite's planner already looks each
        // name up by key in the plain join, once per visit.
        let (join, columns) = match (names, self.engine()) {
            (VenueNames::Skipped, _) => ("", "NULL, NULL"),
            (VenueNames::Read, Engine::Sqlite) => (
                "LEFT JOIN venues n ON n.id = v.venue_id",
                "n.name_en, n.name_zh",
            ),
            (VenueNames::Read, Engine::Postgres) => (
                "LEFT JOIN LATERAL (SELECT name_en, name_zh FROM venues \
                 WHERE id = v.venue_id OFFSET 0) n ON TRUE",
                "n.name_en, n.name_zh",
            ),
        };
        let rows = json_rows(
            self.engine(),
            &format!("v.account_id, v.venue_id, {columns}, v.check_in, v.check_out"),
        );
        let mut query = SqlBuilder::new(
            self.engine(),
            format!("SELECT {rows} FROM visits v {join} WHERE v.check_in > "),
        );
        query.push_bind(to_db(since)).push(" AND v.account_id IN ");
        push_list(&mut query, account_ids);
        let text: Option<String> = query.build_query_scalar().fetch_one(conn).await?;
        let mut rows: Vec<VisitRow> = from_json_rows(text, "a visit as stored")?;
        rows.sort_unstable_by(|a, b| (&a.0, a.4, &a.1).cmp(&(&b.0, b.4, &b.1)));
        rows.into_iter()
            .map(
                |(account, venue_id, name_en, name_zh, check_in, check_out)| {
                    let visit = StoredVisit {
                        venue_id,
                        venue_name: name_en.map(|en| VenueName { en, zh: name_zh }),
                        check_in: from_db(check_in)?,
                        check_out: check_out.map(from_db).transpose()?,
                    };
                    Ok((account, visit))
                },
            )
            .collect()
    }
}

/// Whether visits are read with their venues' names: a resident is shown
/// them; a re-evaluation, which only decides colours, skips the lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueNames {
    /// Each visit with its venue's names from the registry.
    Read,
    /// Visits alone.
    Skipped,
}

/// Account, venue, its English and Chinese names, check-in, check-out.
type VisitRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

/// A visit's key as stored: venue and check-in (whole seconds).
type VisitKey<'a> = (&'a str, i64);

/// The visits of an upload: for each, the index of the record it came from
/// and its check-out as stored.
type UploadVisits<'a> = BTreeMap<VisitKey<'a>, (usize, Option<i64>)>;

/// One entry per visit of an upload: the index of the record it came from
/// and its check-out (stored form). Records that give one visit two
/// different check-outs are conflicts: their indexes are the second value.
fn merge_upload(records: &[VisitRecord]) -> (UploadVisits<'_>, Vec<usize>) {
    let mut visits = UploadVisits::new();
    let mut conflicts = Vec::new();
    for (index, r) in records.iter().enumerate() {
        let check_out = r.check_out.map(to_db);
        let entry = visits
            .entry((r.venue_id.as_str(), to_db(r.check_in)))
            .or_insert((index, None));
        match (entry.1, check_out) {
            (Some(kept), Some(new)) if kept != new => conflicts.push(index),
            (None, Some(_)) => *entry = (index, check_out),
            _ => {}
        }
    }
    (visits, conflicts)
}

/// The stored check-outs of `account_id`'s visits among `visits`.
async fn stored_check_outs<'a>(
    conn: &mut AnyConnection,
    account_id: &str,
    visits: &UploadVisits<'a>,
) -> Result<BTreeMap<(String, i64), Option<i64>>, Error> {
    let (Some(first), Some(last)) = (
        visits.keys().map(|(_, at)| *at).min(),
        visits.keys().map(|(_, at)| *at).max(),
    ) else {
        return Ok(BTreeMap::new());
    };
    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT venue_id, check_in, check_out FROM visits \
         WHERE account_id = $1 AND check_in BETWEEN $2 AND $3",
    )
    .bind(account_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(venue, at, check_out)| ((venue, at), check_out))
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::store::test_support::active_resident;

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn visit(venue: &str, check_in: &str, check_out: Option<&str>) -> Result<VisitRecord, Error> {
        VisitRecord::check(
            json!({"venue_id": venue, "check_in": check_in, "check_out": check_out}),
            NOW,
        )
        .map_err(|_| Error::NotFound { what: "visit" })
    }

    #[tokio::test]
    async fn each_accounts_visits_come_back_oldest_first_with_names_only_when_asked()
    -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let a = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let b = active_resident(&store, "HKID:B234567(1)", "bldg-b", NOW).await?;
        let name = VenueName {
            en: "Lucky \"Cafe\"".into(),
            zh: Some("好運茶餐廳".into()),
        };
        store
            .replace_venues(&[("venue-named".to_owned(), name.clone())], NOW)
            .await?;
        // Given newest first, and the two accounts interleaved.
        store
            .store_visits(
                &b.id,
                &[visit("venue-named", "2022-12-09T08:00:00Z", None)?],
                NOW,
            )
            .await?;
        store
            .store_visits(
                &a.id,
                &[
                    visit("venue-a-other", "2022-12-09T10:00:00Z", None)?,
                    visit(
                        "venue-named",
                        "2022-12-08T10:00:00Z",
                        Some("2022-12-08T11:30:00Z"),
                    )?,
                    visit("venue-named", "2022-11-20T10:00:00Z", None)?,
                ],
                NOW,
            )
            .await?;
        let since = datetime!(2022-11-25 00:00 UTC);
        let mut conn = store.pool().acquire().await?;
        let ids = [a.id.clone(), b.id.clone(), "no-such-account".to_owned()];
        let read = store
            .visits_of_accounts(&mut conn, &ids, since, VenueNames::Read)
            .await?;
        let seen: Vec<(&str, &str, OffsetDateTime, Option<OffsetDateTime>)> = read
            .iter()
            .map(|(id, v)| (id.as_str(), v.venue_id.as_str(), v.check_in, v.check_out))
            .collect();
        let mut expected = vec![
            (
                a.id.as_str(),
                "venue-named",
                datetime!(2022-12-08 10:00 UTC),
                Some(datetime!(2022-12-08 11:30 UTC)),
            ),
            (
                a.id.as_str(),
                "venue-a-other",
                datetime!(2022-12-09 10:00 UTC),
                None,
            ),
            (
                b.id.as_str(),
                "venue-named",
                datetime!(2022-12-09 08:00 UTC),
                None,
            ),
        ];
        // By account first: ids are ordered, whichever was made first.
        expected.sort_by_key(|row| row.0);
        assert_eq!(seen, expected, "the visit before `since` is left out");
        let names: Vec<Option<&VenueName>> =
            read.iter().map(|(_, v)| v.venue_name.as_ref()).collect();
        assert_eq!(names.iter().filter(|n| **n == Some(&name)).count(), 2);
        assert_eq!(
            names.iter().filter(|n| n.is_none()).count(),
            1,
            "unknown venue"
        );

        let skipped = store
            .visits_of_accounts(&mut conn, &ids, since, VenueNames::Skipped)
            .await?;
        assert!(skipped.iter().all(|(_, v)| v.venue_name.is_none()));
        assert_eq!(skipped.len(), read.len());
        let none = store
            .visits_of_accounts(
                &mut conn,
                &["no-such-account".to_owned()],
                since,
                VenueNames::Read,
            )
            .await?;
        assert!(none.is_empty());
        Ok(())
    }
}
