//! The service's background work: re-evaluations after feed records,
//! delivering revocations to Redis, reloading the signing key, anchoring
//! the audit chain, and purging what is past its time.
//!
//! Each worker wakes at once when a request of this process gives it work,
//! and polls every [`POLL`] for work another process wrote (`issuer feeds
//! import`, `issuer revoke`).

use std::{sync::Arc, time::Duration};

use healthcode_service_kit::{
    reconnect::Reconnect,
    redis::{RevocationStore, SNAPSHOT_EVERY},
    signals::on_file_change,
};
use tokio::{sync::Notify, time::Instant};

use super::{AppState, state::DeliveryStatus};
use crate::{
    Error,
    codes::{publish, reevaluate},
    store::{
        Store,
        exclusive::{Exclusive, Job},
        notify::Heard,
    },
};

/// How often workers look for work written by another process.
pub const POLL: Duration = Duration::from_millis(250);

/// Reconnecting to Redis: the first wait, and the longest, so that a Redis
/// that comes back gets the revocations it missed within a second.
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_millis(500);

async fn wait(notify: &Notify) {
    tokio::select! {
        () = notify.notified() => {}
        () = tokio::time::sleep(POLL) => {}
    }
}

/// The filtered snapshot's builds within one delivery session: the first
/// at once (the Redis may be a new one), then one every period, never two
/// at a time. A build reads every code in force and takes seconds for a
/// population, so it runs beside delivery, never in its way.
#[derive(Default)]
struct Filtered {
    started: Option<Instant>,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl Filtered {
    fn start_if_due(
        &mut self,
        state: &AppState,
        redis: &RevocationStore,
        every: Duration,
        now: time::OffsetDateTime,
    ) {
        let due = self.started.is_none_or(|t| t.elapsed() >= every);
        let idle = self.running.as_ref().is_none_or(|t| t.is_finished());
        if !(due && idle) {
            return;
        }
        let Some(key) = state.signer.as_ref().and_then(|s| s.key_at(now).ok()) else {
            return;
        };
        let (store, redis) = (state.store.clone(), redis.clone());
        self.started = Some(Instant::now());
        self.running = Some(tokio::spawn(async move {
            match publish::refresh_filtered(&store, &redis, key, now).await {
                Ok(bytes) => tracing::debug!(bytes, "filtered snapshot put in redis"),
                Err(e) => {
                    tracing::warn!(error = %e, "the filtered snapshot could not be made; trying again at the next period")
                }
            }
        }));
    }
}

/// How often the audit chain's anchor is moved up to the newest entry: the
/// most an attacker with the database could cut unseen is what was written
/// since.
pub const ANCHOR_EVERY: Duration = Duration::from_secs(1);

/// Moves the audit anchor at `path` forward every [`ANCHOR_EVERY`].
pub async fn anchor_forever(state: Arc<AppState>, path: std::path::PathBuf) {
    let mut every = tokio::time::interval(ANCHOR_EVERY);
    loop {
        every.tick().await;
        anchor_once(&state, &path).await;
    }
}

/// Moves the audit anchor forward once, logging the new head (a second copy
/// outside the database, wherever the logs are shipped) or, if the chain no
/// longer holds the old anchor, the alarm; then the anchor stays where it
/// was, so that `issuer audit verify` keeps failing.
pub async fn anchor_once(state: &AppState, path: &std::path::Path) {
    match state.store.advance_audit_anchor(path, state.now()).await {
        Ok(Some(anchor)) => {
            tracing::info!(seq = anchor.seq, hash = %anchor.hash, "audit log anchored");
        }
        Ok(None) => {}
        Err(e @ Error::AuditAnchor(_)) => {
            tracing::error!(error = %e, "AUDIT LOG ALTERED: the anchor is kept; investigate with issuer audit verify");
        }
        Err(e) => tracing::warn!(error = %e, "the audit anchor could not be moved; trying again"),
    }
}

/// How often the retention table is enforced (`docs/retention.md`).
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Purges what is past its time every [`PURGE_EVERY`], from the start.
pub async fn purge_forever(state: Arc<AppState>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        match state
            .store
            .purge(state.now(), false, &crate::model::Actor::System)
            .await
        {
            Ok(counts) => tracing::info!(
                visits = counts.visits,
                sms = counts.sms,
                letters = counts.letters,
                sessions = counts.sessions,
                "purged what is past its time"
            ),
            Err(e) => tracing::warn!(error = %e, "the purge failed; trying again at the next hour"),
        }
    }
}

/// Wakes this instance's workers whenever any instance commits work for
/// them (PostgreSQL's `LISTEN`), so work written on another instance or by
/// the CLI is taken up at once rather than at the next poll. Returns at once
/// on SQLite. A lost connection wakes every worker (notifications may have
/// been missed) and is made again.
pub async fn listen_forever(state: Arc<AppState>) {
    let mut reconnect = Reconnect::new(RECONNECT_FIRST, Duration::from_secs(5));
    loop {
        let mut listener = match state.store.listen().await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                if reconnect.failed() {
                    tracing::warn!(error = %e, "cannot listen for other instances' work; polling meanwhile");
                }
                reconnect.pause().await;
                continue;
            }
        };
        reconnect.connected();
        state.wake.everyone();
        loop {
            match listener.next().await {
                Ok(Heard::Work(work)) => state.wake.to(work),
                Ok(Heard::Unknown) => {}
                Ok(Heard::Reconnected) => state.wake.everyone(),
                Err(e) => {
                    if reconnect.failed() {
                        tracing::warn!(error = %e, "lost the work channel; polling meanwhile");
                    }
                    break;
                }
            }
        }
        state.wake.everyone();
        reconnect.pause().await;
    }
}

