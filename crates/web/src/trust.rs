//! What verifiers fetch to check the board's credentials: the issuer's public keys as a JWKS
//! and as a did:web DID document. Public, cacheable for a few minutes (rotation adds a key
//! before it is used, so a short cache never hides a key that signed something).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::{ServerState, WebError};

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/did.json", get(did))
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
