//! Sessions on the web side: the cookie, the per-request session state, and the anti-forgery
//! (CSRF) rule.
//!
//! Cookies: the session cookie holds a 256-bit random secret (the database keeps only its
//! hash). It is `HttpOnly` (no script can read it), `SameSite=Lax` (not sent on cross-site
//! form posts; sent when following a link from an e-mail), `Path=/`, and, whenever the
//! browser treats the site as secure, `Secure` with the `__Host-` prefix (which pins it to
//! this exact host). It has no expiry date: the server ends sessions (30 min idle, 12 h
//! absolute by default).
//!
//! Anti-forgery: every state-changing request must carry a token tied to the session (or, for
//! visitors not signed in, to a separate `__Host-…-csrf` cookie). Forms carry it in a hidden
//! `csrf` field, checked by the `Posted` extractor, which shows the form again with what the
//! person typed if the token is stale. Other requests (JSON, anything not a form) carry it in
//! `X-CSRF-Token` and are refused here with 403 when it does not match.

use std::sync::Arc;

use app::platform::devices::{DEVICE_COOKIE_LIFETIME, DeviceCookie};
use app::platform::sessions::{NewSession, SessionState};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ServerState, WebError};

/// The session as this request sees it, with the token its forms must carry.
#[derive(Clone)]
pub struct RequestSession {
    pub state: Arc<SessionState>,
    pub csrf_token: String,
}

/// Reads one cookie from the request's `Cookie` headers.
pub fn cookie<'a>(request: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    request
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn set_cookie_value(state: &ServerState, name: &str, value: &str, same_site: &str) -> Option<HeaderValue> {
    let secure = if state.config().secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}"
    ))
    .ok()
}

pub(crate) fn clear_cookie_value(state: &ServerState, name: &str) -> Option<HeaderValue> {
    let secure = if state.config().secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")).ok()
}

/// The `Set-Cookie` header that starts a session in the browser.
pub fn session_cookie(state: &ServerState, token: &str) -> Option<HeaderValue> {
    set_cookie_value(state, state.session_cookie_name(), token, "Lax")
}

/// The device cookie this browser sent (empty when none).
pub fn device_cookie_sent(state: &ServerState, headers: &axum::http::HeaderMap) -> DeviceCookie {
    DeviceCookie::parse(cookie(headers, state.device_cookie_name()))
}

/// The `Set-Cookie` headers a sign-in step answers with: the new session, and after a
/// completed sign-in the device cookie, kept for as long as the browser is trusted (unlike the
/// session cookie, it outlives the browser being closed). `SameSite=Strict`: only this site's
/// own sign-in forms need it.
pub fn sign_in_cookies(state: &ServerState, new: &NewSession) -> Vec<HeaderValue> {
    let mut values: Vec<HeaderValue> = session_cookie(state, &new.cookie_token).into_iter().collect();
    if let Some(device) = &new.device_cookie {
        let secure = if state.config().secure_cookies { "; Secure" } else { "" };
        let max_age = DEVICE_COOKIE_LIFETIME.whole_seconds();
        if let Ok(value) = HeaderValue::from_str(&format!(
            "{}={device}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
            state.device_cookie_name()
        )) {
            values.push(value);
        }
    }
    values
}

/// An HTML form post: plain, or multipart (a form with a file input). Only the `Posted` and
/// `PostedWithFiles` extractors read these bodies, and both check the token; every other
/// extractor refuses these content types.
fn is_form(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded") || v.starts_with("multipart/form-data"))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths served while start-up is still waiting for the database.
fn served_before_ready(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/")
}

pub async fn load_session(State(state): State<ServerState>, mut request: Request, next: Next) -> Response {
    // Until the database is ready, pages answer 503 rather than forms that cannot be sent.
    if state.app().is_none() && !served_before_ready(request.uri().path()) {
        return WebError::NotReady.into_response();
    }

    let token = cookie(request.headers(), state.session_cookie_name()).map(str::to_owned);
    let anonymous_token = cookie(request.headers(), state.csrf_cookie_name()).map(str::to_owned);
    let session_state = match (state.app(), token.as_deref()) {
        (Some(app), Some(token)) => match app.resolve_session(token).await {
            Ok(resolved) => resolved,
            Err(error) => return WebError::from(error).into_response(),
        },
        _ => SessionState::Anonymous,
    };
    let stale_cookie =
        token.is_some() && matches!(session_state, SessionState::Anonymous | SessionState::Expired { .. });

    // The token forms must carry: the session's own, or the visitor's anonymous one (made
    // now if the visitor has none yet).
    let mut new_anonymous_token = None;
    let csrf_token = match &session_state {
        SessionState::Active(active) => active.csrf_token.clone(),
        SessionState::MfaPending { session } => session.csrf_secret.clone(),
        SessionState::Anonymous | SessionState::Expired { .. } => match anonymous_token {
            Some(existing) => existing,
            None => {
                let fresh = app::platform::random::token().unwrap_or_default();
                new_anonymous_token = Some(fresh.clone());
                fresh
            }
        },
    };

    let session = RequestSession {
        state: Arc::new(session_state),
        csrf_token: csrf_token.clone(),
    };
    let ctx = crate::page::PageContext::build(&session, request.uri().path(), &state);
    request.extensions_mut().insert(session);
    request.extensions_mut().insert(ctx.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(ctx);
    let headers = response.headers_mut();
    let session_replaced = headers.get_all(header::SET_COOKIE).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with(&format!("{}=", state.session_cookie_name())))
    });
    if stale_cookie
        && !session_replaced
        && let Some(value) = clear_cookie_value(&state, state.session_cookie_name())
    {
        headers.append(header::SET_COOKIE, value);
    }
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let Some(fresh) = new_anonymous_token.filter(|_| is_page)
        && let Some(value) = set_cookie_value(&state, state.csrf_cookie_name(), &fresh, "Strict")
    {
        headers.append(header::SET_COOKIE, value);
    }

    response
}

/// The anti-forgery rule for requests that reach a route: form posts are checked by the
/// `Posted` extractor (which can show the form again); every other state-changing request must
/// carry the token in `X-CSRF-Token`. Applied after routing (a route layer, with the routes' own
/// 405 answer put back in `router`), so a method a route does not serve is answered 405 with
/// `Allow` and an unknown path 404, whatever the token: neither does anything to forge.
pub async fn check_csrf(request: Request, next: Next) -> Response {
    let checked_by_form_extractor = request.method() == Method::POST && is_form(&request);
    if !is_safe(request.method()) && !checked_by_form_extractor {
        let expected = request
            .extensions()
            .get::<RequestSession>()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or_default();
        let given = request
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if expected.is_empty() || !app::platform::sessions::tokens_match(expected, given) {
            return WebError::Csrf.into_response();
        }
    }
    next.run(request).await
}

impl std::fmt::Debug for RequestSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSession")
            .field("state", &self.state)
            .field("csrf_token", &"<redacted>")
            .finish()
    }
}
