//! What every HTML page shares: the page context, the signed-in extractor, rendering and the
//! small formatting helpers. The pages themselves sit in their product area's folder; templates
//! live in `crates/web/templates`, by area.

use app::Actor;
use app::platform::sessions::{ActiveSession, SessionState};
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::Role;

use crate::error::Rendered;
use crate::session::RequestSession;
use crate::{ServerState, WebError};

/// What every page needs: who is looking, the anti-forgery token for its forms, where it is.
#[derive(Clone, Default)]
pub struct PageContext {
    pub viewer: Option<Actor>,
    pub csrf: String,
    pub path: String,
    pub demo: bool,
    pub board_name: String,
}

impl std::fmt::Debug for PageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageContext")
            .field("viewer", &self.viewer)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl PageContext {
    pub fn from_extensions(extensions: &Extensions) -> PageContext {
        extensions.get::<PageContext>().cloned().unwrap_or_default()
    }

    pub fn build(session: &RequestSession, path: &str, state: &ServerState) -> PageContext {
        let viewer = match session.state.as_ref() {
            SessionState::Active(active) => Some(active.actor.clone()),
            _ => None,
        };
        PageContext {
            viewer,
            csrf: session.csrf_token.clone(),
            path: path.to_owned(),
            demo: state.config().demo,
            board_name: state.board_name(),
        }
    }

    /// For `aria-current` in the navigation.
    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
    }

    pub fn viewer_has(&self, role: &str) -> bool {
        let Ok(role) = Role::parse(role) else {
            return false;
        };
        self.viewer.as_ref().is_some_and(|v| v.has_role(role))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageContext::from_extensions(&parts.extensions))
    }
}

/// Renders a page with 200.
pub fn page(template: &impl Template) -> Result<Response, WebError> {
    Ok(Html(template.render()?).into_response())
}

/// Renders a page with another status (a form shown again with its problems: 422).
pub fn page_with_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.extensions_mut().insert(Rendered);
            response
        }
        Err(error) => WebError::from(error).into_response(),
    }
}

/// Paths a person whose role requires two-factor sign-in may use before setting it up.
const ENROLMENT_PATHS: [&str; 3] = [
    "/account/two-factor/setup",
    "/account/two-factor/recovery-codes",
    "/sign-out",
];

/// A signed-in person. Visitors are sent to sign in (or get 401 JSON); people who still owe
/// a mandatory second factor are sent to set it up.
pub struct SignedIn(pub ActiveSession);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(session) = parts.extensions.get::<RequestSession>() else {
            return Err(WebError::NotReady.into_response());
        };
        // Nested routers see a shortened path; decisions use the path as requested.
        let uri = parts
            .extensions
            .get::<crate::context::RequestPath>()
            .map(|p| p.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let is_api = uri.path().starts_with("/api/");
        match session.state.as_ref() {
            SessionState::Active(active) => {
                if active.actor.must_enrol_mfa() && !ENROLMENT_PATHS.contains(&uri.path()) {
                    // The API agrees with the pages: nothing but enrolment until the second
                    // factor is set up (a page is sent there; a program is told why).
                    if is_api {
                        let why = "Set up two-factor sign-in first; your role requires it.";
                        return Err(WebError::App(app::AppError::Forbidden(why.into())).into_response());
                    }
                    return Err(Redirect::to("/account/two-factor/setup").into_response());
                }
                Ok(SignedIn(active.as_ref().clone()))
            }
            SessionState::Expired { idle } if !is_api => {
                let why = if *idle { "idle" } else { "limit" };
                let next = crate::error::urlencode(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/dashboard"));

                Err(Redirect::to(&format!("/sign-in?expired={why}&next={next}")).into_response())
            }
            _ => Err(WebError::App(app::AppError::Unauthenticated).into_response()),
        }
    }
}

/// Only a path on this site may be a destination after sign-in (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // A local path only: no scheme-relative `//host`, no backslashes, and no control or
        // space characters (browsers drop tabs and newlines, turning `/\t/host` into `//host`).
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            path.to_owned()
        }

        _ => "/dashboard".to_owned(),
    }
}

/// Formats a stored time for people (UTC; a per-person time zone comes with profiles).
pub fn when(at: store::Timestamp) -> String {
    let t = at.get();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}
