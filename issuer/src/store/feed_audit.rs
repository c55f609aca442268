//! Verifying the feed records: each record against its batch's digest, each
//! batch against its entry in the audit chain, and each record's versions as
//! one chain of corrections. What `issuer audit verify` runs after the chain.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row as _};

use super::{
    Store,
    feeds::{Cell, batch_digest, column_list, columns, read_cells},
    parse_name,
};
use crate::{Error, model::FeedKind};

impl Store {
    /// Checks every feed record against its batch's digest, each batch against
    /// its entry in the audit chain, and each record's versions form one
    /// chain ending in the current one. Returns (records, batches).
    ///
    /// # Errors
    /// [`Error::FeedTampered`] naming the first problem; [`Error::Db`].
    pub async fn verify_feeds(&self) -> Result<(usize, usize), Error> {
        // One read transaction, so that a batch submitted while this runs is
        // either wholly seen (batch, records, audit entry) or not at all.
        let mut snapshot = self.snapshot().await?;
        let audited = audited_batches(&mut snapshot).await?;
        let batches: Vec<BatchRow> = sqlx::query_as(
            "SELECT id, kind, records, digest, source, submitted_by, submitted_at FROM feed_batches",
        )
        .fetch_all(&mut *snapshot)
        .await?;
        let mut versions_by_batch: HashMap<String, Vec<(String, Vec<Cell>)>> = HashMap::new();
        let mut records = 0;
        for kind in [
            FeedKind::Statuses,
            FeedKind::Designations,
            FeedKind::Arrivals,
        ] {
            let rows = all_versions(&mut snapshot, kind).await?;
            records += rows.len();
            check_chains(kind, &rows)?;
            for row in rows {
                versions_by_batch
                    .entry(row.batch_id)
                    .or_default()
                    .push((row.id, row.cells));
            }
        }
        for batch in &batches {
            let BatchRow {
                id,
                kind,
                records: count,
                digest,
                ..
            } = batch;
            let kind: FeedKind = parse_name(kind)?;
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
            let Some(entry) = audited.get(id.as_str()) else {
                return Err(tampered("not recorded in the audit log"));
            };
            if &entry.digest != digest {
                return Err(tampered("not recorded in the audit log with this digest"));
            }
            let submitted = (&batch.source, &batch.submitted_by, batch.submitted_at);
            if submitted != (&entry.source, &entry.actor, entry.at) {
                return Err(tampered(
                    "its submitter, time or source is not the one the audit log records",
                ));
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
            .find(|b| !batches.iter().any(|row| row.id == **b))
        {
            return Err(Error::FeedTampered {
                subject: format!("batch {batch}"),
                problem: "the audit log records it, but it was deleted",
            });
        }
        Ok((records, batches.len()))
    }
}

/// What the audit log says of each batch, by batch id.
async fn audited_batches(
    snapshot: &mut AnyConnection,
) -> Result<HashMap<String, AuditedBatch>, Error> {
    let entries: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT actor, at, detail FROM audit_log WHERE action = 'feed_submitted' AND subject <> 'none'",
    )
    .fetch_all(&mut *snapshot)
    .await?;
    Ok(entries
        .into_iter()
        .filter_map(|(actor, at, detail)| {
            let value: serde_json::Value = serde_json::from_str(&detail).ok()?;
            let entry = AuditedBatch {
                digest: value["digest"].as_str()?.to_owned(),
                source: value["source"].as_str()?.to_owned(),
                actor,
                at,
            };
            Some((value["batch"].as_str()?.to_owned(), entry))
        })
        .collect())
}

async fn all_versions(
    snapshot: &mut AnyConnection,
    kind: FeedKind,
) -> Result<Vec<VersionRow>, Error> {
    let sql = format!(
        "SELECT id, batch_id, replaced_by, {} FROM {}",
        column_list(kind),
        kind.as_str()
    );
    sqlx::query(&sql)
        .fetch_all(&mut *snapshot)
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

/// A stored batch, as verification reads it.
#[derive(sqlx::FromRow)]
struct BatchRow {
    id: String,
    kind: String,
    records: i64,
    digest: String,
    source: String,
    submitted_by: String,
    submitted_at: i64,
}

/// A batch as its `feed_submitted` audit entry (keyed, so not rewritable
/// without the key) records it.
struct AuditedBatch {
    digest: String,
    source: String,
    actor: String,
    at: i64,
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