/// Runs due re-evaluations forever; with several instances, one runs
/// them (the others find the right taken and wait, and take it over if
/// that instance goes).
pub async fn reevaluate_forever(state: Arc<AppState>) {
    let mut runner = None;
    loop {
        let wake_delivery = || state.wake.deliver.notify_one();
        match keep_right(&state.store, Job::Reevaluation, &mut runner).await {
            Ok(true) => {}
            Ok(false) => {
                wait(&state.wake.reevaluate).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "re-evaluation cannot start; trying again");
                wait(&state.wake.reevaluate).await;
                continue;
            }
        }
        match reevaluate::run_due(&state.store, state.now(), &wake_delivery).await {
            Ok(done) if done.examined > 0 => tracing::info!(
                examined = done.examined,
                revoked = done.revoked,
                "codes re-evaluated"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "re-evaluation failed; it stays queued"),
        }
        wait(&state.wake.reevaluate).await;
    }
}

/// Keeps the right to `job` in `right` across rounds (see
/// [`crate::store::exclusive`]): a right held is checked, a lost or missing
/// one asked for. Whether this process holds it now.
async fn keep_right(store: &Store, job: Job, right: &mut Option<Exclusive>) -> Result<bool, Error> {
    if let Some(held) = right.as_mut() {
        if held.still_held().await {
            return Ok(true);
        }
        tracing::warn!(?job, "lost the right to run; asking for it again");
        *right = None;
    }
    *right = store.exclusive(job).await?;
    Ok(right.is_some())
}

/// Delivers revocations to the Redis at `url` forever, reconnecting after
/// failures, with a new filtered snapshot every `filtered_every`.
pub async fn deliver_forever(state: Arc<AppState>, url: String, filtered_every: Duration) {
    let mut reconnect = Reconnect::new(RECONNECT_FIRST, RECONNECT_MAX);
    loop {
        let Err(e) = deliver_session(&state, &url, &mut reconnect, filtered_every).await else {
            continue;
        };
        let status = state.delivery_status();
        state.set_delivery_status(DeliveryStatus {
            connected: false,
            last_round: status.last_round,
        });
        if reconnect.failed() {
            let waiting = state.store.undelivered_count().await.unwrap_or(-1);
            tracing::warn!(error = %e, waiting, "redis unavailable; revocations wait in the database");
        }
        reconnect.pause().await;
    }
}

/// One connection: delivery rounds until Redis fails. With several
/// instances one delivers at a time, so revocations reach Redis once and
/// in order of decision; the others wait to take over.
async fn deliver_session(
    state: &AppState,
    url: &str,
    reconnect: &mut Reconnect,
    filtered_every: Duration,
) -> Result<(), Error> {
    let mut deliverer = None;
    while !keep_right(&state.store, Job::Delivery, &mut deliverer).await? {
        tokio::time::sleep(POLL).await;
    }
    let mut publisher = publish::Publisher::new(RevocationStore::connect(url).await?);
    let redis = publisher.redis().clone();
    // A failover ends the session, so the next one finds the new master and restores.
    let moved = redis.master_moved();
    tokio::pin!(moved);
    // A new connection signs a snapshot at once: the Redis may be a new one.
    let mut snapshot_due = true;
    let mut last_snapshot: Option<Instant> = None;
    let mut filtered = Filtered::default();
    loop {
        // Another instance may deliver once this one's right is lost.
        if !keep_right(&state.store, Job::Delivery, &mut deliverer).await? {
            return Err(Error::RightLost);
        }
        let now = state.now();
        let done = publisher.round(&state.store, now).await?;
        reconnect.connected();
        state.set_delivery_status(DeliveryStatus {
            connected: true,
            last_round: Some(now),
        });
        if done.delivered > 0 {
            tracing::info!(delivered = done.delivered, "revocations delivered to redis");
        }
        snapshot_due |= done.changed();
        let may_sign =
            done.restored > 0 || last_snapshot.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY);
        if snapshot_due && may_sign {
            if let Some(key) = state.signer.as_ref().and_then(|s| s.key_at(now).ok()) {
                publish::refresh_snapshot(&state.store, publisher.redis(), &key, now).await?;
            }
            last_snapshot = Some(Instant::now());
            snapshot_due = false;
        }
        filtered.start_if_due(state, &redis, filtered_every, now);
        tokio::select! {
            () = wait(&state.wake.deliver) => {}
            () = &mut moved => return Err(healthcode_service_kit::Error::MasterMoved.into()),
        }
    }
}

/// Reloads the signing key on SIGHUP and when its file changes; a key that
/// cannot sign is refused and the one in use stays.
pub async fn watch_signing_key(state: Arc<AppState>) {
    let Some(signer) = state.signer.as_ref() else {
        return;
    };
    let path = signer.path().to_owned();
    on_file_change(path, || match signer.reload(state.now()) {
        Ok(kid) => tracing::info!(%kid, "signing key reloaded"),
        Err(e) => {
            tracing::error!(error = %e, "new signing key refused; keeping the one in use")
        }
    })
    .await;
}
