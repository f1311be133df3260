//! Issued credentials: the holder's page with downloads (certificate PDFs, the signed Open
//! Badges credential) and the staff's register with suspension, revocation, reinstatement
//! and undoing an action made in error.

use app::AppError;
use app::credentialing::credentials::{PublicCredential, StatusAction};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, Posted, plain_form};
use crate::lists::{ListQuery, ListView, csv, csv_download, matches};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/portal/credentials", get(mine))
        .route("/portal/credentials/{number}/certificate.pdf", get(certificate))
        .route("/portal/credentials/{number}/badge.jwt", get(badge))
        .route("/admin/credentials", get(register))
        .route("/admin/credentials.csv", get(register_csv))
        .route("/admin/credentials/{number}", get(one))
        .route("/admin/credentials/{number}/status", post(change_status))
        .route("/admin/credentials/bulk/preview", post(bulk_preview))
        .route("/admin/credentials/bulk", post(bulk_start))
        .route("/admin/credentials/bulk/{id}", get(bulk_progress))
}

/// How a status is shown: its word and the badge colour.
pub fn status_badge(status: domain::credentialing::credential_status::CredentialStatus) -> &'static str {
    use domain::credentialing::credential_status::CredentialStatus;
    match status {
        CredentialStatus::Active => "badge--success",
        CredentialStatus::Expired | CredentialStatus::Lapsed => "badge--warning",
        CredentialStatus::Suspended | CredentialStatus::Revoked => "badge--danger",
    }
}

#[derive(Template)]
#[template(path = "credentialing/portal_credentials.html")]
struct MinePage {
    ctx: PageContext,
    credentials: Vec<PublicCredential>,
    /// Ethics cases about the holder they have been told of: (id, reference, state, since).
    cases: Vec<(String, String, String, String)>,
    prompts: Vec<app::credentialing::renewals::RenewalPrompt>,
}

impl MinePage {
    fn badge_class(&self, credential: &PublicCredential) -> &'static str {
        status_badge(credential.status)
    }
}

async fn mine(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let credentials = app.my_credentials(&session.actor, &meta).await?;
    let cases = app
        .cases_about_me(&session.actor, &meta)
        .await?
        .into_iter()
        .map(|(id, reference, state, since)| (id, reference, state, when(since)))
        .collect();
    let prompts = app.renewal_prompts(&session.actor, &meta).await?;
    page(&MinePage {
        ctx,
        prompts,
        credentials,
        cases,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SizeQuery {
    size: String,
}

async fn certificate(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
    Query(query): Query<SizeQuery>,
) -> Result<Response, WebError> {
    let (size, name) = match query.size.as_str() {
        "wallet" => (app::credentialing::credentials::CertificateSize::Wallet, "wallet-card"),
        _ => (app::credentialing::credentials::CertificateSize::Wall, "certificate"),
    };
    let pdf = state
        .ready_app()?
        .certificate_pdf(&session.actor, &number, size, &meta)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{number}-{name}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

async fn badge(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let token = state.ready_app()?.credential_vc(&session.actor, &number, &meta).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+jwt".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{number}.jwt\""),
            ),
        ],
        token,
    )
        .into_response())
}

// ---- the staff's register --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/admin_credentials.html")]
struct RegisterPage {
    ctx: PageContext,
    credentials: Vec<PublicCredential>,
    list: ListView,
    filter: String,
    program_filter: String,
    programs: Vec<String>,
    errors: FieldErrors,
}

