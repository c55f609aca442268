//! Storing feed records as versions in batches, with the digest that ties
//! each batch to the audit chain and the re-evaluations it queues.
//!
//! The three tables (statuses, designations, arrivals) are described once as
//! columns, so storing, looking up, digesting and verifying
//! ([`super::feed_audit`]) are one piece of code for all of them.

use std::collections::BTreeMap;

use healthcode_keys::hex;
use sha2::{Digest as _, Sha256};
use sqlx::{Row as _, any::AnyRow};
use time::OffsetDateTime;

use super::{Store, Tx, notify::Work, to_db};
use crate::{
    Error,
    model::{Actor, FeedFact, FeedKind, FeedRecord},
};

/// What became of one record of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored as a new version.
    Stored,
    /// Identical to the version held.
    Unchanged,
    /// A withdrawal of a record that is not held: refused.
    NothingToWithdraw,
}

/// One submission of checked records.
#[derive(Debug)]
pub struct Submission<'a> {
    /// The feed.
    pub kind: FeedKind,
    /// Who.
    pub actor: &'a Actor,
    /// How: `api`, `import:<file>`.
    pub source: &'a str,
    /// How many records the submitter sent (refused ones included).
    pub received: usize,
    /// The checked records, keys unique.
    pub records: &'a [FeedRecord],
}

/// A stored value, typed as its column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Cell {
    Text(String),
    Int(i64),
    Null,
}

/// A content column: its name, whether it holds integers, whether it is part of the key.
pub(super) struct Column {
    name: &'static str,
    int: bool,
    pub(super) key: bool,
}

const fn col(name: &'static str, int: bool, key: bool) -> Column {
    Column { name, int, key }
}

const STATUS_COLUMNS: &[Column] = &[
    col("person_index", false, true),
    col("kind", false, true),
    col("start_at", true, true),
    col("end_at", true, false),
    col("withdrawn", true, false),
];
const DESIGNATION_COLUMNS: &[Column] = &[
    col("place", false, true),
    col("start_at", true, true),
    col("end_at", true, false),
    col("withdrawn", true, false),
];
const ARRIVAL_COLUMNS: &[Column] = &[
    col("person_index", false, true),
    col("arrived_at", true, true),
    col("origin", false, false),
    col("scheme", false, false),
    col("quarantine", false, false),
    col("withdrawn", true, false),
];

pub(super) fn columns(kind: FeedKind) -> &'static [Column] {
    match kind {
        FeedKind::Statuses => STATUS_COLUMNS,
        FeedKind::Designations => DESIGNATION_COLUMNS,
        FeedKind::Arrivals => ARRIVAL_COLUMNS,
    }
}

fn time_cell(at: OffsetDateTime) -> Cell {
    Cell::Int(to_db(at))
}

fn optional<T>(value: Option<T>, cell: impl FnOnce(T) -> Cell) -> Cell {
    value.map_or(Cell::Null, cell)
}

/// The record's cells in the order of its table's columns.
fn cells(record: &FeedRecord) -> Vec<Cell> {
    let text = |s: &str| Cell::Text(s.to_owned());
    let withdrawn = Cell::Int(i64::from(record.withdrawn));
    match &record.fact {
        FeedFact::Status {
            person_index,
            status,
        } => vec![
            text(person_index),
            text(status.kind.as_str()),
            time_cell(status.start),
            optional(status.end, time_cell),
            withdrawn,
        ],
        FeedFact::Designation(d) => vec![
            text(&d.place),
            time_cell(d.start),
            optional(d.end, time_cell),
            withdrawn,
        ],
        FeedFact::Arrival {
            person_index,
            arrival,
        } => vec![
            text(person_index),
            time_cell(arrival.at),
            text(arrival.origin.as_str()),
            optional(arrival.scheme, |s| text(s.as_str())),
            text(arrival.quarantine.as_str()),
            withdrawn,
        ],
    }
}

pub(super) fn read_cells(row: &AnyRow, first: usize, kind: FeedKind) -> Result<Vec<Cell>, Error> {
    columns(kind)
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(if column.int {
                optional(row.try_get::<Option<i64>, _>(first + i)?, Cell::Int)
            } else {
                optional(row.try_get::<Option<String>, _>(first + i)?, Cell::Text)
            })
        })
        .collect()
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind<'q>(query: Query<'q>, cell: &'q Cell, int: bool) -> Query<'q> {
    match (cell, int) {
        (Cell::Text(s), _) => query.bind(s.as_str()),
        (Cell::Int(i), _) => query.bind(*i),
        (Cell::Null, true) => query.bind(None::<i64>),
        (Cell::Null, false) => query.bind(None::<String>),
    }
}

