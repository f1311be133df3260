//! The database's part of a backup: a consistent copy taken while the server keeps serving,
//! its restoration into an empty database, and the engines' own integrity checks.
//!
//! - SQLite: `VACUUM INTO` on a read connection writes a compacted, consistent snapshot (the
//!   state of one read transaction) without blocking the writer.
//! - PostgreSQL: `pg_dump --format=custom` (one repeatable-read snapshot, also without
//!   blocking writers) and `pg_restore` into an empty database; both are PostgreSQL's own
//!   tools, found on PATH, and must be of the server's major version or newer.

use std::path::Path;

use crate::{Db, Result, Store, StoreError};

impl Store {
    /// Writes a consistent snapshot of a SQLite database to `path` (which must not exist).
    pub async fn snapshot_sqlite_into(&self, path: &Path) -> Result<()> {
        let Db::Sqlite { read, .. } = &self.db else {
            return Err(StoreError::Config("a SQLite snapshot needs a SQLite database".into()));
        };
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Config(format!("{} is not a UTF-8 path", path.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(read).await?;
        Ok(())
    }

    /// What the engine's integrity check finds wrong (empty when all is well): SQLite's
    /// `PRAGMA integrity_check` and `foreign_key_check`; on PostgreSQL, amcheck's
    /// `bt_index_check` on every index of the application's schema (amcheck is created when
    /// missing, which needs a role allowed to create extensions) and the foreign keys
    /// re-checked by query.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        match &self.db {
            Db::Sqlite { read, .. } => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(read).await?;
                problems.extend(rows.into_iter().filter(|r| r != "ok"));
                let broken: Vec<(String, i64, String)> =
                    sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                        .fetch_all(read)
                        .await?;
                problems.extend(
                    broken
                        .into_iter()
                        .map(|(table, row, parent)| format!("{table} row {row}: no matching row in {parent}")),
                );
            }
            Db::Postgres(pool) => {
                // A role that may not create extensions still gets the foreign-key check.
                match sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
                    .execute(pool)
                    .await
                {
                    Ok(_) => problems.extend(self.broken_indexes_postgres(pool).await?),
                    Err(error) => tracing::warn!(%error, "amcheck is not available: indexes are not checked"),
                }
                problems.extend(self.broken_foreign_keys_postgres(pool).await?);
            }
        }
        Ok(problems)
    }

    /// amcheck's `bt_index_check` (with the heap check) on every B-tree index of the schema.
    async fn broken_indexes_postgres(&self, pool: &sqlx::PgPool) -> Result<Vec<String>> {
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam \
             WHERE n.nspname = current_schema() AND a.amname = 'btree' ORDER BY c.relname",
        )
        .fetch_all(pool)
        .await?;
        let mut problems = Vec::new();
        for index in indexes {
            // bt_index_check raises an error describing the corruption it finds.
            let checked = sqlx::query(
                "SELECT bt_index_check(c.oid, true) FROM pg_class c \
                 WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace",
            )
            .bind(&index)
            .execute(pool)
            .await;
            if let Err(error) = checked {
                problems.push(format!("index {index}: {error}"));
            }
        }
        Ok(problems)
    }

    /// Every foreign key of the schema, re-checked: rows whose parent row is missing.
    async fn broken_foreign_keys_postgres(&self, pool: &sqlx::PgPool) -> Result<Vec<String>> {
        // Column lists come from the catalogue, each name quoted by quote_ident.
        let keys: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT con.conname, quote_ident(child.relname), quote_ident(parent.relname), \
                    string_agg('c.' || quote_ident(ca.attname), ', ' ORDER BY k.ord), \
                    string_agg('p.' || quote_ident(pa.attname), ', ' ORDER BY k.ord) \
             FROM pg_constraint con \
             JOIN pg_class child ON child.oid = con.conrelid \
             JOIN pg_class parent ON parent.oid = con.confrelid \
             JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(child_col, parent_col, ord) ON true \
             JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.child_col \
             JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.parent_col \
             WHERE con.contype = 'f' AND child.relnamespace = current_schema()::regnamespace \
             GROUP BY con.conname, child.relname, parent.relname ORDER BY con.conname",
        )
        .fetch_all(pool)
        .await?;
        let mut problems = Vec::new();
        for (name, child, parent, child_columns, parent_columns) in keys {
            // A key is checked only when all its columns are set (MATCH SIMPLE).
            let sql = format!(
                "SELECT count(*) FROM {child} c WHERE ROW({child_columns}) IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM {parent} p WHERE ROW({parent_columns}) = ROW({child_columns}))"
            );
            let missing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?;
            if missing > 0 {
                problems.push(format!(
                    "{child}: {missing} rows break {name} (no matching row in {parent})"
                ));
            }
        }
        Ok(problems)
    }

    /// Whether the database holds no application table yet (a restore goes only into such a
    /// database, never over data).
    pub async fn is_empty_database(&self) -> Result<bool> {
        let tables: i64 = match &self.db {
            Db::Sqlite { read, .. } => {
                // A file not created yet is empty (and cannot be opened read-only).
                if !read.connect_options().get_filename().exists() {
                    return Ok(true);
                }
                sqlx::query_scalar(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_one(read)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
                    .fetch_one(pool)
                    .await?
            }
        };
        Ok(tables == 0)
    }

    /// Rows in each of the tables a restore is compared on.
    pub async fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut counts = Vec::new();
        for table in COUNTED_TABLES {
            let sql = format!("SELECT count(*) FROM {table}");
            let count: i64 = with_pool!(self, read, |pool| {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?
            });
            counts.push(((*table).to_owned(), count));
        }
        Ok(counts)
    }
}

