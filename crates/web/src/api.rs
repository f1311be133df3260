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
use domain::platform::audit::Outcome;
use serde::{Deserialize, Serialize};
use store::platform::audit::AuditFilter;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::context::Meta;
use crate::page::SignedIn;
use crate::routes::Routes;
use crate::{ServerState, WebError};

/// The API's routes, with their full paths: merged rather than nested, so that each is a route
/// of the main router and gets its route layers (the anti-forgery check) only once its method
/// matched; a method a route does not serve is answered 405.
pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me).patch(update_me))
        .route("/api/v1/me/sessions", get(my_sessions))
        .route("/api/v1/me/sessions/{id}", delete(end_session))
        .route("/api/v1/audit/events", get(audit_events))
        .route("/api/v1/credentials/{number}", get(credential))
        .route("/api/v1/directory", get(directory))
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&Credentials),
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

/// The security scheme of the session cookie (every call about the signed-in person).
const SESSION_SCHEME: &str = "session";
/// The security scheme of the anti-forgery header (state-changing calls, with the session).
const CSRF_SCHEME: &str = "csrf";

/// Declares how the API authenticates: the session cookie a browser sign-in sets, and the
/// session's anti-forgery token in a header.
struct Credentials;

impl utoipa::Modify for Credentials {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-sensate",
                "The session cookie set by signing in at /sign-in. Named `sensate` (without the \
                 `__Host-` prefix) when the server is reached over plain http at an address other than \
                 loopback; the document served by each server names its own.",
            ))),
        );
        components.add_security_scheme(
            CSRF_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's anti-forgery token (`csrf_token` in GET /api/v1/me), required on every \
                 state-changing call.",
            ))),
        );
    }
}

/// The OpenAPI document of a server: the generated one, with this server's session cookie
/// name and the values its directory search accepts today (code tables and the board's lists).
pub fn openapi_document(
    session_cookie: &str,
    lists: &domain::credentialing::programs::BoardLists,
) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::security::{ApiKey, SecurityScheme};
    let mut doc = ApiDoc::openapi();
    if let Some(RefOr::T(SecurityScheme::ApiKey(ApiKey::Cookie(cookie)))) = doc
        .components
        .as_mut()
        .and_then(|c| c.security_schemes.get_mut(SESSION_SCHEME))
    {
        cookie.name = session_cookie.to_owned();
    }
    if let Some(search) = doc
        .paths
        .paths
        .get_mut("/api/v1/directory")
        .and_then(|p| p.get.as_mut())
    {
        search.parameters = Some(directory_parameters(lists).into_iter().map(RefOr::T).collect());
    }
    doc
}

async fn openapi(State(state): State<ServerState>) -> Result<Response, WebError> {
    let lists = state.ready_app()?.directory_lists().await?;
    let json = openapi_document(state.session_cookie_name(), &lists)
        .to_pretty_json()
        .map_err(|e| WebError::Internal(anyhow::anyhow!("cannot write the OpenAPI document: {e}")))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response())
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

#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("session" = [])),
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
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ApiError),
        (status = 415, description = "The body is not sent as application/json", body = ApiError),
        (status = 422, description = "The body is JSON of the wrong shape, or the name is not acceptable", body = ApiError)))]
async fn update_me(
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
    responses((status = 200, body = [SessionInfo]), (status = 401, body = ApiError)))]
