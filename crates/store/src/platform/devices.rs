//! Device cookies: the tokens browsers keep for the accounts they have signed in to (hashed),
//! and the failed sign-ins an account's owner is shown afterwards.

use domain::UserId;
use sqlx::Row;

use crate::{Result, Store, Timestamp};

/// One failed or refused sign-in attempt on an account, from the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSignIn {
    pub at: Timestamp,
    pub client_addr: Option<String>,
    /// `signin.failure`, `signin.second_factor_failure` or `signin.throttled`.
    pub action: String,
}

/// Audit actions that are a failed or refused sign-in attempt on a known account.
const FAILED_ACTIONS: &str = "('signin.failure', 'signin.second_factor_failure', 'signin.throttled')";

impl Store {
    /// Whether `token_hash` is a device cookie of `user`, still valid at `now`.
    pub async fn device_cookie_is_valid(&self, token_hash: &str, user: &UserId, now: Timestamp) -> Result<bool> {
        with_pool!(self, read, |pool| {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT token_hash FROM device_cookies WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3",
            )
            .bind(token_hash)
            .bind(user.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    /// Stores a new device cookie for `user` and drops the one it replaces (if any) and the
    /// user's expired ones, in one transaction.
    pub async fn replace_device_cookie(
        &self,
        user: &UserId,
        new_hash: &str,
        replaces: Option<&str>,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM device_cookies WHERE user_id = $1 AND (token_hash = $2 OR expires_at <= $3)")
                .bind(user.as_str())
                .bind(replaces.unwrap_or(""))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO device_cookies (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(new_hash)
            .bind(user.as_str())
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The failed or refused sign-in attempts on `user`'s account since the sign-in before
    /// the latest one (every attempt on record when there is none): how many, and the newest
    /// `limit` of them, newest first.
    pub async fn failed_sign_ins_since_previous(&self, user: &UserId, limit: i64) -> Result<(i64, Vec<FailedSignIn>)> {
        // The latest success is the sign-in the owner is looking from; attempts since the one
        // before it are those they have not been shown yet.
        let since = "COALESCE((SELECT seq FROM audit_events WHERE actor_id = $1 AND action = 'signin.success' \
             ORDER BY seq DESC LIMIT 1 OFFSET 1), 0)";
        with_pool!(self, read, |pool| {
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM audit_events WHERE actor_id = $1 AND action IN {FAILED_ACTIONS} AND seq > {since}"
            )))
            .bind(user.as_str())
            .fetch_one(pool)
            .await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT at, client_addr, action FROM audit_events WHERE actor_id = $1 AND action IN {FAILED_ACTIONS} \
                 AND seq > {since} ORDER BY seq DESC LIMIT $2"
            )))
            .bind(user.as_str())
            .bind(limit.clamp(1, 100))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(FailedSignIn {
                    at: row.try_get("at")?,
                    client_addr: row.try_get("client_addr")?,
                    action: row.try_get("action")?,
                });
            }
            Ok((total, out))
        })
    }
}
