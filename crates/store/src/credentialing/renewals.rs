//! Renewals of issued credentials with their logged credits, and the reminders sent about
//! expiry and membership. State changes are conditional, so a double submit or two staff
//! acting at once cannot both win.

use domain::credentialing::renewals::RenewalState;
use sqlx::Row;

use crate::credentialing::credentials::CredentialEventRow;
use crate::platform::outbox::OutgoingEmail;
use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct RenewalRow {
    pub id: String,
    pub credential_id: String,
    pub user_id: String,
    pub cycle_ends: String,
    pub status: RenewalState,
    pub audit_selected: bool,
    pub submitted_at: Option<Timestamp>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct RenewalEntryRow {
    pub id: String,
    pub renewal_id: String,
    /// `approved` or one of the program's method keys.
    pub method: String,
    pub entry_date: String,
    pub hours_centi: i64,
    pub provider: String,
    pub title: String,
    pub created_at: Timestamp,
    /// The certificate attached to the credit (a document of the holder's).
    pub document_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReminderRow {
    pub reminder_key: String,
    pub user_id: Option<String>,
    pub kind: String,
    pub subject_id: String,
    pub sent_at: Timestamp,
}

const COLUMNS: &str = "id, credential_id, user_id, cycle_ends, status, audit_selected, submitted_at, decided_by, \
     decided_at, decision_note, created_at";

macro_rules! renewal_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<RenewalRow, StoreError>(RenewalRow {
            id: row.try_get("id")?,
            credential_id: row.try_get("credential_id")?,
            user_id: row.try_get("user_id")?,
            cycle_ends: row.try_get("cycle_ends")?,
            status: {
                let text: String = row.try_get("status")?;
                RenewalState::parse(&text).map_err(|_| StoreError::Corrupt(format!("renewal state {text:?}")))?
            },
            audit_selected: row.try_get("audit_selected")?,
            submitted_at: row.try_get("submitted_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_note: row.try_get("decision_note")?,
            created_at: row.try_get("created_at")?,
        })
    }};
}

