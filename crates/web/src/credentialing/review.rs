//! Committee review: the staff's queue (`/admin/review`), the reviewer's desk (`/review`), the
//! review packet with its forms (`/review/applications/{id}`: assign, recommend, ask for more
//! information, decide), and the candidate's side (`/portal/applications/{id}`: answer a
//! request, read the decision letter as HTML or PDF).

use app::AppError;
use app::credentialing::applications::ApplicationState;
use app::credentialing::review::{
    CandidateApplication, NextStep, QueueItem, Recommendation, ReviewPacket, ReviewerChoice,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, Posted, as_form_errors, plain_form};
use crate::lists::{ListQuery, ListView, matches};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/admin/review", get(queue))
        .route("/review", get(desk))
        .route("/review/conflicts", post(declare_conflict))
        .route("/review/assignments/{id}/conflict", post(conflict_on_assignment))
        .route("/review/applications/{id}", get(packet))
        .route("/review/applications/{id}/assign", post(assign))
        .route("/review/applications/{id}/recommend", post(recommend))
        .route(
            "/review/applications/{id}/request-information",
            post(request_information),
        )
        .route("/review/applications/{id}/decide", post(decide))
        // Reading an application takes its id; starting one (POST) takes the credential's code.
        .route(
            "/portal/applications/{id}",
            get(candidate_view).post(crate::credentialing::applications::start),
        )
        .route("/portal/applications/{id}/answer", post(answer))
        .route("/portal/applications/{id}/letter", get(letter))
        .route("/portal/applications/{id}/letter.pdf", get(letter_pdf))
}

// ---- the staff's queue -----------------------------------------------------------------------

struct QueueLine {
    id: String,
    candidate: String,
    email: String,
    program: String,
    state: &'static str,
    days: i64,
    reviewers: String,
    next_step: String,
}

#[derive(Template)]
#[template(path = "credentialing/review_queue.html")]
struct QueuePage {
    ctx: PageContext,
    lines: Vec<QueueLine>,
    list: ListView,
    states: Vec<(&'static str, &'static str, usize)>,
    steps: Vec<(&'static str, &'static str, usize)>,
    programs: Vec<(String, String)>,
    state: String,
    step: String,
    program: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    #[serde(flatten)]
    list: ListQuery,
    state: String,
    step: String,
    program: String,
}

/// The queue's sortable columns; by default the longest waiting first.
const QUEUE_COLUMNS: [&str; 5] = ["days", "candidate", "program", "state", "step"];

