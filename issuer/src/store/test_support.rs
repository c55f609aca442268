//! Helpers for the store's and the workflows' unit tests.

use std::path::Path;

use healthcode_keys::IdDocument;
use sqlx::{Connection as _, Executor as _};
use time::{OffsetDateTime, macros::date};

use super::{
    Database, Store,
    accounts::{Account, NewAccount},
};
use crate::{
    Error,
    model::{AccountStatus, RegisterCheck, Route, application::Application, phone::Phone},
};

/// The environment variable that names a PostgreSQL server the tests may
/// create and drop databases on: a URL without a database name, e.g.
/// `postgres://postgres@127.0.0.1:5432` (scripts/test-postgres finds one).
pub(crate) const TEST_POSTGRES_ENV: &str = "HEALTHCODE_TEST_POSTGRES";

/// The environment variable that picks the engine the tests' stores run
/// on: `postgres` (on the server [`TEST_POSTGRES_ENV`] names) or, unset,
/// `sqlite`. scripts/test runs the store's tests once with each.
pub(crate) const TEST_ENGINE_ENV: &str = "HEALTHCODE_TEST_ENGINE";

/// Where a test's store lives: a temporary folder (the data key) and the
/// database, a file in it or a PostgreSQL database of its own, dropped with it.
#[derive(Debug)]
pub(crate) struct TestPlace {
    dir: tempfile::TempDir,
    pub(crate) database: Database,
    server: Option<String>,
}

impl TestPlace {
    pub(crate) async fn new() -> Result<TestPlace, Error> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            path: "tempdir".into(),
            source,
        })?;
        if std::env::var(TEST_ENGINE_ENV).as_deref() != Ok("postgres") {
            let database = Database::in_data_dir(dir.path());
            return Ok(TestPlace {
                dir,
                database,
                server: None,
            });
        }
        let server = std::env::var(TEST_POSTGRES_ENV).map_err(|_| Error::DatabaseUrl {
            problem: format!("{TEST_ENGINE_ENV}=postgres needs {TEST_POSTGRES_ENV}"),
        })?;
        let server = server.trim_end_matches('/').to_owned();
        let name = format!(
            "healthcode_test_{}",
            healthcode_keys::hex::encode(&rand::random::<[u8; 8]>())
        );
        sqlx::any::install_default_drivers();
        let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres")).await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await?;
        Ok(TestPlace {
            dir,
            database: Database::Postgres(format!("{server}/{name}")),
            server: Some(server),
        })
    }

    /// The temporary folder.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Drops the test's PostgreSQL database, on a thread of its own since a
/// drop cannot wait on the test's runtime.
impl Drop for TestPlace {
    fn drop(&mut self) {
        let (Some(server), Database::Postgres(url)) = (self.server.take(), &self.database) else {
            return;
        };
        let Some(name) = url.rsplit('/').next().map(str::to_owned) else {
            return;
        };
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) =
                    sqlx::AnyConnection::connect(&format!("{server}/postgres")).await
                {
                    let _ = admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropping.join();
    }
}

/// An active account on the housing route for the holder of `number`, in
/// `building`, created at `now`.
pub(crate) async fn active_resident(
    store: &Store,
    number: &str,
    building: &str,
    now: OffsetDateTime,
) -> Result<Account, Error> {
    let document: IdDocument = number.parse()?;
    let application = Application {
        name: "CHAN Tai Man".into(),
        document: document.clone(),
        date_of_issue: date!(2018 - 03 - 01),
        phone: Phone::parse("9123 4567").map_err(|_| Error::NotFound { what: "phone" })?,
        address: "Flat 1, Block A".into(),
        proof: None,
        language: crate::model::Lang::En,
    };
    let (id, index) = (store.new_id(), store.document_index(&document));
    let mut tx = store.write().await?;
    let new = NewAccount {
        id: &id,
        application: &application,
        id_index: &index,
        issue_index: "test",
        route: Route::Housing,
        status: AccountStatus::Active,
        priority: 0,
        building_id: Some(building),
        register_check: RegisterCheck::Unchecked,
    };
    store.insert_account(&mut tx, &new, now).await?;
    tx.commit().await?;
    let mut conn = store.pool().acquire().await?;
    store
        .account(&mut *conn, &id)
        .await?
        .ok_or(Error::NotFound { what: "account" })
}
