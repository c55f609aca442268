//! Feed records as versions in batches, the digests that tie each batch to
//! the audit chain, and the queries the colour rules read.
//!
//! The three tables (statuses, designations, arrivals) are described once as
//! columns, so storing, looking up, digesting and verifying are one piece of
//! code for all of them.

use std::collections::{BTreeMap, HashMap};

use healthcode_keys::hex;
use sha2::{Digest as _, Sha256};
use sqlx::{QueryBuilder, Row as _, Sqlite, SqliteConnection, sqlite::SqliteRow};
use time::OffsetDateTime;

use super::{Store, Tx, from_db, new_id, push_list, to_db};
use crate::{
    Error,
    feeds::{FeedFact, FeedKind, FeedRecord},
    rules::facts::{Arrival, Designation, Origin, Quarantine, Scheme, Status, StatusKind},
};

/// What became of one record of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored as a new version.
    Stored,
    /// Identical to the version held.
    Unchanged,
    /// Refused, with the reason.
    Refused(String),
}

/// One submission of checked records.
#[derive(Debug)]
pub struct Submission<'a> {
    /// The feed.
    pub kind: FeedKind,
    /// Who: `staff:<id>`.
    pub actor: &'a str,
    /// How: `api`, `import:<file>`.
    pub source: &'a str,
    /// How many records the submitter sent (refused ones included).
    pub received: usize,
    /// The checked records, keys unique.
    pub records: &'a [FeedRecord],
}

/// A stored value, typed as its column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Cell {
    Text(String),
    Int(i64),
    Null,
}

/// A content column: its name, whether it holds integers, whether it is part of the key.
struct Column {
    name: &'static str,
    int: bool,
    key: bool,
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

fn columns(kind: FeedKind) -> &'static [Column] {
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
            text(status.kind.name()),
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
            text(arrival.origin.name()),
            optional(arrival.scheme, |s| text(s.name())),
            text(arrival.quarantine.name()),
            withdrawn,
        ],
    }
}

