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
use healthcode_keys::revocation::{SignedSnapshot, filtered::FilteredSnapshot};
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

/// Builds the filtered snapshot of what is in force at `now` and puts it in
/// `redis`, where verifiers serve it. Returns its size in bytes.
///
/// # Errors
/// Those of [`filtered_snapshot`]; [`Error::Redis`].
pub async fn refresh_filtered(
    store: &Store,
    redis: &RevocationStore,
    key: Arc<IssuerSecretKey>,
    now: OffsetDateTime,
) -> Result<usize, Error> {
    let snapshot = filtered_snapshot(store, key, now).await?;
    let bytes = snapshot.to_bytes();
    redis
        .put_filtered(&bytes, snapshot.issued_at.unix_timestamp())
        .await?;
    Ok(bytes.len())
}

/// The filtered snapshot of every code and revocation in force at `now`,
/// signed with `key`: what handhelds on a slow link download (see
/// `healthcode_keys::revocation::filtered`). The cascade is built off the
/// async threads: seconds for a population.
///
/// # Errors
/// [`Error::Db`], [`Error::Corrupt`], [`Error::Keys`], [`Error::TaskFailed`].
pub async fn filtered_snapshot(
    store: &Store,
    key: Arc<IssuerSecretKey>,
    now: OffsetDateTime,
) -> Result<FilteredSnapshot, Error> {
    let (codes, revocations) = store.codes_and_revocations_in_force(now).await?;
    let seed = store.with_rng(|rng| rng.next_u64());
    tokio::task::spawn_blocking(move || {
        FilteredSnapshot::build(&key, now, &codes, revocations, seed)
    })
    .await
    .map_err(|_| Error::TaskFailed)?
    .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use healthcode_keys::{
        Colour, KeyId, Region, TokenId,
        revocation::{Revocation, RevocationReason, filtered::COVER_MARGIN},
        testkeys,
    };
    use time::{Duration, macros::datetime};

    use super::*;
    use crate::{
        model::Actor,
        store::{codes::NewCode, test_support::active_resident},
    };

    const NOW: OffsetDateTime = datetime!(2022-12-10 04:00 UTC);
    const UNTIL: OffsetDateTime = datetime!(2022-12-10 15:59:59 UTC);

    /// Seven codes issued over the morning (two within the cover margin),
    /// one expired, and revocations of three live ones and the expired one.
    async fn a_morning(store: &Store) -> Result<Vec<(TokenId, bool)>, Error> {
        let resident = active_resident(store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        let mut tx = store.write().await?;
        let mut live = Vec::new();
        for n in 0..8u8 {
            let token_id = TokenId::from_bytes([n * 29 + 1; TokenId::LEN]);
            let issued_at = NOW - Duration::minutes(60 - 8 * i64::from(n));
            let valid_until = if n == 0 {
                NOW - Duration::SECOND
            } else {
                UNTIL
            };
            let times = (issued_at, valid_until);
            store_code(store, &mut tx, &resident.id, token_id, times).await?;
            let revoked = matches!(n, 0 | 2 | 5 | 7);
            if revoked {
                let revocation = Revocation {
                    token_id,
                    reason: RevocationReason::RiskChanged,
                    revoked_at: issued_at + Duration::minutes(1),
                    until: valid_until,
                };
                store
                    .record_revocations(&mut tx, &[revocation], &Actor::System)
                    .await?;
            }
            if n > 0 {
                live.push((token_id, revoked));
            }
        }
        tx.commit().await?;
        Ok(live)
    }

    #[tokio::test]
    async fn the_codes_in_force_are_read_with_their_revocations() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let live = a_morning(&store).await?;
        let (all, revocations) = store.codes_and_revocations_in_force(NOW).await?;
        let mut held: Vec<TokenId> = all.iter().map(|c| c.token_id).collect();
        held.sort();
        let mut expected: Vec<TokenId> = live.iter().map(|(id, _)| *id).collect();
        expected.sort();
        assert_eq!(held, expected, "the expired code is left out");
        assert_eq!(revocations.len(), 3);
        Ok(())
    }

    /// A code of `account` issued and valid until as `times` say, stored
    /// in `tx`.
    async fn store_code(
        store: &Store,
        tx: &mut crate::store::Tx,
        account: &str,
        token_id: TokenId,
        (issued_at, valid_until): (OffsetDateTime, OffsetDateTime),
    ) -> Result<(), Error> {
        let code = NewCode {
            token_id,
            account_id: account,
            kid: KeyId::from_bytes([1; KeyId::LEN]),
            colour: Colour::Green,
            reasons: &BTreeSet::new(),
            token: "HC2:a-test-token",
            issued_at,
            valid_until,
        };
        store.insert_code(tx, &code).await
    }

    #[tokio::test]
    async fn the_codes_and_revocations_in_force_are_read_in_pages_each_once() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let live = a_morning(&store).await?;
        // Tomorrow's code, revoked, sorts first by id and last by expiry:
        // a page that went on by id alone would never reach it.
        let resident = active_resident(&store, "HKID:B123456(6)", "bldg-b", NOW).await?;
        let tomorrow = TokenId::from_bytes([0; TokenId::LEN]);
        let mut tx = store.write().await?;
        let times = (NOW, UNTIL + Duration::DAY);
        store_code(&store, &mut tx, &resident.id, tomorrow, times).await?;
        let revocation = Revocation {
            token_id: tomorrow,
            reason: RevocationReason::Superseded,
            revoked_at: NOW,
            until: times.1,
        };
        store
            .record_revocations(&mut tx, std::slice::from_ref(&revocation), &Actor::System)
            .await?;
        tx.commit().await?;
        let mut expected: Vec<TokenId> = live.iter().map(|(id, _)| *id).collect();
        expected.push(tomorrow);
        expected.sort();
        let (_, mut whole) = store.codes_and_revocations_in_force_by(NOW, 50).await?;
        whole.sort_by_key(|r| r.token_id);
        assert_eq!(whole.len(), 4, "three of the morning's and tomorrow's");
        assert!(whole.contains(&revocation), "read back as it was recorded");
        for page in [1, 2, 3, 7, 8] {
            let (codes, mut revocations) =
                store.codes_and_revocations_in_force_by(NOW, page).await?;
            let mut held: Vec<TokenId> = codes.iter().map(|c| c.token_id).collect();
            held.sort();
            assert_eq!(held, expected, "pages of {page}");
            revocations.sort_by_key(|r| r.token_id);
            assert_eq!(revocations, whole, "pages of {page}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn undelivered_revocations_come_oldest_first_and_each_once() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let resident = active_resident(&store, "HKID:A123456(3)", "bldg-a", NOW).await?;
        // Decided out of order, three at one instant: delivery follows the
        // instant of decision, then the id.
        let minutes = [2, 1, 2, 0, 1, 2, 2];
        let mut tx = store.write().await?;
        let mut all = Vec::new();
        for (n, minute) in (0u8..).zip(minutes) {
            let token_id = TokenId::from_bytes([200 - n * 20; TokenId::LEN]);
            store_code(&store, &mut tx, &resident.id, token_id, (NOW, UNTIL)).await?;
            all.push(Revocation {
                token_id,
                reason: RevocationReason::RiskChanged,
                revoked_at: NOW + Duration::minutes(minute),
                until: UNTIL,
            });
        }
        store
            .record_revocations(&mut tx, &all, &Actor::System)
            .await?;
        tx.commit().await?;
        all.sort_by_key(|r| (r.revoked_at, r.token_id.to_string()));
        let first = store.undelivered_revocations(4).await?;
        assert_eq!(first, all[..4]);
        store.mark_delivered(&first, NOW).await?;
        let rest = store.undelivered_revocations(4).await?;
        assert_eq!(rest, all[4..]);
        store.mark_delivered(&rest, NOW).await?;
        assert!(store.undelivered_revocations(4).await?.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn the_filtered_snapshot_answers_every_code_in_force() -> Result<(), Error> {
        let (_place, store) = Store::open_temporary().await?;
        let live = a_morning(&store).await?;
        let key = testkeys::issuer(Region::HongKong, "a");
        let snapshot = filtered_snapshot(&store, Arc::new(key), NOW).await?;
        let (codes, _) = store.codes_and_revocations_in_force(NOW).await?;
        for code in &codes {
            let listed = snapshot.recent.iter().any(|r| r.token_id == code.token_id);
            let filtered =
                snapshot
                    .filter
                    .says_revoked(Region::HongKong, &code.token_id, code.issued_at);
            let revoked = live.iter().any(|(id, r)| *id == code.token_id && *r);
            assert_eq!(listed || filtered == Some(true), revoked, "{code:?}");
            assert_eq!(
                filtered.is_some(),
                code.issued_at <= NOW - COVER_MARGIN,
                "{code:?}"
            );
        }
        assert_eq!(
            snapshot.recent.len(),
            1,
            "the code revoked within the margin"
        );
        Ok(())
    }
}
