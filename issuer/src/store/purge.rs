//! The retention table enforced: personal data past its time is deleted,
//! counted and audited, and the deleted content is overwritten in the files
//! (`secure_delete`, then a truncating WAL checkpoint). `docs/retention.md`
//! is the table in words.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::{Engine, Store, to_db};
use crate::{
    Error,
    model::{Actor, VISIT_WINDOW},
};

/// How long a sent (or given-up) SMS is kept after it was queued: the daily
/// limits per holder count the last 24 hours.
pub const SMS_KEPT: Duration = Duration::days(2);
/// How long a letter is kept after it was exported for printing: the resend
/// rule looks back 7 days.
pub const LETTER_KEPT: Duration = Duration::days(30);

/// How long an address proof is kept after the reviewer's decision (or,
/// for one never reviewed, after its upload): the time to contest it.
pub const PROOF_KEPT: Duration = Duration::days(30);
/// How long a code and its revocation are kept after the code expired: an
/// incident at the boundary can be checked against what was issued.
pub const CODE_KEPT: Duration = Duration::days(90);

/// How long a refused or superseded application keeps its personal fields
/// after it was refused or superseded: the time to contest it.
pub const UNDECIDED_KEPT: Duration = Duration::days(90);

/// Rows past their time, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeCounts {
    /// Visits 31 days after check-in.
    pub visits: i64,
    /// SMS sent or given up, two days after they were queued.
    pub sms: i64,
    /// Letters 30 days after export.
    pub letters: i64,
    /// Expired sessions.
    pub sessions: i64,
    /// Expired sign-in challenges (the SMS code's keyed hash).
    pub sign_in_codes: i64,
    /// Address proofs 30 days after the decision.
    pub proofs: i64,
    /// Codes 90 days after they expired.
    pub codes: i64,
    /// Revocations 90 days after their code expired.
    pub revocations: i64,
    /// Refused or superseded applications erased 90 days after that.
    pub applications_erased: i64,
    /// Decided appeals (statement, evidence, reason) 30 days after the decision.
    pub appeals: i64,
}

impl PurgeCounts {
    /// Rows in all.
    pub fn total(&self) -> i64 {
        self.visits
            + self.sms
            + self.letters
            + self.sessions
            + self.sign_in_codes
            + self.proofs
            + self.codes
            + self.revocations
            + self.applications_erased
            + self.appeals
    }
}

/// One kind of row past its time: the table and the condition, with `$1`
/// the cut-off instant.
struct Rule {
    table: &'static str,
    past: &'static str,
    kept: Duration,
}

const VISITS: Rule = Rule {
    table: "visits",
    past: "check_in <= $1",
    kept: VISIT_WINDOW,
};
const SMS: Rule = Rule {
    table: "sms_outbox",
    past: "status <> 'queued' AND created_at <= $1",
    kept: SMS_KEPT,
};
const LETTERS: Rule = Rule {
    table: "letters",
    past: "exported_at IS NOT NULL AND exported_at <= $1",
    kept: LETTER_KEPT,
};
const SESSIONS: Rule = Rule {
    table: "sessions",
    past: "expires_at <= $1",
    kept: Duration::ZERO,
};
const SIGN_IN_CODES: Rule = Rule {
    table: "sign_in_codes",
    past: "expires_at <= $1",
    kept: Duration::ZERO,
};

const PROOFS: Rule = Rule {
    table: "proofs",
    past: "created_at <= $1 AND account_id IN (SELECT id FROM accounts \
           WHERE status <> 'review' AND COALESCE(decided_at, 0) <= $1)",
    kept: PROOF_KEPT,
};
const APPEALS: Rule = Rule {
    table: "appeals",
    past: "state <> 'open' AND decided_at <= $1",
    kept: PROOF_KEPT,
};
const CODES: Rule = Rule {
    table: "codes",
    past: "valid_until <= $1",
    kept: CODE_KEPT,
};
const REVOCATIONS: Rule = Rule {
    table: "revocations",
    past: "until_at <= $1",
    kept: CODE_KEPT,
};

