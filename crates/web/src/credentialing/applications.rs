//! Applications: preparing one from the progress page, the supervisor's endorsement, the fee
//! recorded by staff, and the submission that freezes the evidence.

use app::AppError;
use app::credentialing::applications::ApplicationState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, Posted, TokenOnly};
use crate::lists::{ListQuery, ListView, csv, csv_download, matches};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/portal/applications/{id}/submit", post(submit))
        .route("/supervision/applications/{id}/endorse", post(endorse))
        .route("/admin/applications", get(queue))
        .route("/admin/applications.csv", get(queue_csv))
        .route("/admin/applications/{id}/fee", post(record_fee))
}

pub(super) async fn start(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(code): Path<String>,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    state
        .ready_app()?
        .start_application(&session.actor, &code, &meta)
        .await?;
    Ok(Redirect::to(&format!("/portal/progress/{code}#application")).into_response())
}

async fn submit(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let code = app.application_program(&session.actor, &id, &meta).await?;
    match app.submit_application(&session.actor, &id, &meta).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/progress/{code}?submitted=1#application")).into_response()),
        Err(AppError::Blocked(missing)) => {
            let page_data =
                crate::credentialing::portal::progress_page(&state, ctx, &session.actor, &meta, &code, missing).await?;
            Ok(page_with_status(axum::http::StatusCode::CONFLICT, &page_data))
        }
        Err(error) => Err(error.into()),
    }
}

async fn endorse(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    state
        .ready_app()?
        .endorse_application(&session.actor, &id, &meta)
        .await?;
    Ok(Redirect::to("/supervision?done=endorsed").into_response())
}

struct QueueLine {
    id: String,
    candidate: String,
    program: String,
    version: String,
    status: ApplicationState,
    /// The state in words, with the outcome once decided.
    state_label: &'static str,
    fee: String,
    endorsed: bool,
    started: String,
    submitted: String,
    /// Sort keys.
    started_at: time::OffsetDateTime,
    submitted_at: Option<time::OffsetDateTime>,
}

#[derive(Template)]
#[template(path = "credentialing/applications_queue.html")]
struct QueuePage {
    ctx: PageContext,
    lines: Vec<QueueLine>,
    list: ListView,
    state_filter: String,
    fee_filter: String,
    states: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    #[serde(flatten)]
    list: ListQuery,
    state: String,
    fee: String,
    done: String,
}

/// The applications list's sortable columns; by default the newest first.
const QUEUE_COLUMNS: [&str; 5] = ["started", "candidate", "credential", "state", "submitted"];

/// The applications a view selects, sorted (not yet paged).
async fn queue_view(
    state: &ServerState,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    query: &QueueQuery,
) -> Result<(ListView, Vec<QueueLine>), WebError> {
    let applications = state.ready_app()?.all_applications(actor, meta).await?;
    let list = ListView::new(
        "/admin/applications",
        &query.list,
        &QUEUE_COLUMNS,
        true,
        vec![("state", query.state.clone()), ("fee", query.fee.clone())],
    );
    let needle = list.q.to_lowercase();
    let mut lines: Vec<QueueLine> = applications
        .into_iter()
        .map(|(row, candidate)| QueueLine {
            id: row.id,
            candidate,
            program: row.program_code,
            version: row.program_version,
            status: row.status,
            state_label: row.status.label_with(row.decision),
            fee: row.fee_status,
            endorsed: row.endorsed_at.is_some(),
            started: when(row.created_at),
            submitted: row.submitted_at.map(when).unwrap_or_default(),
            started_at: row.created_at.get(),
            submitted_at: row.submitted_at.map(|t| t.get()),
        })
        .filter(|l| query.state.is_empty() || l.status.as_str() == query.state)
        .filter(|l| query.fee.is_empty() || l.fee == query.fee)
        .filter(|l| matches(&needle, &[&l.candidate, &l.program]))
        .collect();
    lines.sort_by(|a, b| {
        let order = match list.sort {
            "candidate" => a.candidate.to_lowercase().cmp(&b.candidate.to_lowercase()),
            "credential" => a.program.cmp(&b.program),
            "state" => a.state_label.cmp(b.state_label),
            "submitted" => a.submitted_at.cmp(&b.submitted_at),
            _ => a.started_at.cmp(&b.started_at),
        }
        .then_with(|| a.id.cmp(&b.id));
        if list.descending { order.reverse() } else { order }
    });
    Ok((list.with_total(lines.len()), lines))
}

async fn queue(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let (list, lines) = queue_view(&state, &session.actor, &meta, &query).await?;
    let notice = (query.done == "fee").then(|| "Fee recorded.".to_owned());
    page(&QueuePage {
        ctx,
        lines: list.page_of(lines),
        list,
        state_filter: query.state,
        fee_filter: query.fee,
        states: ApplicationState::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        notice,
    })
}

async fn queue_csv(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let (_, lines) = queue_view(&state, &session.actor, &meta, &query).await?;
    let body = csv(
        &[
            "Candidate",
            "Credential",
            "Rule version",
            "State",
            "Endorsed",
            "Fee",
            "Started",
            "Submitted",
        ],
        lines.into_iter().map(|l| {
            vec![
                l.candidate,
                l.program,
                l.version,
                l.state_label.to_owned(),
                if l.endorsed { "yes" } else { "no" }.to_owned(),
                l.fee,
                l.started,
                l.submitted,
            ]
        }),
    );
    Ok(csv_download("applications.csv", body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FeeInput {
    fee: String,
}

impl FormPage for FeeInput {
    fn rerender(self, _: PageContext, _: domain::FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn record_fee(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<FeeInput>,
) -> Result<Response, WebError> {
    state
        .ready_app()?
        .record_fee(&session.actor, &id, input.fee == "waived", &meta)
        .await?;
    Ok(Redirect::to("/admin/applications?done=fee").into_response())
}
