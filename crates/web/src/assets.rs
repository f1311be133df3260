//! Static files, compiled into the binary (nothing is fetched at run time).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::ServerState;

const APP_CSS: &str = include_str!("../static/app.css");

pub fn routes() -> Router<ServerState> {
    Router::new().route("/static/app.css", get(app_css))
}

async fn app_css() -> impl IntoResponse {
    // Cached for an hour; pages themselves are never cached.
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}
