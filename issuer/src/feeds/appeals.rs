//! Appeals: a resident contests a record behind their code (a status, a
//! designation that covered a visit, their building's designation, an
//! arrival); the department that owns the record decides. An upheld appeal
//! corrects the record as a new version in a feed batch (withdrawn, or
//! ended earlier), never by setting a colour: the colour follows from the
//! corrected records when the resident applies again. States and deadlines
//! are in `docs/appeals.md`.

use std::collections::BTreeSet;

use healthcode_keys::{Colour, hex, revocation::RevocationReason};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::{
    Error,
    model::{
        AccountStatus, Actor, AppealGround, AppealProblem, AppealState, FeedFact, FeedRecord,
        StaffMember, VISIT_WINDOW,
        appeal::{
            DECISION_DEADLINE, MAX_DECISION_REASON_CHARS, MAX_OPEN_APPEALS, MAX_STATEMENT_CHARS,
            checked_text,
        },
        proof::Proof,
    },
    sms_texts,
    store::{
        Store, Tx,
        appeals::{Appeal, Decision, NewAppeal},
        codes::revocation_of,
        feeds::{Outcome, Submission},
    },
};

/// What a resident sends to lodge an appeal.
#[derive(Debug)]
pub struct Lodging {
    /// What it contests.
    pub ground: AppealGround,
    /// What the resident says.
    pub statement: String,
    /// The evidence file, if any (PDF, JPEG or PNG, checked as a proof is).
    pub evidence: Option<Vec<u8>>,
}

/// Lodges `lodging` for the active account `account_id`, audited.
///
/// # Errors
/// [`Error::Appeal`] naming the field (statement, evidence, too many
/// open); [`Error::WrongStatus`] for an account that is not active;
/// [`Error::Db`].
pub async fn lodge(
    store: &Store,
    account_id: &str,
    lodging: Lodging,
    now: OffsetDateTime,
) -> Result<Appeal, Error> {
    let statement = checked_text("statement", &lodging.statement, MAX_STATEMENT_CHARS)
        .map_err(Error::Appeal)?;
    let evidence = lodging
        .evidence
        .map(Proof::check)
        .transpose()
        .map_err(|problem| Error::Appeal(AppealProblem::Evidence(problem.to_string())))?;
    let mut tx = store.write().await?;
    store
        .account_in(&mut *tx, account_id, AccountStatus::Active)
        .await?;
    let open: Vec<Appeal> = store
        .appeals_of(&mut *tx, account_id)
        .await?
        .into_iter()
        .filter(|a| a.state == AppealState::Open)
        .collect();
    if open.iter().any(|a| a.ground == lodging.ground) {
        return Err(Error::Appeal(AppealProblem::AlreadyOpen));
    }
    if open.len() >= MAX_OPEN_APPEALS {
        return Err(Error::Appeal(AppealProblem::TooManyOpen));
    }
    let id = store.new_id();
    let appeal = NewAppeal {
        id: &id,
        account_id,
        ground: lodging.ground,
        statement: &statement,
        evidence: evidence.as_ref(),
        lodged_at: now,
        due_at: now + DECISION_DEADLINE,
    };
    store.insert_appeal(&mut tx, &appeal).await?;
    let detail = serde_json::json!({
        "appeal": id,
        "ground": lodging.ground.as_str(),
        "evidence": evidence.is_some(),
    });
    let actor = Actor::Resident(account_id.to_owned());
    store
        .audit(&mut tx, now, &actor, "appeal_lodged", account_id, &detail)
        .await?;
    let lodged = store
        .appeal(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound { what: "appeal" })?;
    tx.commit().await?;
    Ok(lodged)
}

/// A record held about an appellant, as its decider may correct it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRecord {
    /// A short stable reference to the record (a hash of its key), for the
    /// decision to name it by.
    pub reference: String,
    /// The record.
    pub record: FeedRecord,
}

/// A held record as a decider reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    /// Name it in the decision's `record`.
    pub reference: String,
    /// A status kind (`close_contact` ...), `designation` or `arrival`.
    pub kind: &'static str,
    /// The designated place.
    pub place: Option<String>,
    /// From (a status, a designation) or when (an arrival), UTC.
    #[schema(format = DateTime)]
    pub start: String,
    /// To, if it has ended or will end, UTC.
    #[schema(format = DateTime)]
    pub end: Option<String>,
    /// The origin of an arrival.
    pub origin: Option<&'static str>,
    /// The quarantine of an arrival.
    pub quarantine: Option<&'static str>,
}

