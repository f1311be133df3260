//! Committee review of submitted applications: reviewers assigned to them, the conflicts of
//! interest reviewers declare, their recommendations, the history of each application after
//! submission, and the decision. State changes are conditional updates, so two people acting
//! at once cannot both win: the second gets [`StoreError::Conflict`].

use domain::credentialing::applications::ApplicationState;
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone)]
pub struct AssignmentRow {
    pub id: String,
    pub application_id: String,
    pub reviewer_id: String,
    pub assigned_by: String,
    pub assigned_at: Timestamp,
    pub released_at: Option<Timestamp>,
    /// Why the assignment ended before a recommendation: `conflict` or `withdrawn`.
    pub released_reason: Option<String>,
    /// `approve`, `request_information` or `deny`.
    pub recommendation: Option<String>,
    pub comments_sealed: Option<Vec<u8>>,
    pub recommended_at: Option<Timestamp>,
}

impl AssignmentRow {
    /// An assignment gives access to the packet until it is released.
    pub fn is_active(&self) -> bool {
        self.released_at.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct ConflictRow {
    pub id: String,
    pub reviewer_id: String,
    pub person_email: String,
    /// `supervisee`, `colleague`, `personal` or `other`.
    pub reason: String,
    pub note: String,
    pub declared_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct ApplicationEventRow {
    pub id: String,
    pub application_id: String,
    /// `assigned`, `released`, `recommended`, `information_requested`, `information_given`,
    /// `returned_to_review`, `decided`.
    pub kind: String,
    pub actor_id: Option<String>,
    pub at: Timestamp,
    pub body_sealed: Option<Vec<u8>>,
    /// Documents attached (ids, comma-separated; empty for none).
    pub document_ids: String,
    /// Whom the event is about, when not the actor: the reviewer assigned or withdrawn.
    pub about_id: Option<String>,
}

const ASSIGNMENT_COLUMNS: &str = "id, application_id, reviewer_id, assigned_by, assigned_at, released_at, \
     released_reason, recommendation, comments_sealed, recommended_at";

macro_rules! assignment_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<AssignmentRow, StoreError>(AssignmentRow {
            id: row.try_get("id")?,
            application_id: row.try_get("application_id")?,
            reviewer_id: row.try_get("reviewer_id")?,
            assigned_by: row.try_get("assigned_by")?,
            assigned_at: row.try_get("assigned_at")?,
            released_at: row.try_get("released_at")?,
            released_reason: row.try_get("released_reason")?,
            recommendation: row.try_get("recommendation")?,
            comments_sealed: row.try_get("comments_sealed")?,
            recommended_at: row.try_get("recommended_at")?,
        })
    }};
}

