//! Keeping the in-memory revocations current from Redis.
//!
//! Subscribe first, then a full resync, so nothing published in between is
//! missed; then apply each published revocation, resync again periodically
//! (a missed message cannot stay missed), and every second read the
//! revocation generation to confirm the data is current. On any failure:
//! mark disconnected, keep every revocation held, and reconnect with
//! exponential backoff, at most a second apart, so a Redis that comes back
//! is used within about a second. Resyncs only add.
//!
//! Fail closed: the data counts as current only while Redis holds the
//! generation (the issuer's completeness marker) that the last full resync
//! was made against. A Redis that lost its data holds none until the issuer
//! restores it; meanwhile nothing is confirmed, the data ages, and a
//! verifier that has never synced answers `revocation_unavailable`, never
//! `not_revoked`. A restore announces its new generation, and verifiers
//! resync at once.
//!
//! The signed snapshot is fetched at each resync, and after messages arrive
//! at most every [`SNAPSHOT_EVERY`], not once per message: a burst of ten
//! thousand revocations costs one download of it, not ten thousand.

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt as _;
use healthcode_keys::revocation::filtered::FilteredSnapshot;
use healthcode_service_kit::{
    Error,
    reconnect::Reconnect,
    redis::{Published, RevocationStore, SNAPSHOT_EVERY},
};
use tokio::time::{Instant, MissedTickBehavior, interval};

use crate::{AppState, metrics::bump};

/// How often the data is confirmed current while connected.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// The first wait before reconnecting, doubling to [`RECONNECT_MAX`].
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
/// The longest wait before reconnecting.
const RECONNECT_MAX: Duration = Duration::from_secs(1);

/// Runs forever: connect, sync, and reconnect after failures.
pub async fn sync_forever(state: Arc<AppState>, url: String, resync_every: Duration) {
    let mut reconnect = Reconnect::new(RECONNECT_FIRST, RECONNECT_MAX);
    loop {
        let result = session(&state, &url, resync_every, &mut reconnect).await;
        state.with_revocations(|r| r.connected = false);
        if let Err(e) = result {
            bump(&state.metrics.redis_errors);
            let as_of = state.revocation_summary().as_of;
            let as_of = as_of
                .map(healthcode_keys::hktime::format_utc)
                .unwrap_or_default();
            if reconnect.failed() {
                tracing::warn!(error = %e, revocation_as_of = %as_of, "redis unavailable; answering from the revocations held");
            }
        }
        reconnect.pause().await;
    }
}

/// One connected session; returns when the connection fails.
async fn session(
    state: &AppState,
    url: &str,
    resync_every: Duration,
    reconnect: &mut Reconnect,
) -> Result<(), Error> {
    let store = RevocationStore::connect(url).await?;
    let mut messages = store.subscribe().await?;
    let mut generation = resync(state, &store).await?;
    reconnect.connected();
    tracing::info!(
        complete = generation.is_some(),
        "revocations synced from redis"
    );
    let mut resync_timer = interval(resync_every);
    resync_timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    resync_timer.reset();
    let mut heartbeat = interval(HEARTBEAT);
    let mut snapshot_stale = false;
    // Fetches after messages: the first at the next heartbeat, then at most every SNAPSHOT_EVERY.
    let mut snapshot_fetched: Option<Instant> = None;
    // A failover ends the session: the next one resolves the new master.
    let moved = store.master_moved();
    tokio::pin!(moved);
    let mut filtered_warned = false;
    loop {
        tokio::select! {
            () = &mut moved => return Err(Error::MasterMoved),
            message = messages.next() => match message {
                None => return Err(Error::SubscriptionClosed),
                Some(Ok(Published::Revocation(revocation))) => {
                    bump(&state.metrics.published);
                    state.with_revocations(|r| r.set.insert(revocation));
                    snapshot_stale = true;
                }
                Some(Ok(Published::Restored { generation: announced })) => {
                    if generation.as_ref() != Some(&announced) {
                        generation = resync(state, &store).await?;
                    }
                }
                Some(Err(Error::Corrupt { source, .. })) => {
                    tracing::warn!(error = %source, "ignoring a corrupt published revocation");
                }
                Some(Err(e)) => return Err(e),
            },
            _ = resync_timer.tick() => generation = resync(state, &store).await?,
            _ = heartbeat.tick() => {
                let sent = state.now();
                let held = store.marker().await?;
                if held.is_some() && held == generation {
                    // The generation synced against still stands: the data is current.
                    state.with_revocations(|r| {
                        r.as_of = Some(sent);
                        r.connected = true;
                        r.set.prune(sent);
                    });
                } else if held.is_some() {
                    // A restore completed (or the first after a loss): take it in full.
                    generation = resync(state, &store).await?;
                } else {
                    note_missing_generation(state, &mut generation);
                }
                if let Err(e) = refresh_filtered(state, &store).await {
                    // An extra for handhelds: never a reason to stop syncing.
                    if !filtered_warned {
                        tracing::warn!(error = %e, "cannot read the filtered snapshot from redis");
                        filtered_warned = true;
                    }
                }
                if snapshot_stale && snapshot_fetched.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY) {
                    refresh_snapshot(state, &store).await?;
                    snapshot_stale = false;
                    snapshot_fetched = Some(Instant::now());
                }
            }
        }
    }
}