async fn my_sessions(
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
async fn end_session(
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
async fn audit_events(
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
    fn of(view: app::credentialing::credentials::PublicCredential, public_url: &str) -> CredentialRecord {
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

/// Public verification of one credential by number. Rate-limited per client address (60 a
/// minute); over the limit the answer is 429 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/credentials/{number}", tag = "verification",
    params(("number" = String, Path,
        description = "Credential number, e.g. CST-2026-000123-46 (letters in either case): the program, \
            the year, six digits and two check digits (ISO 7064 MOD 97-10)",
        pattern = "^[A-Za-z][A-Za-z0-9-]{1,15}-[0-9]{4}-[0-9]{6}-[0-9]{2}$")),
    responses((status = 200, body = CredentialRecord),
        (status = 404, description = "No credential has this number", body = ApiError),
        (status = 422, description = "Not a credential number, or its check digits do not match (a typo)", body = ApiError),
        (status = 429, description = "Too many lookups from this address", body = ApiError,
            headers(("Retry-After" = u32, description = "Seconds to wait")))))]
async fn credential(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    Path(number): Path<String>,
) -> Result<Json<CredentialRecord>, WebError> {
    state.count_lookup(&meta)?;
    let app = state.ready_app()?;
    let view = app.verify_number(&number).await?;
    Ok(Json(CredentialRecord::of(view, &app.config().public_url)))
}

/// White space as Rust's `str::trim` removes it (Unicode White_Space), as a regex class body.
const WHITE_SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode Cc), as a regex class body.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// The directory search's query parameters, with the values this server accepts today: the
/// code tables (formats, languages, jurisdictions, credential kinds) and the board's lists
/// (concerns, populations, insurers), which the board may change.
fn directory_parameters(lists: &domain::credentialing::programs::BoardLists) -> Vec<utoipa::openapi::path::Parameter> {
    use domain::credentialing::programs::{CredentialKind, ListItem};
    use domain::directory::profiles::{Format, JURISDICTIONS, LANGUAGES, MAX_FEE, MAX_PAGE, MAX_VALUES_PER_FILTER};
    use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Required, Type};

    let parameter = |name: &str, description: &str, schema: utoipa::openapi::Schema| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
    };
    // The values accepted, exactly as listed; the empty value counts as absent.
    let text = |values: Vec<String>| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(std::iter::once(String::new()).chain(values)))
            .build()
    };
    // A filter given once per value (`concern=a&concern=b`).
    let repeatable = |name: &str, description: &str, values: Vec<String>| -> Parameter {
        let items = ArrayBuilder::new()
            .items(text(values))
            .max_items(Some(MAX_VALUES_PER_FILTER))
            .build();
        parameter(name, description, items.into())
            .style(Some(ParameterStyle::Form))
            .explode(Some(true))
            .build()
    };
    let whole = |minimum: usize, maximum: usize| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(minimum))
            .maximum(Some(maximum))
            .build()
    };
    let keys = |items: &[ListItem]| items.iter().map(|item| item.key.clone()).collect::<Vec<_>>();
    let codes = |table: &[(&str, &str)]| table.iter().map(|(code, _)| (*code).to_owned()).collect::<Vec<_>>();
    // Leading and trailing white space is trimmed; what remains may not hold control characters.
    let place = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(domain::directory::profiles::MAX_PLACE_CHARS))
        .pattern(Some(format!(
            "^[{WHITE_SPACE}]*(?:[^{CONTROL}]*[^{CONTROL}{WHITE_SPACE}])?[{WHITE_SPACE}]*$"
        )))
        .build();
    vec![
        parameter("place", "Postal code or city, e.g. 94108 or Portland, OR", place.into()).build(),
        parameter(
            "radius",
            "Kilometres around `place` (default 25); ignored without `place`",
            whole(1, usize::from(domain::directory::geo::Radius::MAX_KM)).into(),
        )
        .build(),
        parameter(
            "telehealth",
            "Professionals who see clients by telehealth in this jurisdiction (ISO 3166-2)",
            text(codes(JURISDICTIONS)).into(),
        )
        .build(),
        repeatable("concern", "Concerns treated (the board's list)", keys(&lists.concerns)),
        repeatable(
            "format",
            "Formats offered",
            Format::ALL.iter().map(|f| f.key().to_owned()).collect(),
        ),
        repeatable("language", "Languages of sessions (ISO 639)", codes(LANGUAGES)),
        repeatable(
            "credential",
            "Kinds of credential in good standing",
            CredentialKind::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
        ),
        repeatable(
            "population",
            "Populations served (the board's list)",
            keys(&lists.populations),
        ),
        repeatable(
            "insurance",
            "Insurers or payment arrangements accepted (the board's list)",
            keys(&lists.insurers),
        ),
        parameter(
            "accepting",
            "yes (or true, 1, on): only those taking new clients; no (or false, 0, any): everyone",
            text(
                ["yes", "true", "1", "on", "no", "false", "0", "any"]
                    .map(str::to_owned)
                    .to_vec(),
            )
            .into(),
        )
        .build(),
        parameter(
            "max_fee",
            "Lowest fee at most this (whole currency units), or a sliding scale",
            whole(0, MAX_FEE as usize).into(),
        )
        .build(),
        parameter("page", "Page of results, from 1", whole(1, MAX_PAGE).into()).build(),
    ]
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
    fn of(place: &app::directory::gazetteer::Place) -> DirectoryPlace {
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

/// Searches the public directory: by `place` (postal code or city) and `radius`, or by
/// `telehealth` (an ISO 3166-2 code such as `US-CA`), or both; filters `concern`, `format`,
/// `language`, `credential`, `population`, `insurance` (repeat a filter to require several
/// values), `accepting`, `max_fee`; `page` from 1. Results are ordered by distance, then by a
/// stable key, 20 a page. Without `place` or `telehealth` the answer has no results. Unknown
/// parameters are ignored; an empty value counts as absent.
#[utoipa::path(get, path = "/api/v1/directory", tag = "directory",
    responses((status = 200, body = DirectoryAnswer),
        (status = 400, description = "The query string cannot be read", body = ApiError),
        (status = 422, description = "A value that is not accepted, named per parameter in `fields`", body = ApiError)))]
async fn directory(
    State(state): State<ServerState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<DirectoryAnswer>, WebError> {
    let app = state.ready_app()?;
    let query = app.parse_search(&pairs).await?;
    let found = app.search_directory(&query).await?;
    let mut facets = std::collections::BTreeMap::new();
    let counted = |values: &[app::directory::profiles::FacetValue]| {
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
        attribution: app::directory::gazetteer::ATTRIBUTION.to_owned(),
    }))
}
