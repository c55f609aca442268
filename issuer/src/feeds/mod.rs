//! The health authority's and the immigration department's records: statuses
//! of persons, high-risk designations of places, and arrivals.
//!
//! Every record is checked as the colour-rules spec demands (the same parser
//! as the test vectors), and refused on its own with a reason that names the
//! field; the good records of a submission are stored whatever the bad ones
//! say. A stored submission queues the re-evaluation of every code it may
//! make more severe.
//!
//! # Layout
//! - [`FeedKind`], [`FeedRecord`], [`check_record`]: one record, checked.
//! - [`submit`]: a submission (an API call or a chunk of a file), stored.
//! - [`import`]: bulk files (CSV or JSON) for `issuer feeds import`.
//! - [`appeals`]: residents contest a record; its owner decides, and an
//!   upheld appeal corrects the record as a new version.

pub mod appeals;
pub mod import;

use std::collections::HashMap;

use healthcode_keys::IdDocument;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{
    Error,
    model::{Actor, FeedFact, FeedKind, FeedRecord, PlaceId, RefusedRecord, place::InvalidPlaceId},
    rules::vector::{FactError, Record},
    store::{
        Store,
        feeds::{Outcome, Submission},
    },
};

/// The most records one submission may hold (a file is cut into submissions of this size).
pub const MAX_RECORDS_PER_SUBMISSION: usize = 10_000;

/// Why a feed record was refused, naming the field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedProblem {
    /// A field the colour rules' parser refuses (missing, no offset, unknown value ...).
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The ID document does not parse.
    #[error("{field}: {source}")]
    Document {
        /// Where, e.g. `records[3].id_document`.
        field: String,
        /// Why.
        source: healthcode_keys::Error,
    },
    /// The designated place is not a place id.
    #[error("{field}: {source}")]
    Place {
        /// Where, e.g. `records[3].place`.
        field: String,
        /// Why.
        source: InvalidPlaceId,
    },
    /// Two records of one submission with one key that say different things.
    #[error("disagrees with record {earlier}, which has the same key")]
    Disagrees {
        /// The position of the earlier record.
        earlier: usize,
    },
    /// A withdrawal of a record that is not held.
    #[error("there is no such record to withdraw")]
    NothingToWithdraw,
}

impl FeedProblem {
    /// A stable code for the problem, for pages that say it in the reader's
    /// language.
    pub fn code(&self) -> &'static str {
        match self {
            FeedProblem::Fact(e) => e.problem.code(),
            FeedProblem::Document { .. } => "bad_document",
            FeedProblem::Place { .. } => "bad_place",
            FeedProblem::Disagrees { .. } => "disagrees",
            FeedProblem::NothingToWithdraw => "nothing_to_withdraw",
        }
    }

    /// The field the problem is in, if it is in one.
    pub fn field(&self) -> Option<&str> {
        match self {
            FeedProblem::Fact(e) => Some(&e.field),
            FeedProblem::Document { field, .. } | FeedProblem::Place { field, .. } => Some(field),
            FeedProblem::Disagrees { .. } | FeedProblem::NothingToWithdraw => None,
        }
    }

    fn refusal(&self, index: usize) -> RefusedRecord {
        RefusedRecord::coded(index, self.code(), self).in_field(self.field())
    }
}

/// Checks one record of `kind` found at `path` (`records[3]`, or empty for a
/// file's row, whose line the caller names).
///
/// # Errors
/// The [`FeedProblem`], naming the field, for the submitter to read.
pub fn check_feed_record(
    store: &Store,
    kind: FeedKind,
    value: &Value,
    path: &str,
) -> Result<FeedRecord, FeedProblem> {
    let record = Record::new(value, path);
    let withdrawn = record.flag("withdrawn")?;
    let fact = match kind {
        FeedKind::Statuses => FeedFact::Status {
            person_index: person(store, &record, path)?,
            status: record.status()?,
        },
        FeedKind::Designations => {
            let designation = record.designation()?;
            PlaceId::parse(&designation.place).map_err(|source| FeedProblem::Place {
                field: field(path, "place"),
                source,
            })?;
            FeedFact::Designation(designation)
        }
        FeedKind::Arrivals => FeedFact::Arrival {
            person_index: person(store, &record, path)?,
            arrival: record.arrival()?,
        },
    };
    Ok(FeedRecord { fact, withdrawn })
}

