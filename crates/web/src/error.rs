//! The error boundary: the one place where failures become responses.
//!
//! Handlers return [`WebError`]; its `IntoResponse` only records *what* went wrong in a
//! response extension. [`fill_error_pages`] then writes the body, as HTML or as JSON (for
//! `/api/…` or `Accept: application/json`), and logs internal errors once, with their cause
//! chain and the request id. Bare error statuses from the framework (unknown route, wrong
//! method, body too large, unreadable form) get the same pages. People see a friendly message
//! and the request id; internals stay in the log.

use app::AppError;
use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::context::RequestId;
use crate::page::PageContext;

#[derive(Debug)]
pub enum WebError {
    App(AppError),
    /// The database is not ready (start-up, or an outage).
    NotReady,
    /// The anti-forgery token is missing or belongs to another session.
    Csrf,
    BadRequest(String),
    UnsupportedMediaType,
    NotFound,
    Internal(anyhow::Error),
}

impl From<AppError> for WebError {
    fn from(error: AppError) -> Self {
        WebError::App(error)
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        WebError::Internal(anyhow::anyhow!("template rendering failed: {error}"))
    }
}

/// The kind of a refusal until two-factor sign-in is set up: a page is sent to set it up
/// (and back afterwards), a program gets the 403.
const SECOND_FACTOR_REQUIRED: &str = "second_factor_required";

/// What the boundary needs to write the body.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    /// Short machine-readable kind for JSON (`not_found`, `forbidden`, …).
    pub kind: &'static str,
    /// The message for people.
    pub message: String,
    /// Per-field problems (validation).
    pub fields: Vec<(String, String)>,
    /// Internal cause, logged once and never shown.
    pub cause: Option<std::sync::Arc<anyhow::Error>>,
}

impl WebError {
    fn info(self) -> ErrorInfo {
        let plain = |status, kind, message: &str| ErrorInfo {
            status,
            kind,
            message: message.to_owned(),
            fields: Vec::new(),
            cause: None,
        };
        match self {
            WebError::App(AppError::Validation(errors)) => ErrorInfo {
                fields: errors.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
                ..plain(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    "Some of the input needs fixing.",
                )
            },
            WebError::App(AppError::Unauthenticated) => {
                plain(StatusCode::UNAUTHORIZED, "unauthenticated", "Please sign in.")
            }
            WebError::App(AppError::Forbidden(reason)) => plain(StatusCode::FORBIDDEN, "forbidden", &reason),
            WebError::App(AppError::SecondFactorRequired(reason)) => {
                plain(StatusCode::FORBIDDEN, SECOND_FACTOR_REQUIRED, &reason)
            }
            WebError::App(AppError::NotFound) | WebError::NotFound => {
                plain(StatusCode::NOT_FOUND, "not_found", "There is nothing at this address.")
            }
            WebError::App(AppError::Throttled(message)) => plain(StatusCode::TOO_MANY_REQUESTS, "throttled", &message),
            // Handlers show the list themselves; this is the fallback (and the API's answer).
            WebError::App(AppError::Blocked(missing)) => ErrorInfo {
                fields: missing.into_iter().map(|item| ("_form".to_owned(), item)).collect(),
                ..plain(
                    StatusCode::CONFLICT,
                    "blocked",
                    "This cannot be done yet; the list says what is missing.",
                )
            },
            WebError::App(error @ (AppError::InvalidCredentials | AppError::InvalidLink | AppError::Refused(_))) => {
                plain(StatusCode::BAD_REQUEST, "refused", &error.to_string())
            }
            WebError::App(AppError::Unavailable(cause)) => ErrorInfo {
                cause: Some(std::sync::Arc::new(cause)),
                ..plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Sensate cannot reach its database right now. Please try again in a minute.",
                )
            },
            WebError::NotReady => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Sensate is starting up or cannot reach its database. Please try again in a minute.",
            ),
            WebError::Csrf => plain(
                StatusCode::FORBIDDEN,
                "csrf",
                "This form expired (it was opened in an earlier session). Reload the page and send it again.",
            ),
            WebError::BadRequest(message) => plain(StatusCode::BAD_REQUEST, "bad_request", &message),
            WebError::UnsupportedMediaType => plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the request body as JSON with Content-Type: application/json.",
            ),

            WebError::App(AppError::Internal(cause)) | WebError::Internal(cause) => ErrorInfo {
                cause: Some(std::sync::Arc::new(cause)),
                ..plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side. It has been logged; please try again.",
                )
            },
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let info = self.info();
        let mut response = info.status.into_response();
        response.extensions_mut().insert(info);
        response
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}

