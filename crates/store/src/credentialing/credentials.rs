//! Credentials the board issues, their history, and the counters behind their numbers and
//! status-list positions. A credential row is never deleted: suspension, revocation and their
//! undoing are state changes with an event each.

use sqlx::Row;

use crate::credentialing::review::ApplicationEventRow;
use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct IssuedCredential {
    pub id: String,
    pub user_id: String,
    pub holder_name: String,
    pub program_code: String,
    pub rule_version: String,
    pub number: String,
    pub valid_from: String,
    pub valid_until: String,
    /// The board's action: `active`, `suspended` or `revoked`.
    pub status: String,
    pub application_id: Option<String>,
    pub issued_at: Timestamp,
    /// Position in the status lists: list number × list size + bit index.
    pub status_index: i64,
    /// Staff's reason for the current suspension or revocation (not public).
    pub status_reason: Option<String>,
    /// The public notice shown with a sanction.
    pub public_notice: Option<String>,
    pub status_changed_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct CredentialEventRow {
    pub id: String,
    pub credential_id: String,
    /// `issued`, `suspended`, `revoked`, `reinstated`, `renewed`, `undone`.
    pub kind: String,
    pub reason: String,
    pub public_notice: Option<String>,
    pub actor_id: Option<String>,
    pub at: Timestamp,
}

/// The decision recorded on an application in [`Store::decide_application`].
#[derive(Debug, Clone)]
pub struct DecisionRecord<'a> {
    pub application_id: &'a str,
    pub decision: domain::credentialing::applications::Decision,
    pub decided_by: &'a str,
    pub reasons_sealed: &'a [u8],
    pub at: Timestamp,
    pub event: &'a ApplicationEventRow,
    /// The credential issued with an approval.
    pub credential: Option<&'a IssuedCredential>,
}

const COLUMNS: &str = "id, user_id, holder_name, program_code, rule_version, number, valid_from, valid_until, status, \
     application_id, issued_at, status_index, status_reason, public_notice, status_changed_at";

macro_rules! credential_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<IssuedCredential, StoreError>(IssuedCredential {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            holder_name: row.try_get("holder_name")?,
            program_code: row.try_get("program_code")?,
            rule_version: row.try_get("rule_version")?,
            number: row.try_get("number")?,
            valid_from: row.try_get("valid_from")?,
            valid_until: row.try_get("valid_until")?,
            status: row.try_get("status")?,
            application_id: row.try_get("application_id")?,
            issued_at: row.try_get("issued_at")?,
            status_index: row.try_get("status_index")?,
            status_reason: row.try_get("status_reason")?,
            public_notice: row.try_get("public_notice")?,
            status_changed_at: row.try_get("status_changed_at")?,
        })
    }};
}

/// Only issued credentials (with a status-list position) are public records.
const ISSUED: &str = "status_index IS NOT NULL";

macro_rules! insert_credential_sql {
    ($credential:expr, $executor:expr) => {{
        let credential = $credential;
        sqlx::query(
            "INSERT INTO credentials (id, user_id, holder_name, program_code, rule_version, number, valid_from, \
             valid_until, status, application_id, issued_at, status_index, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11)",
        )
        .bind(&credential.id)
        .bind(&credential.user_id)
        .bind(&credential.holder_name)
        .bind(&credential.program_code)
        .bind(&credential.rule_version)
        .bind(&credential.number)
        .bind(&credential.valid_from)
        .bind(&credential.valid_until)
        .bind(&credential.status)
        .bind(&credential.application_id)
        .bind(credential.issued_at)
        .bind(credential.status_index)
        .execute($executor)
        .await?;
    }};
}