/// The tables whose row counts a backup's manifest records (people, credentials, records,
/// files and the audit log: what must come back).
pub const COUNTED_TABLES: &[&str] = &[
    "users",
    "credentials",
    "credential_events",
    "documents",
    "hour_entries",
    "supervision_sessions",
    "ethics_cases",
    "directory_profiles",
    "referrals",
    "audit_events",
];

/// A SQLite file (a snapshot) as it stands: what `PRAGMA integrity_check` finds wrong, and
/// the rows of each counted table. Opened read-only, without changing its journal mode.
pub async fn inspect_sqlite_file(path: &Path) -> Result<(Vec<String>, Vec<(String, i64)>)> {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete);
    let mut connection = sqlx::sqlite::SqliteConnection::connect_with(&options).await?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await?;
    let mut counts = Vec::new();
    for table in COUNTED_TABLES {
        let sql = format!("SELECT count(*) FROM {table}");
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut connection)
            .await?;
        counts.push(((*table).to_owned(), count));
    }
    connection.close().await?;
    Ok((rows.into_iter().filter(|r| r != "ok").collect(), counts))
}

/// A PostgreSQL snapshot held open for `pg_dump --snapshot`, with the rows of each counted
/// table as that snapshot sees them, so the manifest counts exactly what the dump holds
/// even while the server keeps writing. Dropping it ends the snapshot.
pub struct ExportedSnapshot {
    pub id: String,
    pub counts: Vec<(String, i64)>,
    _held: sqlx::Transaction<'static, sqlx::Postgres>,
}

impl Store {
    pub async fn export_snapshot(&self) -> Result<ExportedSnapshot> {
        let Db::Postgres(pool) = &self.db else {
            return Err(StoreError::Config("an exported snapshot needs PostgreSQL".into()));
        };
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await?;
        let mut counts = Vec::new();
        for table in COUNTED_TABLES {
            let sql = format!("SELECT count(*) FROM {table}");
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
            counts.push(((*table).to_owned(), count));
        }
        Ok(ExportedSnapshot { id, counts, _held: tx })
    }
}

/// The file of a `sqlite:` URL.
pub fn sqlite_file(url: &str) -> Result<std::path::PathBuf> {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("invalid SQLite URL {}: {e}", crate::redact_url(url))))?;
    Ok(options.get_filename().to_path_buf())
}

/// A PostgreSQL URL for PostgreSQL's own tools: without its password (which would show in
/// the process list), and the password, decoded, to hand them in `PGPASSWORD`.
pub fn postgres_url_for_tools(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (authority, tail) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) => (
                format!("{scheme}://{user}@{host}{tail}"),
                Some(percent_decode(password)),
            ),
            None => (url.to_owned(), None),
        },
        None => (url.to_owned(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_get_the_url_without_its_password() {
        assert_eq!(
            postgres_url_for_tools("postgres://sensate:s%40cret:x@db.example:5432/board?sslmode=require"),
            (
                "postgres://sensate@db.example:5432/board?sslmode=require".to_owned(),
                Some("s@cret:x".to_owned())
            )
        );
        assert_eq!(
            postgres_url_for_tools("postgres://postgres@127.0.0.1:5432/x"),
            ("postgres://postgres@127.0.0.1:5432/x".to_owned(), None)
        );
    }

    #[test]
    fn the_sqlite_file_is_read_from_the_url() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/sensate/sensate.db?mode=rwc").unwrap(),
            std::path::PathBuf::from("/var/lib/sensate/sensate.db")
        );
    }
}
