//! Referrals from referring providers to certified professionals, and requests for
//! referring-provider accounts. A referral's contents are sealed (by the app, under the
//! referral's own data key); the columns in clear route it and show its status. Answering is a
//! conditional update, so a referral is accepted or declined once.

use domain::referrals::referral::{ReferralState, ReferrerRequestState};
use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRow {
    pub id: String,
    /// What people quote: `RF-2026-0001`.
    pub reference: String,
    pub sender_id: String,
    pub recipient_id: String,
    /// `routine`, `soon` or `urgent`.
    pub urgency: String,
    pub status: ReferralState,
    pub contents_sealed: Vec<u8>,
    pub response_sealed: Option<Vec<u8>>,
    pub sent_at: Timestamp,
    pub responded_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerRequestRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub organisation: String,
    /// `physician`, `fertility_specialist`, `fertility_clinic`, `hospital`,
    /// `sexual_health_center` or `clinic`.
    pub kind: String,
    pub license: String,
    pub phone: String,
    pub status: ReferrerRequestState,
    pub requested_at: Timestamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
}

/// What the staff list of requests asks for: a search over name, e-mail, organisation and
/// license, a state, an order and a page.
#[derive(Debug, Clone, Default)]
pub struct ReferrerRequestFilter {
    pub text: Option<String>,
    pub state: Option<ReferrerRequestState>,
    pub sort: ReferrerRequestSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReferrerRequestSort {
    #[default]
    Requested,
    Name,
    Organisation,
}

const REFERRAL_COLUMNS: &str =
    "id, reference, sender_id, recipient_id, urgency, status, contents_sealed, response_sealed, sent_at, responded_at";
const REQUEST_COLUMNS: &str = "id, email, name, organisation, kind, license, phone, status, requested_at, decided_by, \
     decided_at, decision_note";

macro_rules! referral_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<ReferralRow, StoreError>(ReferralRow {
            id: row.try_get("id")?,
            reference: row.try_get("reference")?,
            sender_id: row.try_get("sender_id")?,
            recipient_id: row.try_get("recipient_id")?,
            urgency: row.try_get("urgency")?,
            status: {
                let text: String = row.try_get("status")?;
                ReferralState::parse(&text).map_err(|_| StoreError::Corrupt(format!("referral state {text:?}")))?
            },
            contents_sealed: row.try_get("contents_sealed")?,
            response_sealed: row.try_get("response_sealed")?,
            sent_at: row.try_get("sent_at")?,
            responded_at: row.try_get("responded_at")?,
        })
    }};
}

macro_rules! request_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<ReferrerRequestRow, StoreError>(ReferrerRequestRow {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            organisation: row.try_get("organisation")?,
            kind: row.try_get("kind")?,
            license: row.try_get("license")?,
            phone: row.try_get("phone")?,
            status: {
                let text: String = row.try_get("status")?;
                ReferrerRequestState::parse(&text)
                    .map_err(|_| StoreError::Corrupt(format!("referrer request state {text:?}")))?
            },
            requested_at: row.try_get("requested_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_note: row.try_get("decision_note")?,
        })
    }};
}