impl RegisterPage {
    fn badge_class(&self, credential: &PublicCredential) -> &'static str {
        status_badge(credential.status)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterQuery {
    #[serde(flatten)]
    list: ListQuery,
    status: String,
    program: String,
}

/// The register's sortable columns; by default the newest numbers first.
const REGISTER_COLUMNS: [&str; 5] = ["number", "holder", "credential", "status", "valid_until"];

/// The credentials a register view selects, sorted, with the view (not yet paged).
async fn register_view(
    state: &ServerState,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    query: &RegisterQuery,
) -> Result<(ListView, Vec<PublicCredential>, Vec<String>), WebError> {
    let all = state.ready_app()?.all_credentials(actor, meta).await?;
    let mut programs: Vec<String> = all.iter().map(|c| c.program_code.clone()).collect();
    programs.sort();
    programs.dedup();
    let list = ListView::new(
        "/admin/credentials",
        &query.list,
        &REGISTER_COLUMNS,
        true,
        vec![("status", query.status.clone()), ("program", query.program.clone())],
    );
    // Several terms, separated by commas, find each: a list of numbers to act on together.
    let terms: Vec<String> = list
        .q
        .to_lowercase()
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let mut rows: Vec<PublicCredential> = all
        .into_iter()
        .filter(|c| query.status.is_empty() || c.status.as_str() == query.status)
        .filter(|c| query.program.is_empty() || c.program_code == query.program)
        .filter(|c| {
            terms.is_empty()
                || terms
                    .iter()
                    .any(|t| matches(t, &[&c.number, &c.holder_name, &c.program_name]))
        })
        .collect();
    rows.sort_by(|a, b| {
        let order = match list.sort {
            "holder" => a.holder_name.to_lowercase().cmp(&b.holder_name.to_lowercase()),
            "credential" => a.program_code.cmp(&b.program_code),
            "status" => a.status.as_str().cmp(b.status.as_str()),
            "valid_until" => a.valid_until.cmp(&b.valid_until),
            // A number reads YEAR-SEQUENCE after its code: sort by those, then the code.
            _ => number_key(&a.number).cmp(&number_key(&b.number)),
        }
        .then_with(|| a.number.cmp(&b.number));
        if list.descending { order.reverse() } else { order }
    });
    let list = list.with_total(rows.len());
    Ok((list, rows, programs))
}

/// "CST-S-2023-000001-47" sorts as (2023, 1, "CST-S"): issue order across programs.
fn number_key(number: &str) -> (String, String, String) {
    let parts: Vec<&str> = number.split('-').collect();
    let n = parts.len();
    if n >= 4 {
        (
            parts[n - 3].to_owned(),
            parts[n - 2].to_owned(),
            parts[..n - 3].join("-"),
        )
    } else {
        (String::new(), String::new(), number.to_owned())
    }
}

async fn register(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, WebError> {
    let (list, rows, programs) = register_view(&state, &session.actor, &meta, &query).await?;
    page(&RegisterPage {
        ctx,
        credentials: list.page_of(rows),
        list,
        filter: query.status,
        program_filter: query.program,
        programs,
        errors: FieldErrors::new(),
    })
}

/// Every credential the register's view selects, as CSV.
async fn register_csv(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, WebError> {
    let (_, rows, _) = register_view(&state, &session.actor, &meta, &query).await?;
    let body = csv(
        &["Number", "Holder", "Credential", "Status", "Valid from", "Valid until"],
        rows.into_iter().map(|c| {
            vec![
                c.number,
                c.holder_name,
                c.program_name,
                c.status.as_str().to_owned(),
                c.valid_from.to_string(),
                c.valid_until.to_string(),
            ]
        }),
    );
    Ok(csv_download("credentials.csv", body))
}

#[derive(Template)]
#[template(path = "credentialing/admin_credential.html")]
struct OnePage {
    ctx: PageContext,
    credential: PublicCredential,
    badge: &'static str,
    history: Vec<(String, String, String, Option<String>, String)>,
    form: StatusInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
    /// The changes that apply as the credential stands: (key, label).
    actions: Vec<(&'static str, &'static str)>,
}

plain_form!(StatusInput {
    action,
    reason,
    notice,
    confirm
});

async fn one_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    number: &str,
) -> Result<OnePage, WebError> {
    let app = state.ready_app()?;
    let history = app
        .credential_history(actor, number, meta)
        .await?
        .into_iter()
        .map(|(at, kind, reason, notice, by)| (when(at), kind, reason, notice, by))
        .collect();
    let credential = app.verify_number(number).await?;
    let actions = app
        .status_actions(actor, number, meta)
        .await?
        .into_iter()
        .map(|action| (action.as_str(), action.label()))
        .collect();
    Ok(OnePage {
        actions,
        ctx,
        badge: status_badge(credential.status),
        credential,
        history,
        form: StatusInput::default(),
        errors: FieldErrors::new(),
        notice: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

async fn one(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = one_page(&state, ctx, &session.actor, &meta, &number).await?;
    data.notice = (query.done == "status").then_some(
        "Status changed. Verification, the status lists and the holder's page show it now; the holder was told by e-mail.",
    );
    page(&data)
}

async fn change_status(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
    Posted(input): Posted<StatusInput>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let outcome = match StatusAction::parse(&input.action) {
        // A suspension or revocation is public at once: asked twice.
        Some(action) if action.is_sanction() && input.confirm != "yes" => Err(AppError::field(
            "confirm",
            "Confirm that this is the right credential and holder: the change is public at once.",
        )),
        Some(action) => {
            app.change_credential_status(&session.actor, &number, action, &input.reason, &input.notice, &meta)
                .await
        }
        None => Err(AppError::field("action", "Choose what to do with the credential.")),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/admin/credentials/{number}?done=status")).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = one_page(&state, ctx, &session.actor, &meta, &number).await?;
            data.form = input;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(message)) => {
            let mut data = one_page(&state, ctx, &session.actor, &meta, &number).await?;
            data.errors.add("action", message);
            data.form = input;
            Ok(page_with_status(StatusCode::CONFLICT, &data))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- bulk actions ----------------------------------------------------------------------------

/// The bulk form: the action, its reason and notice, and one checkbox per credential
/// (`select-{number}`).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct BulkForm {
    action: String,
    reason: String,
    notice: String,
    #[serde(flatten)]
    checked: std::collections::BTreeMap<String, String>,
}

impl BulkForm {
    fn numbers(&self) -> Vec<String> {
        self.checked
            .keys()
            .filter_map(|key| key.strip_prefix("select-"))
            .map(str::to_owned)
            .collect()
    }
}

impl FormPage for BulkForm {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

#[derive(Template)]
#[template(path = "credentialing/admin_bulk_preview.html")]
struct BulkPreviewPage {
    ctx: PageContext,
    lines: Vec<app::credentialing::credentials::BulkLine>,
    form: BulkForm,
    numbers: Vec<String>,
    applies: usize,
    errors: FieldErrors,
}

async fn show_preview(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    form: BulkForm,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let numbers = form.numbers();
    let Some(action) = StatusAction::parse(&form.action) else {
        return register_with_error(state, ctx, actor, meta, "action", "Choose the action to apply.").await;
    };
    let lines = match app.bulk_preview(actor, &numbers, action, meta).await {
        Ok(lines) => lines,
        Err(AppError::Validation(errors)) => {
            let message = errors.iter().next().map(|(_, m)| m.to_owned()).unwrap_or_default();
            return register_with_error(state, ctx, actor, meta, "numbers", &message).await;
        }
        Err(error) => return Err(error.into()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page_with_status(
        status,
        &BulkPreviewPage {
            ctx,
            applies: lines.iter().filter(|l| l.outcome.is_ok()).count(),
            lines,
            numbers,
            form,
            errors,
        },
    ))
}

async fn register_with_error(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    field: &str,
    message: &str,
) -> Result<Response, WebError> {
    let (list, rows, programs) = register_view(state, actor, meta, &RegisterQuery::default()).await?;
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    Ok(page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &RegisterPage {
            ctx,
            credentials: list.page_of(rows),
            list,
            filter: String::new(),
            program_filter: String::new(),
            programs,
            errors,
        },
    ))
}

async fn bulk_preview(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(form): Posted<BulkForm>,
) -> Result<Response, WebError> {
    show_preview(&state, ctx, &session.actor, &meta, form, FieldErrors::new()).await
}

async fn bulk_start(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(form): Posted<BulkForm>,
) -> Result<Response, WebError> {
    // The register page decides who may see it, so a missing action is refused like any other
    // request from someone who may not change credentials.
    let Some(action) = StatusAction::parse(&form.action) else {
        return register_with_error(
            &state,
            ctx,
            &session.actor,
            &meta,
            "action",
            "Choose the action to apply.",
        )
        .await;
    };
    match state
        .ready_app()?
        .start_bulk(
            &session.actor,
            form.numbers(),
            action,
            &form.reason,
            &form.notice,
            &meta,
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/admin/credentials/bulk/{id}")).into_response()),
        Err(AppError::Validation(errors)) => show_preview(&state, ctx, &session.actor, &meta, form, errors).await,
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "credentialing/admin_bulk_progress.html")]
struct BulkProgressPage {
    ctx: PageContext,
    progress: app::credentialing::credentials::BulkProgress,
}

async fn bulk_progress(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let progress = state.ready_app()?.bulk_progress(&session.actor, &id, &meta).await?;
    // The page's script asks for the same state as JSON.
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if wants_json {
        return Ok(axum::Json(progress).into_response());
    }
    page(&BulkProgressPage { ctx, progress })
}
