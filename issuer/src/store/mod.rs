//! The issuer's database: an embedded SQLite file by default, PostgreSQL
//! for the whole territory ([`engine`]).
//!
//! Personal data is sealed with the [`DataKey`] before it reaches SQL, so the
//! store is the one place where plaintext turns into ciphertext. Writes are
//! acknowledged only after commit: an acknowledged registration survives
//! `kill -9` (and power loss) on either engine.
//!
//! # Layout
//! - [`accounts`]: applications and accounts, proofs, the housing database.
//! - [`appeals`]: residents' requests to correct a record, and the decisions.
//! - [`pins`]: activation PINs, hashed, with expiry and failure counts.
//! - [`messages`]: the SMS outbox and the letters waiting to be printed.
//! - [`feeds`]: health-authority and immigration records, as versions in audited batches;
//!   [`feed_audit`] verifies them against the audit log; [`in_force`] reads those in force.
//! - [`buildings`]: the building directory and each account's residence.
//! - [`codes`]: the codes issued, and revocations (source of truth and outbox).
//! - [`reevaluations`]: re-evaluations owed after feed records, and whom they concern.
//! - [`sessions`], [`visits`], [`staff`], [`audit`].

pub mod accounts;
pub mod appeals;
pub mod audit;
pub mod audit_anchor;
pub mod buildings;
pub mod codes;
pub mod drafts;
pub mod engine;
pub mod exclusive;
pub mod feed_audit;
pub mod feeds;
pub mod in_force;
pub mod messages;
pub mod notify;
pub mod pins;
pub mod purge;
pub mod rate_limits;
pub mod reevaluations;
pub mod sessions;
pub mod sign_in_codes;
pub mod sql;
pub mod staff;
pub mod staff_sessions;
#[cfg(test)]
pub(crate) mod test_support;
pub mod venues;
pub mod visits;

use std::{
    path::Path,
    str::FromStr,
    sync::{Arc, Mutex},
};

use healthcode_keys::{hex, names::UnknownName};
use rand::{RngCore as _, SeedableRng as _};
use rand_chacha::ChaCha20Rng;
use sqlx::{Any, AnyPool, Transaction};
use time::OffsetDateTime;

pub use self::engine::{Database, Engine};
use crate::{Error, privacy::DataKey};

/// The database file's name inside the data folder.
pub const DATABASE_FILE: &str = "healthcode.db";

/// The data key file's default name inside the data folder.
pub const DATA_KEY_FILE: &str = "data.key";

/// A write transaction.
pub type Tx = Transaction<'static, Any>;

/// Where the store's new ids and secrets come from: a clock with sub-second
/// precision (ids sort in the order they were made, so queues served "by
/// time" are first come, first served even within a second) and a
/// cryptographic generator. Given to the store when it opens, so that tests
/// can fix both.
pub struct Entropy {
    clock: fn() -> OffsetDateTime,
    rng: Mutex<ChaCha20Rng>,
}

impl std::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entropy(<rng>)")
    }
}

impl Entropy {
    /// The system clock, and a generator seeded from the operating system.
    pub fn system() -> Self {
        Entropy {
            clock: OffsetDateTime::now_utc,
            rng: Mutex::new(ChaCha20Rng::from_entropy()),
        }
    }

    /// A fixed generator and clock: for tests that must repeat.
    pub fn seeded(seed: u64, clock: fn() -> OffsetDateTime) -> Self {
        Entropy {
            clock,
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(seed)),
        }
    }
}

/// The database and the key that seals personal data in it.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    writer: AnyPool,
    database: Database,
    key: DataKey,
    entropy: Arc<Entropy>,
}

impl Store {
    /// Opens (creating if need be) the database in `data_dir`, applies the
    /// migrations, and checks that `key_path` (default `data_dir/data.key`)
    /// holds the key the data was written with. A new database gets a new
    /// key file; an existing one never does, since a lost key means lost data.
    ///
    /// # Errors
    /// [`Error::DataKeyMismatch`] for the wrong key, [`Error::Keys`] for an
    /// unreadable key file, [`Error::Db`] and [`Error::Migrate`].
    pub async fn open(data_dir: &Path, key_path: Option<&Path>) -> Result<Store, Error> {
        Store::open_with(data_dir, key_path, Entropy::system()).await
    }

