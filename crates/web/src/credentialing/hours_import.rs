//! Importing past course records from a CSV file: preview, then commit.
//!
//! `GET /portal/import` explains the layout and takes the upload; `POST /portal/import` checks
//! every row and shows the preview; `POST /portal/import/commit` imports everything or nothing.
//! Nothing is kept on the server between the two posts: the preview page carries the file's
//! text and its SHA-256 in its commit form (see `app::credentialing::hours_import`).

use app::AppError;
use app::credentialing::hours_import::{CommitOutcome, ImportPreview, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, SAMPLE_CSV};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use domain::credentialing::programs::{BoardLists, LogKind};
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, PostedWithFiles};
use crate::page::{PageContext, SignedIn, page, page_with_status};
use crate::routes::Routes;
use crate::{ServerState, WebError};

/// The largest request body on the upload and commit routes: the largest file, and room for
/// the form's other fields and the multipart framing.
const UPLOAD_BODY_LIMIT: usize = MAX_IMPORT_BYTES + 64 * 1024;

/// At most this many ready rows, and this many problems, are listed on the preview page.
const LISTED: usize = 200;

pub fn routes() -> Routes {
    Routes::new()
        .route(
            "/portal/import",
            get(show).post(preview).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/portal/import/commit",
            post(commit).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/portal/import/sample.csv", get(sample))
}

fn section_slug(log: LogKind) -> &'static str {
    match log {
        LogKind::CoreKnowledge => "core-knowledge",
        LogKind::Training => "training",
        LogKind::Sar => "sar",
        LogKind::Clinical => "clinical",
        LogKind::Counseling => "counseling",
        LogKind::Teaching => "teaching",
    }
}

fn entries(count: usize) -> String {
    if count == 1 {
        "1 entry".to_owned()
    } else {
        format!("{count} entries")
    }
}

/// One line of the notice after an import.
struct ImportedPart {
    slug: &'static str,
    text: String,
}

struct ImportedNotice {
    headline: String,
    parts: Vec<ImportedPart>,
}

/// The sample's rows, for the example table.
struct Example {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn example() -> Example {
    let (headers, rows) = app::credentialing::hours_import::sample_table();
    Example { headers, rows }
}

#[derive(Template)]
#[template(path = "credentialing/hours_import.html")]
struct ImportPage {
    ctx: PageContext,
    errors: FieldErrors,
    notice: Option<ImportedNotice>,
    example: Example,
    core_areas: Vec<(String, String)>,
    disciplines: Vec<(String, String)>,
    modes: Vec<(String, String)>,
    max_mb: usize,
    max_rows: usize,
}

fn pairs(items: &[domain::credentialing::programs::ListItem]) -> Vec<(String, String)> {
    items.iter().map(|item| (item.key.clone(), item.name.clone())).collect()
}

impl ImportPage {
    /// The page; the lists of keys are shown when `lists` has them.
    fn new(ctx: PageContext, lists: &BoardLists, errors: FieldErrors) -> ImportPage {
        ImportPage {
            ctx,
            errors,
            notice: None,
            example: example(),
            core_areas: pairs(&lists.core_areas),
            disciplines: pairs(&lists.disciplines),
            modes: pairs(&lists.delivery_modes),
            max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
            max_rows: MAX_IMPORT_ROWS,
        }
    }
}

struct ErrorLine {
    row: usize,
    column: String,
    message: String,
}

struct ReadyLine {
    row: usize,
    log: &'static str,
    date: String,
    hours: String,
    mode: String,
    provider: String,
    title: String,
    split: String,
}

#[derive(Template)]
#[template(path = "credentialing/hours_import_preview.html")]
struct PreviewPage {
    ctx: PageContext,
    file_name: String,
    /// Shown after a commit that stored nothing.
    not_imported: bool,
    total: usize,
    ready: usize,
    problem_rows: usize,
    problems: usize,
    errors: Vec<ErrorLine>,
    rows: Vec<ReadyLine>,
    can_commit: bool,
    text: String,
    token: String,
    max_mb: usize,
}

impl PreviewPage {
    fn errors_hidden(&self) -> usize {
        self.problems - self.errors.len()
    }
    fn rows_hidden(&self) -> usize {
        self.ready - self.rows.len()
    }
}

fn log_label(log: LogKind) -> &'static str {
    match log {
        LogKind::CoreKnowledge => "Core knowledge",
        LogKind::Training => "Training",
        LogKind::Sar => "SAR",
        LogKind::Clinical => "Clinical",
        LogKind::Counseling => "Counseling",
        LogKind::Teaching => "Teaching",
    }
}

