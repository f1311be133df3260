//! The audit log: append under the chain head's row lock, list for admins, read in order for
//! verification.

use domain::platform::audit::{AuditEntry, AuditRecord, ChainHead, Outcome, next_record};
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

/// Filters for the admin audit page. Every field is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Matches the actor's e-mail (substring, case-insensitive).
    pub actor_email: Option<String>,
    /// Matches actions starting with this text (`signin` matches `signin.failure`).
    pub action_prefix: Option<String>,
    pub outcome: Option<Outcome>,
    pub subject_id: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

/// One listed event with the actor's current e-mail for display.
#[derive(Debug, Clone)]
pub struct AuditListItem {
    pub record: AuditRecord,
    pub actor_email: Option<String>,
}

const EVENT_COLUMNS: &str = "e.seq, e.at, e.actor_id, e.actor_role, e.action, e.subject_type, e.subject_id, e.outcome, \
     e.client_addr, e.request_id, e.detail, e.prev_hash, e.hash";

macro_rules! record_from_row {
    ($row:expr) => {{
        let row = $row;
        let outcome: String = row.try_get("outcome")?;
        let at: Timestamp = row.try_get("at")?;
        AuditRecord {
            seq: row.try_get("seq")?,
            at: at.get(),
            entry: AuditEntry {
                actor_id: row.try_get("actor_id")?,
                actor_role: row.try_get("actor_role")?,
                action: row.try_get("action")?,
                subject_type: row.try_get("subject_type")?,
                subject_id: row.try_get("subject_id")?,
                // An unknown outcome is kept as a failure to verify rather than an error to
                // read, so `audit verify` can name the edited row.
                outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failure),
                client_addr: row.try_get("client_addr")?,
                request_id: row.try_get("request_id")?,
                detail: row.try_get("detail")?,
            },
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        }
    }};
}

impl Store {
    /// Appends an event to the chain. The head row is updated first, which takes its row lock
    /// (PostgreSQL) or the write lock (SQLite), so concurrent appends from several nodes are
    /// serialised and every event links to exactly one predecessor.
    pub async fn append_audit(&self, entry: AuditEntry, now: Timestamp) -> Result<AuditRecord> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *tx)
                .await?;
            let seq: i64 = head.try_get("seq")?;
            let prev_hash: String = head.try_get("hash")?;
            let previous = (seq > 1).then(|| ChainHead {
                seq: seq - 1,
                hash: prev_hash,
            });
            let record = next_record(previous.as_ref(), now.get(), entry);
            if record.seq != seq {
                return Err(StoreError::Corrupt("audit head out of step".into()));
            }
            sqlx::query(
                "INSERT INTO audit_events (seq, at, actor_id, actor_role, action, subject_type, subject_id, outcome, \
                 client_addr, request_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(record.seq)
            .bind(Timestamp::new(record.at))
            .bind(record.entry.actor_id.as_deref())
            .bind(record.entry.actor_role.as_deref())
            .bind(&record.entry.action)
            .bind(record.entry.subject_type.as_deref())
            .bind(record.entry.subject_id.as_deref())
            .bind(record.entry.outcome.as_str())
            .bind(record.entry.client_addr.as_deref())
            .bind(record.entry.request_id.as_deref())
            .bind(record.entry.detail.as_deref())
            .bind(&record.prev_hash)
            .bind(&record.hash)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(&record.hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(record)
        })
    }

    /// The recorded head, or None when nothing was ever logged.
    pub async fn audit_head(&self) -> Result<Option<ChainHead>> {
        with_pool!(self, read, |pool| {
            let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?;
            let seq: i64 = row.try_get("seq")?;
            Ok((seq > 0).then_some(ChainHead {
                seq,
                hash: row.try_get("hash")?,
            }))
        })
    }

    /// Up to `limit` events after `after_seq`, in order (for `audit verify`).
    pub async fn audit_events_after(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        with_pool!(self, read, |pool| {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM audit_events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2"
            ));
            let rows = sqlx::query(sql).bind(after_seq).bind(limit).fetch_all(pool).await?;
            let mut records = Vec::with_capacity(rows.len());
            for row in &rows {
                records.push(record_from_row!(row));
            }
            Ok(records)
        })
    }

    /// Events matching `filter`, newest first, with the total count for paging.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<(Vec<AuditListItem>, i64)> {
        let actor = filter
            .actor_email
            .as_deref()
            .map(|t| format!("%{}%", t.trim().to_lowercase()));
        let action = filter.action_prefix.as_deref().map(|t| format!("{}%", t.trim()));
        let condition = "($1 IS NULL OR u.email LIKE $1) AND ($2 IS NULL OR e.action LIKE $2) \
             AND ($3 IS NULL OR e.outcome = $3) AND ($4 IS NULL OR e.subject_id = $4) \
             AND ($5 IS NULL OR e.at >= $5) AND ($6 IS NULL OR e.at < $6)";
        with_pool!(self, read, |pool| {
            let count_sql =
                format!("SELECT COUNT(*) FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id WHERE {condition}");
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
                .bind(actor.as_deref())
                .bind(action.as_deref())
                .bind(filter.outcome.map(Outcome::as_str))
                .bind(filter.subject_id.as_deref())
                .bind(filter.from)
                .bind(filter.until)
                .fetch_one(pool)
                .await?;
            let sql = format!(
                "SELECT {EVENT_COLUMNS}, u.email AS actor_email FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id \
                 WHERE {condition} ORDER BY e.seq DESC LIMIT $7 OFFSET $8"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(actor.as_deref())
                .bind(action.as_deref())
                .bind(filter.outcome.map(Outcome::as_str))
                .bind(filter.subject_id.as_deref())
                .bind(filter.from)
                .bind(filter.until)
                .bind(filter.limit.clamp(1, 500))
                .bind(filter.offset.max(0))
                .fetch_all(pool)
                .await?;
            let mut items = Vec::with_capacity(rows.len());
            for row in &rows {
                items.push(AuditListItem {
                    record: record_from_row!(row),
                    actor_email: row.try_get("actor_email")?,
                });
            }
            Ok((items, total))
        })
    }
}
