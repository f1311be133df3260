//! Wrapped data keys for the vault, one per subject. This module stores bytes; wrapping and
//! unwrapping happen in the vault crate, called from the application layer.

use sqlx::Row;

use crate::{Result, Store, Timestamp};

/// A subject's wrapped key as stored. `wrapped` is None once the key was destroyed.
#[derive(Debug, Clone)]
pub struct StoredDataKey {
    pub subject: String,
    pub kek_id: Option<String>,
    pub wrapped: Option<Vec<u8>>,
    pub destroyed_at: Option<Timestamp>,
}

macro_rules! key_from_row {
    ($row:expr) => {{
        let row = $row;
        StoredDataKey {
            subject: row.try_get("subject")?,
            kek_id: row.try_get("kek_id")?,
            wrapped: row.try_get("wrapped")?,
            destroyed_at: row.try_get("destroyed_at")?,
        }
    }};
}

impl Store {
    pub async fn data_key(&self, subject: &str) -> Result<Option<StoredDataKey>> {
        with_pool!(self, read, |pool| {
            let row = sqlx::query("SELECT subject, kek_id, wrapped, destroyed_at FROM data_keys WHERE subject = $1")
                .bind(subject)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(key_from_row!(&row))),
                None => Ok(None),
            }
        })
    }

    /// Stores a new subject's key. `Conflict` when another request created it first; the
    /// caller then reads and uses that one.
    pub async fn insert_data_key(&self, subject: &str, kek_id: &str, wrapped: &[u8], now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("INSERT INTO data_keys (subject, kek_id, wrapped, created_at) VALUES ($1, $2, $3, $4)")
                .bind(subject)
                .bind(kek_id)
                .bind(wrapped)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Crypto-shredding: forgets the wrapped key for good. Everything sealed under it becomes
    /// unreadable. Returns false when there was no live key.
    pub async fn destroy_data_key(&self, subject: &str, now: Timestamp) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query(
                "UPDATE data_keys SET wrapped = NULL, kek_id = NULL, destroyed_at = $2 WHERE subject = $1 AND wrapped IS NOT NULL",
            )
            .bind(subject)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Live keys still wrapped by a key other than `kek_id`, in batches, for rotation.
    pub async fn data_keys_not_wrapped_by(&self, kek_id: &str, limit: i64) -> Result<Vec<StoredDataKey>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT subject, kek_id, wrapped, destroyed_at FROM data_keys \
                 WHERE wrapped IS NOT NULL AND kek_id <> $1 ORDER BY subject LIMIT $2",
            )
            .bind(kek_id)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut keys = Vec::with_capacity(rows.len());
            for row in &rows {
                keys.push(key_from_row!(row));
            }
            Ok(keys)
        })
    }

    /// Replaces a wrapped key, only if it is still wrapped by `old_kek_id` (a concurrent
    /// rotation or destruction wins). Returns whether it was replaced.
    pub async fn rewrap_data_key(
        &self,
        subject: &str,
        old_kek_id: &str,
        new_kek_id: &str,
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query(
                "UPDATE data_keys SET kek_id = $3, wrapped = $4, rewrapped_at = $5 \
                 WHERE subject = $1 AND kek_id = $2 AND wrapped IS NOT NULL",
            )
            .bind(subject)
            .bind(old_kek_id)
            .bind(new_kek_id)
            .bind(wrapped)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// How many live data keys each key-encryption key wraps.
    pub async fn data_key_counts(&self) -> Result<Vec<(String, i64)>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT kek_id, COUNT(*) AS n FROM data_keys WHERE wrapped IS NOT NULL GROUP BY kek_id ORDER BY kek_id",
            )
            .fetch_all(pool)
            .await?;
            let mut counts = Vec::with_capacity(rows.len());
            for row in &rows {
                counts.push((row.try_get("kek_id")?, row.try_get("n")?));
            }
            Ok(counts)
        })
    }
}