/// Redis holds no generation: it lost its data and the issuer has not yet
/// restored it, so nothing it holds vouches for a code. The revocations
/// already held stay; their age grows until a restore is seen.
fn note_missing_generation(state: &AppState, generation: &mut Option<String>) {
    if generation.take().is_some() {
        bump(&state.metrics.generation_lost);
        tracing::warn!(
            "redis holds no revocation generation (it lost its data): answering from the revocations held until the issuer restores them"
        );
    }
    state.with_revocations(|r| r.connected = true);
}

/// Adds every revocation Redis holds, never removing one, and returns the
/// generation the set is complete against: `None` when Redis holds none, or
/// a restore changed it during the resync. Only a complete resync makes the
/// data current.
async fn resync(state: &AppState, store: &RevocationStore) -> Result<Option<String>, Error> {
    let started = state.now();
    let before = store.marker().await?;
    let (all, corrupt) = store.all().await?;
    let after = store.marker().await?;
    if corrupt > 0 {
        tracing::warn!(corrupt, "skipped corrupt revocation entries in redis");
    }
    let complete = after.filter(|a| before.as_ref() == Some(a));
    let added = state.with_revocations(|r| {
        let added = r.set.merge(all);
        if complete.is_some() {
            r.as_of = Some(started);
        }
        r.connected = true;
        r.set.prune(started);
        added
    });
    bump(&state.metrics.resyncs);
    tracing::debug!(added, complete = complete.is_some(), "revocation resync");
    refresh_snapshot(state, store).await?;
    Ok(complete)
}

/// Keeps the newest snapshot that verifies under the trust list in use.
async fn refresh_snapshot(state: &AppState, store: &RevocationStore) -> Result<(), Error> {
    let snapshot = match store.snapshot().await {
        Ok(Some(snapshot)) => snapshot,
        Ok(None) => return Ok(()),
        Err(Error::Corrupt { source, .. }) => {
            tracing::warn!(error = %source, "ignoring a corrupt revocation snapshot");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if let Err(e) = snapshot.verify(state.checker().trust(), state.now()) {
        tracing::warn!(error = %e, "ignoring a revocation snapshot that does not verify");
        return Ok(());
    }
    state.with_revocations(|r| r.keep_newest_snapshot(snapshot));
    Ok(())
}

/// Takes the filtered snapshot in Redis when it is newer than the one held
/// and verifies under the trust list in use (a small read when it is not).
async fn refresh_filtered(state: &AppState, store: &RevocationStore) -> Result<(), Error> {
    let Some(made) = store.filtered_made().await? else {
        return Ok(());
    };
    let held = state.with_revocations(|r| r.filtered.as_ref().map(|(at, _)| at.unix_timestamp()));
    if held.is_some_and(|held| held >= made) {
        return Ok(());
    }
    let Some(bytes) = store.filtered().await? else {
        return Ok(());
    };
    let checked = FilteredSnapshot::from_bytes(&bytes).and_then(|snapshot| {
        snapshot
            .verify(state.checker().trust(), state.now())
            .map(|()| snapshot)
    });
    match checked {
        Ok(snapshot) => {
            state.with_revocations(|r| r.keep_newest_filtered(snapshot.issued_at, bytes))
        }
        Err(e) => tracing::warn!(error = %e, "ignoring a filtered snapshot that does not verify"),
    }
    Ok(())
}
