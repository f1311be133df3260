//! Imported definition files: the board lists and the program versions.
//!
//! The store keeps each file verbatim and its checked form as JSON; checking is the domain's
//! job and happens before anything is written, so a row here is always a valid definition.
//! A version, once stored, never changes: importing the same version again is accepted only
//! if the file is identical.

use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

/// One stored version of the board lists.
#[derive(Debug, Clone)]
pub struct ListsRecord {
    pub version: String,
    pub source: String,
    pub parsed: String,
    pub imported_at: Timestamp,
}

/// One stored program version.
#[derive(Debug, Clone)]
pub struct ProgramRecord {
    pub code: String,
    pub version: String,
    pub name: String,
    pub kind: String,
    /// ISO date (YYYY-MM-DD) from which contracts are judged by this version.
    pub effective_from: String,
    pub source: String,
    pub parsed: String,
    pub imported_at: Timestamp,
    pub imported_by: Option<String>,
}

/// A new program version to store.
pub struct NewProgramVersion<'a> {
    pub code: &'a str,
    pub version: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub effective_from: &'a str,
    pub source: &'a str,
    pub parsed: &'a str,
    pub imported_by: Option<&'a str>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new version was stored.
    Added,
    /// This exact file was already stored under this version: nothing changed.
    Unchanged,
}

const PROGRAM_COLUMNS: &str = "code, version, name, kind, effective_from, source, parsed, imported_at, imported_by";

fn program_from_row<R: Row>(row: &R) -> Result<ProgramRecord>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ProgramRecord {
        code: row.try_get("code")?,
        version: row.try_get("version")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        effective_from: row.try_get("effective_from")?,
        source: row.try_get("source")?,
        parsed: row.try_get("parsed")?,
        imported_at: row.try_get("imported_at")?,
        imported_by: row.try_get("imported_by")?,
    })
}

impl Store {
    /// Stores a version of the board lists, or confirms the identical file is already stored.
    /// A different file under an existing version is a [`StoreError::Conflict`].
    pub async fn insert_lists(
        &self,
        version: &str,
        source: &str,
        parsed: &str,
        at: Timestamp,
        by: Option<&str>,
    ) -> Result<Imported> {
        let inserted = with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO board_lists (version, source, parsed, imported_at, imported_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version) DO NOTHING",
            )
            .bind(version)
            .bind(source)
            .bind(parsed)
            .bind(at)
            .bind(by)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            return Ok(Imported::Added);
        }
        let existing: Option<String> = with_pool!(self, read, |pool| {
            sqlx::query_scalar("SELECT source FROM board_lists WHERE version = $1")
                .bind(version)
                .fetch_optional(pool)
                .await?
        });
        match existing {
            Some(existing) if existing == source => Ok(Imported::Unchanged),
            _ => Err(StoreError::Conflict),
        }
    }

    /// The newest board lists, if any were imported.
    pub async fn current_lists(&self) -> Result<Option<ListsRecord>> {
        with_pool!(self, read, |pool| {
            let row = sqlx::query(
                "SELECT version, source, parsed, imported_at FROM board_lists \
                 ORDER BY imported_at DESC, version DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            row.map(|row| -> Result<ListsRecord> {
                Ok(ListsRecord {
                    version: row.try_get("version")?,
                    source: row.try_get("source")?,
                    parsed: row.try_get("parsed")?,
                    imported_at: row.try_get("imported_at")?,
                })
            })
            .transpose()
        })
    }

    /// Stores a program version, or confirms the identical file is already stored under it.
    pub async fn insert_program_version(&self, new: &NewProgramVersion<'_>, at: Timestamp) -> Result<Imported> {
        let inserted = with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO program_versions \
                 (code, version, name, kind, effective_from, source, parsed, imported_at, imported_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code, version) DO NOTHING",
            )
            .bind(new.code)
            .bind(new.version)
            .bind(new.name)
            .bind(new.kind)
            .bind(new.effective_from)
            .bind(new.source)
            .bind(new.parsed)
            .bind(at)
            .bind(new.imported_by)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            return Ok(Imported::Added);
        }
        match self.program_version(new.code, new.version).await? {
            Some(existing) if existing.source == new.source => Ok(Imported::Unchanged),
            _ => Err(StoreError::Conflict),
        }
    }

    /// Every stored program version: by code, newest rules first.
    pub async fn program_versions(&self) -> Result<Vec<ProgramRecord>> {
        let sql = format!(
            "SELECT {PROGRAM_COLUMNS} FROM program_versions ORDER BY code, effective_from DESC, imported_at DESC"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(program_from_row).collect()
        })
    }

    pub async fn program_version(&self, code: &str, version: &str) -> Result<Option<ProgramRecord>> {
        let sql = format!("SELECT {PROGRAM_COLUMNS} FROM program_versions WHERE code = $1 AND version = $2");
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(code)
                .bind(version)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(program_from_row).transpose()
        })
    }

    /// The version of `code` in force on `day` (ISO date): the latest `effective_from` on or
    /// before it, and among equal dates the latest import.
    pub async fn program_in_force(&self, code: &str, day: &str) -> Result<Option<ProgramRecord>> {
        let sql = format!(
            "SELECT {PROGRAM_COLUMNS} FROM program_versions WHERE code = $1 AND effective_from <= $2 \
             ORDER BY effective_from DESC, imported_at DESC LIMIT 1"
        );
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(code)
                .bind(day)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(program_from_row).transpose()
        })
    }
}
