//! Supervision: contracts between a candidate and a supervisor, the sessions logged under them
//! and countersigned, and the supervision groups board staff approve.

use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct ContractRow {
    pub id: String,
    pub candidate_id: String,
    pub supervisor_id: Option<String>,
    pub supervisor_email: String,
    pub program_code: String,
    pub starts_on: String,
    pub is_primary: bool,
    pub notice_days: i64,
    pub terms: String,
    pub candidate_signed_at: Option<Timestamp>,
    pub supervisor_signed_at: Option<Timestamp>,
    pub declined_at: Option<Timestamp>,
    pub ended_by: Option<String>,
    pub end_noticed_at: Option<Timestamp>,
    pub ends_on: Option<String>,
    /// Why the contract ends, or why the supervisor declined it.
    pub end_reason: Option<String>,
    pub created_at: Timestamp,
}

impl ContractRow {
    /// Signed by both parties.
    pub fn is_signed(&self) -> bool {
        self.candidate_signed_at.is_some() && self.supervisor_signed_at.is_some()
    }

    /// The moment the second party signed.
    pub fn signed_at(&self) -> Option<Timestamp> {
        match (self.candidate_signed_at, self.supervisor_signed_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SupervisionSessionRow {
    pub id: String,
    pub contract_id: String,
    pub session_date: String,
    pub hours_centi: i64,
    /// `individual` or `group`.
    pub format: String,
    pub group_id: Option<String>,
    pub counts_as_training: bool,
    pub topic: String,
    /// `pending`, `countersigned` or `rejected`.
    pub status: String,
    pub decided_at: Option<Timestamp>,
    pub reject_reason: Option<String>,
    pub created_at: Timestamp,
    /// The rejected session this one corrects, resubmitted by the candidate.
    pub corrects_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: String,
    pub supervisor_id: String,
    pub name: String,
    pub size: i64,
    pub requested_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub approved: bool,
    pub decision_note: Option<String>,
}

const CONTRACT_COLUMNS: &str = "id, candidate_id, supervisor_id, supervisor_email, program_code, starts_on, is_primary, \
     notice_days, terms, candidate_signed_at, supervisor_signed_at, declined_at, ended_by, end_noticed_at, ends_on, \
     end_reason, created_at";

const SESSION_COLUMNS: &str = "id, contract_id, session_date, hours_centi, format, group_id, counts_as_training, topic, \
     status, decided_at, reject_reason, created_at, corrects_id";

const GROUP_COLUMNS: &str = "id, supervisor_id, name, size, requested_at, decided_at, approved, decision_note";

macro_rules! contract_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<ContractRow, StoreError>(ContractRow {
            id: row.try_get("id")?,
            candidate_id: row.try_get("candidate_id")?,
            supervisor_id: row.try_get("supervisor_id")?,
            supervisor_email: row.try_get("supervisor_email")?,
            program_code: row.try_get("program_code")?,
            starts_on: row.try_get("starts_on")?,
            is_primary: row.try_get("is_primary")?,
            notice_days: row.try_get("notice_days")?,
            terms: row.try_get("terms")?,
            candidate_signed_at: row.try_get("candidate_signed_at")?,
            supervisor_signed_at: row.try_get("supervisor_signed_at")?,
            declined_at: row.try_get("declined_at")?,
            ended_by: row.try_get("ended_by")?,
            end_noticed_at: row.try_get("end_noticed_at")?,
            ends_on: row.try_get("ends_on")?,
            end_reason: row.try_get("end_reason")?,
            created_at: row.try_get("created_at")?,
        })
    }};
}

macro_rules! session_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<SupervisionSessionRow, StoreError>(SupervisionSessionRow {
            id: row.try_get("id")?,
            contract_id: row.try_get("contract_id")?,
            session_date: row.try_get("session_date")?,
            hours_centi: row.try_get("hours_centi")?,
            format: row.try_get("format")?,
            group_id: row.try_get("group_id")?,
            counts_as_training: row.try_get("counts_as_training")?,
            topic: row.try_get("topic")?,
            status: row.try_get("status")?,
            decided_at: row.try_get("decided_at")?,
            reject_reason: row.try_get("reject_reason")?,
            created_at: row.try_get("created_at")?,
            corrects_id: row.try_get("corrects_id")?,
        })
    }};
}