impl Store {
    pub async fn insert_referral(&self, referral: &ReferralRow) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO referrals (id, reference, sender_id, recipient_id, urgency, status, contents_sealed, \
                 sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&referral.id)
            .bind(&referral.reference)
            .bind(&referral.sender_id)
            .bind(&referral.recipient_id)
            .bind(&referral.urgency)
            .bind(referral.status.as_str())
            .bind(&referral.contents_sealed)
            .bind(referral.sent_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn referral(&self, id: &str) -> Result<Option<ReferralRow>> {
        let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = $1");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(referral_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Referrals a person sent (`as_sender`) or received, newest first.
    pub async fn referrals_of(&self, user_id: &str, as_sender: bool) -> Result<Vec<ReferralRow>> {
        let column = if as_sender { "sender_id" } else { "recipient_id" };
        let sql = format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE {column} = $1 ORDER BY sent_at DESC, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| referral_from_row!(row)).collect()
        })
    }

    /// Accepts or declines a referral still `sent`; [`StoreError::Conflict`] if it was
    /// answered meanwhile.
    pub async fn answer_referral(
        &self,
        id: &str,
        status: ReferralState,
        response_sealed: &[u8],
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE referrals SET status = $1, response_sealed = $2, responded_at = $3 \
                 WHERE id = $4 AND status = 'sent'",
            )
            .bind(status.as_str())
            .bind(response_sealed)
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

    /// Stores a request; [`StoreError::Conflict`] when a request from the same address is
    /// still waiting (one waiting request per address, kept by a unique index, so parallel
    /// copies cannot both land).
    pub async fn insert_referrer_request(&self, request: &ReferrerRequestRow) -> Result<()> {
        let inserted = with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO referrer_requests (id, email, name, organisation, kind, license, phone, status, \
                 requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            )
            .bind(&request.id)
            .bind(&request.email)
            .bind(&request.name)
            .bind(&request.organisation)
            .bind(&request.kind)
            .bind(&request.license)
            .bind(&request.phone)
            .bind(request.status.as_str())
            .bind(request.requested_at)
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

    /// One page of the requests `filter` selects, with how many it selects in all.
    pub async fn referrer_requests_page(
        &self,
        filter: &ReferrerRequestFilter,
    ) -> Result<(Vec<ReferrerRequestRow>, i64)> {
        let pattern = filter.text.as_deref().map(|t| format!("%{}%", t.to_lowercase()));
        let state = filter.state.map(ReferrerRequestState::as_str);
        // A condition is skipped when its parameter is NULL: one statement for every filter.
        let condition = "($1 IS NULL OR LOWER(email) LIKE $1 OR LOWER(name) LIKE $1 OR LOWER(organisation) LIKE $1 \
             OR LOWER(license) LIKE $1) AND ($2 IS NULL OR status = $2)";
        let order = match (filter.sort, filter.descending) {
            (ReferrerRequestSort::Requested, false) => "requested_at ASC, id",
            (ReferrerRequestSort::Requested, true) => "requested_at DESC, id",
            (ReferrerRequestSort::Name, false) => "LOWER(name) ASC, id",
            (ReferrerRequestSort::Name, true) => "LOWER(name) DESC, id",
            (ReferrerRequestSort::Organisation, false) => "LOWER(organisation) ASC, id",
            (ReferrerRequestSort::Organisation, true) => "LOWER(organisation) DESC, id",
        };
        with_pool!(self, read, |pool| {
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM referrer_requests WHERE {condition}"
            )))
            .bind(pattern.as_deref())
            .bind(state)
            .fetch_one(pool)
            .await?;
            let sql = format!(
                "SELECT {REQUEST_COLUMNS} FROM referrer_requests WHERE {condition} ORDER BY {order} LIMIT $3 OFFSET $4"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(pattern.as_deref())
                .bind(state)
                .bind(filter.limit.clamp(1, 500))
                .bind(filter.offset.max(0))
                .fetch_all(pool)
                .await?;
            let requests = rows
                .iter()
                .map(|row| request_from_row!(row))
                .collect::<Result<Vec<_>>>()?;
            Ok((requests, total))
        })
    }

    /// How many requests are in each state (the staff list's filter shows the counts).
    pub async fn referrer_request_counts(&self) -> Result<Vec<(ReferrerRequestState, i64)>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM referrer_requests GROUP BY status")
                .fetch_all(pool)
                .await?;
            let mut counts = Vec::new();
            for row in &rows {
                let text: String = row.try_get("status")?;
                let state = ReferrerRequestState::parse(&text)
                    .map_err(|_| StoreError::Corrupt(format!("referrer request state {text:?}")))?;
                counts.push((state, row.try_get::<i64, _>("n")?));
            }
            Ok(counts)
        })
    }

    pub async fn referrer_requests(&self) -> Result<Vec<ReferrerRequestRow>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM referrer_requests ORDER BY status DESC, requested_at, id");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(|row| request_from_row!(row)).collect()
        })
    }

    pub async fn referrer_request(&self, id: &str) -> Result<Option<ReferrerRequestRow>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM referrer_requests WHERE id = $1");
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(request_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// The approved request of an e-mail address (its organisation, for the referral).
    pub async fn approved_referrer(&self, email: &str) -> Result<Option<ReferrerRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM referrer_requests WHERE email = $1 AND status = 'approved' \
             ORDER BY decided_at DESC LIMIT 1"
        );
        with_pool!(self, read, |pool| {
            match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(email)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(request_from_row!(row)?)),
                None => Ok(None),
            }
        })
    }

    /// Decides a request still `requested`; [`StoreError::Conflict`] if decided meanwhile.
    pub async fn decide_referrer_request(
        &self,
        id: &str,
        status: ReferrerRequestState,
        decided_by: &str,
        note: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(
                "UPDATE referrer_requests SET status = $1, decided_by = $2, decision_note = $3, decided_at = $4 \
                 WHERE id = $5 AND status = 'requested'",
            )
            .bind(status.as_str())
            .bind(decided_by)
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
