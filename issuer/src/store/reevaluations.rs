//! Re-evaluations owed after a batch of feed records, and the live codes each
//! may concern, found through indexes rather than a scan of everyone.

use time::OffsetDateTime;

use super::sql::SqlBuilder;

use super::{Store, Tx, codes::LiveCode, from_db, parse_name, push_list, to_db};
use crate::{
    Error,
    model::{FeedKind, VISIT_WINDOW},
};

/// One re-evaluation that is due.
#[derive(Debug, Clone)]
pub struct Reevaluation {
    /// Its id.
    pub id: String,
    /// The batch of records it follows.
    pub batch_id: String,
    /// The feed of the batch.
    pub kind: FeedKind,
    /// Only records starting after this instant (Unix seconds); `None`: all.
    pub starts_after: Option<i64>,
    /// Only records starting by this instant (Unix seconds).
    pub run_at: i64,
}

/// A re-evaluation as staff see it: the batch it followed and what it did.
#[derive(Debug, Clone)]
pub struct ReevaluationRun {
    /// The feed of the batch.
    pub kind: FeedKind,
    /// Where the batch came from (`api`, `import:<file>`, `console:<file>`).
    pub source: String,
    /// Records in the batch.
    pub records: i64,
    /// When it was due.
    pub run_at: OffsetDateTime,
    /// When it finished; `None` while owed.
    pub done_at: Option<OffsetDateTime>,
    /// Codes looked at.
    pub examined: Option<i64>,
    /// Codes revoked.
    pub revoked: Option<i64>,
}

/// Codes of the persons whom a batch of `table` (statuses or arrivals,
/// whose records come into force at `starts`) names.
fn by_person(table: &str, starts: &str) -> String {
    format!(
        "SELECT DISTINCT c.token_id, c.account_id, c.colour, c.valid_until \
         FROM {table} s \
         JOIN accounts a ON a.id_index = s.person_index AND a.status = 'active' \
         JOIN codes c ON c.account_id = a.id \
         WHERE s.batch_id = $1 AND s.withdrawn = 0 AND s.{starts} > $3 AND s.{starts} <= $4 AND {{LIVE}}"
    )
}

impl Store {
    /// Up to `limit` re-evaluations due at `now`, oldest first.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn due_reevaluations(
        &self,
        now: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Reevaluation>, Error> {
        let rows: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT r.id, r.batch_id, b.kind, r.run_at, r.starts_after FROM reevaluations r \
             JOIN feed_batches b ON b.id = r.batch_id \
             WHERE r.done_at IS NULL AND r.run_at <= $1 ORDER BY r.run_at, r.id LIMIT $2",
        )
        .bind(to_db(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(id, batch_id, kind, run_at, starts_after)| {
                Ok(Reevaluation {
                    id,
                    batch_id,
                    kind: parse_name(&kind)?,
                    starts_after,
                    run_at,
                })
            })
            .collect()
    }

    /// The codes live at `now` whose holders the records of `job` concern:
    /// the persons a status or arrival names; for a designation, those who
    /// checked in at the place before the designation ended and within the
    /// visit window, and those who live in it.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn reevaluation_candidates(
        &self,
        job: &Reevaluation,
        now: OffsetDateTime,
    ) -> Result<Vec<LiveCode>, Error> {
        let starts = match job.starts_after {
            Some(after) => (after, job.run_at),
            None => (i64::MIN, i64::MAX),
        };
        let sql = match job.kind {
            FeedKind::Statuses => by_person("statuses", "start_at"),
            FeedKind::Arrivals => by_person("arrivals", "arrived_at"),
            FeedKind::Designations => {
                let window = VISIT_WINDOW.whole_seconds();
                // CROSS JOIN fixes SQLite's join order (designation, then its
                // residents by building), which it otherwise gets wrong by
                // starting from every active account; PostgreSQL reads it as a join.
                format!(
                    "SELECT c.token_id, c.account_id, c.colour, c.valid_until FROM designations d \
                     JOIN visits v ON v.venue_id = d.place AND v.check_in > $2 - {window} \
                     AND (d.end_at IS NULL OR v.check_in < d.end_at) \
                     JOIN codes c ON c.account_id = v.account_id \
                     WHERE d.batch_id = $1 AND d.withdrawn = 0 AND d.start_at > $3 AND d.start_at <= $4 AND {{LIVE}} \
                     UNION \
                     SELECT c.token_id, c.account_id, c.colour, c.valid_until \
                     FROM designations d CROSS JOIN accounts a CROSS JOIN codes c \
                     WHERE a.building_id = d.place AND a.status = 'active' AND c.account_id = a.id \
                     AND d.batch_id = $1 AND d.withdrawn = 0 AND d.start_at > $3 AND d.start_at <= $4 AND {{LIVE}}"
                )
            }
        };
        self.live_codes_where(&sql, &job.batch_id, now, starts)
            .await
    }

    /// Marks `job` done, with how many codes it examined and revoked.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn finish_reevaluation(
        &self,
        tx: &mut Tx,
        job: &Reevaluation,
        examined: usize,
        revoked: u64,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE reevaluations SET done_at = $1, examined = $2, revoked = $3 WHERE id = $4",
        )
        .bind(to_db(now))
        .bind(examined as i64)
        .bind(revoked as i64)
        .bind(&job.id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The newest `limit` re-evaluations of the batches of `kinds`, newest first.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn reevaluation_runs(
        &self,
        kinds: &[FeedKind],
        limit: i64,
    ) -> Result<Vec<ReevaluationRun>, Error> {
        type Row = (
            String,
            String,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let names: Vec<String> = kinds.iter().map(|k| k.as_str().to_owned()).collect();
        let mut query = SqlBuilder::new(
            self.engine(),
            "SELECT b.kind, b.source, b.records, r.run_at, r.done_at, r.examined, r.revoked \
             FROM reevaluations r JOIN feed_batches b ON b.id = r.batch_id WHERE b.kind IN ",
        );
        push_list(&mut query, &names);
        query.push(" ORDER BY r.run_at DESC, r.id DESC LIMIT ");
        query.push_bind(limit);
        let rows: Vec<Row> = query.build_query_as().fetch_all(self.pool()).await?;
        let mut runs = Vec::with_capacity(rows.len());
        for (kind, source, records, run_at, done_at, examined, revoked) in rows {
            runs.push(ReevaluationRun {
                kind: parse_name(&kind)?,
                source,
                records,
                run_at: from_db(run_at)?,
                done_at: done_at.map(from_db).transpose()?,
                examined,
                revoked,
            });
        }
        Ok(runs)
    }
}