macro_rules! insert_credential_event_sql {
    ($event:expr, $executor:expr) => {{
        let event = $event;
        sqlx::query(
            "INSERT INTO credential_events (id, credential_id, kind, reason, public_notice, actor_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event.id)
        .bind(&event.credential_id)
        .bind(&event.kind)
        .bind(&event.reason)
        .bind(&event.public_notice)
        .bind(&event.actor_id)
        .bind(event.at)
        .execute($executor)
        .await?;
        // Whatever happened to a credential may change the holder's directory listing.
        $crate::directory::profiles::record_credential_change_sql!(&event.credential_id, $executor);
    }};
}

pub(crate) use insert_credential_event_sql;

/// Moves a credential from the board status `$from` to `$to` with its event, inside the
/// caller's transaction; a credential no longer in `$from` (someone acted first) makes the
/// caller return [`StoreError::Conflict`]. Shared by staff actions and ethics decisions, so
/// both write the same columns and history.
macro_rules! change_status_sql {
    ($id:expr, $from:expr, $to:expr, $public_notice:expr, $event:expr, $executor:expr) => {{
        let event = $event;
        let to: &str = $to;
        let changed = sqlx::query(
            "UPDATE credentials SET status = $1, status_reason = $2, public_notice = $3, status_changed_at = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(to)
        .bind(if to == "active" {
            None
        } else {
            Some(event.reason.as_str())
        })
        .bind($public_notice)
        .bind(event.at)
        .bind($id)
        .bind($from)
        .execute($executor)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict);
        }
        $crate::credentialing::credentials::insert_credential_event_sql!(event, $executor);
    }};
}

pub(crate) use change_status_sql;

impl Store {
    /// The next number of a named sequence for a year (1, 2, 3…), atomically: two nodes never
    /// get the same one. Numbers lost to a failed transaction leave gaps, never duplicates.
    pub async fn next_sequence(&self, name: &str, year: i32) -> Result<i64> {
        self.reserve_sequence(name, year, 1).await
    }

    /// Reserves `count` consecutive numbers of a named sequence at once and returns the last
    /// (the block is `last - count + 1 ..= last`): for writers of many records at a time.
    pub async fn reserve_sequence(&self, name: &str, year: i32, count: i64) -> Result<i64> {
        with_pool!(self, write, |pool| {
            let row = sqlx::query(
                "INSERT INTO credential_sequences (program_code, year, last_number) VALUES ($1, $2, $3) \
                 ON CONFLICT (program_code, year) DO UPDATE SET last_number = credential_sequences.last_number + $3 \
                 RETURNING last_number",
            )
            .bind(name)
            .bind(year)
            .bind(count)
            .fetch_one(pool)
            .await?;
            Ok(row.try_get("last_number")?)
        })
    }