fn reviewers_text(item: &QueueItem) -> String {
    if item.reviewers.is_empty() {
        return "none yet".to_owned();
    }
    item.reviewers
        .iter()
        .map(|(name, r)| match r {
            Some(r) => format!("{name} ({})", r.label().to_lowercase()),
            None => name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn queue(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let all = app
        .review_queue(
            &session.actor,
            &app::credentialing::review::QueueFilter::default(),
            &meta,
        )
        .await?;
    let list = ListView::new(
        "/admin/review",
        &query.list,
        &QUEUE_COLUMNS,
        true,
        vec![
            ("state", query.state.clone()),
            ("step", query.step.clone()),
            ("program", query.program.clone()),
        ],
    );
    let states = ApplicationState::QUEUE
        .into_iter()
        .map(|key| {
            (
                key.as_str(),
                key.label(),
                all.iter().filter(|i| i.row.status == key).count(),
            )
        })
        .collect();
    let steps = NextStep::CHOICES
        .into_iter()
        .map(|(key, label)| (key, label, all.iter().filter(|i| i.next_step().as_str() == key).count()))
        .collect();
    // An unknown state in the address matches no application.
    let wanted = ApplicationState::parse(&query.state).ok();
    let programs = app
        .programs()
        .await?
        .into_iter()
        .map(|p| (p.code.to_string(), p.name))
        .collect();
    let needle = list.q.to_lowercase();
    let mut rows: Vec<QueueItem> = all
        .into_iter()
        .filter(|item| query.state.is_empty() || Some(item.row.status) == wanted)
        .filter(|item| query.step.is_empty() || item.next_step().as_str() == query.step)
        .filter(|item| query.program.is_empty() || item.row.program_code == query.program)
        .filter(|item| {
            matches(
                &needle,
                &[
                    &item.candidate_name,
                    &item.candidate_email,
                    item.credential_number.as_deref().unwrap_or(""),
                    &item.row.id,
                ],
            )
        })
        .collect();
    rows.sort_by(|a, b| {
        let order = match list.sort {
            "candidate" => a.candidate_name.to_lowercase().cmp(&b.candidate_name.to_lowercase()),
            "program" => a.program_name.cmp(&b.program_name),
            "state" => a.row.status.label().cmp(b.row.status.label()),
            "step" => a.next_step_text().cmp(&b.next_step_text()),
            _ => a.days_in_state.cmp(&b.days_in_state),
        };
        let order = order.then_with(|| a.row.id.cmp(&b.row.id));
        if list.descending { order.reverse() } else { order }
    });
    let list = list.with_total(rows.len());
    let lines = list
        .page_of(rows)
        .into_iter()
        .map(|item| QueueLine {
            reviewers: reviewers_text(&item),
            next_step: item.next_step_text(),
            id: item.row.id,
            candidate: item.candidate_name,
            email: item.candidate_email,
            program: item.program_name,
            state: item.row.status.label(),
            days: item.days_in_state,
        })
        .collect();
    page(&QueuePage {
        ctx,
        lines,
        list,
        states,
        steps,
        programs,
        state: query.state,
        step: query.step,
        program: query.program,
    })
}

// ---- the reviewer's desk ---------------------------------------------------------------------

struct AssignmentLine {
    id: String,
    application_id: String,
    candidate: String,
    program: String,
    state: &'static str,
    recommended: bool,
}

#[derive(Template)]
#[template(path = "credentialing/review_desk.html")]
struct DeskPage {
    ctx: PageContext,
    assignments: Vec<AssignmentLine>,
    conflicts: Vec<(String, &'static str, String, String)>,
    reasons: Vec<(&'static str, &'static str)>,
    form: ConflictInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

plain_form!(ConflictInput { email, reason, note });

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
    /// The number of the credential a decision issued, to say it on the packet.
    credential: String,
}

async fn desk_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
) -> Result<DeskPage, WebError> {
    let app = state.ready_app()?;
    let assignments = app
        .my_reviews(actor, meta)
        .await?
        .into_iter()
        .map(|(assignment, row, candidate, program)| AssignmentLine {
            id: assignment.id,
            application_id: row.id,
            candidate,
            program,
            state: row.status.label(),
            recommended: assignment.recommendation.is_some(),
        })
        .collect();
    let conflicts = app
        .my_conflicts(actor, meta)
        .await?
        .into_iter()
        .map(|c| {
            let label = app::credentialing::review::CONFLICT_REASONS
                .iter()
                .find(|(k, _)| *k == c.reason)
                .map_or("Another reason", |(_, l)| l);
            (c.person_email, label, c.note, when(c.declared_at))
        })
        .collect();
    Ok(DeskPage {
        ctx,
        assignments,
        conflicts,
        reasons: app::credentialing::review::CONFLICT_REASONS.to_vec(),
        form: ConflictInput::default(),
        errors: FieldErrors::new(),
        notice: None,
    })
}

async fn desk(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = desk_page(&state, ctx, &session.actor, &meta).await?;
    data.notice = match query.done.as_str() {
        "conflict" => Some("Conflict declared. You no longer review that person's applications; staff were told."),
        _ => None,
    };
    page(&data)
}

async fn declare_conflict(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(input): Posted<ConflictInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .declare_conflict(&session.actor, &input.email, &input.reason, &input.note, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/review?done=conflict").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = desk_page(&state, ctx, &session.actor, &meta).await?;
            data.form = input;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

plain_form!(AssignmentConflictInput { reason, note });

async fn conflict_on_assignment(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<AssignmentConflictInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .declare_conflict_on_assignment(&session.actor, &id, &input.reason, &input.note, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/review?done=conflict").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = desk_page(&state, ctx, &session.actor, &meta).await?;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- the packet ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/review_packet.html")]
struct PacketPage {
    ctx: PageContext,
    packet: ReviewPacket,
    state_label: &'static str,
    is_staff: bool,
    may_decide: bool,
    choices: Vec<ReviewerChoice>,
    recommendations: Vec<(&'static str, &'static str)>,
    decision_label: String,
    errors: FieldErrors,
    /// Which form the errors belong to.
    failed: &'static str,
    recommend_form: RecommendInput,
    request_form: RequestInput,
    decide_form: DecideInput,
    notice: Option<String>,
}

impl PacketPage {
    fn has_errors_for(&self, form: &str) -> bool {
        self.failed == form && !self.errors.is_empty()
    }

    fn when(&self, at: &store::Timestamp) -> String {
        when(*at)
    }
}

plain_form!(RecommendInput {
    recommendation,
    comments
});
plain_form!(RequestInput { request });
plain_form!(DecideInput { decision, reasons });
plain_form!(AssignInput { reviewer });

async fn packet_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
) -> Result<PacketPage, WebError> {
    let app = state.ready_app()?;
    let packet = app.review_packet(actor, id, meta).await?;
    let is_staff = actor.has_role(domain::Role::BoardStaff) || actor.has_role(domain::Role::BoardAdmin);
    let choices = if is_staff && packet.row.status != ApplicationState::Decided {
        app.reviewer_choices(actor, id, meta).await?
    } else {
        Vec::new()
    };
    let may_decide = packet.row.status == ApplicationState::InReview && app.may_decide(actor, &packet.row).await?;
    let decision_label = packet
        .row
        .decision
        .map_or_else(String::new, |decision| decision.label().to_owned());
    Ok(PacketPage {
        ctx,
        state_label: packet.row.status.label(),
        packet,
        is_staff,
        may_decide,
        choices,
        recommendations: Recommendation::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        decision_label,
        errors: FieldErrors::new(),
        failed: "",
        recommend_form: RecommendInput::default(),
        request_form: RequestInput::default(),
        decide_form: DecideInput::default(),
        notice: None,
    })
}

async fn packet(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = packet_page(&state, ctx, &session.actor, &meta, &id).await?;
    data.notice = match query.done.as_str() {
        "assigned" => Some("Reviewer assigned; they were told by e-mail.".to_owned()),
        "recommended" => Some("Recommendation recorded.".to_owned()),
        "requested" => Some("Request sent; the candidate was told by e-mail.".to_owned()),
        // Only a well-formed number is echoed: a crafted link cannot make the page say more.
        "decided" if domain::credentialing::credential_number::CredentialNumber::parse(&query.credential).is_ok() => {
            Some(format!(
                "Decision recorded: approved, and credential {} issued. The candidate was told to read the letter.",
                query.credential
            ))
        }
        "decided" => Some("Decision recorded; the candidate was told to read the letter.".to_owned()),
        _ => None,
    };
    page(&data)
}

/// Shows the packet again with the problems of one form, keeping what was typed.
async fn packet_with_errors(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
    (failed, errors): (&'static str, FieldErrors),
    fill: impl FnOnce(&mut PacketPage),
) -> Result<Response, WebError> {
    let mut data = packet_page(state, ctx, actor, meta, id).await?;
    data.failed = failed;
    data.errors = errors;
    fill(&mut data);
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
}

async fn assign(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<AssignInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .assign_reviewer(&session.actor, &id, &input.reviewer, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/review/applications/{id}?done=assigned#reviewers")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            packet_with_errors(&state, ctx, &session.actor, &meta, &id, ("assign", errors), |_| {}).await
        }
    }
}

async fn recommend(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<RecommendInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .recommend(&session.actor, &id, &input.recommendation, &input.comments, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/review/applications/{id}?done=recommended#reviewers")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            packet_with_errors(&state, ctx, &session.actor, &meta, &id, ("recommend", errors), |page| {
                page.recommend_form = input;
            })
            .await
        }
    }
}

async fn request_information(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<RequestInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .request_information(&session.actor, &id, &input.request, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/review/applications/{id}?done=requested#history")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            packet_with_errors(&state, ctx, &session.actor, &meta, &id, ("request", errors), |page| {
                page.request_form = input;
            })
            .await
        }
    }
}

