//! The board's signing keys: one active, earlier ones retired but still published.

use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct SigningKeyRow {
    pub kid: String,
    /// The Ed25519 public key, base64url.
    pub public_key: String,
    pub secret_sealed: Vec<u8>,
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
}

macro_rules! signing_key_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<SigningKeyRow, StoreError>(SigningKeyRow {
            kid: row.try_get("kid")?,
            public_key: row.try_get("public_key")?,
            secret_sealed: row.try_get("secret_sealed")?,
            created_at: row.try_get("created_at")?,
            retired_at: row.try_get("retired_at")?,
        })
    }};
}

impl Store {
    /// Adds a key and retires every other active key, in one transaction, so exactly one key
    /// is active afterwards.
    pub async fn add_signing_key(&self, key: &SigningKeyRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                .bind(key.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO signing_keys (kid, public_key, secret_sealed, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&key.kid)
            .bind(&key.public_key)
            .bind(&key.secret_sealed)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every key, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT kid, public_key, secret_sealed, created_at, retired_at FROM signing_keys \
                 ORDER BY created_at DESC, kid",
            )
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| signing_key_from_row!(row)).collect()
        })
    }
}
