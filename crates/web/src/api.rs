//! The JSON API under `/api/v1`. Authentication is the session cookie; state-changing calls
//! also carry the session's anti-forgery token in `X-CSRF-Token`. Errors are JSON
//! (`{"error", "message", "fields", "request_id"}`), written by the error boundary. The
//! OpenAPI document at `/api/v1/openapi.json` is generated from this code.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use domain::SessionId;
use domain::audit::Outcome;
use serde::{Deserialize, Serialize};
use store::audit::AuditFilter;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::context::Meta;
use crate::pages::SignedIn;
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me).patch(update_me))
        .route("/me/sessions", get(my_sessions))
        .route("/me/sessions/{id}", delete(end_session))
        .route("/audit/events", get(audit_events))
        .route("/credentials/{number}", get(credential))
        .route("/directory", get(directory))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sensate API",
        version = "1",
        description = "Credentialing, verification, referral and practice for the sex-therapy field."
    ),
    paths(me, update_me, my_sessions, end_session, audit_events, credential, directory),
    components(schemas(
        Me,
        MeUpdate,
        SessionInfo,
        AuditEvent,
        AuditPage,
        ApiError,
        CredentialRecord,
        CredentialType,
        DirectoryAnswer,
        DirectoryPlace,
        DirectoryResult,
        DirectoryLocation,
        DirectoryWidening
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

/// A place the gazetteer found.
#[derive(Serialize, ToSchema)]
pub struct DirectoryPlace {
    name: String,
    /// State or province abbreviation.
    region: String,
    country: String,
    postal_code: Option<String>,
    latitude: f64,
    longitude: f64,
    /// What to send as `place` to ask for this place.
    query: String,
}

impl DirectoryPlace {
    fn of(place: &app::gazetteer::Place) -> DirectoryPlace {
        DirectoryPlace {
            name: place.name.clone(),
            region: place.region_code.clone(),
            country: place.country.clone(),
            postal_code: place.postal_code.clone(),
            latitude: place.coordinates.lat(),
            longitude: place.coordinates.lon(),
            query: place.query_text(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryLocation {
    city: String,
    region: String,
    postal_code: String,
    country: String,
}

/// One professional in the results.
#[derive(Serialize, ToSchema)]
pub struct DirectoryResult {
    id: String,
    name: String,
    pronouns: String,
    practice_name: String,
    /// Kinds of credential in good standing: `therapist`, `counselor`, `educator`, `supervisor`.
    credentials: Vec<String>,
    /// From the searched place to the nearest practice location.
    distance_km: Option<f64>,
    location: Option<DirectoryLocation>,
    telehealth: bool,
    accepting_new_clients: bool,
    fee_min: Option<i32>,
    fee_max: Option<i32>,
    sliding_scale: bool,
    concerns: Vec<String>,
    languages: Vec<String>,
    formats: Vec<String>,
    profile_url: String,
}

/// A wider search that finds someone, offered when nothing matched.
#[derive(Serialize, ToSchema)]
pub struct DirectoryWidening {
    label: String,
    /// The query string of that search.
    query: String,
    total: usize,
}

/// A directory search's answer.
#[derive(Serialize, ToSchema)]
pub struct DirectoryAnswer {
    /// The search asked, as a canonical query string (shareable).
    query: String,
    place: Option<DirectoryPlace>,
    /// When the place was not found: the nearest spellings or codes.
    place_suggestions: Option<Vec<DirectoryPlace>>,
    total: usize,
    page: usize,
    pages: usize,
    results: Vec<DirectoryResult>,
    /// For each filter (`concern`, `format`, `language`, `credential`, `population`,
    /// `insurance`), how many of the results have each value.
    facets: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u32>>,
    widen: Vec<DirectoryWidening>,
    attribution: String,
}

/// Searches the public directory: by `place` (postal code or city) and `radius` (km, 1–500,
/// default 25), or by `telehealth` (an ISO 3166-2 code such as `US-CA`); filters `concern`,
/// `format`, `language`, `credential`, `population`, `insurance` (repeat a filter to require
/// several values), `accepting=yes`, `max_fee`; `page` from 1. Results are ordered by distance,
/// then by a stable key, 20 a page.
#[utoipa::path(get, path = "/api/v1/directory", tag = "directory",
    params(
        ("place" = Option<String>, Query, description = "Postal code or city, e.g. 94108 or Portland, OR"),
        ("radius" = Option<u16>, Query, description = "Kilometres, 1 to 500 (default 25)"),
        ("telehealth" = Option<String>, Query, description = "ISO 3166-2 jurisdiction, e.g. US-CA"),
        ("concern" = Option<String>, Query, description = "Concern key (repeatable)"),
        ("format" = Option<String>, Query, description = "individuals, couples or groups (repeatable)"),
        ("language" = Option<String>, Query, description = "ISO 639 code (repeatable)"),
        ("credential" = Option<String>, Query, description = "therapist, counselor, educator or supervisor (repeatable)"),
        ("population" = Option<String>, Query, description = "Population key (repeatable)"),
        ("insurance" = Option<String>, Query, description = "Insurer key (repeatable)"),
        ("accepting" = Option<String>, Query, description = "yes: only those taking new clients"),
        ("max_fee" = Option<u32>, Query, description = "Lowest fee at most this, or a sliding scale"),
        ("page" = Option<u32>, Query, description = "From 1 to 50"),
    ),
    responses((status = 200, body = DirectoryAnswer), (status = 422, body = ApiError)))]
async fn directory(
    State(state): State<ServerState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<DirectoryAnswer>, WebError> {
    let app = app(&state)?;
    let query = app.parse_search(&pairs).await?;
    let found = app.search_directory(&query).await?;
    let mut facets = std::collections::BTreeMap::new();
    let counted = |values: &[app::directory::FacetValue]| {
        values
            .iter()
            .filter(|v| v.count > 0)
            .map(|v| (v.key.clone(), v.count))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    if found.place.is_some() || query.telehealth_in.is_some() {
        facets.insert("concern".to_owned(), counted(&found.facets.concerns));
        facets.insert("format".to_owned(), counted(&found.facets.formats));
        facets.insert("language".to_owned(), counted(&found.facets.languages));
        facets.insert("credential".to_owned(), counted(&found.facets.kinds));
        facets.insert("population".to_owned(), counted(&found.facets.populations));
        facets.insert("insurance".to_owned(), counted(&found.facets.insurers));
    }
    let public_url = app.config().public_url.clone();
    Ok(Json(DirectoryAnswer {
        query: query.to_query_string(query.page),
        place: found.place.as_ref().map(DirectoryPlace::of),
        place_suggestions: found
            .place_suggestions
            .as_ref()
            .map(|places| places.iter().map(DirectoryPlace::of).collect()),
        total: found.total,
        page: found.page,
        pages: found.pages,
        results: found
            .results
            .iter()
            .map(|card| DirectoryResult {
                id: card.user_id.clone(),
                name: card.name.clone(),
                pronouns: card.pronouns.clone(),
                practice_name: card.practice_name.clone(),
                credentials: card.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
                distance_km: card.distance_km.map(|d| (d * 10.0).round() / 10.0),
                location: card.location.as_ref().map(|l| DirectoryLocation {
                    city: l.city.clone(),
                    region: l.region.clone(),
                    postal_code: l.postal_code.clone(),
                    country: l.country.clone(),
                }),
                telehealth: card.telehealth,
                accepting_new_clients: card.accepting_clients,
                fee_min: card.fee_min,
                fee_max: card.fee_max,
                sliding_scale: card.sliding_scale,
                concerns: card.concerns.iter().map(|c| c.key.clone()).collect(),
                languages: card.languages.iter().map(|l| l.key.clone()).collect(),
                formats: card.formats.iter().map(|f| f.key.clone()).collect(),
                profile_url: format!("{public_url}/directory/{}", card.user_id),
            })
            .collect(),
        facets,
        widen: found
            .widen
            .iter()
            .map(|w| DirectoryWidening {
                label: w.label.clone(),
                query: w.query_string.clone(),
                total: w.total,
            })
            .collect(),
        attribution: app::gazetteer::ATTRIBUTION.to_owned(),
    }))
}
