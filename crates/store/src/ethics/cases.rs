//! Ethics cases: complaints about certified professionals, their history, their documents and
//! the decision. State changes are conditional updates, so two committee members acting at
//! once cannot both win: the second gets [`StoreError::Conflict`]. A decision that suspends or
//! revokes the credential changes it in the same transaction, so a decided case and the
//! credential's public status never disagree.

use domain::ethics::cases::{CaseState, Sanction};
use sqlx::Row;

use crate::credentialing::credentials::CredentialEventRow;
use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct EthicsCaseRow {
    pub id: String,
    /// What people quote: `EC-2026-0007`.
    pub reference: String,
    pub credential_id: String,
    pub respondent_id: String,
    pub status: CaseState,
    pub received_at: Timestamp,
    pub state_since: Timestamp,
    pub complaint_sealed: Vec<u8>,
    pub reporter_sealed: Vec<u8>,
    pub reply_sealed: Option<Vec<u8>>,
    pub replied_at: Option<Timestamp>,
    /// Once decided.
    pub sanction: Option<Sanction>,
    pub decision_sealed: Option<Vec<u8>>,
    /// Published on the verification page with a suspension or revocation.
    pub public_notice: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// The respondent's last day to reply (`YYYY-MM-DD`), set when they are notified.
    pub reply_due_on: Option<String>,
    /// When the committee suspended the credential as an interim measure, if it did.
    pub interim_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct EthicsEventRow {
    pub id: String,
    pub case_id: String,
    /// `received`, `accepted`, `dismissed`, `respondent_notified`, `reply_received`,
    /// `evidence_note`, `decided`.
    pub kind: String,
    pub actor_id: Option<String>,
    pub at: Timestamp,
    pub body_sealed: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct EthicsDocumentRow {
    pub id: String,
    pub case_id: String,
    /// `reporter` (sent with the complaint) or `respondent` (sent with the reply).
    pub side: String,
    /// 1, 2, 3 within its side, in the order sent.
    pub position: i32,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub object_path: String,
    pub uploaded_at: Timestamp,
}

/// A credential's status changed by a decision, with its history event.
#[derive(Debug, Clone)]
pub struct SanctionChange<'a> {
    pub credential_id: &'a str,
    /// The status the credential must still have (`active`, or `suspended` for a revocation).
    pub from: &'a str,
    /// `suspended` or `revoked`.
    pub to: &'a str,
    pub event: &'a CredentialEventRow,
}

/// An interim suspension, recorded by [`Store::suspend_ethics_case_interim`].
#[derive(Debug, Clone)]
pub struct EthicsInterim<'a> {
    pub case_id: &'a str,
    /// The states the case may be in (it stays in it).
    pub from: &'a [CaseState],
    pub at: Timestamp,
    /// The case's `interim_suspension` event, with the reasons sealed.
    pub event: &'a EthicsEventRow,
    pub credential: SanctionChange<'a>,
}

/// The decision on a case, recorded by [`Store::decide_ethics_case`].
#[derive(Debug, Clone)]
pub struct EthicsDecision<'a> {
    pub case_id: &'a str,
    /// The states the case may be decided from.
    pub from: &'a [CaseState],
    pub sanction: Sanction,
    pub decision_sealed: &'a [u8],
    pub public_notice: Option<&'a str>,
    pub decided_by: &'a str,
    pub at: Timestamp,
    pub event: &'a EthicsEventRow,
    pub credential: Option<SanctionChange<'a>>,
}

const CASE_COLUMNS: &str = "id, reference, credential_id, respondent_id, status, received_at, state_since, \
     complaint_sealed, reporter_sealed, reply_sealed, replied_at, sanction, decision_sealed, public_notice, \
     decided_by, decided_at, reply_due_on, interim_at";

const DOCUMENT_COLUMNS: &str = "id, case_id, side, position, media_type, size_bytes, sha256, object_path, uploaded_at";

macro_rules! case_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<EthicsCaseRow, StoreError>(EthicsCaseRow {
            id: row.try_get("id")?,
            reference: row.try_get("reference")?,
            credential_id: row.try_get("credential_id")?,
            respondent_id: row.try_get("respondent_id")?,
            status: {
                let text: String = row.try_get("status")?;
                CaseState::parse(&text).map_err(|_| StoreError::Corrupt(format!("ethics case state {text:?}")))?
            },
            received_at: row.try_get("received_at")?,
            state_since: row.try_get("state_since")?,
            complaint_sealed: row.try_get("complaint_sealed")?,
            reporter_sealed: row.try_get("reporter_sealed")?,
            reply_sealed: row.try_get("reply_sealed")?,
            replied_at: row.try_get("replied_at")?,
            sanction: match row.try_get::<Option<String>, _>("sanction")? {
                Some(text) => {
                    Some(Sanction::parse(&text).map_err(|_| StoreError::Corrupt(format!("ethics sanction {text:?}")))?)
                }
                None => None,
            },
            decision_sealed: row.try_get("decision_sealed")?,
            public_notice: row.try_get("public_notice")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            reply_due_on: row.try_get("reply_due_on")?,
            interim_at: row.try_get("interim_at")?,
        })
    }};
}