pub(super) fn column_list(kind: FeedKind) -> String {
    columns(kind)
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The digest of a batch: SHA-256 over every version it added, in id order,
/// each field typed and length-prefixed.
pub(super) fn batch_digest<'a>(
    kind: FeedKind,
    batch_id: &str,
    versions: impl IntoIterator<Item = (&'a str, &'a [Cell])>,
) -> String {
    let mut sorted: Vec<_> = versions.into_iter().collect();
    sorted.sort_by_key(|(id, _)| *id);
    let mut hasher = Sha256::new();
    let mut text = |s: &str| {
        hasher.update((s.len() as u64).to_be_bytes());
        hasher.update(s.as_bytes());
    };
    text("HKHC/feed-batch/v1");
    text(kind.as_str());
    text(batch_id);
    let mut bytes = Vec::new();
    for (id, cells) in sorted {
        bytes.extend((id.len() as u64).to_be_bytes());
        bytes.extend(id.as_bytes());
        for cell in cells {
            match cell {
                Cell::Text(s) => {
                    bytes.push(b'T');
                    bytes.extend((s.len() as u64).to_be_bytes());
                    bytes.extend(s.as_bytes());
                }
                Cell::Int(i) => {
                    bytes.push(b'I');
                    bytes.extend(i.to_be_bytes());
                }
                Cell::Null => bytes.push(b'N'),
            }
        }
    }
    hasher.update(&bytes);
    hex::encode(&hasher.finalize())
}

/// A version about to be stored.
struct NewVersion {
    id: String,
    replaces: Option<String>,
    cells: Vec<Cell>,
    starts: OffsetDateTime,
    withdrawn: bool,
}

/// Re-evaluations of records that start later are grouped by the minute.
const FUTURE_BUCKET_SECONDS: i64 = 60;