impl Store {
    /// Moves an application from `from` to `to`. Anything else (already moved by someone
    /// else, or unknown) is a [`StoreError::Conflict`].
    pub async fn move_application(
        &self,
        id: &str,
        from: ApplicationState,
        to: ApplicationState,
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query("UPDATE applications SET status = $1, state_since = $2 WHERE id = $3 AND status = $4")
                .bind(to.as_str())
                .bind(at)
                .bind(id)
                .bind(from.as_str())
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

    /// Applications past the draft stage, oldest in their state first.
    pub async fn submitted_applications(&self) -> Result<Vec<crate::credentialing::applications::ApplicationRow>> {
        let ids: Vec<String> = with_pool!(self, read, |pool| {
            sqlx::query("SELECT id FROM applications WHERE status <> 'draft' ORDER BY state_since, id")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| row.try_get("id"))
                .collect::<std::result::Result<_, _>>()?
        });
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = self.application(&id).await? {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    pub async fn insert_assignment(&self, assignment: &AssignmentRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            // The same reviewer cannot hold two live assignments to one application.
            let mut tx = pool.begin().await?;
            let live: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM review_assignments \
                 WHERE application_id = $1 AND reviewer_id = $2 AND released_at IS NULL",
            )
            .bind(&assignment.application_id)
            .bind(&assignment.reviewer_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if live > 0 {
                return Err(StoreError::Conflict);
            }
            sqlx::query(
                "INSERT INTO review_assignments (id, application_id, reviewer_id, assigned_by, assigned_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&assignment.id)
            .bind(&assignment.application_id)
            .bind(&assignment.reviewer_id)
            .bind(&assignment.assigned_by)
            .bind(assignment.assigned_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every assignment to an application, released ones included, in the order made.
    pub async fn assignments_of_application(&self, application_id: &str) -> Result<Vec<AssignmentRow>> {
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM review_assignments WHERE application_id = $1 ORDER BY assigned_at, id"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(application_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| assignment_from_row!(row)).collect()
        })
    }

    /// A reviewer's live assignments, oldest first.
    pub async fn assignments_of_reviewer(&self, reviewer_id: &str) -> Result<Vec<AssignmentRow>> {
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM review_assignments WHERE reviewer_id = $1 AND released_at IS NULL \
             ORDER BY assigned_at, id"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(reviewer_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| assignment_from_row!(row)).collect()
        })
    }

    pub async fn assignment(&self, id: &str) -> Result<Option<AssignmentRow>> {
        let sql = format!("SELECT {ASSIGNMENT_COLUMNS} FROM review_assignments WHERE id = $1");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(assignment_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Ends a live assignment that has no recommendation yet.
    pub async fn release_assignment(&self, id: &str, reason: &str, at: Timestamp) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE review_assignments SET released_at = $1, released_reason = $2 \
                 WHERE id = $3 AND released_at IS NULL AND recommendation IS NULL",
            )
            .bind(at)
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

    /// Records the reviewer's recommendation, once, on a live assignment.
    pub async fn record_recommendation(
        &self,
        id: &str,
        recommendation: &str,
        comments_sealed: &[u8],
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE review_assignments SET recommendation = $1, comments_sealed = $2, recommended_at = $3 \
                 WHERE id = $4 AND released_at IS NULL AND recommendation IS NULL",
            )
            .bind(recommendation)
            .bind(comments_sealed)
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

    /// Declares a conflict; declaring the same person twice is a [`StoreError::Conflict`].
    pub async fn insert_conflict(&self, conflict: &ConflictRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO review_conflicts (id, reviewer_id, person_email, reason, note, declared_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&conflict.id)
            .bind(&conflict.reviewer_id)
            .bind(&conflict.person_email)
            .bind(&conflict.reason)
            .bind(&conflict.note)
            .bind(conflict.declared_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The conflicts a reviewer declared, newest first.
    pub async fn conflicts_of_reviewer(&self, reviewer_id: &str) -> Result<Vec<ConflictRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, reviewer_id, person_email, reason, note, declared_at FROM review_conflicts \
                 WHERE reviewer_id = $1 ORDER BY declared_at DESC, id",
            )
            .bind(reviewer_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<ConflictRow> {
                    Ok(ConflictRow {
                        id: row.try_get("id")?,
                        reviewer_id: row.try_get("reviewer_id")?,
                        person_email: row.try_get("person_email")?,
                        reason: row.try_get("reason")?,
                        note: row.try_get("note")?,
                        declared_at: row.try_get("declared_at")?,
                    })
                })
                .collect()
        })
    }

    pub async fn insert_application_event(&self, event: &ApplicationEventRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO application_events (id, application_id, kind, actor_id, at, body_sealed, document_ids, about_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&event.id)
            .bind(&event.application_id)
            .bind(&event.kind)
            .bind(&event.actor_id)
            .bind(event.at)
            .bind(&event.body_sealed)
            .bind(&event.document_ids)
            .bind(&event.about_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// An application's history after submission, oldest first.
    pub async fn application_events(&self, application_id: &str) -> Result<Vec<ApplicationEventRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, application_id, kind, actor_id, at, body_sealed, document_ids, about_id FROM application_events \
                 WHERE application_id = $1 ORDER BY at, id",
            )
            .bind(application_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<ApplicationEventRow> {
                    Ok(ApplicationEventRow {
                        id: row.try_get("id")?,
                        application_id: row.try_get("application_id")?,
                        kind: row.try_get("kind")?,
                        actor_id: row.try_get("actor_id")?,
                        at: row.try_get("at")?,
                        body_sealed: row.try_get("body_sealed")?,
                        document_ids: row.try_get("document_ids")?,
                        about_id: row.try_get("about_id")?,
                    })
                })
                .collect()
        })
    }
}
