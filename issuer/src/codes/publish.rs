//! Delivering revocations from the database, their source of truth, to Redis.
//!
//! A revocation is written to the database in the transaction that decides
//! it, then delivered: stored and published in Redis, then marked delivered.
//! If Redis is down, it waits in the database and goes out once Redis is back
//! (an outbox, not a best-effort call). If Redis comes back without the
//! marker key (a restart without persistence, a failover to a replica that
//! lacked it), every revocation still in force is restored from the database.

use std::sync::Arc;

use healthcode_keys::IssuerSecretKey;
use healthcode_verifier::revocation::{SignedSnapshot, store::RevocationStore};
use time::OffsetDateTime;

use crate::{Error, store::Store};

/// Revocations read from the database per step of a delivery.
const DELIVERY_STEP: i64 = 5000;

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Revocations stored and published for the first time.
    pub delivered: usize,
    /// Revocations restored after Redis lost its data.
    pub restored: usize,
}

impl Delivery {
    /// Whether Redis changed.
    pub fn changed(&self) -> bool {
        self.delivered + self.restored > 0
    }
}

/// One round: restore everything in force if Redis lost its data, then
/// deliver every revocation not yet delivered.
///
/// # Errors
/// [`Error::Revocations`] when Redis fails (what was delivered before stays
/// marked; the rest waits for the next round); [`Error::Db`].
pub async fn deliver(
    store: &Store,
    redis: &RevocationStore,
    now: OffsetDateTime,
) -> Result<Delivery, Error> {
    let mut done = Delivery::default();
    if !redis.is_complete().await? {
        let in_force = store.revocations_in_force(now).await?;
        redis.restore(&in_force).await?;
        redis.mark_complete(now).await?;
        done.restored = in_force.len();
        if done.restored > 0 {
            tracing::warn!(
                restored = done.restored,
                "redis had lost the revocations; restored every one in force"
            );
        }
    }
    loop {
        let batch = store.undelivered_revocations(DELIVERY_STEP).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        // A code that has expired needs no revocation at any checkpoint.
        let due: Vec<_> = batch.iter().filter(|r| r.until >= now).cloned().collect();
        redis.publish(&due).await?;
        store.mark_delivered(&batch, now).await?;
        done.delivered += due.len();
    }
}

/// Signs the set of every revocation in force at `now` with `key` and puts
/// it in Redis, for offline scanners.
///
/// # Errors
/// [`Error::Db`], [`Error::Revocations`].
pub async fn refresh_snapshot(
    store: &Store,
    redis: &RevocationStore,
    key: &Arc<IssuerSecretKey>,
    now: OffsetDateTime,
) -> Result<usize, Error> {
    let in_force = store.revocations_in_force(now).await?;
    let count = in_force.len();
    redis
        .put_snapshot(&SignedSnapshot::sign(key, now, in_force))
        .await?;
    Ok(count)
}
