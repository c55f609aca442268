//! PostgreSQL databases for the tests: one per issuer data folder when the
//! suite runs on PostgreSQL, or one for a test that always needs it.
//!
//! `HEALTHCODE_TEST_POSTGRES` names the server (scripts/test-postgres finds
//! or starts one); `HEALTHCODE_TEST_ENGINE=postgres` runs every issuer of
//! the end-to-end suite on it. Databases are made and dropped with `psql`.

use std::{
    collections::hash_map::DefaultHasher,
    hash::{Hash as _, Hasher as _},
    process::Command,
    sync::{Mutex, OnceLock},
};

/// The server, a URL without a database name.
pub const POSTGRES_ENV: &str = "HEALTHCODE_TEST_POSTGRES";
/// `postgres` to run the issuers of the suite on PostgreSQL.
pub const ENGINE_ENV: &str = "HEALTHCODE_TEST_ENGINE";
/// Every database this module makes starts so; a later run drops leftovers.
const PREFIX: &str = "hc_e2e_";

/// Whether this run puts the issuers' databases on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(ENGINE_ENV).as_deref() == Ok("postgres")
}

/// The server's URL: [`POSTGRES_ENV`], or else what scripts/test-postgres
/// finds or starts.
///
/// # Panics
/// When neither gives a server: a test that needs PostgreSQL cannot run.
pub fn server() -> String {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let server = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
                let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/test-postgres");
                let output = Command::new(script)
                    .output()
                    .unwrap_or_else(|e| panic!("running {script}: {e}"));
                assert!(
                    output.status.success(),
                    "{script} found no PostgreSQL server: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                String::from_utf8_lossy(&output.stdout).trim().to_owned()
            });
            server.trim_end_matches('/').to_owned()
        })
        .clone()
}

/// `--database URL` for the issuer whose data folder is `data`, when this
/// run is on PostgreSQL: the database is made on first use, named after
/// the folder, so that the server and every CLI command on that folder
/// meet in it.
pub fn issuer_database_args(data: &str) -> Vec<String> {
    if !on_postgres() {
        return Vec::new();
    }
    let name = name_for(data);
    if made().insert(name.clone()) {
        psql(&format!("CREATE DATABASE {name}"));
    }
    vec!["--database".into(), format!("{}/{name}", server())]
}

/// The databases this run made for data folders (leftovers of earlier
/// runs are dropped on first use).
fn made() -> std::sync::MutexGuard<'static, std::collections::HashSet<String>> {
    static MADE: OnceLock<Mutex<std::collections::HashSet<String>>> = OnceLock::new();
    MADE.get_or_init(|| {
        drop_leftovers();
        Mutex::new(std::collections::HashSet::new())
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

/// Drops the database of `data`'s issuer, if this run made one.
pub fn drop_issuer_database(data: &str) {
    if on_postgres() {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            name_for(data)
        ));
    }
}

/// A database of its own for one test, dropped with it.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    /// Its URL.
    pub url: String,
}

impl TestDatabase {
    /// Makes a new, empty database on the server.
    pub fn new() -> TestDatabase {
        let name = format!(
            "{PREFIX}{}_{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        psql(&format!("CREATE DATABASE {name}"));
        TestDatabase {
            url: format!("{}/{name}", server()),
            name,
        }
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        TestDatabase::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn name_for(data: &str) -> String {
    let mut hasher = DefaultHasher::new();
    data.hash(&mut hasher);
    format!("{PREFIX}{}_{:016x}", std::process::id(), hasher.finish())
}

/// Drops the databases an earlier run left (its process is gone).
fn drop_leftovers() {
    let listed = Command::new("psql")
        .args([&format!("{}/postgres", server()), "-Atqc"])
        .arg(format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"
        ))
        .output();
    let Ok(listed) = listed else { return };
    for name in String::from_utf8_lossy(&listed.stdout).lines() {
        let pid = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn psql(sql: &str) {
    let output = Command::new("psql")
        .args([&format!("{}/postgres", server()), "-Atqc", sql])
        .output()
        .unwrap_or_else(|e| panic!("running psql: {e}"));
    assert!(
        output.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The URL of the database of the issuer whose data folder is `data`, for
/// a test that reads or alters it behind the service's back (an insider
/// with the database): the SQLite file, or the run's PostgreSQL database.
pub fn issuer_database_url(data: &str) -> String {
    match issuer_database_args(data).pop() {
        Some(url) => url,
        None => format!("sqlite://{data}/healthcode.db"),
    }
}

/// Makes `to`'s database a copy of `from`'s, as copying the data folder
/// copies the SQLite file (`from`'s issuer must have stopped).
pub fn copy_issuer_database(from: &str, to: &str) {
    if !on_postgres() {
        return;
    }
    let _ = issuer_database_args(from);
    psql(&format!(
        "CREATE DATABASE {} TEMPLATE {}",
        name_for(to),
        name_for(from)
    ));
    made().insert(name_for(to));
}

/// Runs `statements` on `url` (SQLite or PostgreSQL), in order.
///
/// # Panics
/// When one fails.
pub fn execute(url: &str, statements: &[String]) {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for statement in statements {
            sqlx::query(statement)
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        pool.close().await;
    });
}

/// The whole database at `url` as bytes, to search for what must not be
/// readable at rest: the SQLite file and its WAL, or a `pg_dump` of the
/// PostgreSQL database (whose byte strings it writes in hex).
pub fn stored_bytes(data: &str) -> Vec<u8> {
    if !on_postgres() {
        let mut stored = Vec::new();
        for name in ["healthcode.db", "healthcode.db-wal"] {
            stored.extend(std::fs::read(format!("{data}/{name}")).unwrap_or_default());
        }
        return stored;
    }
    let url = issuer_database_url(data);
    let output = Command::new("pg_dump")
        .args(["--data-only", &url])
        .output()
        .unwrap_or_else(|e| panic!("running pg_dump: {e}"));
    assert!(
        output.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