impl Store {
    /// Stores the records of `submission` that differ from the versions held,
    /// as one batch with its digest in the audit chain and its re-evaluations
    /// queued, in one transaction. Returns the batch (if any record was
    /// stored) and each record's outcome, in order.
    ///
    /// # Errors
    /// [`Error::Db`]; on error nothing is stored.
    pub async fn store_feed(
        &self,
        submission: &Submission<'_>,
        now: OffsetDateTime,
    ) -> Result<(Option<String>, Vec<Outcome>), Error> {
        let mut tx = self.write().await?;
        let stored = self.store_feed_in(&mut tx, submission, now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// As [`Store::store_feed`], inside the caller's transaction (a
    /// correction that commits with the decision that made it).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn store_feed_in(
        &self,
        tx: &mut Tx,
        submission: &Submission<'_>,
        now: OffsetDateTime,
    ) -> Result<(Option<String>, Vec<Outcome>), Error> {
        let kind = submission.kind;
        let mut outcomes = Vec::with_capacity(submission.records.len());
        let mut versions = Vec::new();
        for record in submission.records {
            let cells = cells(record);
            let current = current_version(tx, kind, &cells).await?;
            let outcome = match current {
                Some((_, held)) if held == cells => Outcome::Unchanged,
                None if record.withdrawn => Outcome::NothingToWithdraw,
                current => {
                    versions.push(NewVersion {
                        id: self.new_id(),
                        replaces: current.map(|(id, _)| id),
                        cells,
                        starts: record.starts(),
                        withdrawn: record.withdrawn,
                    });
                    Outcome::Stored
                }
            };
            outcomes.push(outcome);
        }
        let batch = if versions.is_empty() {
            None
        } else {
            Some(self.new_id())
        };
        let digest = match &batch {
            Some(batch) => Some(
                self.insert_batch(tx, submission, batch, &versions, now)
                    .await?,
            ),
            None => None,
        };
        let detail = serde_json::json!({
            "kind": kind.as_str(),
            "source": submission.source,
            "received": submission.received,
            "stored": versions.len(),
            "batch": batch,
            "digest": digest,
        });
        let subject = batch.as_deref().unwrap_or("none");
        self.audit(
            tx,
            now,
            submission.actor,
            "feed_submitted",
            subject,
            &detail,
        )
        .await?;
        Ok((batch, outcomes))
    }

    /// Inserts the batch, its versions (marking the ones they replace) and its
    /// re-evaluations; returns the digest.
    async fn insert_batch(
        &self,
        tx: &mut Tx,
        submission: &Submission<'_>,
        batch: &str,
        versions: &[NewVersion],
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let kind = submission.kind;
        let digest = batch_digest(
            kind,
            batch,
            versions.iter().map(|v| (v.id.as_str(), v.cells.as_slice())),
        );
        sqlx::query(
            "INSERT INTO feed_batches (id, kind, source, submitted_by, submitted_at, records, digest) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(batch)
        .bind(kind.as_str())
        .bind(submission.source)
        .bind(submission.actor.to_string())
        .bind(to_db(now))
        .bind(versions.len() as i64)
        .bind(&digest)
        .execute(&mut **tx)
        .await?;
        let table = kind.as_str();
        let replace = format!("UPDATE {table} SET replaced_by = $1 WHERE id = $2");
        let placeholders: Vec<String> = (3..3 + columns(kind).len())
            .map(|n| format!("${n}"))
            .collect();
        let insert = format!(
            "INSERT INTO {table} (id, batch_id, {}) VALUES ($1, $2, {})",
            column_list(kind),
            placeholders.join(", ")
        );
        for version in versions {
            // The old version leaves the "current" unique index before the new one enters it.
            if let Some(old) = &version.replaces {
                sqlx::query(&replace)
                    .bind(&version.id)
                    .bind(old)
                    .execute(&mut **tx)
                    .await?;
            }
            let mut query = sqlx::query(&insert).bind(&version.id).bind(batch);
            for (cell, column) in version.cells.iter().zip(columns(kind)) {
                query = bind(query, cell, column.int);
            }
            query.execute(&mut **tx).await?;
        }
        self.queue_reevaluations(tx, batch, versions, now).await?;
        Ok(digest)
    }

    /// One re-evaluation now, and one for each minute in which a record of
    /// the batch comes into force later: a code issued in the morning must
    /// not stay green past the start of an evening quarantine.
    async fn queue_reevaluations(
        &self,
        tx: &mut Tx,
        batch: &str,
        versions: &[NewVersion],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let now_s = to_db(now);
        let mut runs: BTreeMap<i64, Option<i64>> = BTreeMap::from([(now_s, None)]);
        for version in versions.iter().filter(|v| !v.withdrawn) {
            let starts = to_db(version.starts);
            if starts > now_s {
                // Round up to the minute: the run covers the records starting in it.
                let run_at = starts.div_euclid(FUTURE_BUCKET_SECONDS) * FUTURE_BUCKET_SECONDS
                    + if starts % FUTURE_BUCKET_SECONDS == 0 {
                        0
                    } else {
                        FUTURE_BUCKET_SECONDS
                    };
                runs.insert(run_at, Some(run_at - FUTURE_BUCKET_SECONDS));
            }
        }
        for (run_at, starts_after) in runs {
            sqlx::query(
                "INSERT INTO reevaluations (id, batch_id, run_at, starts_after) VALUES ($1, $2, $3, $4)",
            )
            .bind(self.new_id())
            .bind(batch)
            .bind(run_at)
            .bind(starts_after)
            .execute(&mut **tx)
            .await?;
        }
        self.announce(tx, Work::Reevaluate).await
    }
}

/// The version held under the key of `cells`: its id and cells.
async fn current_version(
    tx: &mut Tx,
    kind: FeedKind,
    cells: &[Cell],
) -> Result<Option<(String, Vec<Cell>)>, Error> {
    let cols = columns(kind);
    let condition: Vec<String> = cols
        .iter()
        .filter(|c| c.key)
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", c.name, i + 1))
        .collect();
    let sql = format!(
        "SELECT id, {} FROM {} WHERE {} AND replaced_by IS NULL",
        column_list(kind),
        kind.as_str(),
        condition.join(" AND ")
    );
    let mut query = sqlx::query(&sql);
    for (cell, column) in cells.iter().zip(cols).filter(|(_, c)| c.key) {
        query = bind(query, cell, column.int);
    }
    match query.fetch_optional(&mut **tx).await? {
        Some(row) => Ok(Some((row.try_get(0)?, read_cells(&row, 1, kind)?))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_covers_every_field_and_ignores_order() {
        let a = [Cell::Text("p".into()), Cell::Int(1), Cell::Null];
        let b = [Cell::Text("p".into()), Cell::Int(2), Cell::Null];
        let digest = |versions: &[(&str, &[Cell])]| {
            batch_digest(FeedKind::Designations, "batch", versions.iter().copied())
        };
        let both = digest(&[("1", &a), ("2", &b)]);
        assert_eq!(
            both,
            digest(&[("2", &b), ("1", &a)]),
            "id order, not position"
        );
        assert_ne!(both, digest(&[("1", &b), ("2", &a)]));
        assert_ne!(both, digest(&[("1", &a)]));
        let text_one = [Cell::Text("1".into()), Cell::Int(1), Cell::Null];
        assert_ne!(
            digest(&[("1", &a)]),
            digest(&[("1", &text_one)]),
            "typed cells"
        );
        let null_end = [Cell::Text("p".into()), Cell::Int(1), Cell::Int(0)];
        assert_ne!(digest(&[("1", &a)]), digest(&[("1", &null_end)]));
    }
}
