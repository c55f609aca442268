//! Revocations in Redis: one key per revoked code (expiring with the code)
//! and a pub/sub channel that tells listeners at once. The issuer writes and
//! publishes; every verifier subscribes and resyncs.
//!
//! Redis is configured by URL: `redis://[user:password@]host:port/db`, or
//! `rediss://` for TLS, or `redis+sentinel://host:port,host:port/master` for
//! a master that Sentinel fails over ([`crate::sentinel`]). Commands used:
//! `SET` (with `EXAT`), `GET`, `PUBLISH`, `SCAN`, `MGET`, `SUBSCRIBE`,
//! `MULTI`/`EXEC`, `PING`, `INFO replication` (see `docs/redis.md`).

use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use healthcode_keys::{
    TokenId,
    revocation::{Revocation, SignedSnapshot},
};
use redis::{AsyncCommands as _, Client, aio::ConnectionManager};

use crate::{Error, sentinel::Sentinel};

/// Prefix of the key of one revocation: `healthcode:revocation:<token id>`.
pub const KEY_PREFIX: &str = "healthcode:revocation:";
/// The channel every new revocation is published on.
pub const CHANNEL: &str = "healthcode:revocations";
/// The key of the latest issuer-signed snapshot of every revocation.
pub const SNAPSHOT_KEY: &str = "healthcode:revocations:snapshot";
/// The key of the latest filtered snapshot (a filter cascade, bytes), for
/// handhelds on a slow link.
pub const FILTERED_KEY: &str = "healthcode:revocations:filtered";
/// When that snapshot was made (Unix seconds): verifiers read this small
/// key on every heartbeat and fetch the snapshot only when it changes.
pub const FILTERED_MADE_KEY: &str = "healthcode:revocations:filtered:made";
/// The generation of the revocations in Redis: a key the issuer sets, to a
/// new random value, once Redis holds every revocation in force. A Redis
/// that comes back without it, or with another value (a restart without
/// persistence, a failover to a replica that lagged), may lack some: the
/// issuer restores them all and sets a new generation, and a verifier counts
/// its view of Redis as current only while the generation it synced against
/// is still there.
///
/// The value is `<random>@<replication id>`: the master's replication id
/// when the restore completed. A replica promoted by a failover starts a new
/// replication id, so a marker it copied from the old master (perhaps
/// before it copied the last revocations) is not in force on it.
pub const MARKER_KEY: &str = "healthcode:revocations:complete";
/// The channel on which the issuer announces a new generation (a restore
/// just completed), so that verifiers resync at once rather than at their
/// next heartbeat.
pub const RESTORED_CHANNEL: &str = "healthcode:revocations:restored";
/// The signed snapshot holds every revocation in force and can be
/// megabytes: the issuer signs a new one, and verifiers fetch it, at most
/// this often while revocations keep coming.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(5);
/// Revocations per `MULTI`/`EXEC` when many are written at once.
const WRITE_BATCH: usize = 1000;
/// How long connecting (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Keys fetched per SCAN step during a resync.
const SCAN_BATCH: usize = 1000;

/// Checks a Redis URL's form without connecting, so that a service refuses
/// a mistyped `--redis` at start rather than retrying it forever.
///
/// # Errors
/// [`Error::Config`] naming what is wrong.
pub fn check_url(url: &str) -> Result<(), Error> {
    if Sentinel::parse(url)?.is_none() {
        // The message names the problem; never the URL, which may hold a password.
        redis::Client::open(url).map_err(|e| {
            Error::Config(format!(
                "Redis URL: {}",
                e.detail().unwrap_or("not a redis:// or rediss:// URL")
            ))
        })?;
    }
    Ok(())
}

/// The Redis key of `token_id`'s revocation.
pub fn key(token_id: &TokenId) -> String {
    format!("{KEY_PREFIX}{token_id}")
}

/// A message on the channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A new revocation.
    Revocation(Revocation),
    /// The issuer restored every revocation in force and set this generation.
    Restored {
        /// The new generation (the marker's value).
        generation: String,
    },
}

/// A connection to the revocation store (reconnects by itself).
#[derive(Clone)]
pub struct RevocationStore {
    client: Client,
    connection: ConnectionManager,
    /// Through Sentinel: the Sentinels and the master's address resolved.
    failover: Option<(Sentinel, String)>,
}

