//! Security headers on every response. Each one, and why:
//!
//! - `Content-Security-Policy`: only our own scripts, styles and images load; no inline script
//!   or style (so injected markup cannot run), no plugins, forms post only to us, and no page
//!   may be framed (`frame-ancestors 'none'`, against clickjacking).
//! - `X-Content-Type-Options: nosniff`: browsers trust our content types instead of guessing.
//! - `Referrer-Policy: no-referrer`: URLs (which may hold one-time tokens) never leak to
//!   other sites.
//! - `X-Frame-Options: DENY`: the same anti-framing rule for old browsers.
//! - `Cross-Origin-Opener-Policy` / `Cross-Origin-Resource-Policy`: other sites cannot script
//!   our windows or embed our responses.
//! - `Permissions-Policy`: no camera, microphone or location for anyone.
//! - `Strict-Transport-Security`: only when served over TLS; browsers then refuse plain HTTP.
//! - `Cache-Control: no-store` unless a handler chose otherwise: pages show personal data, so
//!   nothing is cached by default. Only static assets opt in to caching.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::ServerState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if state.config().hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
