//! Uploading and downloading documents.
//!
//! - `GET /portal/documents`: the signed-in person's documents and the upload form.
//! - `POST /portal/documents`: the upload, read as a stream. The multipart body is not read
//!   by [`crate::forms::PostedWithFiles`] (which holds files in memory and stays within the
//!   router's 64 KiB limit): this handler reads the small text parts first, checks the `csrf`
//!   part itself (the session layer leaves multipart posts to the handler, and the token must
//!   come before the file), then hands the file part, chunk by chunk, to
//!   [`app::App::upload_document`], which refuses it as soon as it passes the size limit. The
//!   route has no body limit of its own for that reason. After a refusal the rest of the body
//!   is read and discarded (up to [`DRAIN_LIMIT`]), so that browsers show the message rather
//!   than a reset connection.
//! - `GET /documents/{id}`: the decrypted file, streamed, as an attachment. Who may download is
//!   decided (and audited) by the app.

use app::AppError;
use app::credentialing::documents::UploadInput;
use askama::Template;
use axum::body::Body;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::FieldErrors;
use domain::credentialing::programs::DegreeLevel;
use serde::Deserialize;
use store::credentialing::evidence::{DocumentRecord, EvidenceTable};

use crate::context::Meta;
use crate::forms::FORM_LEVEL;
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::session::RequestSession;
use crate::{ServerState, WebError};

/// After a refused upload, at most this much more of the request is read (and discarded) so the
/// browser gets to see the answer; a larger request has its connection closed instead.
pub const DRAIN_LIMIT: u64 = 128 * 1024 * 1024;
/// The most bytes a text part of the upload form (the token, the kind, the record) may hold.
const TEXT_PART_LIMIT: usize = 1024;
/// The most parts read before the file part.
const MAX_TEXT_PARTS: usize = 8;

pub fn routes() -> Routes {
    Routes::new()
        .route(
            "/portal/documents",
            get(documents_page).post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/documents/{id}", get(download))
}

struct DocumentRow {
    id: String,
    kind: String,
    file_name: String,
    size: String,
    uploaded: String,
    attached_to: String,
}

/// The records of one table that a document can be attached to, as select options.
struct TargetGroup {
    label: &'static str,
    options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "credentialing/documents.html")]
struct DocumentsPage {
    ctx: PageContext,
    rows: Vec<DocumentRow>,
    kinds: Vec<(String, String)>,
    targets: Vec<TargetGroup>,
    /// The form's values: kept after a refusal.
    kind: String,
    attach_to: String,
    limit: String,
    errors: FieldErrors,
    notice: Option<String>,
}

/// A size for people, in binary units as file managers show them: "812 bytes", "14.2 KB".
fn size_text(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    let (unit, name) = match bytes {
        b if b >= MB => (MB, "MB"),
        b if b >= KB => (KB, "KB"),
        b => return format!("{b} bytes"),
    };
    let tenths = bytes.saturating_mul(10) / unit;
    match tenths % 10 {
        0 => format!("{} {name}", tenths / 10),
        frac => format!("{}.{frac} {name}", tenths / 10),
    }
}