impl std::fmt::Debug for RevocationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.write_str("RevocationStore(<redis>)")
    }
}

impl RevocationStore {
    /// Connects to the Redis at `url`, or to the master that the Sentinels
    /// of a `redis+sentinel://` URL name.
    ///
    /// # Errors
    /// [`Error::Redis`] for a bad URL or an unreachable server;
    /// [`Error::Config`] for a bad Sentinel URL; [`Error::NoMaster`].
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let (client, failover) = match Sentinel::parse(url)? {
            Some(sentinel) => {
                let master = sentinel.resolve().await?;
                (Client::open(master.url)?, Some((sentinel, master.address)))
            }
            None => (Client::open(url)?, None),
        };
        // Fail within seconds rather than retry for a minute: the verifier's
        // sync loop has its own backoff, and an operator wants an answer.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let connection = client.get_connection_manager_with_config(config).await?;
        Ok(RevocationStore {
            client,
            connection,
            failover,
        })
    }

    /// Completes when Sentinel has moved the master away from the one this
    /// store connected to; never for a plain Redis URL. The caller then
    /// connects again.
    pub async fn master_moved(&self) {
        match &self.failover {
            Some((sentinel, address)) => sentinel.moved_from(address).await,
            None => std::future::pending().await,
        }
    }

    /// The client, for commands this store does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Subscribes to both channels: every revocation published from now on,
    /// every new generation announced, or the reason a message could not be
    /// read. Subscribe before a resync, so that nothing published in between
    /// is missed.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn subscribe(
        &self,
    ) -> Result<impl Stream<Item = Result<Published, Error>> + use<>, Error> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(&[CHANNEL, RESTORED_CHANNEL]).await?;
        Ok(pubsub.into_on_message().map(|message| {
            let payload: String = message.get_payload()?;
            if message.get_channel_name() == RESTORED_CHANNEL {
                return Ok(Published::Restored {
                    generation: payload,
                });
            }
            Revocation::from_json(&payload)
                .map(Published::Revocation)
                .map_err(|source| Error::Corrupt {
                    what: "revocation",
                    source,
                })
        }))
    }

    /// Stores and publishes each of `revocations`, a thousand to a
    /// transaction. Delivering one twice is harmless: listeners only add.
    ///
    /// # Errors
    /// [`Error::Redis`]; the revocations of earlier transactions are delivered.
    pub async fn publish(&self, revocations: &[Revocation]) -> Result<(), Error> {
        self.write_all(revocations, true).await
    }

    /// Stores each of `revocations` without publishing them: for restoring a
    /// Redis that lost its data, whose listeners resync when they reconnect.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn restore(&self, revocations: &[Revocation]) -> Result<(), Error> {
        self.write_all(revocations, false).await
    }

    async fn write_all(&self, revocations: &[Revocation], publish: bool) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        for chunk in revocations.chunks(WRITE_BATCH) {
            let mut transaction = redis::pipe();
            transaction.atomic();
            for revocation in chunk {
                add_revocation(&mut transaction, revocation, publish);
            }
            let () = transaction.query_async(&mut connection).await?;
        }
        Ok(())
    }

    /// Replaces the signed snapshot.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn put_snapshot(&self, snapshot: &SignedSnapshot) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        let () = connection.set(SNAPSHOT_KEY, snapshot.to_json()).await?;
        Ok(())
    }

    /// Replaces the filtered snapshot with `bytes`, made at `made` (Unix
    /// seconds), in one transaction with its time.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn put_filtered(&self, bytes: &[u8], made: i64) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        let () = redis::pipe()
            .atomic()
            .set(FILTERED_KEY, bytes)
            .ignore()
            .set(FILTERED_MADE_KEY, made)
            .ignore()
            .query_async(&mut connection)
            .await?;
        Ok(())
    }

    /// When the filtered snapshot in Redis was made, if there is one.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn filtered_made(&self) -> Result<Option<i64>, Error> {
        let mut connection = self.connection.clone();
        Ok(connection.get(FILTERED_MADE_KEY).await?)
    }

    /// The filtered snapshot's bytes, if an issuer has stored one (unparsed).
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn filtered(&self) -> Result<Option<Vec<u8>>, Error> {
        let mut connection = self.connection.clone();
        Ok(connection.get(FILTERED_KEY).await?)
    }

    /// The generation in force: the marker's value, if Redis holds one set
    /// on this master's replication history (not one copied from a master
    /// that has since failed over).
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn marker(&self) -> Result<Option<String>, Error> {
        let mut connection = self.connection.clone();
        let (marker, info): (Option<String>, String) = redis::pipe()
            .get(MARKER_KEY)
            .cmd("INFO")
            .arg("replication")
            .query_async(&mut connection)
            .await?;
        let replication_id = crate::sentinel::info_field(&info, "master_replid");
        Ok(marker.filter(|m| {
            replication_id.is_some() && m.rsplit_once('@').map(|(_, id)| id) == replication_id
        }))
    }

    /// Sets a new generation, `random` on this master's replication id
    /// (Redis holds every revocation in force), and announces it, in one
    /// transaction; returns it.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn complete_restore(&self, random: &str) -> Result<String, Error> {
        let mut connection = self.connection.clone();
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut connection)
            .await?;
        let replication_id = crate::sentinel::info_field(&info, "master_replid").unwrap_or("");
        let value = format!("{random}@{replication_id}");
        let () = redis::pipe()
            .atomic()
            .set(MARKER_KEY, &value)
            .ignore()
            .publish(RESTORED_CHANNEL, &value)
            .ignore()
            .query_async(&mut connection)
            .await?;
        Ok(value)
    }

    /// The signed snapshot, if an issuer has stored one (unverified).
    ///
    /// # Errors
    /// [`Error::Redis`]; [`Error::Corrupt`] for a corrupt one.
    pub async fn snapshot(&self) -> Result<Option<SignedSnapshot>, Error> {
        let mut connection = self.connection.clone();
        let json: Option<String> = connection.get(SNAPSHOT_KEY).await?;
        json.as_deref()
            .map(SignedSnapshot::from_json)
            .transpose()
            .map_err(|source| Error::Corrupt {
                what: "revocation snapshot",
                source,
            })
    }

    /// Checks that Redis answers.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn ping(&self) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }

    /// The revocation of `token_id`, if it is revoked.
    ///
    /// # Errors
    /// [`Error::Redis`]; [`Error::Corrupt`] for a corrupt entry.
    pub async fn status(&self, token_id: &TokenId) -> Result<Option<Revocation>, Error> {
        let mut connection = self.connection.clone();
        let json: Option<String> = connection.get(key(token_id)).await?;
        json.as_deref()
            .map(Revocation::from_json)
            .transpose()
            .map_err(|source| Error::Corrupt {
                what: "revocation",
                source,
            })
    }

    /// Every revocation held, for a full resync. Corrupt entries are skipped
    /// and counted rather than failing the whole resync.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub async fn all(&self) -> Result<(Vec<Revocation>, usize), Error> {
        let mut connection = self.connection.clone();
        let mut keys = Vec::new();
        {
            let pattern = format!("{KEY_PREFIX}*");
            let mut scan: redis::AsyncIter<'_, String> = redis::cmd("SCAN")
                .cursor_arg(0)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_BATCH)
                .clone()
                .iter_async(&mut connection)
                .await?;
            while let Some(key) = scan.next_item().await {
                keys.push(key?);
            }
        }
        let (mut revocations, mut corrupt) = (Vec::with_capacity(keys.len()), 0);
        for batch in keys.chunks(SCAN_BATCH) {
            // A key may expire between SCAN and MGET: None is not an error.
            let values: Vec<Option<String>> = connection.mget(batch).await?;
            for value in values.into_iter().flatten() {
                match Revocation::from_json(&value) {
                    Ok(revocation) => revocations.push(revocation),
                    Err(_) => corrupt += 1,
                }
            }
        }
        Ok((revocations, corrupt))
    }
}

/// Adds `SET key json EXAT` for `revocation` (and its `PUBLISH` if `publish`) to `pipe`.
fn add_revocation(pipe: &mut redis::Pipeline, revocation: &Revocation, publish: bool) {
    let json = revocation.to_json();
    // EXAT is in whole seconds; keep the key through the code's last second.
    let expire_at = revocation.until.unix_timestamp() + 1;
    pipe.cmd("SET")
        .arg(key(&revocation.token_id))
        .arg(&json)
        .arg("EXAT")
        .arg(expire_at)
        .ignore();
    if publish {
        pipe.cmd("PUBLISH").arg(CHANNEL).arg(&json).ignore();
    }
}
