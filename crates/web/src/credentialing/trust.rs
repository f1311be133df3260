//! What verifiers fetch to check the board's credentials: the issuer's public keys as a JWKS
//! and as a did:web DID document (public, cacheable for a few minutes: rotation adds a key
//! before it is used, so a short cache never hides a key that signed something); the signed
//! Bitstring Status Lists (cacheable, but revalidated on every use with an ETag, so a
//! revocation is seen at once); and a holder's qualifications as a FHIR R4 `Practitioner`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/did.json", get(did))
        .route("/status/{purpose}/{list}", get(status_list))
        .route("/fhir/Practitioner/{id}", get(practitioner))
}

fn public_json(value: serde_json::Value, content_type: &'static str) -> Response {
    let mut response = Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

async fn jwks(State(state): State<ServerState>) -> Result<Response, WebError> {
    let app = state.app().ok_or(WebError::NotReady)?;
    let keys = app.published_keys().await?;
    Ok(public_json(
        serde_json::json!({ "keys": keys }),
        "application/jwk-set+json",
    ))
}

async fn did(State(state): State<ServerState>) -> Result<Response, WebError> {
    let app = state.app().ok_or(WebError::NotReady)?;
    Ok(public_json(app.did_document().await?, "application/did+json"))
}

/// A signed status-list credential (`application/vc+jwt`). Caches may keep it but must ask
/// again each time (`no-cache`); an unchanged list answers 304 from its ETag.
async fn status_list(
    State(state): State<ServerState>,
    Path((purpose, list)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let app = state.app().ok_or(WebError::NotReady)?;
    let purpose = app::credentialing::credentials::StatusPurpose::parse(&purpose).ok_or(WebError::NotFound)?;
    let list: i64 = list.parse().map_err(|_| WebError::NotFound)?;
    let signed = app.status_list(purpose, list).await?;
    let etag = HeaderValue::from_str(&signed.etag).map_err(|e| WebError::Internal(e.into()))?;
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|given| given.as_bytes() == etag.as_bytes());
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        signed.token.into_response()
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, etag);
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+jwt"));
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}

/// A holder's credentials as a FHIR R4 `Practitioner` (`application/fhir+json`): the same
/// public facts as the verification page.
async fn practitioner(State(state): State<ServerState>, Path(id): Path<String>) -> Result<Response, WebError> {
    let app = state.app().ok_or(WebError::NotReady)?;
    let resource = app.fhir_practitioner(&id).await?;
    let mut response = Json(resource).into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/fhir+json"));
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}