fn preview_page(ctx: PageContext, lists: &BoardLists, preview: ImportPreview, file_name: String) -> PreviewPage {
    let can_commit = preview.can_commit();
    let errors = preview
        .errors
        .iter()
        .take(LISTED)
        .map(|error| ErrorLine {
            row: error.row,
            column: if error.column.is_empty() {
                "whole row".to_owned()
            } else {
                error.column.clone()
            },
            message: error.message.clone(),
        })
        .collect();
    let rows = preview
        .ready
        .iter()
        .take(LISTED)
        .map(|row| {
            let entry = &row.entry;
            let split = match entry.log.split_list() {
                Some(list) => entry
                    .split
                    .iter()
                    .map(|(key, hours)| format!("{}: {hours}", lists.item_name(list, key)))
                    .collect::<Vec<_>>()
                    .join("; "),
                None => String::new(),
            };
            ReadyLine {
                row: row.row,
                log: log_label(entry.log),
                date: entry.date.to_string(),
                hours: entry.hours.to_string(),
                mode: lists.mode_name(&entry.mode).to_owned(),
                provider: entry.provider.clone(),
                title: entry.title.clone(),
                split,
            }
        })
        .collect();
    PreviewPage {
        ctx,
        file_name,
        not_imported: false,
        total: preview.total_rows,
        ready: preview.ready.len(),
        problem_rows: preview.rows_with_errors(),
        problems: preview.errors.len(),
        errors,
        rows,
        can_commit,
        token: if can_commit { preview.token } else { String::new() },
        text: if can_commit { preview.text } else { String::new() },
        max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
    }
}

/// The page after an import names what was added, checked against the store, never taken
/// from the URL.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    imported: String,
}

async fn show(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let actor = &session.actor;
    app.authorize(actor, app::authz::Permission::ManageOwnEvidence, &meta)
        .await?;
    let lists = app.board_lists().await?;
    let mut page_data = ImportPage::new(ctx, &lists, FieldErrors::new());
    if !query.imported.is_empty() {
        let summary = app.import_summary(actor, &query.imported, &meta).await?;
        if summary.total > 0 {
            page_data.notice = Some(ImportedNotice {
                headline: format!("Imported {}.", entries(summary.total)),
                parts: summary
                    .by_log
                    .iter()
                    .map(|(log, count, hours)| ImportedPart {
                        slug: section_slug(*log),
                        text: format!("{} in {} ({hours} hours)", entries(*count), log.words()),
                    })
                    .collect(),
            });
        }
    }
    page(&page_data)
}

async fn sample() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"past-courses.csv\""),
        ],
        SAMPLE_CSV,
    )
        .into_response()
}

/// The upload form: only the file (and the anti-forgery token).
#[derive(Deserialize, Default)]
struct UploadForm {}

/// The commit form: the previewed text and its SHA-256.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CommitForm {
    csv: String,
    sha256: String,
    file_name: String,
}

/// A stale or forged token: the upload page again, with the reason. Nothing was read or stored.
fn expired(ctx: PageContext, errors: FieldErrors) -> Response {
    page_with_status(
        StatusCode::FORBIDDEN,
        &ImportPage::new(ctx, &BoardLists::default(), errors),
    )
}

impl FormPage for UploadForm {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        expired(ctx, errors)
    }
}

impl FormPage for CommitForm {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        expired(ctx, errors)
    }
}

