//! Static files, compiled into the binary (nothing is fetched at run time).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::routes::Routes;

const APP_CSS: &str = include_str!("../static/app.css");
/// The only script: keeps a background job's progress bar current (pages work without it).
const PROGRESS_JS: &str = include_str!("../static/progress.js");
/// Passkeys: the WebAuthn calls of the security and sign-in pages (the pages work without it).
const PASSKEYS_JS: &str = include_str!("../static/passkeys.js");
/// The brand mark for browser tabs and bookmarks.
const FAVICON_SVG: &str = include_str!("../static/favicon.svg");

pub fn routes() -> Routes {
    Routes::new()
        .route("/static/app.css", get(app_css))
        .route("/static/progress.js", get(progress_js))
        .route("/static/passkeys.js", get(passkeys_js))
        .route("/static/favicon.svg", get(favicon))
        // Browsers ask for this path whatever the page links; the same mark answers.
        .route("/favicon.ico", get(favicon))
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}

async fn progress_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PROGRESS_JS,
    )
}

async fn passkeys_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PASSKEYS_JS,
    )
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
