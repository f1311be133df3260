//! Passkeys (WebAuthn credentials) and the challenges of ceremonies under way.

use domain::UserId;
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

/// A registered passkey. `credential` is the serialised public credential (no secret).
#[derive(Debug, Clone)]
pub struct PasskeyRecord {
    pub id: String,
    pub user_id: UserId,
    /// The authenticator's id for the credential, base64url.
    pub credential_id: String,
    pub name: String,
    pub credential: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

const PASSKEY_COLUMNS: &str = "id, user_id, credential_id, name, credential, created_at, last_used_at";

macro_rules! passkey_from_row {
    ($row:expr) => {{
        let row = $row;
        let user_id: String = row.try_get("user_id")?;
        PasskeyRecord {
            id: row.try_get("id")?,
            user_id: UserId::parse(&user_id)
                .map_err(|_| StoreError::Corrupt(format!("passkey user id {user_id:?}")))?,
            credential_id: row.try_get("credential_id")?,
            name: row.try_get("name")?,
            credential: row.try_get("credential")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
        }
    }};
}

/// What a ceremony is for; one challenge of each kind per binding at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Adding a passkey to a signed-in account.
    Register,
    /// A passkey as the second factor, after the password.
    SecondFactor,
    /// Signing in with a passkey alone (a discoverable credential).
    SignIn,
}

impl CeremonyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyPurpose::Register => "register",
            CeremonyPurpose::SecondFactor => "second_factor",
            CeremonyPurpose::SignIn => "sign_in",
        }
    }
}

/// A challenge's server-side state, as stored and as taken back.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The session (or hashed visitor token) it was given to.
    pub binding: String,
    pub purpose: CeremonyPurpose,
    pub user_id: Option<UserId>,
    pub passkey_name: Option<String>,
    /// webauthn-rs's ceremony state, serialised.
    pub state: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Store {
    /// Gives the account a WebAuthn user handle unless it has one; returns the one it has.
    pub async fn ensure_webauthn_handle(&self, user: &UserId, candidate: &str) -> Result<String> {
        with_pool!(self, write, |pool| {
            let handle: Option<String> = sqlx::query_scalar(
                "UPDATE users SET webauthn_handle = COALESCE(webauthn_handle, $2) WHERE id = $1 RETURNING webauthn_handle",
            )
            .bind(user.as_str())
            .bind(candidate)
            .fetch_optional(pool)
            .await?;
            handle.ok_or(StoreError::NotFound)
        })
    }

    /// Adds a passkey. `Conflict` when the credential is already registered (to anyone).
    pub async fn insert_passkey(&self, passkey: &PasskeyRecord) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO passkeys (id, user_id, credential_id, name, credential, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&passkey.id)
            .bind(passkey.user_id.as_str())
            .bind(&passkey.credential_id)
            .bind(&passkey.name)
            .bind(&passkey.credential)
            .bind(passkey.created_at)
            .bind(passkey.last_used_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A person's passkeys, oldest first.
    pub async fn passkeys_of_user(&self, user: &UserId) -> Result<Vec<PasskeyRecord>> {
        with_pool!(self, read, |pool| {
            let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user.as_str())
                .fetch_all(pool)
                .await?;
            let mut passkeys = Vec::with_capacity(rows.len());
            for row in &rows {
                passkeys.push(passkey_from_row!(row));
            }
            Ok(passkeys)
        })
    }

    pub async fn passkey_by_credential_id(&self, credential_id: &str) -> Result<Option<PasskeyRecord>> {
        with_pool!(self, read, |pool| {
            let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1");
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(credential_id)
                .fetch_optional(pool)
                .await?
            else {
                return Ok(None);
            };
            Ok(Some(passkey_from_row!(&row)))
        })
    }

    /// After a sign-in: the time, and the credential when its counter or flags changed.
    pub async fn record_passkey_use(&self, id: &str, credential: Option<&str>, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE passkeys SET last_used_at = $2, credential = COALESCE($3, credential) WHERE id = $1")
                .bind(id)
                .bind(now)
                .bind(credential)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Removes one of `user`'s passkeys; false when they have none with that id.
    pub async fn delete_passkey(&self, user: &UserId, id: &str) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.as_str())
                .execute(pool)
                .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Stores a challenge, replacing any earlier one with the same binding and purpose (the
    /// newest ceremony wins) and clearing expired ones, so abandoned ceremonies do not pile up.
    pub async fn put_challenge(&self, challenge: &Challenge) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at <= $1 OR (binding = $2 AND purpose = $3)")
                .bind(challenge.created_at)
                .bind(&challenge.binding)
                .bind(challenge.purpose.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO webauthn_challenges (binding, purpose, user_id, passkey_name, state, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&challenge.binding)
            .bind(challenge.purpose.as_str())
            .bind(challenge.user_id.as_ref().map(UserId::as_str))
            .bind(challenge.passkey_name.as_deref())
            .bind(&challenge.state)
            .bind(challenge.created_at)
            .bind(challenge.expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes the challenge given to `binding` for `purpose` out of the store, so that it can
    /// be answered once only. None when there is none, or it expired before `now`.
    pub async fn take_challenge(
        &self,
        binding: &str,
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<Challenge>> {
        let row = with_pool!(self, write, |pool| {
            let row = sqlx::query(
                "DELETE FROM webauthn_challenges WHERE binding = $1 AND purpose = $2 \
                 RETURNING user_id, passkey_name, state, created_at, expires_at",
            )
            .bind(binding)
            .bind(purpose.as_str())
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => {
                    let user_id: Option<String> = row.try_get("user_id")?;
                    let user_id = user_id
                        .map(|id| {
                            UserId::parse(&id).map_err(|_| StoreError::Corrupt(format!("challenge user id {id:?}")))
                        })
                        .transpose()?;
                    Some(Challenge {
                        binding: binding.to_owned(),
                        purpose,
                        user_id,
                        passkey_name: row.try_get("passkey_name")?,
                        state: row.try_get("state")?,
                        created_at: row.try_get("created_at")?,
                        expires_at: row.try_get("expires_at")?,
                    })
                }
                None => None,
            }
        });
        Ok(row.filter(|challenge| challenge.expires_at.get() > now.get()))
    }
}
