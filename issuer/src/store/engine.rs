//! The two database engines the store runs on, and how each is opened.
//!
//! SQLite is the embedded default: one file in the data folder, one write
//! connection, so writes are serialised by the connection itself.
//! PostgreSQL is for the whole territory: any number of issuer instances on
//! one server, where writes are serialised by a transaction-scoped advisory
//! lock instead (docs/scale.md says which guarantee rests on it).
//!
//! Most SQL is one text for both (standard SQL, `$n` parameters, instants as
//! BIGINT seconds); where the engines differ the store asks [`Engine`].

use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use sqlx::{
    AnyPool, Connection as _, Executor as _,
    any::{AnyConnectOptions, AnyPoolOptions},
};

use super::DATABASE_FILE;
use crate::Error;

/// The environment variable that names the database, as `--database` does.
pub const DATABASE_URL_ENV: &str = "HEALTHCODE_DATABASE_URL";

/// Where the store's database is: `sqlite:PATH` or `postgres://...`.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by its connection URL.
    Postgres(String),
}

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Database {
    /// Reads `sqlite:PATH` (also `sqlite://PATH`) or `postgres://...`
    /// (also `postgresql://...`).
    ///
    /// # Errors
    /// [`Error::DatabaseUrl`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Database, Error> {
        let problem = |problem: &str| Error::DatabaseUrl {
            problem: problem.to_owned(),
        };
        if text.len() > 2048 {
            return Err(problem("the database URL is longer than 2048 characters"));
        }
        if let Some(path) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains('?') || path.contains('\0') {
                return Err(problem(
                    "sqlite: needs a file path with no options, e.g. sqlite:data/healthcode.db",
                ));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            url::Url::parse(text)
                .map_err(|e| problem(&format!("the PostgreSQL URL does not parse: {e}")))?;
            return Ok(Database::Postgres(text.to_owned()));
        }
        Err(problem(
            "the database must be sqlite:PATH or postgres://USER@HOST:PORT/NAME",
        ))
    }

    /// The default: `healthcode.db` in the data folder.
    pub fn in_data_dir(data_dir: &Path) -> Database {
        Database::Sqlite(data_dir.join(DATABASE_FILE))
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        match self {
            Database::Sqlite(_) => Engine::Sqlite,
            Database::Postgres(_) => Engine::Postgres,
        }
    }
}

/// Shown without the password: the URL ends up in logs and error messages.
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Database::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("********"));
                    }
                    write!(f, "{parsed}")
                }
                Err(_) => f.write_str("postgres://(unparsable)"),
            },
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Database({self})")
    }
}

impl Engine {
    /// The column that names a row physically, for batched deletes.
    pub fn row_address(self) -> &'static str {
        match self {
            Engine::Sqlite => "rowid",
            Engine::Postgres => "ctid",
        }
    }
}

/// The key of the advisory lock every PostgreSQL write transaction takes:
/// "HKHC" in ASCII. Exclusive for every write but a code application, which
/// takes it shared (see `Store::write_application`).
pub(super) const WRITE_LOCK: i64 = 0x484B_4843;

/// The key of the advisory lock that orders the audit chain's entries on
/// PostgreSQL, for applications that write side by side: "HKAU".
pub(super) const AUDIT_LOCK: i64 = 0x484B_4155;

/// The pools of an open database: `pool` for reads, `writer` for write
/// transactions (on SQLite one connection; on PostgreSQL the same pool).
pub(super) struct Pools {
    pub(super) pool: AnyPool,
    pub(super) writer: AnyPool,
}

/// Opens `database`, applying the engine's migrations.
pub(super) async fn connect(database: &Database) -> Result<Pools, Error> {
    sqlx::any::install_default_drivers();
    match database {
        Database::Sqlite(path) => connect_sqlite(path).await,
        Database::Postgres(url) => connect_postgres(url).await.map_err(|e| match e {
            // The pool only says it timed out; say where and why.
            Error::Db(e) => Error::DatabaseUrl {
                problem: format!("{database} cannot be used: {e}"),
            },
            e => e,
        }),
    }
}

async fn connect_sqlite(path: &Path) -> Result<Pools, Error> {
    let url = url::Url::from_file_path(std::path::absolute(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?)
    .map_err(|()| Error::DatabaseUrl {
        problem: format!("{} is not a usable file path", path.display()),
    })?;
    let url = format!("sqlite://{}?mode=rwc", url.path());
    let options: AnyConnectOptions = url.parse()?;
    let pool = sqlite_pool(8).connect_with(options.clone()).await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    // SQLite has one writer at a time. Writers queue here, in order, for
    // the one write connection, rather than on SQLite's busy handler,
    // which sleeps and polls and gives long tails under load.
    let writer = sqlite_pool(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    Ok(Pools { pool, writer })
}

/// Every SQLite connection's settings. Writes are acknowledged only after
/// commit with `synchronous = FULL` in WAL mode: an acknowledged write
/// survives `kill -9` and power loss.
fn sqlite_pool(connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        // temp_store: multi-row upserts keep a statement journal, in memory
        // it costs no file writes; a larger page cache keeps indexes warm.
        // secure_delete: deleted rows are overwritten, not left in free
        // pages, so a purge (docs/retention.md) leaves nothing in the file.
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384; \
                     PRAGMA secure_delete = ON;",
                )
                .await?;
                Ok(())
            })
        })
}

async fn connect_postgres(url: &str) -> Result<Pools, Error> {
    let options: AnyConnectOptions = url.parse()?;
    // One connection first: its error names the cause (refused, no such
    // database, authentication), where the pool's would only time out.
    sqlx::AnyConnection::connect_with(&options)
        .await?
        .close()
        .await?;
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(Pools {
        writer: pool.clone(),
        pool,
    })
}

/// A truth value read back from SQL: PostgreSQL answers `EXISTS` and
/// comparisons with a boolean, SQLite with 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        ty.kind() == sqlx::any::AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        match <bool as sqlx::Decode<sqlx::Any>>::decode(value.clone()) {
            Ok(flag) => Ok(Flag(flag)),
            Err(_) => Ok(Flag(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_is_a_sqlite_path_or_a_postgres_url_and_nothing_else() {
        assert_eq!(
            Database::parse("sqlite:data/healthcode.db").ok(),
            Some(Database::Sqlite("data/healthcode.db".into()))
        );
        assert_eq!(
            Database::parse("sqlite:///srv/hc.db").ok(),
            Some(Database::Sqlite("/srv/hc.db".into()))
        );
        for url in ["postgres://hc@db:5432/hc", "postgresql://hc@db/hc"] {
            assert_eq!(
                Database::parse(url).ok().map(|d| d.engine()),
                Some(Engine::Postgres)
            );
        }
        for refused in [
            "",
            "sqlite:",
            "sqlite:a.db?mode=memory",
            "mysql://root@db/hc",
            "postgres://[::1",
            "data/healthcode.db",
        ] {
            assert!(
                matches!(Database::parse(refused), Err(Error::DatabaseUrl { .. })),
                "{refused:?}"
            );
        }
        let long = format!("postgres://hc@db/{}", "x".repeat(3000));
        assert!(Database::parse(&long).is_err());
    }

    #[test]
    fn a_password_in_the_url_is_never_shown() -> Result<(), Error> {
        let database = Database::parse("postgres://hc:s3cret-pw@db:5432/hc")?;
        for shown in [database.to_string(), format!("{database:?}")] {
            assert!(!shown.contains("s3cret-pw"), "{shown}");
            assert!(shown.contains("hc:********@db:5432/hc"), "{shown}");
        }
        Ok(())
    }
}