impl Store {
    /// Opens the renewal of one cycle; a second one for the same cycle is a
    /// [`StoreError::Conflict`].
    pub async fn insert_renewal(&self, renewal: &RenewalRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO renewals (id, credential_id, user_id, cycle_ends, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&renewal.id)
            .bind(&renewal.credential_id)
            .bind(&renewal.user_id)
            .bind(&renewal.cycle_ends)
            .bind(renewal.status.as_str())
            .bind(renewal.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn renewal_for_cycle(&self, credential_id: &str, cycle_ends: &str) -> Result<Option<RenewalRow>> {
        let sql = format!("SELECT {COLUMNS} FROM renewals WHERE credential_id = $1 AND cycle_ends = $2");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(credential_id)
                .bind(cycle_ends)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(renewal_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    pub async fn renewal(&self, id: &str) -> Result<Option<RenewalRow>> {
        let sql = format!("SELECT {COLUMNS} FROM renewals WHERE id = $1");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(renewal_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Renewals in one status (its stored word, [`RenewalState::as_str`]), oldest submission
    /// first (the staff's audit queue).
    pub async fn renewals_in(&self, status: &str) -> Result<Vec<RenewalRow>> {
        let sql = format!("SELECT {COLUMNS} FROM renewals WHERE status = $1 ORDER BY submitted_at, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| renewal_from_row!(row)).collect()
        })
    }

    /// Adds a credit entry to an open renewal.
    pub async fn insert_renewal_entry(&self, entry: &RenewalEntryRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let open: i64 = sqlx::query("SELECT COUNT(*) AS n FROM renewals WHERE id = $1 AND status = 'open'")
                .bind(&entry.renewal_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            if open != 1 {
                return Err(StoreError::Conflict);
            }
            sqlx::query(
                "INSERT INTO renewal_entries (id, renewal_id, method, entry_date, hours_centi, provider, title, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&entry.id)
            .bind(&entry.renewal_id)
            .bind(&entry.method)
            .bind(&entry.entry_date)
            .bind(entry.hours_centi)
            .bind(&entry.provider)
            .bind(&entry.title)
            .bind(entry.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes an entry from an open renewal.
    pub async fn delete_renewal_entry(&self, renewal_id: &str, entry_id: &str) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "DELETE FROM renewal_entries WHERE id = $1 AND renewal_id = $2 \
                 AND renewal_id IN (SELECT id FROM renewals WHERE status = 'open')",
            )
            .bind(entry_id)
            .bind(renewal_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub async fn renewal_entries(&self, renewal_id: &str) -> Result<Vec<RenewalEntryRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, renewal_id, method, entry_date, hours_centi, provider, title, created_at, document_id \
                 FROM renewal_entries WHERE renewal_id = $1 ORDER BY entry_date, id",
            )
            .bind(renewal_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<RenewalEntryRow> {
                    Ok(RenewalEntryRow {
                        id: row.try_get("id")?,
                        renewal_id: row.try_get("renewal_id")?,
                        method: row.try_get("method")?,
                        entry_date: row.try_get("entry_date")?,
                        hours_centi: row.try_get("hours_centi")?,
                        provider: row.try_get("provider")?,
                        title: row.try_get("title")?,
                        created_at: row.try_get("created_at")?,
                        document_id: row.try_get("document_id")?,
                    })
                })
                .collect()
        })
    }

    /// Whether `entry_id` is a credit of one of `user_id`'s open renewals (a certificate may be
    /// attached to it).
    pub async fn open_credit_of(&self, user_id: &str, entry_id: &str) -> Result<bool> {
        with_pool!(self, read, |pool| {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM renewal_entries e JOIN renewals r ON r.id = e.renewal_id \
                 WHERE e.id = $1 AND r.user_id = $2 AND r.status = 'open'",
            )
            .bind(entry_id)
            .bind(user_id)
            .fetch_one(pool)
            .await?;
            Ok(n == 1)
        })
    }

    /// Sends an open renewal to the audit queue.
    pub async fn send_renewal_to_audit(&self, id: &str, at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE renewals SET status = 'audit', audit_selected = TRUE, submitted_at = $1 \
                 WHERE id = $2 AND status = 'open'",
            )
            .bind(at)
            .bind(id)
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

    /// Staff return an audited renewal to its holder with a note.
    pub async fn return_renewal(&self, id: &str, by: &str, note: &str, at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE renewals SET status = 'open', decided_by = $1, decided_at = $2, decision_note = $3 \
                 WHERE id = $4 AND status = 'audit'",
            )
            .bind(by)
            .bind(at)
            .bind(note)
            .bind(id)
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

    /// Approves a renewal (open and not chosen for audit, or in audit) and extends the
    /// credential to `valid_until`, with its event, in one transaction.
    pub async fn approve_renewal(
        &self,
        id: &str,
        from: RenewalState,
        decided_by: Option<&str>,
        valid_until: &str,
        event: &CredentialEventRow,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE renewals SET status = 'approved', decided_by = $1, decided_at = $2, \
                 submitted_at = COALESCE(submitted_at, $2) WHERE id = $3 AND status = $4",
            )
            .bind(decided_by)
            .bind(event.at)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            let extended = sqlx::query("UPDATE credentials SET valid_until = $1 WHERE id = $2 AND status <> 'revoked'")
                .bind(valid_until)
                .bind(&event.credential_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if extended != 1 {
                return Err(StoreError::Conflict);
            }
            crate::credentialing::credentials::insert_credential_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Claims a reminder and queues its e-mail in one transaction. `false` when the reminder
    /// was already sent (by this node earlier, or by another).
    pub async fn send_reminder_once(&self, reminder: &ReminderRow, email: &OutgoingEmail) -> Result<bool> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let claimed = sqlx::query(
                "INSERT INTO reminders (reminder_key, user_id, kind, subject_id, sent_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (reminder_key) DO NOTHING",
            )
            .bind(&reminder.reminder_key)
            .bind(&reminder.user_id)
            .bind(&reminder.kind)
            .bind(&reminder.subject_id)
            .bind(reminder.sent_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // Already claimed (`claimed` is 0): nothing more to write.
            if claimed == 1 {
                sqlx::query(
                    "INSERT INTO email_outbox (id, recipient, subject, body_text, body_html, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(email.id.as_str())
                .bind(&email.recipient)
                .bind(&email.subject)
                .bind(&email.body_text)
                .bind(email.body_html.as_deref())
                .bind(reminder.sent_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Ok(claimed == 1)
        })
    }

    /// The most recent reminders, newest first.
    pub async fn recent_reminders(&self, limit: i64) -> Result<Vec<ReminderRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT reminder_key, user_id, kind, subject_id, sent_at FROM reminders \
                 ORDER BY sent_at DESC, reminder_key LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<ReminderRow> {
                    Ok(ReminderRow {
                        reminder_key: row.try_get("reminder_key")?,
                        user_id: row.try_get("user_id")?,
                        kind: row.try_get("kind")?,
                        subject_id: row.try_get("subject_id")?,
                        sent_at: row.try_get("sent_at")?,
                    })
                })
                .collect()
        })
    }
}
