//! Counters behind sign-in throttling, shared by every app node through the database.

use domain::platform::throttle::ThrottleState;
use sqlx::Row;

use crate::{Result, Store, Timestamp};

impl Store {
    pub async fn throttle_state(&self, key: &str) -> Result<Option<ThrottleState>> {
        with_pool!(self, read, |pool| {
            let row = sqlx::query(
                "SELECT failures, window_started_at, locked_until FROM signin_throttle WHERE throttle_key = $1",
            )
            .bind(key)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => {
                    let failures: i64 = row.try_get("failures")?;
                    let window: Timestamp = row.try_get("window_started_at")?;
                    let locked: Option<Timestamp> = row.try_get("locked_until")?;
                    Ok(Some(ThrottleState {
                        failures: u32::try_from(failures).unwrap_or(u32::MAX),
                        window_started_at: window.get(),
                        locked_until: locked.map(Timestamp::get),
                    }))
                }
                None => Ok(None),
            }
        })
    }

    /// Counts one attempt for `key` and returns the state including it, in one atomic
    /// statement: a burst of parallel requests is counted exactly, never lost in a
    /// read-then-write race. The count restarts when the window started before
    /// `window_start_cutoff` (and no lock is on), or when a lock has run out.
    pub async fn count_attempt(
        &self,
        key: &str,
        now: Timestamp,
        window_start_cutoff: Timestamp,
    ) -> Result<ThrottleState> {
        with_pool!(self, write, |pool| {
            let row = sqlx::query(
                "INSERT INTO signin_throttle (throttle_key, failures, window_started_at, locked_until) VALUES ($1, 1, $2, NULL) \
                 ON CONFLICT (throttle_key) DO UPDATE SET \
                   failures = CASE WHEN (signin_throttle.locked_until IS NULL AND signin_throttle.window_started_at < $3) \
                       OR signin_throttle.locked_until <= $2 THEN 1 ELSE signin_throttle.failures + 1 END, \
                   window_started_at = CASE WHEN (signin_throttle.locked_until IS NULL AND signin_throttle.window_started_at < $3) \
                       OR signin_throttle.locked_until <= $2 THEN $2 ELSE signin_throttle.window_started_at END, \
                   locked_until = CASE WHEN signin_throttle.locked_until <= $2 THEN NULL ELSE signin_throttle.locked_until END \
                 RETURNING failures, window_started_at, locked_until",
            )
            .bind(key)
            .bind(now)
            .bind(window_start_cutoff)
            .fetch_one(pool)
            .await?;
            let failures: i64 = row.try_get("failures")?;
            let window: Timestamp = row.try_get("window_started_at")?;
            let locked: Option<Timestamp> = row.try_get("locked_until")?;
            Ok(ThrottleState {
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                window_started_at: window.get(),
                locked_until: locked.map(Timestamp::get),
            })
        })
    }

    /// Locks `key` until `until`, unless a lock is already on.
    pub async fn lock_throttle(&self, key: &str, now: Timestamp, until: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE signin_throttle SET locked_until = $3 WHERE throttle_key = $1 AND (locked_until IS NULL OR locked_until <= $2)",
            )
            .bind(key)
            .bind(now)
            .bind(until)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes back one counted attempt (a successful sign-in from a shared address).
    pub async fn forgive_attempt(&self, key: &str) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE signin_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn clear_throttle(&self, key: &str) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("DELETE FROM signin_throttle WHERE throttle_key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
