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
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/portal/applications/{id}/submit", post(submit))
        .route("/supervision/applications/{id}/endorse", post(endorse))
        .route("/admin/applications", get(queue))
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
    fee: String,
    endorsed: bool,
    started: String,
    submitted: String,
}

#[derive(Template)]
#[template(path = "credentialing/applications_queue.html")]
struct QueuePage {
    ctx: PageContext,
    lines: Vec<QueueLine>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    done: String,
}

async fn queue(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let applications = state.ready_app()?.draft_applications(&session.actor, &meta).await?;
    let lines = applications
        .into_iter()
        .map(|(row, candidate)| QueueLine {
            id: row.id,
            candidate,
            program: row.program_code,
            version: row.program_version,
            status: row.status,
            fee: row.fee_status,
            endorsed: row.endorsed_at.is_some(),
            started: when(row.created_at),
            submitted: row.submitted_at.map(when).unwrap_or_default(),
        })
        .collect();
    let notice = (query.done == "fee").then(|| "Fee recorded.".to_owned());
    page(&QueuePage { ctx, lines, notice })
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
