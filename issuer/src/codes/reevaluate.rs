//! Re-evaluation after feed records change: every holder of a code still
//! valid whom a batch may concern is evaluated again, and each code whose
//! colour became more severe is revoked (`risk_changed`). A colour that became
//! less severe revokes nothing: the resident applies again for the greener code.

use std::collections::BTreeMap;

use healthcode_verifier::revocation::Reason as RevocationReason;
use time::OffsetDateTime;

use super::facts::gather;
use crate::{
    Error,
    rules::evaluate,
    store::{
        Store,
        accounts::Status,
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

/// Runs every re-evaluation due at `now`.
///
/// # Errors
/// [`Error::Db`] and the errors of reading facts; a job that fails stays
/// queued and runs again.
pub async fn run_due(store: &Store, now: OffsetDateTime) -> Result<Reevaluated, Error> {
    let mut total = Reevaluated::default();
    loop {
        let jobs = store.due_reevaluations(now, JOBS_PER_STEP).await?;
        if jobs.is_empty() {
            return Ok(total);
        }
        for job in &jobs {
            let done = run(store, job, now).await?;
            total.examined += done.examined;
            total.revoked += done.revoked;
        }
    }
}

/// Runs one re-evaluation: its candidates, evaluated again, and the
/// revocations with the job's completion and audit entry in one commit.
///
/// # Errors
/// As [`run_due`].
pub async fn run(
    store: &Store,
    job: &Reevaluation,
    now: OffsetDateTime,
) -> Result<Reevaluated, Error> {
    let candidates = store.reevaluation_candidates(job, now).await?;
    let mut by_account: BTreeMap<&str, Vec<&LiveCode>> = BTreeMap::new();
    for code in &candidates {
        by_account.entry(&code.account_id).or_default().push(code);
    }
    let mut conn = store.pool().acquire().await?;
    let mut revocations = Vec::new();
    for (account_id, codes) in by_account {
        let Some(account) = store
            .account(&mut *conn, account_id)
            .await?
            .filter(|a| a.status == Status::Active)
        else {
            continue;
        };
        let gathered = gather(store, &mut conn, &account, now).await?;
        let colour = evaluate(&gathered.person, &gathered.designations, now).colour;
        revocations.extend(
            codes
                .into_iter()
                .filter(|code| colour > code.colour)
                .map(|code| revocation_of(code, RevocationReason::RiskChanged, now)),
        );
    }
    drop(conn);
    let mut tx = store.write().await?;
    let by = format!("reevaluation:{}", job.id);
    let revoked = store.record_revocations(&mut tx, &revocations, &by).await?;
    store
        .finish_reevaluation(&mut tx, job, candidates.len(), revoked, now)
        .await?;
    let detail = serde_json::json!({
        "reevaluation": job.id,
        "examined": candidates.len(),
        "revoked": revoked,
    });
    store
        .audit(
            &mut tx,
            now,
            "system",
            "codes_reevaluated",
            &job.batch_id,
            &detail,
        )
        .await?;
    tx.commit().await?;
    Ok(Reevaluated {
        examined: candidates.len(),
        revoked,
    })
}