    /// [`Store::open`] with the given source of ids and secrets.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub async fn open_with(
        data_dir: &Path,
        key_path: Option<&Path>,
        entropy: Entropy,
    ) -> Result<Store, Error> {
        Store::open_at(
            &Database::in_data_dir(data_dir),
            data_dir,
            key_path,
            entropy,
        )
        .await
    }

    /// Opens `database` (creating a SQLite file if need be), applies the
    /// migrations, and checks that `key_path` (default `data_dir/data.key`)
    /// holds the key the data was written with. A new database gets a new
    /// key file; one that holds data never does, since a lost key means lost data.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub async fn open_at(
        database: &Database,
        data_dir: &Path,
        key_path: Option<&Path>,
        entropy: Entropy,
    ) -> Result<Store, Error> {
        healthcode_keys::files::ensure_dir(data_dir)?;
        let key_path = key_path.map_or_else(|| data_dir.join(DATA_KEY_FILE), Path::to_owned);
        let file_is_new = match database {
            Database::Sqlite(path) => !path.exists(),
            Database::Postgres(_) => true,
        };
        let pools = engine::connect(database).await?;
        if let Database::Sqlite(path) = database {
            restrict_to_owner(data_dir, path)?;
        }
        let holds_data = key_check_of(&pools.pool).await?.is_some();
        let key = if file_is_new && !holds_data && !key_path.exists() {
            let mut rng = entropy.rng.lock().unwrap_or_else(|e| e.into_inner());
            DataKey::create(&mut *rng, &key_path)?
        } else {
            DataKey::read(&key_path)?
        };
        let store = Store {
            pool: pools.pool,
            writer: pools.writer,
            database: database.clone(),
            key,
            entropy: Arc::new(entropy),
        };
        store.check_key(&key_path).await?;
        store.key_audit_chain().await?;
        Ok(store)
    }

    /// Records the key's check value on first use; refuses a different key later.
    async fn check_key(&self, key_path: &Path) -> Result<(), Error> {
        let check = self.key.check_value();
        sqlx::query("INSERT INTO meta (key, value) VALUES ('data_key_check', $1) ON CONFLICT (key) DO NOTHING")
            .bind(&check)
            .execute(&self.pool)
            .await?;
        let stored = key_check_of(&self.pool).await?;
        if stored.as_deref() != Some(check.as_str()) {
            return Err(Error::DataKeyMismatch {
                path: key_path.to_owned(),
            });
        }
        Ok(())
    }

    /// The data key.
    pub fn key(&self) -> &DataKey {
        &self.key
    }

    /// The connection pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine the store runs on, for the SQL that differs.
    pub fn engine(&self) -> Engine {
        self.database.engine()
    }

    /// Where the database is.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// A write transaction. Write transactions run one at a time, in the
    /// order they asked, whichever process or instance asks:
    /// - SQLite: on the one write connection, taking the write lock at once
    ///   (`BEGIN IMMEDIATE`), so a writer in another process (the CLI) waits
    ///   on the busy timeout instead of failing on a stale snapshot;
    /// - PostgreSQL: holding a transaction-scoped advisory lock, so every
    ///   issuer instance and CLI on the server queues for it.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn write(&self) -> Result<Tx, Error> {
        match self.engine() {
            Engine::Sqlite => Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?),
            Engine::Postgres => {
                let mut tx = self.writer.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(engine::WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// The write transaction of `account_id`'s code application. On SQLite,
    /// [`Store::write`]. On PostgreSQL, applications run side by side: each
    /// takes the write lock *shared*, so every other write (a feed batch, a
    /// re-evaluation's revocations) still runs strictly before or after it,
    /// and then locks its account's row, so one resident's applications run
    /// one at a time (sequence, daily limit, superseding). The audit chain
    /// orders itself ([`Store::audit`]).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn write_application(&self, account_id: &str) -> Result<Tx, Error> {
        if self.engine() == Engine::Sqlite {
            return self.write().await;
        }
        let mut tx = self.writer.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind(engine::WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// A read transaction that sees one state of the database throughout,
    /// whatever commits meanwhile: SQLite's deferred transaction keeps its
    /// first read's snapshot in WAL mode; PostgreSQL needs REPEATABLE READ
    /// (its default gives every statement a snapshot of its own).
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn snapshot(&self) -> Result<Tx, Error> {
        Ok(match self.engine() {
            Engine::Sqlite => self.pool.begin().await?,
            Engine::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        })
    }

    /// A store in a new temporary folder, on SQLite or, when
    /// [`test_support::TEST_ENGINE_ENV`] says so, in a new PostgreSQL
    /// database (both removed when the place is dropped): for tests.
    ///
    /// # Errors
    /// As [`Store::open`].
    #[cfg(test)]
    pub(crate) async fn open_temporary() -> Result<(test_support::TestPlace, Store), Error> {
        let place = test_support::TestPlace::new().await?;
        let store = Store::open_at(&place.database, place.path(), None, Entropy::system()).await?;
        Ok((place, store))
    }

    /// A new id: 16 bytes as 32 hex digits, the first 6 the milliseconds
    /// since 1970 (as in UUIDv7) and the other 10 random. Ids sort in the
    /// order they were made; 80 random bits keep them unguessable.
    pub fn new_id(&self) -> String {
        let millis = (self.entropy.clock)().unix_timestamp_nanos() / 1_000_000;
        let mut bytes = [0u8; 16];
        bytes[..6].copy_from_slice(&(millis as u64).to_be_bytes()[2..]);
        self.with_rng(|rng| rng.fill_bytes(&mut bytes[6..]));
        hex::encode(&bytes)
    }

    /// Runs `use_rng` with the store's cryptographic generator: for every
    /// secret the store hands out (tokens, PINs, token ids).
    pub fn with_rng<T>(&self, use_rng: impl FnOnce(&mut ChaCha20Rng) -> T) -> T {
        // A poisoned lock only means a panic elsewhere mid-draw; the generator is whole.
        let mut rng = self.entropy.rng.lock().unwrap_or_else(|e| e.into_inner());
        use_rng(&mut rng)
    }

    /// Closes the pools (checkpointing the WAL).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// The data key's check value as stored, if one is.
async fn key_check_of(pool: &AnyPool) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'data_key_check'")
            .fetch_optional(pool)
            .await?,
    )
}

/// The database holds sealed personal data and hashes: owner only, like the key.
fn restrict_to_owner(data_dir: &Path, db_path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let wal = db_path.with_extension("db-wal");
        let shm = db_path.with_extension("db-shm");
        for (path, mode) in [
            (data_dir, 0o700),
            (db_path, 0o600),
            (&wal, 0o600),
            (&shm, 0o600),
        ] {
            if path.exists() {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(
                    |source| Error::Io {
                        path: path.to_owned(),
                        source,
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// Appends `(v1, v2, ...)` of `values`, bound, to `query`; `(NULL)` for
/// none, which matches nothing.
pub fn push_list(query: &mut sql::SqlBuilder<'_>, values: &[String]) {
    if values.is_empty() {
        query.push("(NULL)");
        return;
    }
    query.push("(");
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value.clone());
    }
    query.push(")");
}

/// An instant as stored: Unix seconds, UTC.
pub fn to_db(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// An instant as read back.
///
/// # Errors
/// [`Error::Corrupt`] for seconds outside the years 1970 to 9999: no instant
/// this system writes, so the row was altered.
pub fn from_db(seconds: i64) -> Result<OffsetDateTime, Error> {
    if seconds < 0 {
        return Err(corrupt_time(seconds));
    }
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| corrupt_time(seconds))
}

fn corrupt_time(seconds: i64) -> Error {
    Error::Corrupt {
        what: "instant",
        value: seconds.to_string(),
    }
}

/// A stored name read back (a status, a role, a kind ...).
///
/// # Errors
/// [`Error::Corrupt`] for a name this version does not know.
pub fn parse_name<T: FromStr<Err = UnknownName>>(text: &str) -> Result<T, Error> {
    text.parse().map_err(|e: UnknownName| Error::Corrupt {
        what: e.what,
        value: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `write` gave if it finished within `wait`; `None` while a lock
    /// it waits for is held. Waits that must end get seconds, waits that
    /// must not a moment.
    async fn within<T>(
        wait: std::time::Duration,
        write: impl Future<Output = Result<T, Error>>,
    ) -> Option<T> {
        tokio::time::timeout(wait, write)
            .await
            .ok()
            .and_then(Result::ok)
    }

    const BLOCKED: std::time::Duration = std::time::Duration::from_millis(300);
    const FREE: std::time::Duration = std::time::Duration::from_secs(10);

    #[tokio::test]
    async fn applications_overlap_each_other_but_never_another_write_or_their_own_account()
    -> Result<(), Error> {
        use time::macros::datetime;
        let now = datetime!(2022-12-10 02:00 UTC);
        let (_place, store) = Store::open_temporary().await?;
        if store.engine() == Engine::Sqlite {
            return Ok(()); // one writer: nothing overlaps at all
        }
        let first = test_support::active_resident(&store, "HKID:A1234563", "b-1", now).await?;
        let second = test_support::active_resident(&store, "HKID:B1234566", "b-1", now).await?;
        let holding = store.write_application(&first.id).await?;
        let other = within(FREE, store.write_application(&second.id)).await;
        assert!(
            other.is_some(),
            "another resident's application runs beside it"
        );
        drop(other);
        assert!(
            within(BLOCKED, store.write_application(&first.id))
                .await
                .is_none(),
            "the same resident's next application waits"
        );
        assert!(
            within(BLOCKED, store.write()).await.is_none(),
            "a feed batch (any other write) waits for the application"
        );
        holding.rollback().await?;
        let batch = within(FREE, store.write()).await;
        assert!(batch.is_some(), "and runs once it is done");
        assert!(
            within(BLOCKED, store.write_application(&second.id))
                .await
                .is_none(),
            "an application waits for a batch in progress"
        );
        Ok(())
    }

    #[tokio::test]
    async fn ids_sort_in_the_order_they_were_made() -> Result<(), Error> {
        let (_dir, store) = Store::open_temporary().await?;
        let ids: Vec<String> = (0..3)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                store.new_id()
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_ne!(store.new_id(), store.new_id());
        Ok(())
    }

    #[test]
    fn stored_instants_outside_any_we_write_are_corruption() {
        assert_eq!(from_db(0).ok(), Some(OffsetDateTime::UNIX_EPOCH));
        for altered in [-1, i64::MAX, 253_402_300_800] {
            assert!(matches!(from_db(altered), Err(Error::Corrupt { .. })));
        }
    }
}