macro_rules! document_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<EthicsDocumentRow, StoreError>(EthicsDocumentRow {
            id: row.try_get("id")?,
            case_id: row.try_get("case_id")?,
            side: row.try_get("side")?,
            position: row.try_get("position")?,
            media_type: row.try_get("media_type")?,
            size_bytes: row.try_get("size_bytes")?,
            sha256: row.try_get("sha256")?,
            object_path: row.try_get("object_path")?,
            uploaded_at: row.try_get("uploaded_at")?,
        })
    }};
}

macro_rules! insert_event_sql {
    ($event:expr, $executor:expr) => {{
        let event = $event;
        sqlx::query(
            "INSERT INTO ethics_case_events (id, case_id, kind, actor_id, at, body_sealed) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&event.id)
        .bind(&event.case_id)
        .bind(&event.kind)
        .bind(&event.actor_id)
        .bind(event.at)
        .bind(&event.body_sealed)
        .execute($executor)
        .await?;
    }};
}

macro_rules! insert_document_sql {
    ($document:expr, $executor:expr) => {{
        let document = $document;
        sqlx::query(
            "INSERT INTO ethics_documents (id, case_id, side, position, media_type, size_bytes, sha256, \
             object_path, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&document.id)
        .bind(&document.case_id)
        .bind(&document.side)
        .bind(document.position)
        .bind(&document.media_type)
        .bind(document.size_bytes)
        .bind(&document.sha256)
        .bind(&document.object_path)
        .bind(document.uploaded_at)
        .execute($executor)
        .await?;
    }};
}

impl Store {
    /// Opens a case with its documents and its `received` event, all or nothing.
    pub async fn insert_ethics_case(
        &self,
        case: &EthicsCaseRow,
        documents: &[EthicsDocumentRow],
        event: &EthicsEventRow,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO ethics_cases (id, reference, credential_id, respondent_id, status, received_at, \
                 state_since, complaint_sealed, reporter_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&case.id)
            .bind(&case.reference)
            .bind(&case.credential_id)
            .bind(&case.respondent_id)
            .bind(case.status.as_str())
            .bind(case.received_at)
            .bind(case.state_since)
            .bind(&case.complaint_sealed)
            .bind(&case.reporter_sealed)
            .execute(&mut *tx)
            .await?;
            for document in documents {
                insert_document_sql!(document, &mut *tx);
            }
            insert_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn ethics_case(&self, id: &str) -> Result<Option<EthicsCaseRow>> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM ethics_cases WHERE id = $1");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(case_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Every case, oldest in its state first.
    pub async fn ethics_cases(&self) -> Result<Vec<EthicsCaseRow>> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM ethics_cases ORDER BY state_since, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(|row| case_from_row!(row)).collect()
        })
    }

    /// Moves a case from `from` to `to` and records the event, in one transaction. A case no
    /// longer in `from` (someone acted first) is a [`StoreError::Conflict`].
    pub async fn move_ethics_case(
        &self,
        id: &str,
        from: CaseState,
        to: CaseState,
        event: &EthicsEventRow,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed =
                sqlx::query("UPDATE ethics_cases SET status = $1, state_since = $2 WHERE id = $3 AND status = $4")
                    .bind(to.as_str())
                    .bind(event.at)
                    .bind(id)
                    .bind(from.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            insert_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Notifies the respondent: moves the case from `accepted` and sets their last day to
    /// reply, with the event, in one transaction (a [`StoreError::Conflict`] if someone acted
    /// first).
    pub async fn notify_ethics_respondent(&self, id: &str, reply_due_on: &str, event: &EthicsEventRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE ethics_cases SET status = 'respondent_notified', state_since = $1, reply_due_on = $2 \
                 WHERE id = $3 AND status = 'accepted'",
            )
            .bind(event.at)
            .bind(reply_due_on)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            insert_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records an interim suspension (once per case, while it is in one of `from`) and
    /// suspends the credential, in one transaction. The case's state stays. A case already
    /// decided or suspended meanwhile, or a credential whose status moved, is a
    /// [`StoreError::Conflict`] and nothing is written.
    pub async fn suspend_ethics_case_interim(&self, interim: &EthicsInterim<'_>) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let mut changed = 0;
            for from in interim.from {
                changed += sqlx::query(
                    "UPDATE ethics_cases SET interim_at = $1 WHERE id = $2 AND status = $3 AND interim_at IS NULL",
                )
                .bind(interim.at)
                .bind(interim.case_id)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            insert_event_sql!(interim.event, &mut *tx);
            let change = &interim.credential;
            let event = change.event;
            crate::credentialing::credentials::change_status_sql!(
                change.credential_id,
                change.from,
                change.to,
                event.public_notice.as_deref(),
                event,
                &mut *tx
            );
            tx.commit().await?;
        });
        Ok(())
    }

    /// Whether the credential's current suspension is an interim measure: it was suspended by
    /// an ethics case still open (not yet decided), at the moment the case recorded it.
    pub async fn credential_suspended_interim(&self, credential_id: &str) -> Result<bool> {
        with_pool!(self, read, |pool| {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM ethics_cases e JOIN credentials c ON c.id = e.credential_id \
                 WHERE c.id = $1 AND c.status = 'suspended' AND e.interim_at = c.status_changed_at \
                 AND e.status IN ('respondent_notified', 'reply_received')",
            )
            .bind(credential_id)
            .fetch_one(pool)
            .await?;
            let count: i64 = row.try_get("n")?;
            Ok(count > 0)
        })
    }

    /// Records the respondent's reply (once, while the case waits for it) with its documents
    /// and event.
    pub async fn record_ethics_reply(
        &self,
        id: &str,
        reply_sealed: &[u8],
        documents: &[EthicsDocumentRow],
        event: &EthicsEventRow,
    ) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE ethics_cases SET status = 'reply_received', state_since = $1, reply_sealed = $2, \
                 replied_at = $1 WHERE id = $3 AND status = 'respondent_notified' AND reply_sealed IS NULL",
            )
            .bind(event.at)
            .bind(reply_sealed)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            for document in documents {
                insert_document_sql!(document, &mut *tx);
            }
            insert_event_sql!(event, &mut *tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds an event that does not change the case's state (an evidence note).
    pub async fn insert_ethics_event(&self, event: &EthicsEventRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            insert_event_sql!(event, pool);
        });
        Ok(())
    }

    /// A case's history, oldest first.
    pub async fn ethics_events(&self, case_id: &str) -> Result<Vec<EthicsEventRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, case_id, kind, actor_id, at, body_sealed FROM ethics_case_events \
                 WHERE case_id = $1 ORDER BY at, id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<EthicsEventRow> {
                    Ok(EthicsEventRow {
                        id: row.try_get("id")?,
                        case_id: row.try_get("case_id")?,
                        kind: row.try_get("kind")?,
                        actor_id: row.try_get("actor_id")?,
                        at: row.try_get("at")?,
                        body_sealed: row.try_get("body_sealed")?,
                    })
                })
                .collect()
        })
    }

    /// A case's documents: the reporter's, then the respondent's, each in the order sent.
    pub async fn ethics_documents(&self, case_id: &str) -> Result<Vec<EthicsDocumentRow>> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM ethics_documents WHERE case_id = $1 \
             ORDER BY CASE side WHEN 'reporter' THEN 0 ELSE 1 END, position"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(case_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| document_from_row!(row)).collect()
        })
    }

    /// Records the decision and, with a suspension or revocation, changes the credential, in
    /// one transaction. The credential is updated exactly as `change_credential_status`
    /// does (the same columns, the same kind of event), so the verification page, the API and
    /// the status lists read it the same way; it is repeated here only to share the
    /// transaction. A case no longer in `from`, or a credential whose status moved meanwhile,
    /// is a [`StoreError::Conflict`] and nothing is written.
    pub async fn decide_ethics_case(&self, decision: &EthicsDecision<'_>) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let mut changed = 0;
            for from in decision.from {
                changed += sqlx::query(
                    "UPDATE ethics_cases SET status = 'decided', state_since = $1, sanction = $2, \
                     decision_sealed = $3, public_notice = $4, decided_by = $5, decided_at = $1 \
                     WHERE id = $6 AND status = $7",
                )
                .bind(decision.at)
                .bind(decision.sanction.as_str())
                .bind(decision.decision_sealed)
                .bind(decision.public_notice)
                .bind(decision.decided_by)
                .bind(decision.case_id)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            if changed != 1 {
                return Err(StoreError::Conflict);
            }
            insert_event_sql!(decision.event, &mut *tx);
            if let Some(change) = &decision.credential {
                let event = change.event;
                crate::credentialing::credentials::change_status_sql!(
                    change.credential_id,
                    change.from,
                    change.to,
                    event.public_notice.as_deref(),
                    event,
                    &mut *tx
                );
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
