//! Reading submitted forms, with the anti-forgery check built in.
//!
//! Every HTML form is read through [`Posted`]: it checks the body is a form, within the size
//! limit, and carries this session's `csrf` token. When the token is stale (a form opened
//! before signing in or out, or in another session) the handler does not run; the form is
//! shown again with everything the person typed and a note asking them to send it again.

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::FieldErrors;
use serde::de::DeserializeOwned;

use crate::page::PageContext;
use crate::session::RequestSession;
use crate::{BODY_LIMIT, WebError};

/// The key under which a problem with the whole form (not one field) is reported.
pub const FORM_LEVEL: &str = "_form";

/// Whether a posted form's `csrf` field carries this session's anti-forgery token.
fn form_token_matches(extensions: &axum::http::Extensions, pairs: &[(String, String)]) -> bool {
    let expected = extensions
        .get::<RequestSession>()
        .map(|s| s.csrf_token.clone())
        .unwrap_or_default();
    let given = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    !expected.is_empty() && app::platform::sessions::tokens_match(&expected, given)
}

/// How much of an oversized form is read and thrown away before answering 413. Answering while
/// the browser is still sending makes it see a reset connection instead of the message.
const OVERSIZE_DRAIN: usize = 4 * 1024 * 1024;

/// Reads a form body within [`BODY_LIMIT`]. A larger body is refused with 413, after reading
/// (and discarding) up to [`OVERSIZE_DRAIN`] more, so the answer reaches the sender.
async fn read_form_body(body: axum::body::Body) -> Result<Vec<u8>, StatusCode> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if bytes.len() + chunk.len() > BODY_LIMIT {
            let mut drained = 0;
            while drained < OVERSIZE_DRAIN {
                match stream.next().await {
                    Some(Ok(more)) => drained += more.len(),
                    _ => break,
                }
            }
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads an URL-encoded form (415 for another content type, 413 past the limit): the request
/// parts, the body and its pairs in order.
async fn read_form(request: Request) -> Result<(axum::http::request::Parts, Vec<u8>, Vec<(String, String)>), Response> {
    let (parts, body) = request.into_parts();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    let bytes = read_form_body(body).await.map_err(IntoResponse::into_response)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| WebError::BadRequest("The form could not be read.".into()).into_response())?;
    Ok((parts, bytes, pairs))
}

/// A form that can show itself again with problems named.
pub trait FormPage: DeserializeOwned + Send + 'static {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response;
}

/// A form submission whose anti-forgery token matched.
pub struct Posted<T>(pub T);

impl<S: Send + Sync, T: FormPage> FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let (parts, bytes, pairs) = read_form(request).await?;
        let value: T = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            WebError::BadRequest("The form could not be read. Go back and try again.".into()).into_response()
        })?;
        if !form_token_matches(&parts.extensions, &pairs) {
            let mut errors = FieldErrors::new();
            errors.add(
                FORM_LEVEL,
                "This form had expired, so nothing was saved. We kept what you typed (except passwords): check it and send it again.",
            );
            let ctx = PageContext::from_extensions(&parts.extensions);
            return Err(value.rerender(ctx, errors));
        }
        Ok(Posted(value))
    }
}

/// A form read as its pairs, in order (for forms with repeated fields such as checkboxes),
/// with whether its anti-forgery token matched. The handler rebuilds its page from the
/// database, so a stale token shows the form again with everything typed and a note.
pub struct PostedPairs {
    pub pairs: Vec<(String, String)>,
    pub token_ok: bool,
}

impl PostedPairs {
    /// The problem to show when the token was stale.
    pub fn stale_errors() -> FieldErrors {
        let mut errors = FieldErrors::new();
        errors.add(
            FORM_LEVEL,
            "This form had expired, so nothing was saved. We kept what you typed: check it and send it again.",
        );
        errors
    }
}