async fn decide(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<DecideInput>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let approve = match input.decision.as_str() {
        "approve" => Some(true),
        "deny" => Some(false),
        _ => None,
    };
    let outcome = app.decide(&session.actor, &id, approve, &input.reasons, &meta).await;
    match outcome {
        Ok(issued) => {
            let credential = issued.map(|number| format!("&credential={}", crate::error::urlencode(&number)));
            let to = format!(
                "/review/applications/{id}?done=decided{}",
                credential.unwrap_or_default()
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(error) => {
            let errors = as_form_errors(error)?;
            packet_with_errors(&state, ctx, &session.actor, &meta, &id, ("decide", errors), |page| {
                page.decide_form = input;
            })
            .await
        }
    }
}

// ---- the candidate's side --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/portal_application.html")]
struct CandidatePage {
    ctx: PageContext,
    view: CandidateApplication,
    state_label: &'static str,
    documents: Vec<(String, String, String)>,
    form: AnswerInput,
    chosen: Vec<String>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

/// The answer form: text and any number of the candidate's documents, one checkbox each
/// (`document-{id}`).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AnswerInput {
    answer: String,
    #[serde(flatten)]
    checked: std::collections::BTreeMap<String, String>,
}

impl AnswerInput {
    fn documents(&self) -> Vec<String> {
        self.checked
            .keys()
            .filter_map(|key| key.strip_prefix("document-"))
            .map(str::to_owned)
            .collect()
    }
}

impl FormPage for AnswerInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

impl CandidatePage {
    fn when(&self, at: &store::Timestamp) -> String {
        when(*at)
    }
}

async fn candidate_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
) -> Result<CandidatePage, WebError> {
    let app = state.ready_app()?;
    let view = app.candidate_application(actor, id, meta).await?;
    let lists = app.board_lists().await?;
    let documents = app
        .documents(actor, &actor.user_id, meta)
        .await?
        .into_iter()
        .map(|d| (d.id, lists.document_kind_name(&d.kind).to_owned(), d.file_name))
        .collect();
    // A decided application says how it was decided, not only that it was.
    let state_label = view.row.status.label_with(view.row.decision);
    Ok(CandidatePage {
        ctx,
        state_label,
        view,
        documents,
        form: AnswerInput::default(),
        chosen: Vec::new(),
        errors: FieldErrors::new(),
        notice: None,
    })
}

async fn candidate_view(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = candidate_page(&state, ctx, &session.actor, &meta, &id).await?;
    data.notice = (query.done == "answered").then_some("Answer sent. Your application is back with the committee.");
    page(&data)
}

async fn answer(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<AnswerInput>,
) -> Result<Response, WebError> {
    let chosen = input.documents();
    match state
        .ready_app()?
        .answer_information_request(&session.actor, &id, &input.answer, &chosen, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/portal/applications/{id}?done=answered")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            let mut data = candidate_page(&state, ctx, &session.actor, &meta, &id).await?;
            data.form = input;
            data.chosen = chosen;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
    }
}

#[derive(Template)]
#[template(path = "credentialing/decision_letter.html")]
struct LetterPage {
    ctx: PageContext,
    letter: app::credentialing::review::DecisionLetter,
    id: String,
}

async fn letter(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let letter = state.ready_app()?.decision_letter(&session.actor, &id, &meta).await?;
    page(&LetterPage { ctx, letter, id })
}

async fn letter_pdf(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let pdf = state
        .ready_app()?
        .decision_letter_pdf(&session.actor, &id, &meta)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"decision-letter.pdf\"".to_owned(),
            ),
        ],
        pdf,
    )
        .into_response())
}
