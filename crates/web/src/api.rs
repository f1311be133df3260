//! The JSON API under `/api/v1`. Authentication is the session cookie; state-changing calls
//! also carry the session's anti-forgery token in `X-CSRF-Token`. Errors are JSON
//! (`{"error", "message", "fields", "request_id"}`), written by the error boundary. The
//! OpenAPI document at `/api/v1/openapi.json` is generated from this code.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::routes::Routes;
use crate::{ServerState, WebError};

/// The API document's route. Each area serves its own API routes (`<area>/api.rs`), with their
/// full paths: merged rather than nested, so that each is a route of the main router and gets its
/// route layers (the anti-forgery check) only once its method matched; a method a route does not
/// serve is answered 405.
pub fn routes() -> Routes {
    Routes::new().route("/api/v1/openapi.json", get(openapi))
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&Credentials),
    info(
        title = "Sensate API",
        version = "1",
        description = "Credentialing, verification, referral and practice for the sex-therapy field."
    ),
    paths(
        crate::platform::api::me,
        crate::platform::api::update_me,
        crate::platform::api::my_sessions,
        crate::platform::api::end_session,
        crate::platform::api::audit_events,
        crate::credentialing::api::credential,
        crate::directory::api::directory
    ),
    components(schemas(
        crate::platform::api::Me,
        crate::platform::api::MeUpdate,
        crate::platform::api::SessionInfo,
        crate::platform::api::AuditEvent,
        crate::platform::api::AuditPage,
        ApiError,
        crate::credentialing::api::CredentialRecord,
        crate::credentialing::api::CredentialType,
        crate::directory::api::DirectoryAnswer,
        crate::directory::api::DirectoryPlace,
        crate::directory::api::DirectoryResult,
        crate::directory::api::DirectoryLocation,
        crate::directory::api::DirectoryWidening
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
        search.parameters = Some(
            crate::directory::api::directory_parameters(lists)
                .into_iter()
                .map(RefOr::T)
                .collect(),
        );
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