impl<S: Send + Sync> FromRequest<S> for PostedPairs {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let (parts, _, pairs) = read_form(request).await?;
        let token_ok = form_token_matches(&parts.extensions, &pairs);
        Ok(PostedPairs { pairs, token_ok })
    }
}

/// A form with no fields but the token (sign out, "sign out everywhere", …).
#[derive(serde::Deserialize)]
pub struct TokenOnly {}

impl FormPage for TokenOnly {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

/// A file sent with a multipart form, read into memory (small files only: definition files).
pub struct UploadedFile {
    pub field: String,
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// A multipart form (one with a file input) whose anti-forgery token matched. Text fields are
/// read into `T` exactly as [`Posted`] reads a plain form, so a stale token shows the form
/// again with what was typed; files come beside it. The whole body stays within the router's
/// body limit.
pub struct PostedWithFiles<T>(pub T, pub Vec<UploadedFile>);

/// A multipart form read whole: its text fields in order, its files, and whether its `csrf`
/// field carries the anti-forgery token of the session the request arrived in.
pub struct MultipartForm {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
    pub token_ok: bool,
}

/// Reads a multipart form (415 when the body is not one, 400 when it cannot be read). The
/// body stays within the body limit of the route's router.
pub async fn read_multipart_form<S: Send + Sync>(request: Request, state: &S) -> Result<MultipartForm, Response> {
    let extensions = request.extensions().clone();
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|_| StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response())?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(|_| unreadable())?;
                // A file input left empty still sends a part with no name and no bytes.
                if !bytes.is_empty() || !file_name.is_empty() {
                    files.push(UploadedFile {
                        field: name,
                        file_name: (!file_name.is_empty()).then_some(file_name),
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => pairs.push((name, field.text().await.map_err(|_| unreadable())?)),
        }
    }
    let token_ok = form_token_matches(&extensions, &pairs);
    Ok(MultipartForm { pairs, files, token_ok })
}

fn unreadable() -> Response {
    WebError::BadRequest("The form could not be read. Go back and try again.".into()).into_response()
}

impl<S: Send + Sync, T: FormPage> FromRequest<S> for PostedWithFiles<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let extensions = request.extensions().clone();
        let form = read_multipart_form(request, state).await?;
        let encoded = serde_urlencoded::to_string(&form.pairs).map_err(|_| unreadable())?;
        let value: T = serde_urlencoded::from_str(&encoded).map_err(|_| unreadable())?;
        if !form.token_ok {
            let mut errors = FieldErrors::new();
            errors.add(
                FORM_LEVEL,
                "This form had expired, so nothing was saved. We kept what you typed: choose the file again and send it again.",
            );
            return Err(value.rerender(PageContext::from_extensions(&extensions), errors));
        }
        Ok(PostedWithFiles(value, form.files))
    }
}

/// A refusal in words ("this case is already decided") or per-field problems, as errors to
/// show on the form they concern; anything else goes on to the error boundary.
pub fn as_form_errors(error: app::AppError) -> Result<FieldErrors, app::AppError> {
    match error {
        app::AppError::Validation(errors) => Ok(errors),
        app::AppError::Refused(message) => {
            let mut errors = FieldErrors::new();
            errors.add(FORM_LEVEL, message);
            Ok(errors)
        }
        other => Err(other),
    }
}

/// Declares a form of text fields whose stale token is answered by asking to send it again
/// (its page is rebuilt from the database by the handler when the input has problems).
macro_rules! plain_form {
    ($name:ident { $($field:ident),* $(,)? }) => {
        #[derive(serde::Deserialize, Default, Clone)]
        #[serde(default)]
        struct $name { $($field: String),* }
        impl $crate::forms::FormPage for $name {
            fn rerender(self, _: $crate::page::PageContext, _: domain::FieldErrors) -> axum::response::Response {
                axum::response::IntoResponse::into_response($crate::WebError::Csrf)
            }
        }
    };
}
pub(crate) use plain_form;