/// Rows deleted per write transaction: a purge of millions of visits must
/// not hold the single writer (and every application behind it) for seconds.
pub const PURGE_BATCH: i64 = 10_000;

impl Store {
    /// Deletes what the retention table says is past its time at `now` (or,
    /// with `dry_run`, only counts it), in batches of [`PURGE_BATCH`] rows
    /// per transaction, and audits a real run's counts as `actor`. Then
    /// overwrites the deleted pages in the files.
    ///
    /// # Errors
    /// [`Error::Db`]; batches deleted before it stay deleted (they were past
    /// their time) and the next run deletes the rest.
    pub async fn purge(
        &self,
        now: OffsetDateTime,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<PurgeCounts, Error> {
        let run = |rule| self.purge_rule(rule, now, dry_run);
        let counts = PurgeCounts {
            visits: run(&VISITS).await?,
            sms: run(&SMS).await?,
            letters: run(&LETTERS).await?,
            sessions: run(&SESSIONS).await?,
            sign_in_codes: run(&SIGN_IN_CODES).await?,
            proofs: run(&PROOFS).await?,
            codes: run(&CODES).await?,
            revocations: run(&REVOCATIONS).await?,
            applications_erased: self.erase_old_applications(now, dry_run).await?,
            appeals: run(&APPEALS).await?,
        };
        if dry_run {
            return Ok(counts);
        }
        let mut tx = self.write().await?;
        let detail = serde_json::to_value(counts).unwrap_or_default();
        self.audit(&mut tx, now, actor, "data_purged", "none", &detail)
            .await?;
        tx.commit().await?;
        // SQLite: the deleted content is zeroed in the pages (secure_delete);
        // the WAL still holds the old pages until it is checkpointed and cut.
        // PostgreSQL: VACUUM frees dead rows in its own time (docs/retention.md).
        if self.engine() == Engine::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.writer)
                .await?;
        }
        Ok(counts)
    }

    /// Counts the refused or superseded applications past their time at
    /// `now` or, unless `dry_run`, erases them a batch per transaction (the
    /// row stays, its personal fields sealed again as empty text).
    async fn erase_old_applications(
        &self,
        now: OffsetDateTime,
        dry_run: bool,
    ) -> Result<i64, Error> {
        const PAST: &str = "status IN ('refused', 'superseded') AND erased_at IS NULL \
                            AND updated_at <= $1";
        let cut_off = to_db(now - UNDECIDED_KEPT);
        if dry_run {
            let sql = format!("SELECT COUNT(*) FROM accounts WHERE {PAST}");
            return Ok(sqlx::query_scalar(&sql)
                .bind(cut_off)
                .fetch_one(self.pool())
                .await?);
        }
        let sql = format!("SELECT id FROM accounts WHERE {PAST} LIMIT {PURGE_BATCH}");
        let mut erased = 0;
        loop {
            let mut tx = self.write().await?;
            let ids: Vec<String> = sqlx::query_scalar(&sql)
                .bind(cut_off)
                .fetch_all(&mut *tx)
                .await?;
            for id in &ids {
                self.erase_account(&mut tx, id, None, now).await?;
            }
            tx.commit().await?;
            erased += ids.len() as i64;
            if (ids.len() as i64) < PURGE_BATCH {
                return Ok(erased);
            }
        }
    }

    /// Counts the rows `rule` finds past their time at `now` or, unless
    /// `dry_run`, deletes them a batch per transaction.
    async fn purge_rule(
        &self,
        rule: &Rule,
        now: OffsetDateTime,
        dry_run: bool,
    ) -> Result<i64, Error> {
        let cut_off = to_db(now - rule.kept);
        let (table, past) = (rule.table, rule.past);
        if dry_run {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE {past}");
            return Ok(sqlx::query_scalar(&sql)
                .bind(cut_off)
                .fetch_one(self.pool())
                .await?);
        }
        let row = self.engine().row_address();
        let sql = format!(
            "DELETE FROM {table} WHERE {row} IN \
             (SELECT {row} FROM {table} WHERE {past} LIMIT {PURGE_BATCH})"
        );
        let mut deleted = 0;
        loop {
            let mut tx = self.write().await?;
            let done = sqlx::query(&sql).bind(cut_off).execute(&mut *tx).await?;
            tx.commit().await?;
            let rows = done.rows_affected() as i64;
            deleted += rows;
            if rows < PURGE_BATCH {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::{model::VisitRecord, store::test_support::active_resident};

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn visit(venue: &str, check_in: &str) -> Result<VisitRecord, Error> {
        VisitRecord::check(json!({"venue_id": venue, "check_in": check_in}), NOW)
            .map_err(|_| Error::NotFound { what: "visit" })
    }

    /// Every file of the data folder, as bytes, joined.
    fn files(dir: &std::path::Path) -> Vec<u8> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read(entry.path()).ok())
            .flatten()
            .collect()
    }

    fn holds(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    #[tokio::test]
    async fn visits_past_31_days_are_gone_from_the_files_and_the_purge_is_audited()
    -> Result<(), Error> {
        let (dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let old = visit("venue-purged-wonton-house", "2022-11-20T10:00:00Z")?;
        let recent = visit("venue-kept-tea-house", "2022-12-09T10:00:00Z")?;
        store
            .store_visits(&resident.id, &[old, recent], NOW)
            .await?;
        let system = Actor::System;
        // 31 days after the old check-in, to the second: past its time.
        let later = datetime!(2022-12-21 10:00 UTC);

        // SQLite's pages are read straight from the files (secure_delete);
        // PostgreSQL's files are the server's, so there the rows are read.
        let holds = |needle: &'static str| {
            let store = store.clone();
            let dir = dir.path().to_owned();
            async move {
                if store.engine() == Engine::Sqlite {
                    return Ok::<_, Error>(holds(&files(&dir), needle));
                }
                let rows: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM visits WHERE venue_id = $1")
                        .bind(needle)
                        .fetch_one(store.pool())
                        .await?;
                Ok(rows > 0)
            }
        };
        let counted = store.purge(later, true, &system).await?;
        assert_eq!(counted.visits, 1, "{counted:?}");
        assert!(
            holds("venue-purged-wonton-house").await?,
            "a dry run deletes nothing"
        );
        let entries_before = store.verify_audit_chain().await?;

        let purged = store.purge(later, false, &system).await?;
        assert_eq!(purged, counted, "the run does what the dry run counted");
        assert!(
            !holds("venue-purged-wonton-house").await?,
            "purged visit left in the files"
        );
        assert!(
            holds("venue-kept-tea-house").await?,
            "the recent visit stays"
        );
        assert_eq!(
            store.verify_audit_chain().await?,
            entries_before + 1,
            "one audit entry per run, and the chain still verifies"
        );
        let (detail,): (String,) =
            sqlx::query_as("SELECT detail FROM audit_log WHERE action = 'data_purged'")
                .fetch_one(store.pool())
                .await?;
        assert!(detail.contains("\"visits\":1"), "{detail}");
        assert!(!detail.contains("venue"), "counts, not contents: {detail}");
        assert_eq!(
            store.purge(later, false, &system).await?.total(),
            0,
            "nothing twice"
        );
        Ok(())
    }

    #[tokio::test]
    async fn each_kind_is_kept_exactly_its_time() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        store
            .store_visits(
                &resident.id,
                &[visit("venue-1", "2022-12-09T10:00:00Z")?],
                NOW,
            )
            .await?;
        let check_in = datetime!(2022-12-09 10:00 UTC);
        let at = |instant| store.purge(instant, true, &Actor::System);
        assert_eq!(
            at(check_in + VISIT_WINDOW - Duration::SECOND).await?.visits,
            0
        );
        assert_eq!(at(check_in + VISIT_WINDOW).await?.visits, 1);

        // Sessions and sign-in challenges go at their expiry.
        let (_, ends) = store.create_session(&resident.id, NOW).await?;
        let mut tx = store.write().await?;
        store
            .start_sign_in_code(&mut tx, &resident.id, "123456", NOW)
            .await?;
        tx.commit().await?;
        let code_ends = NOW + crate::store::sign_in_codes::SIGN_IN_CODE_LIFETIME;
        let before = at(code_ends - Duration::SECOND).await?;
        assert_eq!((before.sign_in_codes, before.sessions), (0, 0));
        assert_eq!(at(code_ends).await?.sign_in_codes, 1);
        assert_eq!(at(ends - Duration::SECOND).await?.sessions, 0);
        assert_eq!(at(ends).await?.sessions, 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_proof_is_kept_while_in_review_and_30_days_after_the_decision() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        sqlx::query("UPDATE accounts SET status = 'review' WHERE id = $1")
            .bind(&resident.id)
            .execute(store.pool())
            .await?;
        sqlx::query(
            "INSERT INTO proofs (account_id, media_type, size, content_enc, created_at) \
             VALUES ($1, 'image/png', 4, $3, $2)",
        )
        .bind(&resident.id)
        .bind(to_db(NOW))
        .bind(vec![0_u8, 1, 2, 3])
        .execute(store.pool())
        .await?;
        let at = |instant| store.purge(instant, true, &Actor::System);
        let long_after = NOW + PROOF_KEPT + Duration::days(100);
        assert_eq!(at(long_after).await?.proofs, 0, "still in review");
        let decided = NOW + Duration::days(40);
        let mut tx = store.write().await?;
        store
            .set_status(
                &mut tx,
                &resident.id,
                crate::model::AccountStatus::PinSent,
                decided,
            )
            .await?;
        tx.commit().await?;
        assert_eq!(at(decided + PROOF_KEPT - Duration::SECOND).await?.proofs, 0);
        assert_eq!(at(decided + PROOF_KEPT).await?.proofs, 1);
        Ok(())
    }

    #[tokio::test]
    async fn an_appeal_is_kept_while_open_and_30_days_after_the_decision() -> Result<(), Error> {
        use crate::{
            model::AppealGround,
            store::appeals::{Decision, NewAppeal},
        };
        let (_dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let mut tx = store.write().await?;
        let appeal = NewAppeal {
            id: "appeal-1",
            account_id: &resident.id,
            ground: AppealGround::Status,
            statement: "I was abroad.",
            evidence: None,
            lodged_at: NOW,
            due_at: NOW + Duration::days(7),
        };
        store.insert_appeal(&mut tx, &appeal).await?;
        tx.commit().await?;
        let at = |instant| store.purge(instant, true, &Actor::System);
        let long_after = NOW + PROOF_KEPT + Duration::days(100);
        assert_eq!(at(long_after).await?.appeals, 0, "still open");
        let decided = NOW + Duration::days(5);
        let decision = Decision {
            state: crate::model::AppealState::Rejected,
            decided_by: "ha-1",
            reason: "The record is right.",
            corrected_batch: None,
        };
        let mut tx = store.write().await?;
        assert!(
            store
                .decide_appeal(&mut tx, "appeal-1", &decision, decided)
                .await?
        );
        assert!(
            !store
                .decide_appeal(&mut tx, "appeal-1", &decision, decided)
                .await?,
            "once"
        );
        tx.commit().await?;
        assert_eq!(
            at(decided + PROOF_KEPT - Duration::SECOND).await?.appeals,
            0
        );
        assert_eq!(at(decided + PROOF_KEPT).await?.appeals, 1);
        store
            .purge(decided + PROOF_KEPT, false, &Actor::System)
            .await?;
        assert!(
            store
                .appeals_of(store.pool(), &resident.id)
                .await?
                .is_empty()
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_refused_application_is_erased_90_days_after_and_its_row_stays() -> Result<(), Error>
    {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let refused_at = NOW + Duration::days(1);
        let mut tx = store.write().await?;
        store
            .set_status(
                &mut tx,
                &resident.id,
                crate::model::AccountStatus::Refused,
                refused_at,
            )
            .await?;
        tx.commit().await?;
        let name = store.details_of(store.pool(), &resident.id).await?.name;
        assert!(!name.is_empty());
        let at = |instant| store.purge(instant, true, &Actor::System);
        let ends = refused_at + UNDECIDED_KEPT;
        assert_eq!(at(ends - Duration::SECOND).await?.applications_erased, 0);
        assert_eq!(at(ends).await?.applications_erased, 1);
        let done = store.purge(ends, false, &Actor::System).await?;
        assert_eq!(done.applications_erased, 1);
        let details = store.details_of(store.pool(), &resident.id).await?;
        assert_eq!(
            (
                details.name.as_str(),
                details.address.as_str(),
                details.phone.as_str()
            ),
            ("", "", ""),
            "the fields are sealed again as empty text"
        );
        let account = store.account(store.pool(), &resident.id).await?;
        assert_eq!(
            account.map(|a| a.status),
            Some(crate::model::AccountStatus::Refused),
            "the row and its status stay"
        );
        assert_eq!(
            store
                .purge(ends, false, &Actor::System)
                .await?
                .applications_erased,
            0,
            "erased once"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_code_and_its_revocation_are_kept_90_days_after_it_expired() -> Result<(), Error> {
        use healthcode_keys::{
            Colour, KeyId, TokenId,
            revocation::{Revocation, RevocationReason},
        };
        let (_dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let valid_until = NOW + Duration::hours(6);
        let token_id = TokenId::from_bytes([7; TokenId::LEN]);
        let mut tx = store.write().await?;
        store
            .insert_code(
                &mut tx,
                &crate::store::codes::NewCode {
                    token_id,
                    account_id: &resident.id,
                    kid: KeyId::from_bytes([1; KeyId::LEN]),
                    colour: Colour::Green,
                    reasons: &std::collections::BTreeSet::new(),
                    token: "HC2:a-test-token",
                    issued_at: NOW,
                    valid_until,
                },
            )
            .await?;
        let revocation = Revocation {
            token_id,
            reason: RevocationReason::Superseded,
            revoked_at: NOW,
            until: valid_until,
        };
        store
            .record_revocations(&mut tx, &[revocation], &Actor::System)
            .await?;
        tx.commit().await?;
        let at = |instant| store.purge(instant, true, &Actor::System);
        let before = at(valid_until + CODE_KEPT - Duration::SECOND).await?;
        assert_eq!((before.codes, before.revocations), (0, 0));
        let past = at(valid_until + CODE_KEPT).await?;
        assert_eq!((past.codes, past.revocations), (1, 1));
        Ok(())
    }

    #[tokio::test]
    async fn a_purge_larger_than_a_batch_deletes_every_row() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let first = datetime!(2022-11-20 00:00 UTC);
        let visits = (0..PURGE_BATCH + 5)
            .map(|n| {
                let check_in = first + Duration::seconds(n);
                let at = check_in.format(&time::format_description::well_known::Rfc3339);
                visit(&format!("venue-{}", n % 7), &at.unwrap_or_default())
            })
            .collect::<Result<Vec<_>, _>>()?;
        store.store_visits(&resident.id, &visits, NOW).await?;
        let later = NOW + VISIT_WINDOW;
        let purged = store.purge(later, false, &Actor::System).await?;
        assert_eq!(purged.visits, PURGE_BATCH + 5);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM visits")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(left, 0);
        Ok(())
    }
}
