//! Re-evaluation after feed records change: every holder of a code still
//! valid whom a batch may concern is evaluated again, and each code whose
//! colour became more severe is revoked (`risk_changed`). A colour that became
//! less severe revokes nothing: the resident applies again for the greener code.

use std::collections::BTreeMap;

use healthcode_keys::revocation::{Revocation, RevocationReason};
use time::OffsetDateTime;

use super::gather::{GROUP, gather};
use crate::{
    Error,
    model::Actor,
    rules::evaluate,
    store::{
        Store,
        codes::{LiveCode, revocation_of},
        reevaluations::Reevaluation,
    },
};

/// Re-evaluations taken from the queue at a time.
const JOBS_PER_STEP: i64 = 16;

/// What one re-evaluation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reevaluated {
    /// Codes whose holders were evaluated again.
    pub examined: usize,
    /// Codes revoked because their colour became more severe.
    pub revoked: u64,
}

/// Runs every re-evaluation due at `now`; `revoked` is called whenever
/// revocations were recorded (to wake their delivery).
///
/// # Errors
/// [`Error::Db`] and the errors of reading facts; a job that fails stays
/// queued and runs again.
pub async fn run_due(
    store: &Store,
    now: OffsetDateTime,
    revoked: &(dyn Fn() + Sync),
) -> Result<Reevaluated, Error> {
    let mut total = Reevaluated::default();
    loop {
        let jobs = store.due_reevaluations(now, JOBS_PER_STEP).await?;
        if jobs.is_empty() {
            return Ok(total);
        }
        for job in &jobs {
            let done = run(store, job, now, revoked).await?;
            total.examined += done.examined;
            total.revoked += done.revoked;
        }
    }
}

/// Runs one re-evaluation: its candidates are evaluated again a group at a
/// time, and each group's revocations are recorded at once, so the first
/// reach the checkpoints long before the last are decided. The job's
/// completion and audit entry commit with the last group.
///
/// # Errors
/// As [`run_due`]. A job that fails part way runs again from the start;
/// recording a revocation twice changes nothing.
pub async fn run(
    store: &Store,
    job: &Reevaluation,
    now: OffsetDateTime,
    revoked: &(dyn Fn() + Sync),
) -> Result<Reevaluated, Error> {
    let candidates = store.reevaluation_candidates(job, now).await?;
    let mut by_account: BTreeMap<&str, Vec<&LiveCode>> = BTreeMap::new();
    for code in &candidates {
        by_account.entry(&code.account_id).or_default().push(code);
    }
    let ids: Vec<String> = by_account.keys().map(|id| (*id).to_owned()).collect();
    let by = Actor::Reevaluation(job.id.clone());
    let mut done = Reevaluated {
        examined: candidates.len(),
        revoked: 0,
    };
    // At least one group, empty if need be: the job is finished in the last.
    let mut groups: Vec<&[String]> = ids.chunks(GROUP).collect();
    if groups.is_empty() {
        groups.push(&[]);
    }
    let mut groups = groups.into_iter().peekable();
    while let Some(group) = groups.next() {
        let revocations = more_severe(store, group, &by_account, now).await?;
        let mut tx = store.write().await?;
        let added = store.record_revocations(&mut tx, &revocations, &by).await?;
        done.revoked += added;
        if groups.peek().is_none() {
            store
                .finish_reevaluation(&mut tx, job, done.examined, done.revoked, now)
                .await?;
            let detail = serde_json::json!({
                "reevaluation": job.id,
                "examined": done.examined,
                "revoked": done.revoked,
            });
            store
                .audit(
                    &mut tx,
                    now,
                    &Actor::System,
                    "codes_reevaluated",
                    &job.batch_id,
                    &detail,
                )
                .await?;
        }
        tx.commit().await?;
        if added > 0 {
            revoked();
        }
    }
    Ok(done)
}

/// The revocations of the codes of `group` whose colour is now more severe.
async fn more_severe(
    store: &Store,
    group: &[String],
    codes: &BTreeMap<&str, Vec<&LiveCode>>,
    now: OffsetDateTime,
) -> Result<Vec<Revocation>, Error> {
    let mut conn = store.pool().acquire().await?;
    let accounts = store.active_accounts(&mut conn, group).await?;
    let gathered = gather(store, &mut conn, &accounts, now).await?;
    let mut revocations = Vec::new();
    for (account, person) in accounts.iter().zip(&gathered.people) {
        let colour = evaluate(person, &gathered.designations, now).colour;
        revocations.extend(
            codes
                .get(account.id.as_str())
                .into_iter()
                .flatten()
                .filter(|code| colour > code.colour)
                .map(|code| revocation_of(code, RevocationReason::RiskChanged, now)),
        );
    }
    Ok(revocations)
}
