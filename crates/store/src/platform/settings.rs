//! Installation-wide settings.

use crate::{Result, Store};

impl Store {
    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?)
        })
    }

    pub async fn put_setting(&self, name: &str, value: &str) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
            )
            .bind(name)
            .bind(value)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
