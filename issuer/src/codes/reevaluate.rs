//! Re-evaluation after feed records change: every holder of a code still
//! valid whom a batch may concern is evaluated again, and each code whose
//! colour became more severe is revoked (`risk_changed`). A colour that became
//! less severe revokes nothing: the resident applies again for the greener code.

use std::collections::{BTreeMap, HashMap};

use healthcode_keys::revocation::{Revocation, RevocationReason};
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::gather::{GROUP, gather};
use crate::{
    Error,
    model::Actor,
    rules::evaluate,
    store::{
        Store, Tx,
        codes::{LiveCode, revocation_of},
        reevaluations::Reevaluation,
        visits::VenueNames,
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
/// time, several groups at once, and each group's revocations are recorded
/// as soon as its rules have run, so the first reach the checkpoints long
/// before the last are decided. The job's completion and audit entry commit
/// with the last group.
///
/// Gathering and the rules need no lock: a group's facts are read as they
/// stand, and a record that lands after is covered by its own batch's
/// re-evaluation. Only the writes take the write lock, one group at a time.
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
    let mut done = Reevaluated {
        examined: candidates.len(),
        revoked: 0,
    };
    let mut groups = groups_of(candidates).into_iter();
    // At least one round, empty if need be: the job is finished in the last.
    let mut left = groups.len().max(1);
    let mut running = JoinSet::new();
    for group in groups.by_ref().take(workers()) {
        running.spawn(more_severe(store.clone(), group, now));
    }
    let by = Actor::Reevaluation(job.id.clone());
    while left > 0 {
        let revocations = match running.join_next().await {
            Some(joined) => joined.map_err(|_| Error::TaskFailed)??,
            None => Vec::new(),
        };
        if let Some(group) = groups.next() {
            running.spawn(more_severe(store.clone(), group, now));
        }
        left -= 1;
        let mut tx = store.write().await?;
        let added = store.record_revocations(&mut tx, &revocations, &by).await?;
        done.revoked += added;
        if left == 0 {
            finish(store, &mut tx, job, done, now).await?;
        }
        tx.commit().await?;
        if added > 0 {
            revoked();
        }
    }
    Ok(done)
}

/// Groups re-evaluated at once: while one group's rules run on a core,
/// others' facts are read and another's revocations written. At most 4, half
/// of SQLite's 8 read connections, so pages and sign-ins keep theirs
/// during a large re-evaluation.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(2, 4)
}

/// A group of at most [`GROUP`] holders, each with their live codes.
type Group = Vec<(String, Vec<LiveCode>)>;

/// `codes` by holder, in groups of at most [`GROUP`] holders.
fn groups_of(codes: Vec<LiveCode>) -> Vec<Group> {
    let mut by_account: BTreeMap<String, Vec<LiveCode>> = BTreeMap::new();
    for code in codes {
        by_account
            .entry(code.account_id.clone())
            .or_default()
            .push(code);
    }
    let mut groups: Vec<Group> = Vec::new();
    for holder in by_account {
        match groups.last_mut() {
            Some(group) if group.len() < GROUP => group.push(holder),
            _ => groups.push(vec![holder]),
        }
    }
    groups
}

/// Marks `job` done and audits it, in the last group's transaction.
async fn finish(
    store: &Store,
    tx: &mut Tx,
    job: &Reevaluation,
    done: Reevaluated,
    now: OffsetDateTime,
) -> Result<(), Error> {
    store
        .finish_reevaluation(tx, job, done.examined, done.revoked, now)
        .await?;
    let detail = serde_json::json!({
        "reevaluation": job.id,
        "examined": done.examined,
        "revoked": done.revoked,
    });
    store
        .audit(
            tx,
            now,
            &Actor::System,
            "codes_reevaluated",
            &job.batch_id,
            &detail,
        )
        .await
}

/// The revocations of the codes of `group` whose colour is now more severe.
async fn more_severe(
    store: Store,
    group: Group,
    now: OffsetDateTime,
) -> Result<Vec<Revocation>, Error> {
    let ids: Vec<String> = group.iter().map(|(id, _)| id.clone()).collect();
    let codes: HashMap<&str, &Vec<LiveCode>> = group
        .iter()
        .map(|(id, codes)| (id.as_str(), codes))
        .collect();
    let mut conn = store.pool().acquire().await?;
    let accounts = store.active_accounts(&mut conn, &ids).await?;
    let gathered = gather(&store, &mut conn, &accounts, now, VenueNames::Skipped).await?;
    drop(conn);
    let mut revocations = Vec::new();
    for (account, person) in accounts.iter().zip(&gathered.people) {
        let colour = evaluate(person, &gathered.designations, now).colour;
        revocations.extend(
            codes
                .get(account.id.as_str())
                .into_iter()
                .flat_map(|codes| codes.iter())
                .filter(|code| colour > code.colour)
                .map(|code| revocation_of(code, RevocationReason::RiskChanged, now)),
        );
    }
    Ok(revocations)
}

#[cfg(test)]
mod tests {
    use healthcode_keys::{Colour, TokenId};

    use super::*;

    fn code(n: usize, account: usize) -> LiveCode {
        let mut id = [0u8; TokenId::LEN];
        id[..8].copy_from_slice(&(n as u64).to_be_bytes());
        LiveCode {
            token_id: TokenId::from_bytes(id),
            account_id: format!("account-{account:06}"),
            colour: Colour::Green,
            valid_until: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn groups_keep_each_holders_codes_together_and_hold_at_most_a_group() {
        // 1,201 holders, every third with two codes, given out of order.
        let mut codes: Vec<LiveCode> = (0..1201).map(|a| code(a, a)).collect();
        codes.extend((0..1201).step_by(3).map(|a| code(10_000 + a, a)));
        codes.reverse();
        let total = codes.len();
        let groups = groups_of(codes);
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            [GROUP, GROUP, 201]
        );
        let holders: Vec<&str> = groups.iter().flatten().map(|(id, _)| id.as_str()).collect();
        assert!(holders.windows(2).all(|w| w[0] < w[1]), "each holder once");
        for (holder, held) in groups.iter().flatten() {
            assert!(held.iter().all(|c| &c.account_id == holder));
        }
        assert_eq!(
            groups.iter().flatten().map(|(_, c)| c.len()).sum::<usize>(),
            total
        );
        assert!(groups_of(Vec::new()).is_empty());
    }
}
