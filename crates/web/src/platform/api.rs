//! The JSON API about the signed-in person (`/api/v1/me`, their sessions) and the audit log.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use domain::SessionId;
use domain::platform::audit::Outcome;
use serde::{Deserialize, Serialize};
use store::platform::audit::AuditFilter;
use utoipa::{IntoParams, ToSchema};

use crate::api::{ApiError, ApiJson};
use crate::context::Meta;
use crate::page::SignedIn;
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/me", get(me).patch(update_me))
        .route("/api/v1/me/sessions", get(my_sessions))
        .route("/api/v1/me/sessions/{id}", delete(end_session))
        .route("/api/v1/audit/events", get(audit_events))
}

/// The signed-in person.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: String,
    email: String,
    display_name: String,
    roles: Vec<String>,
    email_verified: bool,
    mfa_enabled: bool,
    /// The anti-forgery token to send as `X-CSRF-Token` on state-changing calls.
    csrf_token: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = ApiError),
        (status = 403, description = "The role requires two-factor sign-in, not set up yet", body = ApiError)))]
pub(crate) async fn me(SignedIn(session): SignedIn) -> Json<Me> {
    let actor = session.actor;
    Json(Me {
        id: actor.user_id.to_string(),
        email: actor.email.to_string(),
        display_name: actor.display_name,
        roles: actor.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        email_verified: actor.email_verified,
        mfa_enabled: actor.mfa_enabled,
        csrf_token: session.csrf_token,
    })
}

/// Changes to the signed-in person's account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    /// The name shown for you: at most 100 characters, at least one of them visible, no control
    /// characters other than white space. Runs of white space are shown as one space.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*$"
    )]
    display_name: String,
}

/// The longest display name the API takes, in characters as sent (the schema's `maxLength`).
const DISPLAY_NAME_MAX_CHARS: usize = 100;

#[utoipa::path(patch, path = "/api/v1/me", tag = "account", request_body = MeUpdate,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = Me),
        (status = 400, description = "The body is not well-formed JSON", body = ApiError),
        (status = 401, body = ApiError),
        (status = 403, description = "Missing or wrong X-CSRF-Token, or two-factor sign-in not set up where the role requires it", body = ApiError),
        (status = 415, description = "The body is not sent as application/json", body = ApiError),
        (status = 422, description = "The body is JSON of the wrong shape, or the name is not acceptable", body = ApiError)))]
pub(crate) async fn update_me(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    ApiJson(update): ApiJson<MeUpdate>,
) -> Result<Json<Me>, WebError> {
    // Checked as sent, so the schema's maxLength is exactly the rule (the name is stored with
    // its white space collapsed, which can only shorten it).
    if update.display_name.chars().count() > DISPLAY_NAME_MAX_CHARS {
        return Err(WebError::App(app::AppError::field(
            "display_name",
            "This name is too long (100 characters at most).",
        )));
    }
    let name = state
        .ready_app()?
        .rename(&session.actor, &update.display_name, &meta)
        .await?;
    let mut session = session;
    session.actor.display_name = name.to_string();
    Ok(me(SignedIn(session)).await)
}

/// One signed-in session.

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    id: String,
    /// RFC 3339.
    created_at: String,
    last_seen_at: String,
    client_addr: Option<String>,
    user_agent: Option<String>,
    current: bool,
}

fn rfc3339(at: store::Timestamp) -> String {
    at.get()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account", security(("session" = [])),
    responses((status = 200, body = [SessionInfo]), (status = 401, body = ApiError),
        (status = 403, description = "The role requires two-factor sign-in, not set up yet", body = ApiError)))]