fn field(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The blind index of the record's `id_document`: the document itself is never stored.
fn person(store: &Store, record: &Record<'_>, path: &str) -> Result<String, FeedProblem> {
    let text = record.text("id_document")?;
    let document: IdDocument = text.parse().map_err(|source| FeedProblem::Document {
        field: field(path, "id_document"),
        source,
    })?;
    Ok(store.document_index(&document))
}

/// What a submission did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FeedSummary {
    /// The batch that holds the stored records (absent when none was stored).
    pub batch: Option<String>,
    /// Records received.
    pub received: usize,
    /// Records stored: new, corrected or withdrawn.
    pub stored: usize,
    /// Records identical to the ones held: nothing to do.
    pub unchanged: usize,
    /// Records refused, each with its reason; the others are stored regardless.
    pub refused: Vec<RefusedRecord>,
}

/// Who submits, and how.
#[derive(Debug, Clone, Copy)]
pub struct Submitter<'a> {
    /// The staff member.
    pub actor: &'a Actor,
    /// `api`, or `import:<file name>`.
    pub source: &'a str,
}

/// Checks `records` of `kind` (each with the path its errors name) and stores
/// the good ones as one batch, audited, with its re-evaluation queued.
///
/// # Errors
/// [`Error::TooManyRecords`] past [`MAX_RECORDS_PER_SUBMISSION`]; [`Error::Db`]
/// (then nothing is stored).
pub async fn submit(
    store: &Store,
    kind: FeedKind,
    records: &[(String, Value)],
    submitter: Submitter<'_>,
    now: OffsetDateTime,
) -> Result<FeedSummary, Error> {
    if records.len() > MAX_RECORDS_PER_SUBMISSION {
        return Err(Error::TooManyRecords {
            count: records.len(),
            limit: MAX_RECORDS_PER_SUBMISSION,
        });
    }
    let mut refused = Vec::new();
    let mut checked: Vec<(usize, FeedRecord)> = Vec::with_capacity(records.len());
    // Each key's position in `checked`.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut unchanged = 0;
    for (index, (path, value)) in records.iter().enumerate() {
        let record = match check_feed_record(store, kind, value, path) {
            Ok(record) => record,
            Err(problem) => {
                refused.push(problem.refusal(index));
                continue;
            }
        };
        // The same key twice in one submission: a copy is harmless, a
        // disagreement is refused rather than resolved by position.
        match seen.get(&record.key()) {
            Some(&at) if checked[at].1 == record => unchanged += 1,
            Some(&at) => refused.push(
                FeedProblem::Disagrees {
                    earlier: checked[at].0,
                }
                .refusal(index),
            ),
            None => {
                seen.insert(record.key(), checked.len());
                checked.push((index, record));
            }
        }
    }
    let to_store: Vec<FeedRecord> = checked.iter().map(|(_, r)| r.clone()).collect();
    let submission = Submission {
        kind,
        actor: submitter.actor,
        source: submitter.source,
        received: records.len(),
        records: &to_store,
    };
    let (batch, outcomes) = store.store_feed(&submission, now).await?;
    let mut stored = 0;
    for ((index, _), outcome) in checked.iter().zip(outcomes) {
        match outcome {
            Outcome::Stored => stored += 1,
            Outcome::Unchanged => unchanged += 1,
            Outcome::NothingToWithdraw => {
                refused.push(FeedProblem::NothingToWithdraw.refusal(*index))
            }
        }
    }
    refused.sort_by_key(|r| r.index);
    Ok(FeedSummary {
        batch,
        received: records.len(),
        stored,
        unchanged,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);
    fn ha() -> Submitter<'static> {
        static STAFF: std::sync::LazyLock<Actor> =
            std::sync::LazyLock::new(|| Actor::Staff("test".into()));
        Submitter {
            actor: &STAFF,
            source: "api",
        }
    }

    async fn store() -> Result<(crate::store::test_support::TestPlace, Store), Error> {
        Store::open_temporary().await
    }

    fn records(values: &[Value]) -> Vec<(String, Value)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("records[{i}]"), v.clone()))
            .collect()
    }

    fn status(end: Value) -> Value {
        json!({"id_document": "HKID:A123456(3)", "kind": "close_contact",
               "start": "2022-12-08T10:00:00+08:00", "end": end})
    }

    async fn statuses_now(store: &Store) -> Result<Vec<crate::rules::facts::Status>, Error> {
        let document: IdDocument = "HKID:A123456(3)".parse()?;
        let mut conn = store.pool().acquire().await?;
        let held = store
            .statuses_of(&mut conn, &[store.document_index(&document)])
            .await?;
        Ok(held.into_iter().map(|(_, status)| status).collect())
    }

    #[tokio::test]
    async fn bad_records_are_refused_by_field_and_the_good_ones_stored() -> Result<(), Error> {
        let (_dir, store) = store().await?;
        let sent = records(&[
            status(Value::Null),
            json!({"id_document": "HKID:A123456(4)", "kind": "close_contact", "start": "2022-12-08T10:00:00Z", "end": null}),
            json!({"id_document": "HKID:A123456(3)", "kind": "symptoms", "start": "2022-12-08T10:00:00", "end": null}),
            json!({"id_document": "HKID:A123456(3)", "kind": "flu", "start": "2022-12-08T10:00:00Z", "end": null}),
            json!({"id_document": "HKID:A123456(3)", "kind": "symptoms", "start": "2022-12-08T10:00:00Z"}),
            json!({"id_document": "HKID:A123456(3)", "kind": "symptoms", "start": "2022-12-08T10:00:00Z", "end": "2022-12-07T00:00:00Z"}),
        ]);
        let summary = submit(&store, FeedKind::Statuses, &sent, ha(), NOW).await?;
        assert_eq!((summary.received, summary.stored), (6, 1));
        let reasons: Vec<&str> = summary.refused.iter().map(|r| r.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("records[1].id_document:"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("records[2].start: timestamp")
                && reasons[1].contains("no offset")
        );
        assert!(reasons[2].starts_with("records[3].kind: unknown value \"flu\""));
        assert_eq!(reasons[3], "records[4].end: missing");
        assert_eq!(reasons[4], "records[5].end: is before start");
        assert_eq!(statuses_now(&store).await?.len(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn corrections_and_withdrawals_are_new_versions_that_keep_history() -> Result<(), Error> {
        let (_dir, store) = store().await?;
        let open = records(&[status(Value::Null)]);
        assert_eq!(
            submit(&store, FeedKind::Statuses, &open, ha(), NOW)
                .await?
                .stored,
            1
        );
        let again = submit(&store, FeedKind::Statuses, &open, ha(), NOW).await?;
        assert_eq!((again.stored, again.unchanged, again.batch), (0, 1, None));

        let ended = records(&[status(json!("2022-12-09T10:00:00+08:00"))]);
        assert_eq!(
            submit(&store, FeedKind::Statuses, &ended, ha(), NOW)
                .await?
                .stored,
            1
        );
        let held = statuses_now(&store).await?;
        assert_eq!(held.len(), 1, "the correction replaces, not adds");
        assert_eq!(held[0].end, Some(datetime!(2022-12-09 02:00 UTC)));

        let mut withdrawal = status(json!("2022-12-09T10:00:00+08:00"));
        withdrawal["withdrawn"] = json!(true);
        let withdrawn = submit(
            &store,
            FeedKind::Statuses,
            &records(&[withdrawal]),
            ha(),
            NOW,
        )
        .await?;
        assert_eq!(withdrawn.stored, 1);
        assert!(
            statuses_now(&store).await?.is_empty(),
            "a withdrawn record counts for nothing"
        );

        let mut nothing = status(Value::Null);
        nothing["kind"] = json!("symptoms");
        nothing["withdrawn"] = json!(true);
        let refused = submit(&store, FeedKind::Statuses, &records(&[nothing]), ha(), NOW).await?;
        assert_eq!(
            refused.refused[0].reason,
            "there is no such record to withdraw"
        );

        // Two disagreeing records with one key in a submission: the second is refused.
        let twice = records(&[status(Value::Null), status(json!("2022-12-09T00:00:00Z"))]);
        let summary = submit(&store, FeedKind::Statuses, &twice, ha(), NOW).await?;
        assert_eq!(summary.refused.len(), 1);
        assert!(
            summary.refused[0]
                .reason
                .contains("disagrees with record 0")
        );

        assert_eq!(
            store.verify_feeds().await?,
            (4, 4),
            "four versions, one chain"
        );
        Ok(())
    }

    async fn tampered(store: &Store, sql: &str) -> Result<bool, Error> {
        sqlx::query(sql).execute(store.pool()).await?;
        Ok(matches!(
            store.verify_feeds().await,
            Err(Error::FeedTampered { .. })
        ))
    }

    #[tokio::test]
    async fn records_altered_outside_the_service_show() -> Result<(), Error> {
        let (_dir, store) = store().await?;
        let sent = records(&[status(Value::Null)]);
        submit(&store, FeedKind::Statuses, &sent, ha(), NOW).await?;
        let place =
            records(&[json!({"place": "venue-1", "start": "2022-12-01T00:00:00Z", "end": null})]);
        submit(&store, FeedKind::Designations, &place, ha(), NOW).await?;
        assert_eq!(store.verify_feeds().await?, (2, 2));

        // Red for someone by editing a record: the batch digest no longer matches.
        assert!(tampered(&store, "UPDATE statuses SET kind = 'confirmed_case'").await?);
        assert!(!tampered(&store, "UPDATE statuses SET kind = 'close_contact'").await?);
        // Green for someone by hiding a record behind a version that does not exist.
        assert!(tampered(&store, "UPDATE designations SET replaced_by = id").await?);
        assert!(!tampered(&store, "UPDATE designations SET replaced_by = NULL").await?);
        // A record slipped into a batch, or a whole batch that is not in the audit log.
        let forged = "INSERT INTO statuses (id, batch_id, person_index, kind, start_at, end_at, withdrawn) \
                      SELECT 'forged', batch_id, 'someone', 'confirmed_case', 0, NULL, 0 FROM statuses";
        assert!(tampered(&store, forged).await?);
        sqlx::query("DELETE FROM statuses WHERE id = 'forged'")
            .execute(store.pool())
            .await?;
        let batch = "INSERT INTO feed_batches (id, kind, source, submitted_by, submitted_at, records, digest) \
                     VALUES ('fake', 'statuses', 'api', 'staff:x', 0, 0, 'x')";
        assert!(tampered(&store, batch).await?);
        sqlx::query("DELETE FROM feed_batches WHERE id = 'fake'")
            .execute(store.pool())
            .await?;
        // A record deleted.
        assert!(tampered(&store, "DELETE FROM designations").await?);
        Ok(())
    }

    /// Verification reads one snapshot: batches that arrive while it runs are
    /// never half seen (records without their batch read as tampering).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn verifying_while_batches_arrive_sees_no_tampering() -> Result<(), Error> {
        let (_dir, store) = store().await?;
        let store = std::sync::Arc::new(store);
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    let place = records(&[
                        json!({"place": format!("venue-{i}"), "start": "2022-12-01T00:00:00Z", "end": null}),
                    ]);
                    submit(&store, FeedKind::Designations, &place, ha(), NOW).await?;
                }
                Ok::<_, Error>(())
            })
        };
        while !writer.is_finished() {
            store.verify_feeds().await?;
        }
        writer
            .await
            .unwrap_or_else(|e| panic!("the writer task: {e}"))?;
        assert_eq!(store.verify_feeds().await?, (60, 60));
        Ok(())
    }

    #[tokio::test]
    async fn a_record_that_starts_later_queues_a_run_for_its_minute() -> Result<(), Error> {
        let (_dir, store) = store().await?;
        let later =
            records(&[json!({"place": "venue-1", "start": "2022-12-10T02:30:20Z", "end": null})]);
        submit(&store, FeedKind::Designations, &later, ha(), NOW).await?;
        let due_now = store.due_reevaluations(NOW, 10).await?;
        assert_eq!(due_now.len(), 1, "one run now");
        assert_eq!(due_now[0].starts_after, None);
        let at = datetime!(2022-12-10 02:31 UTC);
        assert_eq!(
            store
                .due_reevaluations(at - time::Duration::SECOND, 10)
                .await?
                .len(),
            1
        );
        let due = store.due_reevaluations(at, 10).await?;
        assert_eq!(due.len(), 2);
        assert_eq!(
            (due[1].starts_after, due[1].run_at),
            (Some(at.unix_timestamp() - 60), at.unix_timestamp())
        );
        Ok(())
    }
}