impl HeldRecord {
    /// How a decider reads it.
    pub fn view(&self) -> RecordView {
        use healthcode_keys::hktime::format_utc;
        let mut view = RecordView {
            reference: self.reference.clone(),
            kind: "designation",
            place: None,
            start: format_utc(self.record.starts()),
            end: None,
            origin: None,
            quarantine: None,
        };
        match &self.record.fact {
            FeedFact::Status { status, .. } => {
                view.kind = status.kind.as_str();
                view.end = status.end.map(format_utc);
            }
            FeedFact::Designation(d) => {
                view.place = Some(d.place.clone());
                view.end = d.end.map(format_utc);
            }
            FeedFact::Arrival { arrival, .. } => {
                view.kind = "arrival";
                view.origin = Some(arrival.origin.as_str());
                view.quarantine = Some(arrival.quarantine.as_str());
            }
        }
        view
    }
}

/// The records in force about the appellant of `appeal` on its ground: the
/// ones a decision may correct. Read on `conn`: a reader's connection, or the
/// deciding transaction (so the record corrected is the one read).
///
/// # Errors
/// [`Error::NotFound`] for an account gone; [`Error::Db`].
pub async fn held_records(
    store: &Store,
    conn: &mut AnyConnection,
    appeal: &Appeal,
    now: OffsetDateTime,
) -> Result<Vec<HeldRecord>, Error> {
    let account = store
        .account(&mut *conn, &appeal.account_id)
        .await?
        .ok_or(Error::NotFound { what: "account" })?;
    let person = [account.id_index.clone()];
    let since = now - VISIT_WINDOW;
    let facts: Vec<FeedFact> = match appeal.ground {
        AppealGround::Status => store
            .statuses_of(conn, &person)
            .await?
            .into_iter()
            .map(|(person_index, status)| FeedFact::Status {
                person_index,
                status,
            })
            .collect(),
        AppealGround::Arrival => store
            .arrivals_of(conn, &person)
            .await?
            .into_iter()
            .map(|(person_index, arrival)| FeedFact::Arrival {
                person_index,
                arrival,
            })
            .collect(),
        AppealGround::Designation | AppealGround::Residence => {
            let places: BTreeSet<String> = if appeal.ground == AppealGround::Designation {
                store
                    .visits_since(conn, &account.id, since)
                    .await?
                    .into_iter()
                    .map(|visit| visit.venue_id)
                    .collect()
            } else {
                account.building_id.clone().into_iter().collect()
            };
            let places: Vec<String> = places.into_iter().collect();
            store
                .designations_at(conn, &places)
                .await?
                .into_iter()
                .map(FeedFact::Designation)
                .collect()
        }
    };
    let mut held: Vec<HeldRecord> = facts
        .into_iter()
        .map(|fact| {
            let record = FeedRecord {
                fact,
                withdrawn: false,
            };
            let digest = Sha256::digest(record.key().as_bytes());
            HeldRecord {
                reference: hex::encode(&digest[..8]),
                record,
            }
        })
        .collect();
    held.sort_by_key(|h| std::cmp::Reverse(h.record.starts()));
    Ok(held)
}

/// How an upheld appeal corrects the record it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// The record was entered in error: it counts for nothing from now on.
    Withdraw,
    /// A status or designation ended (or ends) at this instant.
    EndAt(OffsetDateTime),
}

