//! Operational endpoints: liveness, readiness (checks the database) and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::ServerState;
use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok\n").into_response()
}

/// Ready to serve: start-up finished and the database answers now. The body says why not,
/// so it is kept as written (not replaced by an error page).
async fn readyz(State(state): State<ServerState>) -> Response {
    let mut response = readiness(&state).await;
    response.extensions_mut().insert(crate::error::Rendered);
    response
}

async fn readiness(state: &ServerState) -> Response {
    if state.app().is_none() {
        let reason = state.not_ready_reason();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            format!("not ready: {reason}\n"),
        )
            .into_response();
    }
    match state.store().ping().await {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ready\n").into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain")],
                "not ready: database unreachable\n",
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<ServerState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(expected) = &state.config().metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !app::platform::sessions::tokens_match(expected, given) {
            return (
                StatusCode::UNAUTHORIZED,
                [
                    (header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""),
                    (header::CONTENT_TYPE, "text/plain"),
                ],
                "metrics need the bearer token set as metrics_token\n",
            )
                .into_response();
        }
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(),
    )
        .into_response()
}
