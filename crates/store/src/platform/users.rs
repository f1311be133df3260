//! Accounts, their roles, and their second factors.

use domain::{EmailAddress, Role, UserId};
use sqlx::Row;

use crate::{Engine, Result, Store, StoreError, Timestamp};

/// An account as stored. `Debug` leaves out the password hash and the sealed TOTP secret.
#[derive(Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: EmailAddress,
    pub display_name: String,
    pub password_hash: String,
    pub email_verified_at: Option<Timestamp>,
    pub totp_secret_sealed: Option<Vec<u8>>,
    pub totp_enabled_at: Option<Timestamp>,
    pub totp_last_step: Option<i64>,
    pub is_demo: bool,
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub roles: Vec<Role>,
    /// The WebAuthn user handle, given at the first passkey.
    pub webauthn_handle: Option<String>,
    /// How many passkeys the account has registered.
    pub passkeys: i64,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("roles", &self.roles)
            .field("totp_enabled", &self.totp_enabled_at.is_some())
            .field("passkeys", &self.passkeys)
            .field("is_demo", &self.is_demo)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// Whether sign-in asks for a second factor: an authenticator app or a passkey.
    pub fn mfa_enabled(&self) -> bool {
        self.totp_enabled() || self.passkeys > 0
    }
    pub fn totp_enabled(&self) -> bool {
        self.totp_enabled_at.is_some()
    }
}

/// A new account to insert.
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub email: &'a EmailAddress,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub email_verified_at: Option<Timestamp>,
    pub roles: &'a [Role],
    pub granted_by: Option<&'a UserId>,
    pub is_demo: bool,
    pub now: Timestamp,
}

/// Replaces a user's recovery codes inside an open transaction (either engine).
macro_rules! write_recovery_codes {
    ($tx:ident, $id:expr, $hashes:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind($id.as_str())
            .execute(&mut *$tx)
            .await?;
        for hash in $hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind($id.as_str())
                .bind(hash)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Read from `users u` (the passkey count is a correlated subquery on that alias).
const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.password_hash, u.email_verified_at, \
     u.totp_secret_sealed, u.totp_enabled_at, u.totp_last_step, u.is_demo, u.disabled_at, u.created_at, \
     u.webauthn_handle, (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) AS passkey_count";

macro_rules! user_from_row {
    ($row:expr) => {{
        let row = $row;
        let id: String = row.try_get("id")?;
        let email: String = row.try_get("email")?;
        UserRecord {
            id: UserId::parse(&id).map_err(|_| StoreError::Corrupt(format!("user id {id:?}")))?,
            email: EmailAddress::parse(&email).map_err(|_| StoreError::Corrupt(format!("e-mail of user {id}")))?,
            display_name: row.try_get("display_name")?,
            password_hash: row.try_get("password_hash")?,
            email_verified_at: row.try_get("email_verified_at")?,
            totp_secret_sealed: row.try_get("totp_secret_sealed")?,
            totp_enabled_at: row.try_get("totp_enabled_at")?,
            totp_last_step: row.try_get("totp_last_step")?,
            is_demo: row.try_get("is_demo")?,
            disabled_at: row.try_get("disabled_at")?,
            created_at: row.try_get("created_at")?,
            roles: Vec::new(),
            webauthn_handle: row.try_get("webauthn_handle")?,
            passkeys: row.try_get("passkey_count")?,
        }
    }};
}

fn parse_roles(names: Vec<String>) -> Result<Vec<Role>> {
    let mut roles = names
        .iter()
        .map(|name| Role::parse(name).map_err(|_| StoreError::Corrupt(format!("role {name:?}"))))
        .collect::<Result<Vec<_>>>()?;
    roles.sort();
    Ok(roles)
}

/// Filters for the people list board admins see.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Matches e-mail or name, case-insensitively.
    pub text: Option<String>,
    pub role: Option<Role>,
    pub limit: i64,
    pub offset: i64,
    pub sort: UserSort,
    pub descending: bool,
}

/// The order of the people list (newest first unless asked otherwise).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    #[default]
    Joined,
    Name,
    Email,
}