/// The upload page with a problem about the file.
async fn refused(
    state: &ServerState,
    ctx: PageContext,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let lists = state.ready_app()?.board_lists().await?;
    Ok(page_with_status(status, &ImportPage::new(ctx, &lists, errors)))
}

/// The uploaded file's name as shown on the page (it came from the browser: kept short).
fn display_name(name: &str) -> String {
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(120).collect();
    if name.is_empty() { "Your file".to_owned() } else { name }
}

fn file_problem(message: String) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(app::credentialing::hours_import::FILE_FIELD, message);
    errors
}

/// Whether the request was refused for its size: the body was cut off at the route's limit.
fn too_large(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .is_some_and(|length| length > UPLOAD_BODY_LIMIT)
}

fn too_large_message(max_mb: usize) -> String {
    format!(
        "The file is larger than {max_mb} MB, the most Sensate accepts. Split it into smaller files and import them one after another."
    )
}

async fn preview(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    headers: HeaderMap,
    posted: Result<PostedWithFiles<UploadForm>, Response>,
) -> Result<Response, WebError> {
    // Who may import is decided before anything about the upload is answered.
    state
        .ready_app()?
        .authorize(&session.actor, app::authz::Permission::ManageOwnEvidence, &meta)
        .await?;
    let files = match posted {
        Ok(PostedWithFiles(_, files)) => files,
        Err(_) if too_large(&headers) => {
            let message = too_large_message(MAX_IMPORT_BYTES / (1024 * 1024));
            return refused(&state, ctx, StatusCode::PAYLOAD_TOO_LARGE, file_problem(message)).await;
        }
        Err(rejection) => return Ok(rejection),
    };
    let app = state.ready_app()?;
    let Some(file) = files.into_iter().find(|file| file.field == "file") else {
        let errors = file_problem("Choose the CSV file to import.".to_owned());
        return refused(&state, ctx, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
    };
    let file_name = display_name(file.file_name.as_deref().unwrap_or_default());
    match app.preview_hours_import(&session.actor, &file.bytes, &meta).await {
        Ok(preview) => {
            let lists = app.board_lists().await?;
            let page_data = preview_page(ctx, &lists, preview, file_name);
            let status = if page_data.can_commit {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(page_with_status(status, &page_data))
        }
        Err(AppError::Validation(errors)) => refused(&state, ctx, StatusCode::UNPROCESSABLE_ENTITY, errors).await,
        Err(error) => Err(error.into()),
    }
}

async fn commit(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    headers: HeaderMap,
    posted: Result<PostedWithFiles<CommitForm>, Response>,
) -> Result<Response, WebError> {
    state
        .ready_app()?
        .authorize(&session.actor, app::authz::Permission::ManageOwnEvidence, &meta)
        .await?;
    let form = match posted {
        Ok(PostedWithFiles(form, _)) => form,
        Err(_) if too_large(&headers) => {
            let message = too_large_message(MAX_IMPORT_BYTES / (1024 * 1024));
            return refused(&state, ctx, StatusCode::PAYLOAD_TOO_LARGE, file_problem(message)).await;
        }
        Err(rejection) => return Ok(rejection),
    };
    let app = state.ready_app()?;
    match app
        .commit_hours_import(&session.actor, &form.csv, &form.sha256, &meta)
        .await
    {
        Ok(CommitOutcome::Imported { batch, .. }) => {
            Ok(Redirect::to(&format!("/portal/import?imported={}", crate::error::urlencode(&batch))).into_response())
        }
        Ok(CommitOutcome::NotImported(preview)) => {
            let lists = app.board_lists().await?;
            let mut page_data = preview_page(ctx, &lists, preview, display_name(&form.file_name));
            page_data.not_imported = true;
            Ok(page_with_status(StatusCode::CONFLICT, &page_data))
        }
        Err(AppError::Validation(errors)) => refused(&state, ctx, StatusCode::UNPROCESSABLE_ENTITY, errors).await,
        Err(error) => Err(error.into()),
    }
}