macro_rules! group_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<GroupRow, StoreError>(GroupRow {
            id: row.try_get("id")?,
            supervisor_id: row.try_get("supervisor_id")?,
            name: row.try_get("name")?,
            size: row.try_get("size")?,
            requested_at: row.try_get("requested_at")?,
            decided_at: row.try_get("decided_at")?,
            approved: row.try_get("approved")?,
            decision_note: row.try_get("decision_note")?,
        })
    }};
}

impl Store {
    pub async fn insert_contract(&self, contract: &ContractRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO supervision_contracts (id, candidate_id, supervisor_id, supervisor_email, program_code, \
                 starts_on, is_primary, notice_days, terms, candidate_signed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&contract.id)
            .bind(&contract.candidate_id)
            .bind(&contract.supervisor_id)
            .bind(&contract.supervisor_email)
            .bind(&contract.program_code)
            .bind(&contract.starts_on)
            .bind(contract.is_primary)
            .bind(contract.notice_days)
            .bind(&contract.terms)
            .bind(contract.candidate_signed_at)
            .bind(contract.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn contract(&self, id: &str) -> Result<Option<ContractRow>> {
        let sql = format!("SELECT {CONTRACT_COLUMNS} FROM supervision_contracts WHERE id = $1");
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(contract_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Contracts where the person is the candidate.
    pub async fn contracts_of_candidate(&self, candidate_id: &str) -> Result<Vec<ContractRow>> {
        let sql = format!(
            "SELECT {CONTRACT_COLUMNS} FROM supervision_contracts WHERE candidate_id = $1 ORDER BY starts_on, created_at"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(candidate_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| contract_from_row!(row)).collect()
        })
    }

    /// Contracts where the person is (or is invited as) the supervisor: by account, or by the
    /// address the invitation went to before they accepted.
    pub async fn contracts_of_supervisor(&self, supervisor_id: &str, email: &str) -> Result<Vec<ContractRow>> {
        let sql = format!(
            "SELECT {CONTRACT_COLUMNS} FROM supervision_contracts \
             WHERE supervisor_id = $1 OR (supervisor_id IS NULL AND supervisor_email = $2) ORDER BY created_at"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(supervisor_id)
                .bind(email)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| contract_from_row!(row)).collect()
        })
    }

    /// The supervisor signs: binds the contract to their account. Only an unsigned, undeclined
    /// contract addressed to them can be signed.
    pub async fn sign_contract_as_supervisor(
        &self,
        id: &str,
        supervisor_id: &str,
        email: &str,
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE supervision_contracts SET supervisor_id = $1, supervisor_signed_at = $2 \
                 WHERE id = $3 AND supervisor_signed_at IS NULL AND declined_at IS NULL \
                 AND (supervisor_id = $1 OR (supervisor_id IS NULL AND supervisor_email = $4))",
            )
            .bind(supervisor_id)
            .bind(at)
            .bind(id)
            .bind(email)
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

    /// The supervisor declines an unsigned contract, saying why (kept as `end_reason`).
    pub async fn decline_contract(
        &self,
        id: &str,
        supervisor_id: &str,
        email: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE supervision_contracts SET supervisor_id = $1, declined_at = $2, end_reason = $5 \
                 WHERE id = $3 AND supervisor_signed_at IS NULL AND declined_at IS NULL \
                 AND (supervisor_id = $1 OR (supervisor_id IS NULL AND supervisor_email = $4))",
            )
            .bind(supervisor_id)
            .bind(at)
            .bind(id)
            .bind(email)
            .bind(reason)
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

    /// Gives notice: the contract ends on `ends_on`. Only a signed contract not already ending.
    pub async fn end_contract(
        &self,
        id: &str,
        ended_by: &str,
        ends_on: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE supervision_contracts SET ended_by = $1, end_noticed_at = $2, ends_on = $3, end_reason = $4 \
                 WHERE id = $5 AND ends_on IS NULL AND supervisor_signed_at IS NOT NULL",
            )
            .bind(ended_by)
            .bind(at)
            .bind(ends_on)
            .bind(reason)
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

    /// Inserts a session. A correction (`corrects_id`) goes in only while the session it
    /// corrects is rejected and not corrected yet; otherwise [`StoreError::Conflict`].
    pub async fn insert_supervision_session(&self, session: &SupervisionSessionRow) -> Result<()> {
        let inserted = with_pool!(self, write, |pool| {
            // A plain session has no `corrects_id`, and the condition holds; a correction needs
            // its rejected session (the unique index refuses a second correction).
            sqlx::query(
                "INSERT INTO supervision_sessions (id, contract_id, session_date, hours_centi, format, group_id, \
                 counts_as_training, topic, status, created_at, corrects_id) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
                 WHERE $11 IS NULL OR EXISTS (SELECT 1 FROM supervision_sessions \
                 WHERE id = $11 AND contract_id = $2 AND status = 'rejected')",
            )
            .bind(&session.id)
            .bind(&session.contract_id)
            .bind(&session.session_date)
            .bind(session.hours_centi)
            .bind(&session.format)
            .bind(&session.group_id)
            .bind(session.counts_as_training)
            .bind(&session.topic)
            .bind(&session.status)
            .bind(session.created_at)
            .bind(&session.corrects_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    pub async fn supervision_session(&self, id: &str) -> Result<Option<SupervisionSessionRow>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM supervision_sessions WHERE id = $1");
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(session_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// The id of the session that corrects `id`, if the candidate corrected it.
    pub async fn session_correction(&self, id: &str) -> Result<Option<String>> {
        with_pool!(self, read, |pool| {
            Ok(
                sqlx::query_scalar("SELECT id FROM supervision_sessions WHERE corrects_id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    /// Sessions under the given contracts, by date.
    pub async fn supervision_sessions(&self, contract_ids: &[String]) -> Result<Vec<SupervisionSessionRow>> {
        let mut sessions = Vec::new();
        for id in contract_ids {
            let sql = format!(
                "SELECT {SESSION_COLUMNS} FROM supervision_sessions WHERE contract_id = $1 ORDER BY session_date, created_at"
            );
            let rows: Vec<SupervisionSessionRow> = with_pool!(self, read, |pool| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(pool).await?;
                rows.iter()
                    .map(|row| session_from_row!(row))
                    .collect::<Result<Vec<_>>>()?
            });
            sessions.extend(rows);
        }
        sessions.sort_by(|a, b| {
            a.session_date
                .cmp(&b.session_date)
                .then(a.created_at.cmp(&b.created_at))
        });
        Ok(sessions)
    }

    /// Countersigns or rejects a pending session. A decided session cannot be decided again.
    pub async fn decide_supervision_session(
        &self,
        id: &str,
        status: &str,
        reject_reason: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE supervision_sessions SET status = $1, reject_reason = $2, decided_at = $3 \
                 WHERE id = $4 AND status = 'pending'",
            )
            .bind(status)
            .bind(reject_reason)
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

    pub async fn insert_group(&self, group: &GroupRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO supervision_groups (id, supervisor_id, name, size, requested_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&group.id)
            .bind(&group.supervisor_id)
            .bind(&group.name)
            .bind(group.size)
            .bind(group.requested_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn group(&self, id: &str) -> Result<Option<GroupRow>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM supervision_groups WHERE id = $1");
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(group_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Groups of one supervisor, or every group when `supervisor_id` is `None` (staff).
    pub async fn groups(&self, supervisor_id: Option<&str>) -> Result<Vec<GroupRow>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM supervision_groups WHERE ($1 IS NULL OR supervisor_id = $1) \
             ORDER BY requested_at, id"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(supervisor_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| group_from_row!(row)).collect()
        })
    }

    pub async fn decide_group(&self, id: &str, approved: bool, by: &str, note: &str, at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE supervision_groups SET approved = $1, decided_by = $2, decision_note = $3, decided_at = $4 \
                 WHERE id = $5 AND decided_at IS NULL",
            )
            .bind(approved)
            .bind(by)
            .bind(note)
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
