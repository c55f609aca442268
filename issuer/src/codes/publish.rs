//! Delivering revocations from the database, their source of truth, to Redis.
//!
//! A revocation is written to the database in the transaction that decides
//! it, then delivered: stored and published in Redis, then marked delivered.
//! If Redis is down, it waits in the database and goes out once Redis is back
//! (an outbox, not a best-effort call).
//!
//! Redis may also lose what it had: a restart without persistence, a
//! failover to a replica that lagged. So every revocation still in force is
//! restored from the database on each new connection. After a restore the
//! publisher sets the marker key to a value of its own, and it restores
//! again whenever it finds the marker missing or different.

use rand::RngCore as _;
use std::sync::Arc;

use healthcode_keys::IssuerSecretKey;
use healthcode_keys::revocation::SignedSnapshot;
use healthcode_service_kit::redis::RevocationStore;
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

/// Delivers revocations over one connection to Redis.
#[derive(Debug)]
pub struct Publisher {
    redis: RevocationStore,
    /// The marker value this publisher set after its last restore; `None`
    /// until the first, so a new connection always restores.
    marker: Option<String>,
}

impl Publisher {
    /// A publisher over `redis`; its first round restores everything in force.
    pub fn new(redis: RevocationStore) -> Self {
        Publisher {
            redis,
            marker: None,
        }
    }

    /// The connection.
    pub fn redis(&self) -> &RevocationStore {
        &self.redis
    }

    /// One round: restore everything in force unless Redis holds this
    /// publisher's marker, then deliver every revocation not yet delivered.
    ///
    /// # Errors
    /// [`Error::Revocations`] when Redis fails (what was delivered before stays
    /// marked; the rest waits for the next round); [`Error::Db`].
    pub async fn round(&mut self, store: &Store, now: OffsetDateTime) -> Result<Delivery, Error> {
        let mut done = Delivery::default();
        let held = self.redis.marker().await?;
        if self.marker.is_none() || held != self.marker {
            let in_force = store.revocations_in_force(now).await?;
            self.redis.restore(&in_force).await?;
            let random = store.with_rng(|rng| {
                let mut bytes = [0u8; 16];
                rng.fill_bytes(&mut bytes);
                healthcode_keys::hex::encode(&bytes)
            });
            let marker = self.redis.complete_restore(&random).await?;
            if self.marker.is_some() {
                tracing::warn!(
                    restored = in_force.len(),
                    "redis had lost revocations; restored every one in force"
                );
            }
            self.marker = Some(marker);
            done.restored = in_force.len();
        }
        loop {
            let batch = store.undelivered_revocations(DELIVERY_STEP).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            // A code that has expired needs no revocation at any checkpoint.
            let due: Vec<_> = batch.iter().filter(|r| r.until >= now).cloned().collect();
            self.redis.publish(&due).await?;
            store.mark_delivered(&batch, now).await?;
            done.delivered += due.len();
        }
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
