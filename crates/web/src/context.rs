//! Per-request facts: a request id (sent back as `X-Request-Id` and written to every log line
//! and audit event of the request) and the client's address.

use std::net::SocketAddr;

use app::RequestMeta;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::ServerState;

/// The path as the client requested it (nested routers see a shortened one).
#[derive(Debug, Clone)]
pub struct RequestPath(pub axum::http::Uri);

/// The request's id, available to handlers and error pages.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_context(State(state): State<ServerState>, mut request: Request, next: Next) -> Response {
    let id = getrandom_hex();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded = state
        .config()
        .trust_forwarded_for
        .then(|| request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        // The proxy appends the address it saw; earlier entries are whatever the client sent.
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned());
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let meta = RequestMeta {
        client_addr: forwarded.or(peer),
        request_id: Some(id.clone()),
        user_agent,
    };
    request.extensions_mut().insert(RequestId(id.clone()));
    let uri = request.uri().clone();
    request.extensions_mut().insert(RequestPath(uri));
    request.extensions_mut().insert(meta);
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %loggable_path(request.uri().path()));
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The path with one-time tokens replaced, so logs never hold a usable link.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/verify-email/", "/password/reset/", "/invitations/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}{{token}}");
        }
    }
    path.to_owned()
}

fn getrandom_hex() -> String {
    let mut bytes = [0u8; 12];
    // A failing generator leaves zeros: the id is for correlation, not security.
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

/// Extracts the request's audit facts.
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(parts.extensions.get::<RequestMeta>().cloned().unwrap_or_default()))
    }
}
