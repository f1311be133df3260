//! Counters behind sign-in throttling, shared by every app node through the database.

use domain::throttle::ThrottleState;
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

    pub async fn put_throttle_state(&self, key: &str, state: &ThrottleState) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO signin_throttle (throttle_key, failures, window_started_at, locked_until) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (throttle_key) DO UPDATE SET failures = $2, window_started_at = $3, locked_until = $4",
            )
            .bind(key)
            .bind(i64::from(state.failures))
            .bind(Timestamp::new(state.window_started_at))
            .bind(state.locked_until.map(Timestamp::new))
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