impl UserSort {
    fn order_by(self, descending: bool) -> &'static str {
        match (self, descending) {
            (UserSort::Joined, true) => "u.created_at DESC, u.id",
            (UserSort::Joined, false) => "u.created_at ASC, u.id",
            (UserSort::Name, false) => "LOWER(u.display_name) ASC, u.id",
            (UserSort::Name, true) => "LOWER(u.display_name) DESC, u.id",
            (UserSort::Email, false) => "u.email ASC, u.id",
            (UserSort::Email, true) => "u.email DESC, u.id",
        }
    }
}

impl Store {
    /// Inserts an account and its roles in one transaction. `Conflict` when the e-mail is taken.
    pub async fn insert_user(&self, new: NewUser<'_>) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO users (id, email, display_name, password_hash, email_verified_at, is_demo, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(new.id.as_str())
            .bind(new.email.as_str())
            .bind(new.display_name)
            .bind(new.password_hash)
            .bind(new.email_verified_at)
            .bind(new.is_demo)
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
            for role in new.roles {
                sqlx::query("INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES ($1, $2, $3, $4)")
                    .bind(new.id.as_str())
                    .bind(role.as_str())
                    .bind(new.now)
                    .bind(new.granted_by.map(UserId::as_str))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn user_by_id(&self, id: &UserId) -> Result<Option<UserRecord>> {
        with_pool!(self, read, |pool| {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"));
            let Some(row) = sqlx::query(sql).bind(id.as_str()).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let mut user = user_from_row!(&row);
            let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
                .bind(id.as_str())
                .fetch_all(pool)
                .await?;
            user.roles = parse_roles(roles)?;
            Ok(Some(user))
        })
    }

    pub async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<UserRecord>> {
        let id: Option<String> = with_pool!(self, read, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await?
        });
        match id {
            Some(id) => {
                let id = UserId::parse(&id).map_err(|_| StoreError::Corrupt(format!("user id {id:?}")))?;
                self.user_by_id(&id).await
            }
            None => Ok(None),
        }
    }

    pub async fn count_users(&self) -> Result<i64> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await?)
        })
    }

    /// People matching `filter`, newest first, with the total count for paging.
    pub async fn list_users(&self, filter: &UserFilter) -> Result<(Vec<UserRecord>, i64)> {
        let pattern = filter.text.as_deref().map(|t| format!("%{}%", t.to_lowercase()));
        let role = filter.role.map(Role::as_str);
        // Each condition is skipped when its parameter is NULL, so one statement serves every
        // combination of filters.
        let condition = "($1 IS NULL OR LOWER(u.email) LIKE $1 OR LOWER(u.display_name) LIKE $1) \
             AND ($2 IS NULL OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $2))";
        with_pool!(self, read, |pool| {
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM users u WHERE {condition}"
            )))
            .bind(pattern.as_deref())
            .bind(role)
            .fetch_one(pool)
            .await?;
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE {condition} ORDER BY {} LIMIT $3 OFFSET $4",
                filter.sort.order_by(filter.descending)
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(pattern.as_deref())
                .bind(role)
                .bind(filter.limit.clamp(1, 500))
                .bind(filter.offset.max(0))
                .fetch_all(pool)
                .await?;
            let mut users = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut user = user_from_row!(row);
                let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
                    .bind(user.id.as_str())
                    .fetch_all(pool)
                    .await?;
                user.roles = parse_roles(roles)?;
                users.push(user);
            }
            Ok((users, total))
        })
    }

    pub async fn set_password_hash(&self, id: &UserId, hash: &str, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            let affected = sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(id.as_str())
                .bind(hash)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            if affected == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    pub async fn set_display_name(&self, id: &UserId, name: &str, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query("UPDATE users SET display_name = $2, updated_at = $3 WHERE id = $1")
                .bind(id.as_str())
                .bind(name)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn mark_email_verified(&self, id: &UserId, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Stores a sealed TOTP secret awaiting confirmation (enrolment not yet complete).
    pub async fn set_pending_totp(&self, id: &UserId, sealed: &[u8], now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE users SET totp_secret_sealed = $2, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $3 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(sealed)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Completes enrolment: the confirmed code's step becomes the last used one, and the
    /// account's recovery codes are replaced, all at once.
    pub async fn enable_totp(
        &self,
        id: &UserId,
        step: i64,
        recovery_code_hashes: &[String],
        now: Timestamp,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE users SET totp_enabled_at = $2, totp_last_step = $3, updated_at = $2 \
                 WHERE id = $1 AND totp_secret_sealed IS NOT NULL",
            )
            .bind(id.as_str())
            .bind(now)
            .bind(step)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound);
            }
            write_recovery_codes!(tx, id, recovery_code_hashes);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces the recovery codes only (the last used TOTP step is left as it is).
    pub async fn replace_recovery_codes(&self, id: &UserId, recovery_code_hashes: &[String]) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            write_recovery_codes!(tx, id, recovery_code_hashes);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deletes an account that never confirmed its address (its roles, sessions, tokens and
    /// codes go with it). Returns false when the account is confirmed or gone: confirmed
    /// accounts are never deleted this way.
    pub async fn delete_unconfirmed_user(&self, id: &UserId) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query("DELETE FROM users WHERE id = $1 AND email_verified_at IS NULL")
                .bind(id.as_str())
                .execute(pool)
                .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Turns two-factor sign-in off and forgets the secret and recovery codes.
    pub async fn disable_totp(&self, id: &UserId, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE users SET totp_secret_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $2 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forgets the authenticator app only (the account keeps its passkeys and recovery codes).
    pub async fn remove_totp(&self, id: &UserId, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE users SET totp_secret_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $2 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records `step` as the last accepted TOTP step. Returns false when that step (or a later
    /// one) was already used: the code is a replay and must be refused. Atomic on both engines.
    pub async fn claim_totp_step(&self, id: &UserId, step: i64) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(id.as_str())
            .bind(step)
            .execute(pool)
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Marks a recovery code used; false when no unused code has that hash.
    pub async fn use_recovery_code(&self, id: &UserId, code_hash: &str, now: Timestamp) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let result = sqlx::query(
                "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(id.as_str())
            .bind(code_hash)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    pub async fn unused_recovery_codes(&self, id: &UserId) -> Result<i64> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(id.as_str())
            .fetch_one(pool)
            .await?)
        })
    }

    pub async fn grant_role(&self, id: &UserId, role: Role, granted_by: Option<&UserId>, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, role) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(role.as_str())
            .bind(now)
            .bind(granted_by.map(UserId::as_str))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes `role` from a person. [`StoreError::NotFound`] if they do not hold it;
    /// [`StoreError::Conflict`] if it is the administrator role of the board's last
    /// administrator (with an account that is not disabled): the board would lose its keys.
    pub async fn remove_role(&self, id: &UserId, role: Role) -> Result<()> {
        // Two administrators removing each other at once must not both succeed: PostgreSQL
        // locks the administrators' rows first; SQLite's single writer already runs one at a time.
        let lock = match self.engine() {
            Engine::Postgres => " FOR UPDATE OF r",
            Engine::Sqlite => "",
        };
        let admins_sql = format!(
            "SELECT r.user_id FROM user_roles r JOIN users u ON u.id = r.user_id \
             WHERE r.role = 'board_admin' AND u.disabled_at IS NULL{lock}"
        );
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let admins: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(admins_sql))
                .fetch_all(&mut *tx)
                .await?;
            if role == Role::BoardAdmin && admins.len() <= 1 && admins.iter().any(|a| a == id.as_str()) {
                return Err(StoreError::Conflict);
            }
            let removed = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
                .bind(id.as_str())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if removed == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
