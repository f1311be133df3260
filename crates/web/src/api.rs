//! The JSON API under `/api/v1`. Authentication is the session cookie; state-changing calls
//! also carry the session's anti-forgery token in `X-CSRF-Token`. Errors are JSON
//! (`{"error", "message", "fields", "request_id"}`), written by the error boundary. The
//! OpenAPI document at `/api/v1/openapi.json` is generated from this code.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use domain::SessionId;
use domain::audit::Outcome;
use serde::{Deserialize, Serialize};
use store::audit::AuditFilter;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::context::Meta;
use crate::pages::SignedIn;
use crate::{ServerState, WebError};

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me).patch(update_me))
        .route("/me/sessions", get(my_sessions))
        .route("/me/sessions/{id}", delete(end_session))
        .route("/audit/events", get(audit_events))
        .route("/credentials/{number}", get(credential))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sensate API",
        version = "1",
        description = "Credentialing, verification, referral and practice for the sex-therapy field."
    ),
    paths(me, update_me, my_sessions, end_session, audit_events, credential),
    components(schemas(
        Me,
        MeUpdate,
        SessionInfo,
        AuditEvent,
        AuditPage,
        ApiError,
        CredentialRecord,
        CredentialType
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document, as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

fn app(state: &ServerState) -> Result<&app::App, WebError> {
    state.app().ok_or(WebError::NotReady)
}

/// An error, as every endpoint returns it.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    /// Machine-readable kind: `unauthenticated`, `forbidden`, `not_found`, `csrf`, `invalid_input`, …
    error: String,
    /// A message for people.
    message: String,
    /// Per-field problems, for `invalid_input`.
    fields: std::collections::BTreeMap<String, String>,
    /// Quote this when reporting a problem.
    request_id: String,
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

#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ApiError)))]
async fn me(SignedIn(session): SignedIn) -> Json<Me> {
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

/// A JSON request body. Unreadable JSON, a wrong content type or a missing field is answered
/// with a JSON error naming the problem.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;
    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection {
                axum::extract::rejection::JsonRejection::MissingJsonContentType(_) => WebError::UnsupportedMediaType,
                // Well-formed JSON of the wrong shape: name the problem as input to fix.
                axum::extract::rejection::JsonRejection::JsonDataError(error) => {
                    WebError::App(app::AppError::field("_body", error.body_text()))
                }

                other => WebError::BadRequest(other.body_text()),
            }),
        }
    }
}

/// Changes to the signed-in person's account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    /// The name shown for you (1 to 100 characters).
    display_name: String,
}

#[utoipa::path(patch, path = "/api/v1/me", tag = "account", request_body = MeUpdate,
    params(("X-CSRF-Token" = String, Header, description = "Anti-forgery token from /api/v1/me")),
    responses((status = 200, body = Me), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 415, body = ApiError), (status = 422, body = ApiError)))]
async fn update_me(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    ApiJson(update): ApiJson<MeUpdate>,
) -> Result<Json<Me>, WebError> {
    let name = app(&state)?.rename(&session.actor, &update.display_name, &meta).await?;
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

#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account",
    responses((status = 200, body = [SessionInfo]), (status = 401, body = ApiError)))]
async fn my_sessions(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
) -> Result<Json<Vec<SessionInfo>>, WebError> {
    let sessions = app(&state)?.my_sessions(&session.actor, &meta).await?;
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
    params(("id" = String, Path, description = "Session id"), ("X-CSRF-Token" = String, Header, description = "Anti-forgery token from /api/v1/me")),
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn end_session(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    let id = SessionId::parse(&id).map_err(|_| WebError::NotFound)?;
    app(&state)?.end_session(&session.actor, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Part of the actor's e-mail.
    actor: Option<String>,
    /// Actions starting with this text, e.g. `signin`.
    action: Option<String>,
    /// `success`, `failure` or `denied`.
    outcome: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<i64>,
    offset: Option<i64>,
}

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

#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn audit_events(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, WebError> {
    let outcome = match query.outcome.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            Outcome::parse(text)
                .ok_or_else(|| WebError::BadRequest("outcome must be success, failure or denied".into()))?,
        ),
    };
    let filter = AuditFilter {
        actor_email: query.actor,
        action_prefix: query.action,
        outcome,
        limit: query.limit.unwrap_or(100),
        offset: query.offset.unwrap_or(0),
        ..AuditFilter::default()
    };
    let (items, total) = app(&state)?.audit_log(&session.actor, &filter, &meta).await?;
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

/// What a credential is.
#[derive(Serialize, ToSchema)]
pub struct CredentialType {
    /// The program's code: `CST`, `CSC`, `CSE`, `CST-S`.
    code: String,
    name: String,
    /// `therapist`, `counselor`, `educator` or `supervisor`.
    kind: Option<String>,
    /// What this kind of professional does, in one line.
    explanation: String,
    /// The rule version the holder was judged by.
    rule_version: String,
}

/// A credential as the public register shows it.
#[derive(Serialize, ToSchema)]
pub struct CredentialRecord {
    /// The credential number, with its check digits (`CST-2026-000123-46`).
    number: String,
    /// The holder's name as certified.
    holder: String,
    credential: CredentialType,
    /// `active`, `expired`, `lapsed`, `suspended` or `revoked`, worked out today.
    status: String,
    status_explanation: String,
    /// First and last day of validity (ISO 8601 dates).
    valid_from: String,
    valid_until: String,
    /// The board's public notice of a sanction, if any.
    public_notice: Option<String>,
    verification_url: String,
}

impl CredentialRecord {
    fn of(view: app::credential::PublicCredential, public_url: &str) -> CredentialRecord {
        CredentialRecord {
            verification_url: format!("{public_url}/verify/{}", view.number),
            number: view.number,
            holder: view.holder_name,
            credential: CredentialType {
                code: view.program_code,
                name: view.program_name,
                kind: view.kind.map(|k| k.as_str().to_owned()),
                explanation: view.kind_explanation.to_owned(),
                rule_version: view.rule_version,
            },
            status: view.status.as_str().to_owned(),
            status_explanation: view.status.explanation().to_owned(),
            valid_from: view.valid_from.to_string(),
            valid_until: view.valid_until.to_string(),
            public_notice: view.public_notice,
        }
    }
}

/// Public verification of one credential by number. Rate-limited per client address.
#[utoipa::path(get, path = "/api/v1/credentials/{number}", tag = "verification",
    params(("number" = String, Path, description = "Credential number, e.g. CST-2026-000123-46")),
    responses((status = 200, body = CredentialRecord), (status = 404, body = ApiError),
        (status = 422, body = ApiError), (status = 429, body = ApiError)))]
async fn credential(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    Path(number): Path<String>,
) -> Result<Json<CredentialRecord>, WebError> {
    state.count_lookup(&meta)?;
    let app = app(&state)?;
    let view = app.verify_number(&number).await?;
    Ok(Json(CredentialRecord::of(view, &app.config().public_url)))
}