/// A decision on an appeal.
#[derive(Debug, Clone)]
pub struct Ruling {
    /// Upheld (true) or rejected.
    pub upheld: bool,
    /// Why, told to the resident.
    pub reason: String,
    /// The held record's reference, for an upheld appeal.
    pub record: Option<String>,
    /// How it is corrected, for an upheld appeal.
    pub correction: Option<Correction>,
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decided {
    /// `upheld` or `rejected`.
    pub state: AppealState,
    /// The feed batch that holds the correction (upheld).
    pub batch: Option<String>,
    /// Codes revoked as issued in error (upheld: the holder's live codes
    /// that were not green).
    pub codes_revoked: usize,
}

/// The appeal `id`, for a decider to read (the caller checks the role
/// against its ground and audits the read).
///
/// # Errors
/// [`Error::NotFound`]; [`Error::Db`].
pub async fn appeal(store: &Store, id: &str) -> Result<Appeal, Error> {
    let mut conn = store.pool().acquire().await?;
    store
        .appeal(&mut conn, id)
        .await?
        .ok_or(Error::NotFound { what: "appeal" })
}

/// Decides appeal `id` as `staff`: records the decision, stores the
/// correction of an upheld appeal as a feed batch (queuing its
/// re-evaluation), revokes the holder's codes issued on the wrong record,
/// queues the SMS in the resident's language, and audits it, in one commit.
/// When the answer's `codes_revoked` is above 0, the caller wakes delivery.
///
/// # Errors
/// [`Error::Appeal`] naming the field; [`Error::AppealDecided`] for an
/// appeal already decided; [`Error::NotFound`]; [`Error::Db`].
pub async fn decide(
    store: &Store,
    staff: &StaffMember,
    id: &str,
    ruling: Ruling,
    now: OffsetDateTime,
) -> Result<Decided, Error> {
    let reason =
        checked_text("reason", &ruling.reason, MAX_DECISION_REASON_CHARS).map_err(Error::Appeal)?;
    let mut tx = store.write().await?;
    let appeal = store
        .appeal(&mut tx, id)
        .await?
        .ok_or(Error::NotFound { what: "appeal" })?;
    if appeal.state != AppealState::Open {
        return Err(Error::AppealDecided {
            state: appeal.state,
        });
    }
    let actor = staff.actor();
    let upheld = ruling.upheld;
    let (batch, codes_revoked) = if upheld {
        let record = corrected(store, &mut tx, &appeal, &ruling, now).await?;
        let batch = store_correction(store, &mut tx, &appeal, &actor, record, now).await?;
        let revoked = revoke_wrong_codes(store, &mut tx, &appeal, &actor, now).await?;
        (Some(batch), revoked)
    } else {
        (None, 0)
    };
    let decision = Decision {
        state: if upheld {
            AppealState::Upheld
        } else {
            AppealState::Rejected
        },
        decided_by: &staff.id,
        reason: &reason,
        corrected_batch: batch.as_deref(),
    };
    if !store.decide_appeal(&mut tx, id, &decision, now).await? {
        return Err(Error::AppealDecided {
            state: appeal.state,
        });
    }
    tell_resident(store, &mut tx, &appeal.account_id, upheld, now).await?;
    let detail = serde_json::json!({
        "appeal": id,
        "ground": appeal.ground.as_str(),
        "batch": batch,
        "codes_revoked": codes_revoked,
    });
    let action = if upheld {
        "appeal_upheld"
    } else {
        "appeal_rejected"
    };
    store
        .audit(&mut tx, now, &actor, action, &appeal.account_id, &detail)
        .await?;
    tx.commit().await?;
    Ok(Decided {
        state: decision.state,
        batch,
        codes_revoked,
    })
}

/// The held record the ruling names, corrected as it says.
async fn corrected(
    store: &Store,
    tx: &mut Tx,
    appeal: &Appeal,
    ruling: &Ruling,
    now: OffsetDateTime,
) -> Result<FeedRecord, Error> {
    let problem = Error::Appeal;
    let reference = ruling
        .record
        .as_deref()
        .ok_or(problem(AppealProblem::NoSuchRecord))?;
    let held = held_records(store, tx, appeal, now).await?;
    let mut record = held
        .into_iter()
        .find(|h| h.reference == reference)
        .ok_or(problem(AppealProblem::NoSuchRecord))?
        .record;
    match ruling.correction.unwrap_or(Correction::Withdraw) {
        Correction::Withdraw => record.withdrawn = true,
        Correction::EndAt(end) => {
            if end < record.starts() {
                return Err(problem(AppealProblem::BadEnd("before the record starts")));
            }
            match &mut record.fact {
                FeedFact::Status { status, .. } => status.end = Some(end),
                FeedFact::Designation(d) => d.end = Some(end),
                FeedFact::Arrival { .. } => {
                    return Err(problem(AppealProblem::BadEnd(
                        "an arrival has no end: withdraw it",
                    )));
                }
            }
        }
    }
    Ok(record)
}

/// Stores the corrected record as a batch of its feed (source `appeal:<id>`).
async fn store_correction(
    store: &Store,
    tx: &mut Tx,
    appeal: &Appeal,
    actor: &Actor,
    record: FeedRecord,
    now: OffsetDateTime,
) -> Result<String, Error> {
    let source = format!("appeal:{}", appeal.id);
    let records = [record];
    let submission = Submission {
        kind: appeal.ground.feed(),
        actor,
        source: &source,
        received: 1,
        records: &records,
    };
    let (batch, outcomes) = store.store_feed_in(tx, &submission, now).await?;
    match (batch, outcomes.first()) {
        (Some(batch), Some(Outcome::Stored)) => Ok(batch),
        _ => Err(Error::Appeal(AppealProblem::BadEnd(
            "the record already says this: nothing to correct",
        ))),
    }
}

/// Revokes the holder's live codes that were not green: they were issued
/// on the record now corrected. (A green code stays; if the correction made
/// the colour more severe, the batch's re-evaluation revokes it.)
async fn revoke_wrong_codes(
    store: &Store,
    tx: &mut Tx,
    appeal: &Appeal,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<usize, Error> {
    let revocations: Vec<_> = store
        .live_codes(tx, &appeal.account_id, now)
        .await?
        .iter()
        .filter(|code| code.colour != Colour::Green)
        .map(|code| revocation_of(code, RevocationReason::IssuedInError, now))
        .collect();
    store.record_revocations(tx, &revocations, actor).await?;
    Ok(revocations.len())
}

/// Queues the decision's SMS in the resident's language.
async fn tell_resident(
    store: &Store,
    tx: &mut Tx,
    account_id: &str,
    upheld: bool,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let details = store.details_of(&mut **tx, account_id).await?;
    let language = store.language_of(&mut **tx, account_id).await?;
    let body = sms_texts::appeal_decided(language, upheld);
    store
        .queue_sms(tx, account_id, "appeal", &details.phone, &body, now)
        .await
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::macros::datetime;

    use super::*;
    use crate::{
        feeds::{Submitter, submit},
        model::{FeedKind, Role},
        store::test_support::active_resident,
    };

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn authority() -> StaffMember {
        StaffMember {
            id: "ha-1".into(),
            name: "ha".into(),
            role: Role::HealthAuthority,
        }
    }

    async fn with_status(store: &Store) -> Result<String, Error> {
        let resident = active_resident(store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let actor = authority().actor();
        let status = json!({"id_document": "HKID:A123456(3)", "kind": "close_contact",
                            "start": "2022-12-08T00:00:00Z", "end": null});
        let submitter = Submitter {
            actor: &actor,
            source: "api",
        };
        submit(
            store,
            FeedKind::Statuses,
            &[(String::new(), status)],
            submitter,
            NOW,
        )
        .await?;
        Ok(resident.id)
    }

    fn lodging(ground: AppealGround, statement: &str) -> Lodging {
        Lodging {
            ground,
            statement: statement.into(),
            evidence: None,
        }
    }

    async fn statuses(store: &Store, id: &str) -> Result<usize, Error> {
        let appeal = appeal(store, id).await?;
        let mut tx = store.write().await?;
        Ok(held_records(store, &mut tx, &appeal, NOW).await?.len())
    }

    #[tokio::test]
    async fn an_upheld_appeal_withdraws_the_record_and_tells_the_resident() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = with_status(&store).await?;
        let lodged = lodge(
            &store,
            &resident,
            lodging(AppealGround::Status, "I was abroad."),
            NOW,
        )
        .await?;
        assert_eq!(
            (lodged.state, lodged.due_at),
            (AppealState::Open, NOW + DECISION_DEADLINE)
        );
        let mut tx = store.write().await?;
        let held = held_records(&store, &mut tx, &lodged, NOW).await?;
        drop(tx);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].view().kind, "close_contact");
        let ruling = Ruling {
            upheld: true,
            reason: "The contact was someone else.".into(),
            record: Some(held[0].reference.clone()),
            correction: Some(Correction::Withdraw),
        };
        let decided = decide(&store, &authority(), &lodged.id, ruling.clone(), NOW).await?;
        assert_eq!(decided.state, AppealState::Upheld);
        assert!(decided.batch.is_some());
        assert_eq!(
            statuses(&store, &lodged.id).await?,
            0,
            "the status is withdrawn"
        );
        let sms = store.outbox(10).await?;
        assert!(sms.iter().any(|m| m.purpose == "appeal"), "{sms:?}");
        // Final: a second decision is refused and changes nothing.
        let again = decide(&store, &authority(), &lodged.id, ruling, NOW).await;
        assert!(matches!(
            again,
            Err(Error::AppealDecided {
                state: AppealState::Upheld
            })
        ));
        assert_eq!(
            store.verify_feeds().await?.0,
            2,
            "the correction is a version in the chain"
        );
        store.verify_audit_chain().await?;
        Ok(())
    }

