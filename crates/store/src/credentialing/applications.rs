//! Applications for a credential: a draft while the candidate prepares it (endorsement, fee),
//! then submitted with a sealed snapshot of the evidence that never changes afterwards.

use domain::credentialing::applications::{ApplicationState, Decision};
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct ApplicationRow {
    pub id: String,
    pub candidate_id: String,
    pub program_code: String,
    pub program_version: String,
    pub status: ApplicationState,
    /// `unpaid`, `paid` or `waived`.
    pub fee_status: String,
    pub fee_recorded_by: Option<String>,
    pub fee_recorded_at: Option<Timestamp>,
    pub endorsed_by: Option<String>,
    pub endorsed_at: Option<Timestamp>,
    pub submitted_at: Option<Timestamp>,
    pub snapshot_sealed: Option<Vec<u8>>,
    pub created_at: Timestamp,
    /// Once decided.
    pub decision: Option<Decision>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// The reasons for the decision, sealed under the candidate's data key.
    pub decision_sealed: Option<Vec<u8>>,
    /// When the application entered its current state (the queue's age).
    pub state_since: Option<Timestamp>,
}

const COLUMNS: &str = "id, candidate_id, program_code, program_version, status, fee_status, fee_recorded_by, \
     fee_recorded_at, endorsed_by, endorsed_at, submitted_at, snapshot_sealed, created_at, decision, decided_by, \
     decided_at, decision_sealed, state_since";

macro_rules! application_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<ApplicationRow, StoreError>(ApplicationRow {
            id: row.try_get("id")?,
            candidate_id: row.try_get("candidate_id")?,
            program_code: row.try_get("program_code")?,
            program_version: row.try_get("program_version")?,
            status: {
                let text: String = row.try_get("status")?;
                ApplicationState::parse(&text)
                    .map_err(|_| StoreError::Corrupt(format!("application state {text:?}")))?
            },
            fee_status: row.try_get("fee_status")?,
            fee_recorded_by: row.try_get("fee_recorded_by")?,
            fee_recorded_at: row.try_get("fee_recorded_at")?,
            endorsed_by: row.try_get("endorsed_by")?,
            endorsed_at: row.try_get("endorsed_at")?,
            submitted_at: row.try_get("submitted_at")?,
            snapshot_sealed: row.try_get("snapshot_sealed")?,
            created_at: row.try_get("created_at")?,
            decision: match row.try_get::<Option<String>, _>("decision")? {
                Some(text) => Some(
                    Decision::parse(&text)
                        .map_err(|_| StoreError::Corrupt(format!("application decision {text:?}")))?,
                ),
                None => None,
            },
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_sealed: row.try_get("decision_sealed")?,
            state_since: row.try_get("state_since")?,
        })
    }};
}

impl Store {
    pub async fn insert_application(&self, application: &ApplicationRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO applications (id, candidate_id, program_code, program_version, status, fee_status, created_at, \
                 state_since) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&application.id)
            .bind(&application.candidate_id)
            .bind(&application.program_code)
            .bind(&application.program_version)
            .bind(application.status.as_str())
            .bind(&application.fee_status)
            .bind(application.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRow>> {
        let sql = format!("SELECT {COLUMNS} FROM applications WHERE id = $1");
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(application_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// A candidate's applications, newest first.
    pub async fn applications_of(&self, candidate_id: &str) -> Result<Vec<ApplicationRow>> {
        let sql = format!("SELECT {COLUMNS} FROM applications WHERE candidate_id = $1 ORDER BY created_at DESC, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(candidate_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| application_from_row!(row)).collect()
        })
    }

    /// Applications in one status, oldest first (the staff's queue).
    pub async fn applications_in(&self, status: ApplicationState) -> Result<Vec<ApplicationRow>> {
        let sql = format!("SELECT {COLUMNS} FROM applications WHERE status = $1 ORDER BY created_at, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status.as_str())
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| application_from_row!(row)).collect()
        })
    }

    /// Records the supervisor's endorsement of a draft.
    pub async fn endorse_application(&self, id: &str, by: &str, at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE applications SET endorsed_by = $1, endorsed_at = $2 \
                 WHERE id = $3 AND status = 'draft' AND endorsed_at IS NULL",
            )
            .bind(by)
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

    /// Records the fee as paid or waived on a draft.
    pub async fn record_fee(&self, id: &str, fee_status: &str, by: &str, at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE applications SET fee_status = $1, fee_recorded_by = $2, fee_recorded_at = $3 \
                 WHERE id = $4 AND status = 'draft'",
            )
            .bind(fee_status)
            .bind(by)
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

    /// Submits a draft with its sealed snapshot. A submitted application is never changed
    /// again by this call: submitting twice is a [`StoreError::Conflict`].
    pub async fn submit_application(&self, id: &str, snapshot_sealed: &[u8], at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE applications SET status = 'submitted', snapshot_sealed = $1, submitted_at = $2, state_since = $2 \
                 WHERE id = $3 AND status = 'draft' AND endorsed_at IS NOT NULL AND fee_status <> 'unpaid'",
            )
            .bind(snapshot_sealed)
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
}