/// A method the route does not serve (the router adds `Allow`; the boundary writes the body).
pub async fn method_not_allowed() -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

/// Marks a response whose body a handler rendered itself (e.g. a form shown again with its
/// problems), so the boundary leaves it alone.
#[derive(Clone, Copy, Debug)]
pub struct Rendered;

fn wants_json(path: &str, accept: Option<&str>) -> bool {
    path.starts_with("/api/") || accept.is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: PageContext,
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "This request could not be used",
        401 => "Please sign in",
        403 => "Not allowed",
        404 => "Page not found",
        405 => "Not allowed here",
        413 => "Too much data",
        415 => "Unsupported form",
        422 => "Please check your input",
        429 => "Too many attempts",
        503 => "Temporarily unavailable",
        _ => "Something went wrong",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "There is nothing at this address.",
        405 => "This address does not accept that kind of request.",
        413 => "The form sent more data than Sensate accepts (64 KB). Shorten it and try again.",
        415 => "The request was not sent as a form or JSON document.",
        400 | 422 => "The request could not be read. Go back, check the form and try again.",
        _ => "Something went wrong. Please try again.",
    }
}

/// Writes error bodies and logs internal errors once. See the module docs.
pub async fn fill_error_pages(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    // The session layer (inside this one) leaves the page context on the response.
    let ctx = PageContext::from_extensions(response.extensions());
    let status = response.status();
    // A bearer challenge (`/metrics` with a token set) is a complete answer for a machine,
    // not a page to send a person to the sign-in form from.
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Rendered>().is_some()
        || response.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        return response;
    }
    let info = response
        .extensions()
        .get::<ErrorInfo>()
        .cloned()
        .unwrap_or_else(|| ErrorInfo {
            status,
            kind: match status.as_u16() {
                404 => "not_found",
                405 => "method_not_allowed",
                413 => "too_large",
                415 => "unsupported_media_type",
                _ => "bad_request",
            },
            message: default_message(status).to_owned(),
            fields: Vec::new(),
            cause: None,
        });
    if let Some(cause) = &info.cause {
        tracing::error!(request_id = %request_id, status = status.as_u16(), error = ?cause, "request failed");
    }
    let json = wants_json(&path, accept.as_deref());
    if path.starts_with("/fhir/") {
        return operation_outcome(status, &info.message, &request_id);
    }
    if status == StatusCode::UNAUTHORIZED && !json {
        let next_path = match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        return Redirect::to(&format!("/sign-in?next={}", urlencode(&next_path))).into_response();
    }
    if info.kind == SECOND_FACTOR_REQUIRED && !json {
        let next_path = match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        return Redirect::to(&format!("/account/two-factor/setup?next={}", urlencode(&next_path))).into_response();
    }
    let mut rendered = if json {
        let fields: serde_json::Map<String, serde_json::Value> = info
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let body = serde_json::json!({
            "error": info.kind,
            "message": info.message,
            "fields": fields,
            "request_id": request_id,
        });
        (status, axum::Json(body)).into_response()
    } else {
        let page = ErrorPage {
            ctx,
            status: status.as_u16(),
            title: title_for(status),
            message: &info.message,
            request_id: &request_id,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(request_id = %request_id, error = %error, "error page rendering failed");
                (status, format!("{} (request {request_id})", info.message)).into_response()
            }
        }
    };
    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
        rendered.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        rendered
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    rendered
}

/// A FHIR client reads errors as an R4 `OperationOutcome`, never as a page or a redirect.
fn operation_outcome(status: StatusCode, message: &str, request_id: &str) -> Response {
    let code = match status.as_u16() {
        401 => "login",
        403 => "forbidden",
        404 | 410 => "not-found",
        400 | 413 | 415 | 422 => "invalid",
        429 => "throttled",
        500..=599 => "exception",
        _ => "processing",
    };
    let body = serde_json::json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": code,
            "diagnostics": format!("{message} (request {request_id})"),
        }],
    });
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/fhir+json"));
    response
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)])
        .map(|s| s[2..].to_owned())
        .unwrap_or_default()
}
