//! Server-side sessions.

use domain::{SessionId, UserId};
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

/// Where a session stands between the password and full access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted; the second factor is still owed.
    MfaPending,
    /// Fully signed in.
    Active,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::MfaPending => "mfa_pending",
            SessionStage::Active => "active",
        }
    }
    fn parse(text: &str) -> Result<Self> {
        match text {
            "mfa_pending" => Ok(SessionStage::MfaPending),
            "active" => Ok(SessionStage::Active),
            other => Err(StoreError::Corrupt(format!("session stage {other:?}"))),
        }
    }
}

/// A session row. `Debug` omits the CSRF secret.
#[derive(Clone)]
pub struct SessionRecord {
    pub id: SessionId,
    /// SHA-256 (hex) of the cookie secret.
    pub token_hash: String,
    pub user_id: UserId,
    pub stage: SessionStage,
    pub csrf_secret: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("stage", &self.stage)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

macro_rules! session_from_row {
    ($row:expr) => {{
        let row = $row;
        let id: String = row.try_get("id")?;
        let user_id: String = row.try_get("user_id")?;
        let stage: String = row.try_get("stage")?;
        SessionRecord {
            id: SessionId::parse(&id).map_err(|_| StoreError::Corrupt("session id".into()))?,
            token_hash: row.try_get("token_hash")?,
            user_id: UserId::parse(&user_id).map_err(|_| StoreError::Corrupt("session user id".into()))?,
            stage: SessionStage::parse(&stage)?,
            csrf_secret: row.try_get("csrf_secret")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            client_addr: row.try_get("client_addr")?,
            user_agent: row.try_get("user_agent")?,
        }
    }};
}

const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, stage, csrf_secret, created_at, last_seen_at, client_addr, user_agent";

impl Store {
    /// Inserts `new`, deleting `replaces` in the same transaction (a new session id at sign-in,
    /// at the second factor, and at any change of privilege).
    pub async fn insert_session(&self, new: &SessionRecord, replaces: Option<&SessionId>) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(old) = replaces {
                sqlx::query("DELETE FROM sessions WHERE id = $1")
                    .bind(old.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO sessions (id, token_hash, user_id, stage, csrf_secret, created_at, last_seen_at, client_addr, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new.id.as_str())
            .bind(&new.token_hash)
            .bind(new.user_id.as_str())
            .bind(new.stage.as_str())
            .bind(&new.csrf_secret)
            .bind(new.created_at)
            .bind(new.last_seen_at)
            .bind(new.client_addr.as_deref())
            .bind(new.user_agent.as_deref())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        with_pool!(self, read, |pool| {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"));
            match sqlx::query(sql).bind(token_hash).fetch_optional(pool).await? {
                Some(row) => Ok(Some(session_from_row!(&row))),
                None => Ok(None),
            }
        })
    }

    pub async fn sessions_of_user(&self, user: &UserId) -> Result<Vec<SessionRecord>> {
        with_pool!(self, read, |pool| {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND stage = 'active' ORDER BY last_seen_at DESC, id"
            ));
            let rows = sqlx::query(sql).bind(user.as_str()).fetch_all(pool).await?;
            let mut sessions = Vec::with_capacity(rows.len());
            for row in &rows {
                sessions.push(session_from_row!(row));
            }
            Ok(sessions)
        })
    }

    /// Who owns a session (for the relationship check before ending it).
    pub async fn session_owner(&self, id: &SessionId) -> Result<Option<UserId>> {
        let owner: Option<String> = with_pool!(self, read, |pool| {
            sqlx::query_scalar("SELECT user_id FROM sessions WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        owner
            .map(|id| UserId::parse(&id).map_err(|_| StoreError::Corrupt("session user id".into())))
            .transpose()
    }

    pub async fn touch_session(&self, id: &SessionId, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Keeps sealed recovery codes for `session` to show once, replacing any kept before.
    pub async fn keep_codes_to_show(&self, session: &SessionId, sealed: &[u8], now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO codes_to_show (session_id, sealed, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (session_id) DO UPDATE SET sealed = $2, created_at = $3",
            )
            .bind(session.as_str())
            .bind(sealed)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes the codes kept for `session`: they are deleted as they are read.
    pub async fn take_codes_to_show(&self, session: &SessionId) -> Result<Option<Vec<u8>>> {
        with_pool!(self, write, |pool| {
            Ok(
                sqlx::query_scalar("DELETE FROM codes_to_show WHERE session_id = $1 RETURNING sealed")
                    .bind(session.as_str())
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    pub async fn delete_session(&self, id: &SessionId) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes one of `user`'s sessions; false when it is not theirs or already gone.
    pub async fn delete_session_of_user(&self, user: &UserId, id: &SessionId) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
                .bind(id.as_str())
                .bind(user.as_str())
                .execute(pool)
                .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Ends every session of `user`, except `keep` when given. Returns how many ended.
    pub async fn delete_sessions_of_user(&self, user: &UserId, keep: Option<&SessionId>) -> Result<u64> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
                .bind(user.as_str())
                .bind(keep.map(SessionId::as_str))
                .execute(pool)
                .await?;
            Ok(result.rows_affected())
        })
    }

    /// Housekeeping: removes sessions past either timeout.
    pub async fn delete_expired_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(created_before)
                .execute(pool)
                .await?;
            Ok(result.rows_affected())
        })
    }
}