pub(crate) async fn my_sessions(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
) -> Result<Json<Vec<SessionInfo>>, WebError> {
    let sessions = state.ready_app()?.my_sessions(&session.actor, &meta).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: s.id == session.actor.session_id,
                id: s.id.to_string(),
                created_at: rfc3339(s.created_at),
                last_seen_at: rfc3339(s.last_seen_at),
                client_addr: s.client_addr,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "account",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "Session id, as listed by GET /api/v1/me/sessions", pattern = "^[0-9a-z-]{16,64}$")),
    responses((status = 204, description = "The session is ended"), (status = 401, body = ApiError),
        (status = 403, description = "Missing or wrong X-CSRF-Token, or not allowed", body = ApiError),
        (status = 404, description = "No such session", body = ApiError)))]
pub(crate) async fn end_session(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    let id = SessionId::parse(&id).map_err(|_| WebError::NotFound)?;
    state.ready_app()?.end_session(&session.actor, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Part of the actor's e-mail (no NUL character).
    #[param(pattern = r"^[^\x00]*$")]
    actor: Option<String>,
    /// Actions starting with this text, e.g. `signin` (no NUL character).
    #[param(pattern = r"^[^\x00]*$")]
    action: Option<String>,
    #[param(inline)]
    outcome: Option<AuditOutcome>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Events to skip, newest first (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// How an audited action ended.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    Success,
    Failure,
    Denied,
}

impl From<AuditOutcome> for Outcome {
    fn from(outcome: AuditOutcome) -> Outcome {
        match outcome {
            AuditOutcome::Success => Outcome::Success,
            AuditOutcome::Failure => Outcome::Failure,
            AuditOutcome::Denied => Outcome::Denied,
        }
    }
}

/// The most events one page of the audit log holds.
const AUDIT_PAGE_MAX: i64 = 500;

/// One audit event.
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    seq: i64,
    at: String,
    actor_id: Option<String>,
    actor_email: Option<String>,
    actor_role: Option<String>,
    action: String,
    outcome: String,
    subject_type: Option<String>,
    subject_id: Option<String>,
    client_addr: Option<String>,
    request_id: Option<String>,
    detail: Option<String>,
    prev_hash: String,
    hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    total: i64,
    events: Vec<AuditEvent>,
}

#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(AuditQuery), security(("session" = [])),
    responses((status = 200, body = AuditPage),
        (status = 400, description = "The query string cannot be read (a number or an outcome that is not one)", body = ApiError),
        (status = 401, body = ApiError),
        (status = 403, description = "Only board administrators read the audit log", body = ApiError),
        (status = 422, description = "limit or offset out of range, or a NUL character in a search text", body = ApiError)))]
pub(crate) async fn audit_events(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, WebError> {
    let limit = query.limit.unwrap_or(100);
    let offset = query.offset.unwrap_or(0);
    let mut errors = domain::FieldErrors::new();
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        errors.add("limit", format!("Ask for 1 to {AUDIT_PAGE_MAX} events a page."));
    }
    if offset < 0 {
        errors.add("offset", "Skip zero events or more.");
    }
    errors.into_result().map_err(app::AppError::Validation)?;
    let filter = AuditFilter {
        actor_email: query.actor,
        action_prefix: query.action,
        outcome: query.outcome.map(Outcome::from),
        limit,
        offset,
        ..AuditFilter::default()
    };
    let (items, total) = state.ready_app()?.audit_log(&session.actor, &filter, &meta).await?;
    let events = items
        .into_iter()
        .map(|item| {
            let r = item.record;
            AuditEvent {
                seq: r.seq,
                at: rfc3339(store::Timestamp::new(r.at)),
                actor_id: r.entry.actor_id,
                actor_email: item.actor_email,
                actor_role: r.entry.actor_role,
                action: r.entry.action,
                outcome: r.entry.outcome.as_str().to_owned(),
                subject_type: r.entry.subject_type,
                subject_id: r.entry.subject_id,
                client_addr: r.entry.client_addr,
                request_id: r.entry.request_id,
                detail: r.entry.detail,
                prev_hash: r.prev_hash,
                hash: r.hash,
            }
        })
        .collect();
    Ok(Json(AuditPage { total, events }))
}