fn read_cells(row: &SqliteRow, first: usize, kind: FeedKind) -> Result<Vec<Cell>, Error> {
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

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn bind<'q>(query: Query<'q>, cell: &'q Cell, int: bool) -> Query<'q> {
    match (cell, int) {
        (Cell::Text(s), _) => query.bind(s.as_str()),
        (Cell::Int(i), _) => query.bind(*i),
        (Cell::Null, true) => query.bind(None::<i64>),
        (Cell::Null, false) => query.bind(None::<String>),
    }
}

fn column_list(kind: FeedKind) -> String {
    columns(kind)
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The digest of a batch: SHA-256 over every version it added, in id order,
/// each field typed and length-prefixed.
fn batch_digest<'a>(
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
        let kind = submission.kind;
        let mut tx = self.write().await?;
        let mut outcomes = Vec::with_capacity(submission.records.len());
        let mut versions = Vec::new();
        for record in submission.records {
            let cells = cells(record);
            let current = current_version(&mut tx, kind, &cells).await?;
            let outcome = match current {
                Some((_, held)) if held == cells => Outcome::Unchanged,
                None if record.withdrawn => {
                    Outcome::Refused("there is no such record to withdraw".into())
                }
                current => {
                    versions.push(NewVersion {
                        id: new_id(),
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
            Some(new_id())
        };
        let digest = match &batch {
            Some(batch) => Some(
                self.insert_batch(&mut tx, submission, batch, &versions, now)
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
            &mut tx,
            now,
            submission.actor,
            "feed_submitted",
            subject,
            &detail,
        )
        .await?;
        tx.commit().await?;
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
        .bind(submission.actor)
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
            .bind(new_id())
            .bind(batch)
            .bind(run_at)
            .bind(starts_after)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The statuses in force of the persons with blind indexes
    /// `person_indexes`, each with the index it belongs to.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn statuses_of(
        &self,
        conn: &mut SqliteConnection,
        person_indexes: &[String],
    ) -> Result<Vec<(String, Status)>, Error> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT person_index, kind, start_at, end_at FROM statuses \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND person_index IN ",
        );
        push_list(&mut query, person_indexes);
        let rows: Vec<(String, String, i64, Option<i64>)> =
            query.build_query_as().fetch_all(conn).await?;
        rows.into_iter()
            .map(|(person, kind, start, end)| {
                let status = Status {
                    kind: parse_name(StatusKind::from_name, "status kind", kind)?,
                    start: from_db(start),
                    end: end.map(from_db),
                };
                Ok((person, status))
            })
            .collect()
    }

    /// The arrivals in force of the persons with blind indexes
    /// `person_indexes`, each with the index it belongs to.
    ///
    /// # Errors
    /// [`Error::Db`], [`Error::Corrupt`].
    pub async fn arrivals_of(
        &self,
        conn: &mut SqliteConnection,
        person_indexes: &[String],
    ) -> Result<Vec<(String, Arrival)>, Error> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT person_index, arrived_at, origin, scheme, quarantine FROM arrivals \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND person_index IN ",
        );
        push_list(&mut query, person_indexes);
        let rows: Vec<(String, i64, String, Option<String>, String)> =
            query.build_query_as().fetch_all(conn).await?;
        rows.into_iter()
            .map(|(person, at, origin, scheme, quarantine)| {
                let arrival = Arrival {
                    at: from_db(at),
                    origin: parse_name(Origin::from_name, "arrival origin", origin)?,
                    scheme: scheme
                        .map(|s| parse_name(Scheme::from_name, "arrival scheme", s))
                        .transpose()?,
                    quarantine: parse_name(Quarantine::from_name, "quarantine", quarantine)?,
                };
                Ok((person, arrival))
            })
            .collect()
    }

    /// The designations in force of the places that matter to some accounts:
    /// their `residences` and the venues `account_ids` checked in at after `since`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn designations_for_accounts(
        &self,
        conn: &mut SqliteConnection,
        account_ids: &[String],
        residences: &[String],
        since: OffsetDateTime,
    ) -> Result<Vec<Designation>, Error> {
        // Two index lookups: an OR of the two lists would scan every designation.
        const IN_FORCE: &str = "SELECT place, start_at, end_at FROM designations \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND place IN ";
        let mut query = QueryBuilder::<Sqlite>::new(IN_FORCE);
        push_list(&mut query, residences);
        query.push(" UNION ").push(IN_FORCE);
        query.push("(SELECT venue_id FROM visits WHERE check_in > ");
        query.push_bind(to_db(since)).push(" AND account_id IN ");
        push_list(&mut query, account_ids);
        query.push(")");
        let rows: Vec<(String, i64, Option<i64>)> = query.build_query_as().fetch_all(conn).await?;
        Ok(rows.into_iter().map(designation).collect())
    }

    /// The designations in force that end after `since` (or never), newest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn current_designations(
        &self,
        since: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Designation>, Error> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT place, start_at, end_at FROM designations \
             WHERE replaced_by IS NULL AND withdrawn = 0 AND (end_at IS NULL OR end_at > $1) \
             ORDER BY start_at DESC, place LIMIT $2",
        )
        .bind(to_db(since))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(designation).collect())
    }

    /// Checks every feed record against its batch's digest, each batch against
    /// its entry in the audit chain, and each record's versions form one
    /// chain ending in the current one. Returns (records, batches).
    ///
    /// # Errors
    /// [`Error::FeedTampered`] naming the first problem; [`Error::Db`].
    pub async fn verify_feeds(&self) -> Result<(usize, usize), Error> {
        let audited = self.audited_batches().await?;
        let batches: Vec<(String, String, i64, String)> =
            sqlx::query_as("SELECT id, kind, records, digest FROM feed_batches")
                .fetch_all(self.pool())
                .await?;
        let mut versions_by_batch: HashMap<String, Vec<(String, Vec<Cell>)>> = HashMap::new();
        let mut records = 0;
        for kind in [
            FeedKind::Statuses,
            FeedKind::Designations,
            FeedKind::Arrivals,
        ] {
            let rows = self.all_versions(kind).await?;
            records += rows.len();
            check_chains(kind, &rows)?;
            for row in rows {
                versions_by_batch
                    .entry(row.batch_id)
                    .or_default()
                    .push((row.id, row.cells));
            }
        }
        for (id, kind, count, digest) in &batches {
            let kind: FeedKind = kind.parse()?;
            let versions = versions_by_batch.remove(id).unwrap_or_default();
            let computed = batch_digest(
                kind,
                id,
                versions.iter().map(|(v, c)| (v.as_str(), c.as_slice())),
            );
            let tampered = |problem| Error::FeedTampered {
                subject: format!("batch {id}"),
                problem,
            };
            if versions.len() as i64 != *count || &computed != digest {
                return Err(tampered("its records do not match its digest"));
            }
            if audited.get(id.as_str()) != Some(digest) {
                return Err(tampered("not recorded in the audit log with this digest"));
            }
        }
        if let Some(batch) = versions_by_batch.keys().next() {
            return Err(Error::FeedTampered {
                subject: format!("batch {batch}"),
                problem: "records name it, but it does not exist",
            });
        }
        if let Some(batch) = audited
            .keys()
            .find(|b| !batches.iter().any(|(id, ..)| id == *b))
        {
            return Err(Error::FeedTampered {
                subject: format!("batch {batch}"),
                problem: "the audit log records it, but it was deleted",
            });
        }
        Ok((records, batches.len()))
    }

    /// Each audited batch's digest, by batch id.
    async fn audited_batches(&self) -> Result<HashMap<String, String>, Error> {
        let details: Vec<(String,)> = sqlx::query_as(
            "SELECT detail FROM audit_log WHERE action = 'feed_submitted' AND subject <> 'none'",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(details
            .into_iter()
            .filter_map(|(detail,)| {
                let value: serde_json::Value = serde_json::from_str(&detail).ok()?;
                Some((
                    value["batch"].as_str()?.to_owned(),
                    value["digest"].as_str()?.to_owned(),
                ))
            })
            .collect())
    }

    async fn all_versions(&self, kind: FeedKind) -> Result<Vec<VersionRow>, Error> {
        let sql = format!(
            "SELECT id, batch_id, replaced_by, {} FROM {}",
            column_list(kind),
            kind.as_str()
        );
        sqlx::query(&sql)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                Ok(VersionRow {
                    id: row.try_get(0)?,
                    batch_id: row.try_get(1)?,
                    replaced_by: row.try_get(2)?,
                    cells: read_cells(row, 3, kind)?,
                })
            })
            .collect()
    }
}

