//! Persistence for Sensate on SQLite (embedded default) and PostgreSQL (scale-out).
//!
//! One implementation serves both engines. Every query is written once, in SQL both engines
//! read the same way (`$1` parameters, `ON CONFLICT`, `RETURNING`, one schema text), and the
//! [`with_pool!`] macro expands each query body twice, once per engine, so sqlx type-checks
//! the binds and decodes against each driver natively. Engine differences live in three
//! places only: connection set-up here, [`timestamp`], and the test databases in `testing`.
//! ARCHITECTURE.md explains why this beats one implementation per engine for Sensate.
//!
//! SQLite gets one writer connection and a pool of read-only connections: SQLite allows one
//! writer at a time anyway, and funnelling writes through one connection removes "database is
//! locked" failures under load while readers proceed in parallel (WAL mode). Writes on that
//! connection are committed in groups, one fsync per group ([`writer`]).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Runs `$body` with `$pool` bound to the right pool of whichever engine this store uses.
/// `read` bodies may run on any connection. `write` bodies run on PostgreSQL's pool, or on
/// SQLite as one write of a group (see [`writer`]): there `$pool` is the write connection lent
/// for this write (`&mut SqliteConnection`), inside a savepoint of the group's transaction.
/// The method returns only once that transaction has committed; an error, an early `return`
/// or a panic in the body undoes the body's changes only. So a write body uses `pool` once per
/// statement or through `pool.begin()` (a nested savepoint on SQLite), and returns early only
/// with an error (`?` or `return Err(…)`). The body is expanded once per engine, so it must
/// be valid sqlx code for both.
macro_rules! with_pool {
    ($store:expr, read, |$pool:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite { read, .. } => {
                let $pool = read;
                $body
            }
            $crate::Db::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
    ($store:expr, write, |$pool:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite { writer, .. } => {
                #[allow(unused_imports)]
                use sqlx::Connection as _;
                let mut job = writer.job().await?;
                // The body's `?` and `return` end this block, not the method, so that the
                // write is given back (kept or undone) and answered after its group commits.
                let outcome = async {
                    let $pool = job.connection()?;
                    Ok::<_, $crate::StoreError>($body)
                }
                .await;
                job.finish(outcome.is_ok()).await?;
                outcome?
            }
            $crate::Db::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

pub mod clinical;
pub mod credentialing;
pub mod directory;
pub mod engine;
pub mod ethics;
pub mod platform;
pub mod referrals;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use engine::error::StoreError;
pub use engine::timestamp::Timestamp;
pub use engine::writer::{GroupLimits, WriteStats};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Engine, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL must start with sqlite:// or postgres:// (got {})",
                redact_url(url)
            )))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// A URL fit for logs and messages: the password is replaced by `***`, whether it sits in the
/// user-info part (split at the *last* `@`, since passwords may contain `@`) or in a
/// `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => rest.to_owned(),
    };
    let query = query.map(|q| {
        let pairs: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        format!("?{}", pairs.join("&"))
    });
    format!("{scheme}://{rest}{}", query.unwrap_or_default())
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// PostgreSQL pool size, and SQLite's number of read connections.
    pub max_connections: u32,
    /// How long a request waits for a connection before giving up.
    pub acquire_timeout: Duration,
    /// SQLite's `synchronous` setting; [`SqliteSync::Full`] unless deliberately changed.
    pub sqlite_sync: SqliteSync,
    /// SQLite: commit concurrent writes in groups within these limits (the default), or with
    /// `None` each write in its own transaction (for comparison in benchmarks).
    pub group_commit: Option<GroupLimits>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            sqlite_sync: SqliteSync::Full,
            group_commit: Some(GroupLimits::default()),
        }
    }
}

/// When SQLite's commits reach the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// Every commit waits until the WAL is on disk: an acknowledged write survives a power cut.
    #[default]
    Full,
    /// The WAL is synced only at checkpoints: a crash of the process loses nothing, but a power
    /// cut can lose the last acknowledged writes. Only for measuring what FULL costs
    /// (`bench/durable-writes`); never for real records.
    Normal,
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite {
        read: SqlitePool,
        /// The single write connection: lent to writes by `writer`, used directly by migrations.
        write: SqlitePool,
        writer: engine::writer::Writer,
    },
    Postgres(PgPool),
}

/// The handle every use case receives. Cheap to clone (pools are reference-counted).
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.engine().as_str())
    }
}

impl Store {
    /// Builds the pools without connecting: the server starts (and answers `/healthz`) even
    /// while the database is down, and [`Store::migrate`] or [`Store::ping`] connect on use.
    pub fn open_lazy(url: &str, options: &StoreOptions) -> Result<Store> {
        let db = match Engine::from_url(url)? {
            Engine::Sqlite => {
                let base = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("invalid SQLite URL {}: {e}", redact_url(url))))?
                    // WAL lets readers run beside the writer; FULL syncs the WAL at every
                    // commit so an acknowledged write survives power loss, not just a crash.
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(match options.sqlite_sync {
                        SqliteSync::Full => SqliteSynchronous::Full,
                        SqliteSync::Normal => SqliteSynchronous::Normal,
                    })
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(options.acquire_timeout.max(Duration::from_secs(30)))
                    .connect_lazy_with(base.clone().create_if_missing(true));
                let read = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_lazy_with(base.read_only(true));
                let writer = engine::writer::Writer::new(write.clone(), options.group_commit);
                Db::Sqlite { read, write, writer }
            }
            Engine::Postgres => {
                let connect = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL {}: {e}", redact_url(url))))?
                    .application_name("sensate");
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_lazy_with(connect);
                Db::Postgres(pool)
            }
        };
        Ok(Store { db })
    }

    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies pending migrations (idempotent; safe to run from several nodes at once).
    /// On SQLite this also creates the database file, so it runs before any read.
    pub async fn migrate(&self) -> Result<()> {
        engine::migrate::run(self).await
    }

    /// A round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, read, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// What SQLite's writer has committed so far (None on PostgreSQL).
    pub fn write_stats(&self) -> Option<WriteStats> {
        match &self.db {
            Db::Sqlite { writer, .. } => Some(writer.stats()),
            Db::Postgres(_) => None,
        }
    }

    /// Closes every connection (at shutdown, and before a test database is dropped). On SQLite
    /// the writes already queued are committed first; later ones are refused.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { read, write, writer } => {
                writer.drain().await;
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_from_urls() {
        assert_eq!(
            Engine::from_url("sqlite://./data/sensate.db").ok(),
            Some(Engine::Sqlite)
        );
        assert_eq!(Engine::from_url("postgres://u@h/db").ok(), Some(Engine::Postgres));
        assert!(Engine::from_url("mysql://x").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact_url("sqlite://./data/s.db"), "sqlite://./data/s.db");
        assert_eq!(redact_url("postgres://app:p@ss@db/x"), "postgres://app:***@db/x");
        assert_eq!(
            redact_url("postgres://db/x?user=app&password=S3cret&sslmode=require"),
            "postgres://db/x?user=app&password=***&sslmode=require"
        );

        let message = Engine::from_url("mysql://root:hunter2@h/x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!message.contains("hunter2"));
    }
}