async fn page_data(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    kind: String,
    attach_to: String,
) -> Result<DocumentsPage, WebError> {
    let app = state.ready_app()?;
    app.authorize(actor, app::authz::Permission::ManageOwnEvidence, meta)
        .await?;
    let documents = app.documents(actor, &actor.user_id, meta).await?;
    let file = app.evidence_file(actor, &actor.user_id, meta).await?;
    let lists = app.board_lists().await?;

    let value =
        |table: EvidenceTable, id: &str| app::credentialing::documents::attach_value(table, id).unwrap_or_default();
    let degrees: Vec<(String, String)> = file
        .degrees
        .iter()
        .map(|r| {
            let level = DegreeLevel::parse(&r.level).map_or(r.level.as_str(), |l| l.label());
            (
                value(EvidenceTable::Degrees, &r.id),
                format!("{level} in {}, {} ({})", r.field, r.institution, r.awarded_on),
            )
        })
        .collect();
    let licenses: Vec<(String, String)> = file
        .licenses
        .iter()
        .map(|r| {
            (
                value(EvidenceTable::Licenses, &r.id),
                format!(
                    "{} license {}, {}",
                    lists.profession_name(&r.profession),
                    r.number,
                    r.jurisdiction
                ),
            )
        })
        .collect();
    let insurance: Vec<(String, String)> = file
        .insurance
        .iter()
        .map(|r| {
            (
                value(EvidenceTable::Insurance, &r.id),
                format!("{} policy {}", r.carrier, r.policy_number),
            )
        })
        .collect();

    // Which record each document proves, by document id.
    let mut attached: Vec<(String, String)> = Vec::new();
    for (document, label) in file
        .degrees
        .iter()
        .map(|r| (&r.document_id, format!("Degree: {}, {}", r.field, r.institution)))
        .chain(
            file.licenses
                .iter()
                .map(|r| (&r.document_id, format!("License {}", r.number))),
        )
        .chain(
            file.insurance
                .iter()
                .map(|r| (&r.document_id, format!("Insurance policy {}", r.policy_number))),
        )
    {
        if let Some(document) = document {
            attached.push((document.clone(), label));
        }
    }
    let rows = documents
        .iter()
        .map(|d: &DocumentRecord| DocumentRow {
            id: d.id.clone(),
            kind: lists.document_kind_name(&d.kind).to_owned(),
            file_name: d.file_name.clone(),
            size: size_text(d.size_bytes),
            uploaded: when(d.uploaded_at),
            attached_to: attached
                .iter()
                .filter(|(id, _)| *id == d.id)
                .map(|(_, label)| label.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();

    let targets = [
        ("Degrees", degrees),
        ("Licenses", licenses),
        ("Insurance policies", insurance),
    ]
    .into_iter()
    .filter(|(_, options)| !options.is_empty())
    .map(|(label, options)| TargetGroup { label, options })
    .collect();
    let kinds = lists
        .document_kinds
        .iter()
        .map(|item| (item.key.clone(), item.name.clone()))
        .collect();
    let limit = size_text(i64::try_from(app.config().files.max_upload_bytes).unwrap_or(i64::MAX));
    Ok(DocumentsPage {
        ctx,
        rows,
        kinds,
        targets,
        kind,
        attach_to,
        limit,
        errors: FieldErrors::new(),
        notice: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    uploaded: String,
    /// Prefills: `?kind=license&attach_to=licenses:<id>` (links from a record).
    kind: String,
    attach_to: String,
}

async fn documents_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    let mut data = page_data(&state, ctx, &session.actor, &meta, query.kind, query.attach_to).await?;
    if !query.uploaded.is_empty() {
        data.notice = Some("Uploaded. The document is stored encrypted.".to_owned());
    }
    page(&data)
}

/// The upload form's text parts.
#[derive(Default)]
struct UploadForm {
    csrf: Option<String>,
    kind: String,
    attach_to: String,
    /// A page to go back to after the upload (see `return_path`).
    return_to: String,
}

fn unreadable() -> WebError {
    WebError::BadRequest("The form could not be read. Go back and try again.".into())
}

/// Reads a small text part whole, refusing one longer than [`TEXT_PART_LIMIT`].
async fn small_text(field: &mut Field<'_>) -> Result<String, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
        if bytes.len() + chunk.len() > TEXT_PART_LIMIT {
            return Err(unreadable());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| unreadable())
}

/// Reads and discards what is left of a field, counting against `budget`. Returns false when
/// the budget ran out or the body failed: then there is no point reading on.
async fn drain_field(field: &mut Field<'_>, budget: &mut u64) -> bool {
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
                match budget.checked_sub(len) {
                    Some(left) => *budget = left,
                    None => return false,
                }
            }
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// Reads and discards the rest of the request, within [`DRAIN_LIMIT`] in all.
async fn drain_rest(multipart: &mut Multipart, mut budget: u64) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if !drain_field(&mut field, &mut budget).await {
            return;
        }
    }
}

/// Where an upload leads back to: a renewal page when the form came from one (a credit's
/// certificate), else the documents page. Only these shapes: never an address from outside.
fn return_path(asked: &str) -> String {
    let renewal = asked
        .strip_prefix("/portal/credentials/")
        .and_then(|rest| rest.strip_suffix("/renewal"))
        .filter(|number| !number.is_empty() && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    match renewal {
        Some(number) => format!("/portal/credentials/{number}/renewal"),
        None => "/portal/documents".to_owned(),
    }
}

fn token_matches(session: Option<&RequestSession>, given: Option<&str>) -> bool {
    let expected = session.map(|s| s.csrf_token.as_str()).unwrap_or_default();
    !expected.is_empty() && given.is_some_and(|given| app::platform::sessions::tokens_match(expected, given))
}

async fn upload(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    request_session: Option<axum::Extension<RequestSession>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let Ok(mut multipart) = multipart else {
        return Ok(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    };
    let app = state.ready_app()?;
    let actor = &session.actor;
    let request_session = request_session.map(|axum::Extension(s)| s);

    let mut form = UploadForm::default();
    let mut result = None;
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| unreadable())? {
        if field.name() == Some("file") {
            // The token must come first: the file is never stored for a forged or stale form.
            if token_matches(request_session.as_ref(), form.csrf.as_deref()) {
                let input = UploadInput {
                    kind: form.kind.clone(),
                    attach_to: form.attach_to.clone(),
                    file_name: field.file_name().unwrap_or_default().to_owned(),
                };
                result = Some(app.upload_document(actor, &input, &mut field, &meta).await);
            }
            let mut budget = DRAIN_LIMIT;
            if drain_field(&mut field, &mut budget).await {
                drop(field);
                drain_rest(&mut multipart, budget).await;
            }
            break;
        }
        parts += 1;
        if parts > MAX_TEXT_PARTS {
            return Err(unreadable());
        }
        let name = field.name().unwrap_or_default().to_owned();
        let text = small_text(&mut field).await?;
        match name.as_str() {
            "csrf" => form.csrf = Some(text),
            "kind" => form.kind = text,
            "attach_to" => form.attach_to = text,
            "return_to" => form.return_to = text,
            _ => {}
        }
    }

    let result = match result {
        Some(result) => result,
        None if !token_matches(request_session.as_ref(), form.csrf.as_deref()) => {
            let mut errors = FieldErrors::new();
            errors.add(
                FORM_LEVEL,
                "This form had expired, so nothing was saved. Choose the file again and upload it again.",
            );
            Err(AppError::Validation(errors))
        }
        // No file part at all: the app says what is missing.
        None => {
            let input = UploadInput {
                kind: form.kind.clone(),
                attach_to: form.attach_to.clone(),
                file_name: String::new(),
            };
            app.upload_document(actor, &input, Body::empty().into_data_stream(), &meta)
                .await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("{}?uploaded=1", return_path(&form.return_to))).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = page_data(&state, ctx, actor, &meta, form.kind, form.attach_to).await?;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

/// A file name safe inside a quoted `Content-Disposition` parameter: printable ASCII only,
/// without quotes or backslashes (anything else becomes `_`).
fn ascii_file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')' | '+' | ',') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim();
    if safe.is_empty() || safe.chars().all(|c| c == '.') {
        "document".to_owned()
    } else {
        safe.to_owned()
    }
}

/// `attachment; filename="…"`, plus the exact name in RFC 8187 form when it is not plain ASCII.
fn content_disposition(name: &str) -> String {
    let ascii = ascii_file_name(name);
    if ascii == name {
        return format!("attachment; filename=\"{ascii}\"");
    }
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Only the types uploads can have; anything else in the row is served as opaque bytes.
fn served_media_type(stored: &str) -> &'static str {
    match stored {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

async fn download(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (record, file) = state.ready_app()?.open_document(&session.actor, &id, &meta).await?;
    let length = file.size_bytes();
    let disposition = HeaderValue::from_str(&content_disposition(&record.file_name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"document\""));
    let mut response = Body::from_stream(file).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(served_media_type(&record.media_type)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_cannot_break_the_header() {
        assert_eq!(
            content_disposition("license.pdf"),
            "attachment; filename=\"license.pdf\""
        );
        assert_eq!(
            content_disposition("a\"b\\c;.pdf"),
            "attachment; filename=\"a_b_c_.pdf\"; filename*=UTF-8''a%22b%5Cc%3B.pdf"
        );
        assert_eq!(
            content_disposition("Zeugnis Müller.pdf"),
            "attachment; filename=\"Zeugnis M_ller.pdf\"; filename*=UTF-8''Zeugnis%20M%C3%BCller.pdf"
        );
        assert_eq!(ascii_file_name(".."), "document");
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(size_text(812), "812 bytes");
        assert_eq!(size_text(14 * 1024 + 300), "14.2 KB");
        assert_eq!(size_text(20 * 1024 * 1024), "20 MB");
    }
}