/// One stored version, for verification.
struct VersionRow {
    id: String,
    batch_id: String,
    replaced_by: Option<String>,
    cells: Vec<Cell>,
}

/// The versions of each key must form one chain: every version but one
/// replaced by another version of the same key, no two by the same one.
fn check_chains(kind: FeedKind, rows: &[VersionRow]) -> Result<(), Error> {
    let key_of = |row: &VersionRow| -> Vec<Cell> {
        row.cells
            .iter()
            .zip(columns(kind))
            .filter(|(_, c)| c.key)
            .map(|(cell, _)| cell.clone())
            .collect()
    };
    let mut by_key: HashMap<Vec<Cell>, Vec<&VersionRow>> = HashMap::new();
    for row in rows {
        by_key.entry(key_of(row)).or_default().push(row);
    }
    for versions in by_key.values() {
        let ids: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
        let mut targets: Vec<&str> = versions
            .iter()
            .filter_map(|v| v.replaced_by.as_deref())
            .collect();
        let current = versions.len() - targets.len();
        targets.sort_unstable();
        let distinct = targets.windows(2).all(|w| w[0] != w[1]);
        let inside = targets.iter().all(|t| ids.contains(t));
        let no_self = versions
            .iter()
            .all(|v| v.replaced_by.as_deref() != Some(v.id.as_str()));
        if current != 1 || !distinct || !inside || !no_self {
            return Err(Error::FeedTampered {
                subject: format!("{} versions {}", kind.as_str(), ids.join(", ")),
                problem: "they do not form one chain of corrections",
            });
        }
    }
    Ok(())
}

fn designation((place, start, end): (String, i64, Option<i64>)) -> Designation {
    Designation {
        place,
        start: from_db(start),
        end: end.map(from_db),
    }
}

fn parse_name<T>(
    from_name: fn(&str) -> Option<T>,
    what: &'static str,
    text: String,
) -> Result<T, Error> {
    from_name(&text).ok_or(Error::Corrupt { what, value: text })
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
