//! Test databases on both engines, shared by every crate's integration tests.
//!
//! SQLite: a fresh file in a temporary directory (real file, WAL, FULL sync, as in production).
//! PostgreSQL: a template database is migrated once per schema version (under an advisory lock,
//! so parallel test processes build it once), then each test gets its own copy made with
//! `CREATE DATABASE … TEMPLATE`, dropped when the test ends, pass or fail.
//!
//! PostgreSQL is found at `SENSATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). If it cannot be reached the test fails, with
//! one exception for a developer's machine without PostgreSQL: `SENSATE_TEST_SKIP_POSTGRES=1`
//! skips the PostgreSQL variants, saying so on every test. Under `CI=true` that escape is
//! refused: CI always runs both engines.
//!
//! Test support panics on failure by design: a panic is how a test reports a broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::{Engine, Store, StoreOptions};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs each test body once per engine: `mod name { fn sqlite(); fn postgres(); }`.
/// The body sees `engine: store::Engine`.
#[macro_export]
macro_rules! both_engines {
    ($(async fn $name:ident($engine:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $engine = $crate::Engine::Sqlite;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::engine::testing::skip_postgres() {
                    return;
                }
                let $engine = $crate::Engine::Postgres;
                $body
            }
        }
    )*};
}

/// True only when a developer asked to skip PostgreSQL outside CI (and it is said aloud).
pub fn skip_postgres() -> bool {
    let asked = std::env::var("SENSATE_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if asked && in_ci {
        panic!("SENSATE_TEST_SKIP_POSTGRES=1 is refused when CI=true: CI must test both engines");
    }
    if asked {
        eprintln!("SKIPPED the PostgreSQL variant (SENSATE_TEST_SKIP_POSTGRES=1)");
    }
    asked
}

pub fn admin_url() -> String {
    std::env::var("SENSATE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A migrated, empty database that disappears when dropped.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { name: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn url_for_database(admin_url: &str, name: &str) -> String {
    let (scheme, rest) = admin_url.split_once("://").unwrap_or(("postgres", admin_url));
    let (authority, path_and_query) = rest.split_once('/').unwrap_or((rest, ""));
    let query = path_and_query
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{scheme}://{authority}/{name}{query}")
}

async fn admin_connection() -> PgConnection {
    let url = admin_url();
    match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(error) => panic!(
            "PostgreSQL is not reachable at {} ({error}). Start it (README, section Testing) or point \
             SENSATE_TEST_POSTGRES_URL at a server; outside CI, SENSATE_TEST_SKIP_POSTGRES=1 skips the PostgreSQL variants.",
            crate::redact_url(&url)
        ),
    }
}

/// Creates the template for the current schema if it does not exist yet.
async fn ensure_template(admin: &mut PgConnection) -> String {
    let template = format!("sensate_tpl_{}", crate::engine::migrate::schema_fingerprint());
    // One process builds the template; the others wait here and then find it.
    sqlx::query("SELECT pg_advisory_lock(727101)")
        .execute(&mut *admin)
        .await
        .expect("advisory lock");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut *admin)
        .await
        .expect("look up template");
    if exists.is_none() {
        // Build under a temporary name and rename when complete, so a half-built template is
        // never copied.
        let building = format!("{template}_building");
        let drop = format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)");
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&mut *admin)
            .await
            .expect("drop stale template");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
            .execute(&mut *admin)
            .await
            .expect("create template");
        let store = Store::open_lazy(&url_for_database(&admin_url(), &building), &StoreOptions::default())
            .expect("open template");
        store.migrate().await.expect("migrate template");
        store.close().await;
        let rename = format!("ALTER DATABASE {building} RENAME TO {template}");
        sqlx::query(sqlx::AssertSqlSafe(rename))
            .execute(&mut *admin)
            .await
            .expect("rename template");
    }
    sqlx::query("SELECT pg_advisory_unlock(727101)")
        .execute(&mut *admin)
        .await
        .expect("advisory unlock");
    template
}

