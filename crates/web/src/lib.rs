//! Sensate's web layer: HTML pages, the JSON API and the operational endpoints.
//!
//! Handlers are thin: extract input, call one `app` use case, map the result to a page or a
//! JSON body. Cross-cutting rules live in middleware, applied in this order (outermost first):
//! request id and client address → metrics → security headers → a pause before refusals for
//! too many attempts → error pages → session → body limit → routes, where the anti-forgery
//! check runs once a route (and its method) matched.
//! ARCHITECTURE.md follows one request through it.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod api;
mod assets;
mod chart;
pub mod clinical;
mod context;
pub mod credentialing;
pub mod demo;
pub mod directory;
mod error;
pub mod ethics;
mod forms;
mod headers;
mod lists;
mod lookup_limit;
mod metrics;
mod ops;
mod page;
pub mod platform;
pub mod referrals;
mod routes;
mod session;
mod slow_refusals;
mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};

pub use directory::profiles::profile_input;
pub use error::WebError;
pub use forms::{MultipartForm, UploadedFile, read_multipart_form};
pub use state::{ServerConfig, ServerState};

/// Largest request body accepted (forms and JSON). Uploads get their own limits later.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every route of the application.
fn all_routes() -> routes::Routes {
    routes::Routes::new()
        .merge(platform::routes())
        .merge(credentialing::routes())
        .merge(directory::routes())
        .merge(ethics::routes())
        .merge(referrals::routes())
        .merge(demo::routes())
        .merge(api::routes())
        .merge(ops::routes())
        .merge(assets::routes())
}

/// The path of every route the server answers, in axum's syntax (`{id}` for a parameter): what
/// the authorization matrix test walks.
pub fn route_paths() -> Vec<String> {
    all_routes().paths().to_vec()
}

/// The whole application as one router.
pub fn router(state: ServerState) -> Router {
    all_routes()
        .into_router()
        .route_layer(from_fn(session::check_csrf))
        // Replaces each route's 405 answer, which the route layer above also wrapped, so that
        // a method a route does not serve is 405 (with `Allow`) whatever the token.
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn_with_state(state.clone(), session::load_session))
        .layer(from_fn(error::fill_error_pages))
        .layer(from_fn(slow_refusals::pause_refusals))
        .layer(from_fn_with_state(state.clone(), headers::security_headers))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn_with_state(state.clone(), context::request_context))
        .with_state(state)
}

/// Serves until the future `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
