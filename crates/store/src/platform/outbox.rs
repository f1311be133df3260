//! The e-mail outbox: messages are written here with the change that causes them and
//! delivered by a background sender that claims a batch, sends, and marks each one.

use domain::platform::id::RecordId;
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

/// A message to send. `Debug` leaves out the body, which may hold a one-time link.
#[derive(Clone)]
pub struct OutgoingEmail {
    pub id: RecordId,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

/// An outbox row for the delivery log (bodies are gone once sent). `Debug` leaves out the body.
#[derive(Clone)]
pub struct OutboxEntry {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl std::fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEmail")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for OutboxEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxEntry")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("sent_at", &self.sent_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub async fn enqueue_email(&self, email: &OutgoingEmail, now: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO email_outbox (id, recipient, subject, body_text, body_html, created_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(email.id.as_str())
            .bind(&email.recipient)
            .bind(&email.subject)
            .bind(&email.body_text)
            .bind(email.body_html.as_deref())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Claims up to `limit` due messages until `claim_until`, so that another node's sender
    /// skips them meanwhile. A crashed sender's claims lapse and the messages are retried.
    pub async fn claim_due_emails(
        &self,
        now: Timestamp,
        claim_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutgoingEmail>> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                 AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let mut claimed = Vec::with_capacity(ids.len());
            for id in ids {
                // The conditional update is the claim: if another node claimed the row since
                // the select, no row comes back and this node skips it.
                let row = sqlx::query(
                    "UPDATE email_outbox SET claimed_until = $2 WHERE id = $1 AND sent_at IS NULL \
                     AND (claimed_until IS NULL OR claimed_until < $3) RETURNING id, recipient, subject, body_text, body_html",
                )
                .bind(&id)
                .bind(claim_until)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = row {
                    let id: String = row.try_get("id")?;
                    claimed.push(OutgoingEmail {
                        id: RecordId::parse(&id).map_err(|_| StoreError::Corrupt("outbox id".into()))?,
                        recipient: row.try_get("recipient")?,
                        subject: row.try_get("subject")?,
                        body_text: row.try_get::<Option<String>, _>("body_text")?.unwrap_or_default(),
                        body_html: row.try_get("body_html")?,
                    });
                }
            }
            tx.commit().await?;
            Ok(claimed)
        })
    }

    /// Marks a message delivered. With `keep_body` false the body is erased, because it may
    /// hold a one-time link; the demo keeps bodies so a newcomer can read them on screen.
    pub async fn mark_email_sent(&self, id: &RecordId, now: Timestamp, keep_body: bool) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE email_outbox SET sent_at = $2, attempts = attempts + 1, claimed_until = NULL, last_error = NULL, \
                 body_text = CASE WHEN $3 THEN body_text ELSE NULL END, body_html = CASE WHEN $3 THEN body_html ELSE NULL END \
                 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(now)
            .bind(keep_body)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn mark_email_failed(&self, id: &RecordId, error: &str, retry_at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE email_outbox SET attempts = attempts + 1, claimed_until = NULL, last_error = $2, next_attempt_at = $3 \
                 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(error)
            .bind(retry_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The most recent messages, newest first (tests).
    pub async fn recent_emails(&self, recipient: Option<&str>, limit: i64) -> Result<Vec<OutboxEntry>> {
        self.recent_emails_where(recipient, false, limit).await
    }

    /// The most recent messages to the demo's own accounts, newest first: the demo's mailbox
    /// shows nothing else (mail to anyone a visitor signed up or invited carries their
    /// one-time links).
    pub async fn recent_emails_to_demo_accounts(&self, limit: i64) -> Result<Vec<OutboxEntry>> {
        self.recent_emails_where(None, true, limit).await
    }

    async fn recent_emails_where(
        &self,
        recipient: Option<&str>,
        demo_only: bool,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, recipient, subject, body_text, created_at, sent_at, attempts, last_error FROM email_outbox \
                 WHERE ($1 IS NULL OR recipient = $1) \
                 AND ($2 = FALSE OR LOWER(recipient) IN (SELECT email FROM users WHERE is_demo = TRUE)) \
                 ORDER BY created_at DESC, id DESC LIMIT $3",
            )
            .bind(recipient)
            .bind(demo_only)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in &rows {
                entries.push(OutboxEntry {
                    id: row.try_get("id")?,
                    recipient: row.try_get("recipient")?,
                    subject: row.try_get("subject")?,
                    body_text: row.try_get("body_text")?,
                    created_at: row.try_get("created_at")?,
                    sent_at: row.try_get("sent_at")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                });
            }
            Ok(entries)
        })
    }
}
