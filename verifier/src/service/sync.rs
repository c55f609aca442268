//! Keeping the in-memory revocations current from Redis.
//!
//! Subscribe first, then a full resync, so nothing published in between is
//! missed; then apply each published revocation, resync again periodically
//! (a missed message cannot stay missed), and PING every second to confirm the
//! data is current. On any failure: mark disconnected, keep every revocation
//! held, and reconnect with exponential backoff, at most a second apart, so a
//! Redis that comes back is used within about a second. Resyncs only add.
//!
//! The signed snapshot is fetched at each resync, and after messages arrive
//! at most every 5 seconds, not once per message: a burst of ten thousand
//! revocations costs one download of it, not ten thousand.

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt as _;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep};

use super::{AppState, metrics::bump};
use crate::{
    Error,
    revocation::{
        Revocation,
        store::{CHANNEL, RevocationStore},
    },
};

/// How often the data is confirmed current while connected.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// The signed snapshot of every revocation can be megabytes, and the issuer
/// signs a new one at most every 5 s: fetching it more often gains nothing.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(5);
/// How often a Redis that stays down is mentioned in the log.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// Runs forever: connect, sync, and reconnect after failures.
pub async fn sync_forever(state: Arc<AppState>, url: String, resync_every: Duration) {
    let mut backoff = BACKOFF_FIRST;
    let mut warnings = super::LogLimit::new(WARN_EVERY);
    loop {
        let started = Instant::now();
        let result = session(&state, &url, resync_every).await;
        let was_up = started.elapsed() > BACKOFF_MAX * 2;
        if was_up {
            // A connection that worked for a while: its failure is news.
            backoff = BACKOFF_FIRST;
            warnings.reset();
        }
        if let Err(e) = result {
            bump(&state.metrics.redis_errors);
            let (_, as_of, _) = state.revocation_summary();
            let as_of = as_of
                .map(healthcode_keys::hktime::format_utc)
                .unwrap_or_default();
            if warnings.ready() {
                tracing::warn!(error = %e, revocation_as_of = %as_of, "redis unavailable; answering from the revocations held");
            }
        }
        state.with_revocations(|r| r.connected = false);
        sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One connected session; returns when the connection fails.
async fn session(state: &AppState, url: &str, resync_every: Duration) -> Result<(), Error> {
    let store = RevocationStore::connect(url).await?;
    let mut pubsub = store.client().get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    resync(state, &store).await?;
    tracing::info!("revocations synced from redis");
    let mut messages = pubsub.into_on_message();
    let mut resync_timer = interval(resync_every);
    resync_timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    resync_timer.reset();
    let mut heartbeat = interval(HEARTBEAT);
    let mut snapshot_stale = false;
    // Fetches after messages: the first at the next heartbeat, then at most every SNAPSHOT_EVERY.
    let mut snapshot_fetched: Option<Instant> = None;
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else { return Err(Error::RedisClosed) };
                let payload: String = message.get_payload()?;
                match Revocation::from_json(&payload) {
                    Ok(revocation) => {
                        bump(&state.metrics.published);
                        state.with_revocations(|r| r.set.insert(revocation));
                        snapshot_stale = true;
                    }
                    Err(e) => tracing::warn!(error = %e, "ignoring a corrupt published revocation"),
                }
            }
            _ = resync_timer.tick() => resync(state, &store).await?,
            _ = heartbeat.tick() => {
                let sent = state.now();
                store.ping().await?;
                if snapshot_stale && snapshot_fetched.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY) {
                    refresh_snapshot(state, &store).await?;
                    snapshot_stale = false;
                    snapshot_fetched = Some(Instant::now());
                }
                state.with_revocations(|r| {
                    r.as_of = Some(sent);
                    r.connected = true;
                    r.set.prune(sent);
                });
            }
        }
    }
}

/// Adds every revocation Redis holds; never removes one.
async fn resync(state: &AppState, store: &RevocationStore) -> Result<(), Error> {
    let started = state.now();
    let (all, corrupt) = store.all().await?;
    if corrupt > 0 {
        tracing::warn!(corrupt, "skipped corrupt revocation entries in redis");
    }
    let added = state.with_revocations(|r| {
        let added = r.set.merge(all);
        r.as_of = Some(started);
        r.connected = true;
        r.set.prune(started);
        added
    });
    bump(&state.metrics.resyncs);
    tracing::debug!(added, "revocation resync");
    refresh_snapshot(state, store).await
}

/// Keeps the newest snapshot that verifies under the trust list in use.
async fn refresh_snapshot(state: &AppState, store: &RevocationStore) -> Result<(), Error> {
    let Some(snapshot) = store.snapshot().await? else {
        return Ok(());
    };
    if let Err(e) = snapshot.verify(state.checker().trust(), state.now()) {
        tracing::warn!(error = %e, "ignoring a revocation snapshot that does not verify");
        return Ok(());
    }
    state.with_revocations(|r| r.keep_newest_snapshot(snapshot));
    Ok(())
}