    #[tokio::test]
    async fn a_rejected_appeal_leaves_the_record() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = with_status(&store).await?;
        let lodged = lodge(
            &store,
            &resident,
            lodging(AppealGround::Status, "Not me."),
            NOW,
        )
        .await?;
        let ruling = Ruling {
            upheld: false,
            reason: "The record is right.".into(),
            record: None,
            correction: None,
        };
        let decided = decide(&store, &authority(), &lodged.id, ruling, NOW).await?;
        assert_eq!(
            (decided.state, decided.batch),
            (AppealState::Rejected, None)
        );
        assert_eq!(statuses(&store, &lodged.id).await?, 1);
        let stored = store.appeals_of(store.pool(), &resident).await?;
        assert_eq!(stored[0].reason.as_deref(), Some("The record is right."));
        Ok(())
    }

    #[tokio::test]
    async fn bad_lodgings_and_rulings_are_refused_by_field() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = with_status(&store).await?;
        fn field<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
            match r {
                Err(Error::Appeal(p)) => p.field(),
                other => panic!("{other:?}"),
            }
        }
        let hostile = Lodging {
            evidence: Some(b"<script>alert(1)</script>".to_vec()),
            ..lodging(AppealGround::Status, "see file")
        };
        assert_eq!(
            field(lodge(&store, &resident, hostile, NOW).await),
            "evidence"
        );
        assert_eq!(
            field(lodge(&store, &resident, lodging(AppealGround::Status, " "), NOW).await),
            "statement"
        );
        let lodged = lodge(&store, &resident, lodging(AppealGround::Status, "a"), NOW).await?;
        assert_eq!(
            field(lodge(&store, &resident, lodging(AppealGround::Status, "b"), NOW).await),
            "ground"
        );
        lodge(&store, &resident, lodging(AppealGround::Arrival, "c"), NOW).await?;
        lodge(
            &store,
            &resident,
            lodging(AppealGround::Residence, "d"),
            NOW,
        )
        .await?;
        let fourth = lodge(
            &store,
            &resident,
            lodging(AppealGround::Designation, "e"),
            NOW,
        )
        .await;
        assert!(matches!(
            fourth,
            Err(Error::Appeal(AppealProblem::TooManyOpen))
        ));

        let uphold = |record: Option<&str>, correction| Ruling {
            upheld: true,
            reason: "ok".into(),
            record: record.map(str::to_owned),
            correction,
        };
        let ha = authority();
        let decide_with = |ruling| decide(&store, &ha, &lodged.id, ruling, NOW);
        assert_eq!(field(decide_with(uphold(None, None)).await), "record");
        assert_eq!(
            field(decide_with(uphold(Some("0123456789abcdef"), None)).await),
            "record"
        );
        let mut tx = store.write().await?;
        let reference = held_records(&store, &mut tx, &lodged, NOW).await?[0]
            .reference
            .clone();
        drop(tx);
        let early = Correction::EndAt(datetime!(2022-12-01 00:00 UTC));
        assert_eq!(
            field(decide_with(uphold(Some(&reference), Some(early))).await),
            "end"
        );
        let ended = Correction::EndAt(datetime!(2022-12-09 00:00 UTC));
        let decided = decide_with(uphold(Some(&reference), Some(ended))).await?;
        assert_eq!(decided.state, AppealState::Upheld);
        let value: Value = json!(statuses(&store, &lodged.id).await?);
        assert_eq!(
            value,
            json!(1),
            "ended, not withdrawn: the record still stands, shorter"
        );
        Ok(())
    }

    #[tokio::test]
    async fn only_active_accounts_appeal() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = with_status(&store).await?;
        let mut tx = store.write().await?;
        store.close_account(&mut tx, &resident, NOW).await?;
        tx.commit().await?;
        let refused = lodge(&store, &resident, lodging(AppealGround::Status, "x"), NOW).await;
        assert!(
            matches!(refused, Err(Error::WrongStatus { .. })),
            "{refused:?}"
        );
        Ok(())
    }
}
