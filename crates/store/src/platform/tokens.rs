//! One-time links sent by e-mail (address verification, password reset, invitations).
//! Only the SHA-256 of each token is stored; the token itself exists only in the e-mail.

use domain::{Role, UserId};
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    Invitation,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::Invitation => "invitation",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub token_hash: String,
    pub purpose: TokenPurpose,
    pub user_id: Option<UserId>,
    /// Invitations: the address invited.
    pub email: Option<String>,
    /// Invitations: the role offered.
    pub role: Option<Role>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

macro_rules! token_from_row {
    ($row:expr, $purpose:expr) => {{
        let row = $row;
        let user_id: Option<String> = row.try_get("user_id")?;
        let role: Option<String> = row.try_get("role")?;
        TokenRecord {
            token_hash: row.try_get("token_hash")?,
            purpose: $purpose,
            user_id: user_id
                .map(|id| UserId::parse(&id).map_err(|_| StoreError::Corrupt("token user id".into())))
                .transpose()?,
            email: row.try_get("email")?,
            role: role
                .map(|r| Role::parse(&r).map_err(|_| StoreError::Corrupt("token role".into())))
                .transpose()?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
        }
    }};
}

const TOKEN_COLUMNS: &str = "token_hash, user_id, email, role, created_by, created_at, expires_at, used_at";

impl Store {
    pub async fn insert_token(&self, token: &TokenRecord) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email, role, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&token.token_hash)
            .bind(token.purpose.as_str())
            .bind(token.user_id.as_ref().map(UserId::as_str))
            .bind(token.email.as_deref())
            .bind(token.role.map(Role::as_str))
            .bind(token.created_by.as_deref())
            .bind(token.created_at)
            .bind(token.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The token if it exists, has this purpose, is unused and unexpired, without using it.
    pub async fn peek_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>> {
        with_pool!(self, read, |pool| {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLUMNS} FROM one_time_tokens \
                 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
            ));
            match sqlx::query(sql)
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(token_from_row!(&row, purpose))),
                None => Ok(None),
            }
        })
    }

    /// Uses the token: succeeds once, atomically, and only while it is unexpired.
    pub async fn consume_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>> {
        with_pool!(self, write, |pool| {
            let sql = sqlx::AssertSqlSafe(format!(
                "UPDATE one_time_tokens SET used_at = $3 \
                 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
                 RETURNING {TOKEN_COLUMNS}"
            ));
            match sqlx::query(sql)
                .bind(token_hash)
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(token_from_row!(&row, purpose))),
                None => Ok(None),
            }
        })
    }

    /// Invalidates a user's outstanding tokens of one purpose (a new reset link replaces the
    /// old; a password change voids pending reset links).
    pub async fn revoke_tokens(&self, user: &UserId, purpose: TokenPurpose, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            )
            .bind(user.as_str())
            .bind(purpose.as_str())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Withdraws an open invitation: its link stops working and says it was withdrawn.
    /// [`StoreError::Conflict`] if it is not open any more (accepted, expired or withdrawn).
    pub async fn withdraw_invitation(&self, token_hash: &str, by: &UserId, now: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE one_time_tokens SET used_at = $2, revoked_at = $2, revoked_by = $3 \
                 WHERE token_hash = $1 AND purpose = 'invitation' AND used_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .bind(by.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Whether this invitation was withdrawn by staff (rather than used or expired).
    pub async fn invitation_withdrawn(&self, token_hash: &str) -> Result<bool> {
        with_pool!(self, read, |pool| {
            let row = sqlx::query(
                "SELECT 1 AS found FROM one_time_tokens \
                 WHERE token_hash = $1 AND purpose = 'invitation' AND revoked_at IS NOT NULL",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Open invitations, newest first (for the people page).
    pub async fn open_invitations(&self, now: Timestamp) -> Result<Vec<TokenRecord>> {
        with_pool!(self, read, |pool| {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLUMNS} FROM one_time_tokens \
                 WHERE purpose = 'invitation' AND used_at IS NULL AND expires_at > $1 ORDER BY created_at DESC LIMIT 200"
            ));
            let rows = sqlx::query(sql).bind(now).fetch_all(pool).await?;
            let mut tokens = Vec::with_capacity(rows.len());
            for row in &rows {
                tokens.push(token_from_row!(row, TokenPurpose::Invitation));
            }
            Ok(tokens)
        })
    }
}