impl TestDb {
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let db = TestDb::sqlite_file();
                db.store.migrate().await.expect("migrate SQLite");
                db
            }
            Engine::Postgres => {
                let mut admin = admin_connection().await;
                let template = ensure_template(&mut admin).await;
                let name = format!("sensate_t_{}", unique_suffix());
                let create = format!("CREATE DATABASE {name} TEMPLATE {template}");
                // Copying fails while another session is connected to the template; those
                // sessions are short (another process's check), so retry briefly.
                let mut attempt = 0;
                loop {
                    match sqlx::query(sqlx::AssertSqlSafe(create.clone()))
                        .execute(&mut admin)
                        .await
                    {
                        Ok(_) => break,
                        Err(error) if attempt < 50 => {
                            attempt += 1;
                            tracing::debug!(%error, "template busy; retrying");
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        }
                        Err(error) => panic!("could not create test database: {error}"),
                    }
                }
                let _ = admin.close().await;
                let url = url_for_database(&admin_url(), &name);
                let store = Store::open_lazy(&url, &StoreOptions::default()).expect("open PostgreSQL");
                store.migrate().await.expect("migrations are already applied");
                TestDb {
                    store,
                    url,
                    cleanup: Cleanup::Postgres { name },
                }
            }
        }
    }
}

impl TestDb {
    /// A SQLite database file in a new temporary directory, not created yet.
    fn sqlite_file() -> TestDb {
        TestDb::sqlite_file_with(&StoreOptions::default())
    }

    fn sqlite_file_with(options: &StoreOptions) -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/sensate.db", dir.path().display());
        let store = Store::open_lazy(&url, options).expect("open SQLite");
        TestDb {
            store,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A migrated SQLite database opened with these options (group limits, say).
    pub async fn sqlite_with(options: &StoreOptions) -> TestDb {
        let db = TestDb::sqlite_file_with(options);
        db.store.migrate().await.expect("migrate SQLite");
        db
    }

    /// Takes SQLite's write turn and holds it, as a slow write would: writes made meanwhile
    /// queue, and join this write's group when it is given back.
    pub async fn hold_write(&self) -> HeldWrite {
        let crate::Db::Sqlite { writer, .. } = &self.store.db else {
            panic!("only SQLite has a group-commit writer");
        };
        HeldWrite {
            job: writer.job().await.expect("the write turn"),
        }
    }

    /// A database with nothing in it, not even the schema (what a restore goes into).
    pub async fn empty(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => TestDb::sqlite_file(),
            Engine::Postgres => {
                let mut admin = admin_connection().await;
                let name = format!("sensate_e_{}", unique_suffix());
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create empty database");
                let _ = admin.close().await;
                let url = url_for_database(&admin_url(), &name);
                let store = Store::open_lazy(&url, &StoreOptions::default()).expect("open PostgreSQL");
                TestDb {
                    store,
                    url,
                    cleanup: Cleanup::Postgres { name },
                }
            }
        }
    }

    /// Runs raw SQL against the test database (tests that tamper with rows on purpose).
    /// On SQLite it runs on the write connection outside any group transaction, so pragmas
    /// such as `foreign_keys` take effect.
    pub async fn execute(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.store.db {
            crate::Db::Sqlite { write, .. } => sqlx::query(sql).execute(write).await.expect("raw SQL").rows_affected(),
            crate::Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.expect("raw SQL").rows_affected(),
        }
    }

    /// Runs raw statements as one write (all of them or none), returning the rows affected.
    pub async fn try_execute(&self, statements: &[&str]) -> crate::Result<u64> {
        with_pool!(self.store, write, |pool| {
            let mut tx = pool.begin().await?;
            let mut affected = 0;
            for sql in statements {
                let sql = sqlx::AssertSqlSafe((*sql).to_owned());
                affected += sqlx::query(sql).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(affected)
        })
    }
}

/// A write in progress on SQLite's writer (see [`TestDb::hold_write`]). Dropping it undoes its
/// changes, exactly as when a write's body fails, panics or is cancelled.
pub struct HeldWrite {
    job: crate::engine::writer::Job,
}

impl HeldWrite {
    /// Runs a statement as part of this write.
    pub async fn execute(&mut self, sql: &str) -> crate::Result<u64> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(sqlx::query(sql).execute(self.job.connection()?).await?.rows_affected())
    }

    /// Keeps this write; returns once its group has committed (or with the group's failure).
    pub async fn finish(self) -> crate::Result<()> {
        self.job.finish(true).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { name } = &self.cleanup {
            // Drop runs outside async; use a short-lived runtime on its own thread.
            let name = name.clone();
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(mut admin) = PgConnection::connect(&admin_url()).await {
                        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_for_database;

    #[test]
    fn database_urls() {
        assert_eq!(
            url_for_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            url_for_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