    /// Records a decision on an application in review and, with an approval, issues the
    /// credential, all in one transaction: an approved application always has its credential.
    pub async fn decide_application(&self, record: &DecisionRecord<'_>) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE applications SET status = 'decided', decision = $1, decided_by = $2, decided_at = $3, \
                 decision_sealed = $4, state_since = $3 WHERE id = $5 AND status = 'in_review'",
            )
            .bind(record.decision.as_str())
            .bind(record.decided_by)
            .bind(record.at)
            .bind(record.reasons_sealed)
            .bind(record.application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            let event = record.event;
            sqlx::query(
                "INSERT INTO application_events (id, application_id, kind, actor_id, at, body_sealed, document_ids) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&event.id)
            .bind(&event.application_id)
            .bind(&event.kind)
            .bind(&event.actor_id)
            .bind(event.at)
            .bind(&event.body_sealed)
            .bind(&event.document_ids)
            .execute(&mut *tx)
            .await?;
            if let Some(credential) = record.credential {
                insert_credential_sql!(credential, &mut *tx);
                let issued = CredentialEventRow {
                    id: format!("{}-issued", credential.id),
                    credential_id: credential.id.clone(),
                    kind: "issued".into(),
                    reason: "Application approved.".into(),
                    public_notice: None,
                    actor_id: Some(record.decided_by.to_owned()),
                    at: record.at,
                };
                insert_credential_event_sql!(&issued, &mut *tx);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a credential issued outside an application (one the board issued before it used
    /// Sensate, or the demo's), with its `issued` event.
    pub async fn insert_issued_credential(
        &self,
        credential: &IssuedCredential,
        event: &CredentialEventRow,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            insert_credential_sql!(credential, &mut *tx);
            insert_credential_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn issued_credential(&self, id: &str) -> Result<Option<IssuedCredential>> {
        let sql = format!("SELECT {COLUMNS} FROM credentials WHERE id = $1 AND {ISSUED}");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(credential_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    pub async fn credential_by_number(&self, number: &str) -> Result<Option<IssuedCredential>> {
        let sql = format!("SELECT {COLUMNS} FROM credentials WHERE number = $1 AND {ISSUED}");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(credential_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// A holder's issued credentials, oldest first.
    pub async fn issued_credentials_of(&self, user_id: &str) -> Result<Vec<IssuedCredential>> {
        let sql = format!("SELECT {COLUMNS} FROM credentials WHERE user_id = $1 AND {ISSUED} ORDER BY issued_at, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| credential_from_row!(row)).collect()
        })
    }

    /// Issued credentials whose holder's name as certified contains `fragment` (any case),
    /// at most `limit`, by name then number.
    pub async fn credentials_by_holder_name(&self, fragment: &str, limit: i64) -> Result<Vec<IssuedCredential>> {
        let pattern = format!(
            "%{}%",
            fragment
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let sql = format!(
            "SELECT {COLUMNS} FROM credentials WHERE LOWER(holder_name) LIKE $1 ESCAPE '\\' AND {ISSUED} \
             ORDER BY holder_name, number LIMIT $2"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&pattern)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| credential_from_row!(row)).collect()
        })
    }

    /// Every issued credential (for the status lists and the lifecycle jobs), by position.
    pub async fn all_issued_credentials(&self) -> Result<Vec<IssuedCredential>> {
        let sql = format!("SELECT {COLUMNS} FROM credentials WHERE {ISSUED} ORDER BY status_index");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(|row| credential_from_row!(row)).collect()
        })
    }

    /// The issued credentials a lifecycle round must look at on `today` (ISO dates): those
    /// ending between `today` and `horizon`, and those whose holder's memberships have all
    /// ended. The rest of the register (nearly all of it) is not read.
    pub async fn credentials_due_for_reminders(&self, today: &str, horizon: &str) -> Result<Vec<IssuedCredential>> {
        // Two indexed look-ups joined: credentials by end date, and holders by membership end.
        let sql = format!(
            "SELECT {COLUMNS} FROM credentials c WHERE {ISSUED} AND c.valid_until >= $1 AND c.valid_until <= $2 \
             UNION \
             SELECT {COLUMNS} FROM credentials c WHERE {ISSUED} AND c.user_id IN ( \
               SELECT m.user_id FROM memberships m WHERE m.valid_until < $1 \
               AND NOT EXISTS (SELECT 1 FROM memberships n WHERE n.user_id = m.user_id \
                               AND (n.valid_until IS NULL OR n.valid_until >= $1))) \
             ORDER BY status_index"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(today)
                .bind(horizon)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| credential_from_row!(row)).collect()
        })
    }

    /// Changes the board's status of a credential from `from` to `to`, with its event, in one
    /// transaction. A credential not in `from` (someone acted first) is a [`StoreError::Conflict`].
    pub async fn change_credential_status(
        &self,
        id: &str,
        from: &str,
        to: &str,
        public_notice: Option<&str>,
        event: &CredentialEventRow,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            change_status_sql!(id, from, to, public_notice, event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Extends a credential's validity (an approved renewal), with its event.
    pub async fn extend_credential(&self, id: &str, valid_until: &str, event: &CredentialEventRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE credentials SET valid_until = $1 WHERE id = $2 AND status <> 'revoked'")
                .bind(valid_until)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            insert_credential_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A credential's history, oldest first.
    pub async fn credential_events(&self, credential_id: &str) -> Result<Vec<CredentialEventRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, credential_id, kind, reason, public_notice, actor_id, at FROM credential_events \
                 WHERE credential_id = $1 ORDER BY at, id",
            )
            .bind(credential_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<CredentialEventRow> {
                    Ok(CredentialEventRow {
                        id: row.try_get("id")?,
                        credential_id: row.try_get("credential_id")?,
                        kind: row.try_get("kind")?,
                        reason: row.try_get("reason")?,
                        public_notice: row.try_get("public_notice")?,
                        actor_id: row.try_get("actor_id")?,
                        at: row.try_get("at")?,
                    })
                })
                .collect()
        })
    }
}
