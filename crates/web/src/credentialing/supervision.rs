//! Supervision pages: the candidate's contracts and session log (`/portal/supervision`), the
//! supervisor's desk with the countersignature queue (`/supervision`), one contract
//! (`/supervision/contracts/{id}`), and board staff's group approvals
//! (`/admin/supervision-groups`).

use app::AppError;
use app::credentialing::supervision::{
    COUNTS_FROM_RULE, CandidateSupervision, ContractInput, ContractView, DECLINE_REASON_MIN, SessionInput, SessionView,
    SupervisorDesk,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use domain::credentialing::hours::Hours;
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, Posted};
use crate::page::{PageContext, SignedIn, page, page_with_status};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/portal/supervision", get(candidate_page))
        .route("/portal/supervision/contracts", post(request_contract))
        .route("/portal/supervision/sessions", post(log_session))
        .route(
            "/portal/supervision/sessions/{id}/correct",
            get(correction_page).post(correct_session),
        )
        .route("/supervision", get(desk))
        .route("/supervision/groups", post(request_group))
        .route("/supervision/sessions/{id}/countersign", post(countersign))
        .route("/supervision/sessions/{id}/reject", post(reject))
        .route("/supervision/contracts/{id}", get(contract_page))
        .route("/supervision/applications/{id}", get(endorsement_page))
        .route("/supervision/contracts/{id}/sign", post(sign))
        .route("/supervision/contracts/{id}/decline", post(decline))
        .route("/supervision/contracts/{id}/end", post(end))
        .route("/admin/supervision-groups", get(groups_page))
        .route("/admin/supervision-groups/{id}", post(decide_group))
}

fn hours_of(centi: i64) -> Hours {
    Hours::from_centi(u32::try_from(centi).unwrap_or(0))
}

/// A contract as a table row.
struct ContractLine {
    id: String,
    candidate: String,
    supervisor: String,
    program: String,
    starts_on: String,
    primary: bool,
    state: &'static str,
    ends_on: String,
    /// The first day sessions count (empty while unsigned).
    counts_from: String,
    /// The supervisor's reason for declining (empty unless declined).
    declined_because: String,
}

fn contract_line(view: &ContractView, today: time::Date) -> ContractLine {
    ContractLine {
        id: view.row.id.clone(),
        candidate: view.candidate_name.clone(),
        supervisor: view.supervisor_name.clone(),
        program: view.row.program_code.clone(),
        starts_on: view.row.starts_on.clone(),
        primary: view.row.is_primary,
        state: view.state(today),
        ends_on: view.row.ends_on.clone().unwrap_or_default(),
        counts_from: view.counts_from().map(|day| day.to_string()).unwrap_or_default(),
        declined_because: if view.row.declined_at.is_some() {
            view.row.end_reason.clone().unwrap_or_default()
        } else {
            String::new()
        },
    }
}

struct SessionLine {
    id: String,
    date: String,
    hours: String,
    /// "1 hour", "2.5 hours": for sentences and headings.
    hours_phrase: String,
    candidate: String,
    supervisor: String,
    format: String,
    topic: String,
    status: String,
    reason: String,
    training: bool,
    /// Rejected and not corrected yet: the candidate may correct it.
    can_correct: bool,
    /// Rejected, and corrected since by another session.
    corrected: bool,
    /// A correction: the rejected session's date and the reason it was rejected.
    corrects: Option<(String, String)>,
}

fn session_line(view: &SessionView) -> SessionLine {
    let format = match &view.group_name {
        Some(name) => format!("group: {name}"),
        None => "individual".to_owned(),
    };
    SessionLine {
        id: view.row.id.clone(),
        date: view.row.session_date.clone(),
        hours: hours_of(view.row.hours_centi).to_string(),
        hours_phrase: hours_of(view.row.hours_centi).phrase(),
        candidate: view.candidate_name.clone(),
        supervisor: view.supervisor_name.clone(),
        format,
        topic: view.row.topic.clone(),
        status: view.row.status.clone(),
        reason: view.row.reject_reason.clone().unwrap_or_default(),
        training: view.row.counts_as_training,
        can_correct: view.row.status == "rejected" && !view.corrected,
        corrected: view.corrected,
        corrects: view.corrects.clone(),
    }
}

// ---- the candidate's page -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/portal_supervision.html")]
struct CandidatePage {
    ctx: PageContext,
    contracts: Vec<ContractLine>,
    signed: Vec<(String, String)>,
    sessions: Vec<SessionLine>,
    groups: Vec<(String, String)>,
    programs: Vec<(String, String)>,
    request: ContractInput,
    session: SessionInput,
    errors: FieldErrors,
    /// Which form the errors belong to: `request` or `session`.
    failed: &'static str,
    notice: Option<String>,
    countersigned: String,
    pending: String,
    /// When sessions count, in the words every supervision page uses.
    rule: &'static str,
}

async fn candidate_data(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
) -> Result<CandidatePage, WebError> {
    let app = state.ready_app()?;
    let CandidateSupervision {
        contracts,
        sessions,
        groups,
    } = app.candidate_supervision(actor, meta).await?;
    let today = app.today();
    let signed = contracts
        .iter()
        .filter(|c| c.row.is_signed() && c.row.declined_at.is_none())
        .map(|c| {
            let from = c.counts_from().map(|day| day.to_string()).unwrap_or_default();
            (
                c.row.id.clone(),
                format!("{} ({}, from {from})", c.supervisor_name, c.row.program_code),
            )
        })
        .collect();
    let programs = app
        .programs()
        .await?
        .into_iter()
        .map(|p| (p.code.to_string(), p.name))
        .collect();
    Ok(CandidatePage {
        ctx,
        countersigned: app::credentialing::supervision::total_hours(&sessions, "countersigned").phrase(),
        pending: app::credentialing::supervision::total_hours(&sessions, "pending").phrase(),
        contracts: contracts.iter().map(|c| contract_line(c, today)).collect(),
        signed,
        sessions: sessions.iter().rev().map(session_line).collect(),
        groups: groups
            .into_iter()
            .map(|g| (g.id, format!("{} ({} supervisees)", g.name, g.size)))
            .collect(),
        programs,
        request: ContractInput {
            primary: "yes".into(),
            ..ContractInput::default()
        },
        session: SessionInput {
            format: "individual".into(),
            ..SessionInput::default()
        },
        errors: FieldErrors::new(),
        failed: "",
        notice: None,
        rule: COUNTS_FROM_RULE,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    done: String,
}

fn notice_for(done: &str) -> Option<String> {
    Some(
        match done {
            "requested" => "Contract signed and sent to your supervisor for their signature.",
            "logged" => "Session logged. It counts once your supervisor countersigns it.",
            "signed" => "Contract signed. Your supervisee can now log sessions under it.",
            "declined" => "Contract declined. Your reason is shown to the candidate on their supervision page.",
            "corrected" => "Session corrected and sent to your supervisor again. It counts once they countersign it.",
            "ended" => "Notice given. The contract ends after the notice period.",
            "countersigned" => "Session countersigned.",
            "rejected" => "Session rejected; your supervisee was told why.",
            "group" => "Group sent to the board for approval.",
            "decided" => "Decision recorded.",
            "endorsed" => "Application endorsed. Your supervisee can submit it once the fee is recorded.",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn candidate_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let mut data = candidate_data(&state, ctx, &session.actor, &meta).await?;
    data.notice = notice_for(&query.done);
    page(&data)
}

#[derive(Deserialize, Default)]
#[serde(transparent)]
struct RequestForm(ContractInput);

impl FormPage for RequestForm {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn request_contract(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(RequestForm(input)): Posted<RequestForm>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .request_supervision(&session.actor, &input, &meta)
        .await
    {
        Ok(_) => Ok(Redirect::to("/portal/supervision?done=requested").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = candidate_data(&state, ctx, &session.actor, &meta).await?;
            data.request = input;
            data.errors = errors;
            data.failed = "request";
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(transparent)]
struct SessionForm(SessionInput);

impl FormPage for SessionForm {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn log_session(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(SessionForm(input)): Posted<SessionForm>,
) -> Result<Response, WebError> {
    match state.ready_app()?.log_supervision(&session.actor, &input, &meta).await {
        Ok(()) => Ok(Redirect::to("/portal/supervision?done=logged").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = candidate_data(&state, ctx, &session.actor, &meta).await?;
            data.session = input;
            data.errors = errors;
            data.failed = "session";
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- correcting a rejected session ---------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/supervision_correct.html")]
struct CorrectionPage {
    ctx: PageContext,
    id: String,
    rejected: SessionLine,
    contract: String,
    groups: Vec<(String, String)>,
    session: SessionInput,
    errors: FieldErrors,
    rule: &'static str,
}

async fn correction_data(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
) -> Result<CorrectionPage, WebError> {
    let app = state.ready_app()?;
    let (rejected, contract) = app.session_to_correct(actor, id, meta).await?;
    let groups = app
        .candidate_supervision(actor, meta)
        .await?
        .groups
        .into_iter()
        .filter(|g| Some(g.supervisor_id.as_str()) == contract.row.supervisor_id.as_deref())
        .map(|g| (g.id, format!("{} ({} supervisees)", g.name, g.size)))
        .collect();
    // The form starts from what was rejected, for the candidate to correct.
    let session = SessionInput {
        contract_id: contract.row.id.clone(),
        date: rejected.row.session_date.clone(),
        hours: hours_of(rejected.row.hours_centi).to_string(),
        format: rejected.row.format.clone(),
        group_id: rejected.row.group_id.clone().unwrap_or_default(),
        counts_as_training: if rejected.row.counts_as_training { "yes" } else { "" }.to_owned(),
        topic: rejected.row.topic.clone(),
    };
    let from = contract.counts_from().map(|day| day.to_string()).unwrap_or_default();
    Ok(CorrectionPage {
        ctx,
        id: id.to_owned(),
        rejected: session_line(&rejected),
        contract: format!(
            "{} ({}, from {from})",
            contract.supervisor_name, contract.row.program_code
        ),
        groups,
        session,
        errors: FieldErrors::new(),
        rule: COUNTS_FROM_RULE,
    })
}

async fn correction_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    match correction_data(&state, ctx.clone(), &session.actor, &meta, &id).await {
        Ok(data) => page(&data),
        Err(WebError::App(AppError::Refused(reason))) => {
            Ok(refused(ctx, "Not corrected", &reason, "/portal/supervision"))
        }
        Err(error) => Err(error),
    }
}

async fn correct_session(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(SessionForm(input)): Posted<SessionForm>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .correct_session(&session.actor, &id, &input, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/portal/supervision?done=corrected").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = correction_data(&state, ctx, &session.actor, &meta, &id).await?;
            data.session = SessionInput {
                contract_id: data.session.contract_id,
                ..input
            };
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(reason)) => Ok(refused(ctx, "Not corrected", &reason, "/portal/supervision")),
        Err(error) => Err(error.into()),
    }
}

// ---- the supervisor's desk ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/supervision_desk.html")]
struct DeskPage {
    ctx: PageContext,
    warnings: Vec<String>,
    awaiting: Vec<ContractLine>,
    contracts: Vec<ContractLine>,
    pending: Vec<SessionLine>,
    /// (name, size, where it stands, the board's note on its decision).
    groups: Vec<(String, i64, &'static str, String)>,
    to_endorse: Vec<(String, String, String)>,
    group_name: String,
    group_size: String,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn desk_data(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
) -> Result<DeskPage, WebError> {
    let app = state.ready_app()?;
    let SupervisorDesk {
        contracts,
        pending,
        groups,
        warnings,
    } = app.supervisor_desk(actor, meta).await?;
    let to_endorse = app
        .applications_to_endorse(actor, meta)
        .await?
        .into_iter()
        .map(|(application, candidate)| (application.id, candidate, application.program_code))
        .collect();
    let today = app.today();
    let (awaiting, others): (Vec<_>, Vec<_>) = contracts
        .iter()
        .partition(|c| !c.row.is_signed() && c.row.declined_at.is_none());
    Ok(DeskPage {
        ctx,
        warnings,
        awaiting: awaiting.into_iter().map(|c| contract_line(c, today)).collect(),
        contracts: others.into_iter().map(|c| contract_line(c, today)).collect(),
        pending: pending.iter().map(session_line).collect(),
        groups: groups
            .into_iter()
            .map(|g| {
                let status = match (g.decided_at.is_some(), g.approved) {
                    (true, true) => "approved",
                    (true, false) => "not approved",
                    (false, _) => "waiting for the board",
                };
                (g.name, g.size, status, g.decision_note.unwrap_or_default())
            })
            .collect(),
        to_endorse,
        group_name: String::new(),
        group_size: String::new(),
        errors: FieldErrors::new(),
        notice: None,
    })
}

async fn desk(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let mut data = desk_data(&state, ctx, &session.actor, &meta).await?;
    data.notice = notice_for(&query.done);
    page(&data)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GroupInput {
    name: String,
    size: String,
}

impl FormPage for GroupInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn request_group(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(input): Posted<GroupInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .request_group(&session.actor, &input.name, &input.size, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/supervision?done=group").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = desk_data(&state, ctx, &session.actor, &meta).await?;
            data.group_name = input.name;
            data.group_size = input.size;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonInput {
    reason: String,
    accept: String,
}

impl FormPage for ReasonInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

/// Shows a refusal the person can act on as a page with the reason, instead of an error page.
fn refused(ctx: PageContext, title: &str, reason: &str, back: &str) -> Response {
    let page_data = crate::platform::home::MessagePage::new(ctx, title, &[reason], &[("Go back", back)]);
    page_with_status(StatusCode::CONFLICT, &page_data)
}

async fn countersign(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(_): Posted<ReasonInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .decide_session(&session.actor, &id, true, "", &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/supervision?done=countersigned").into_response()),
        Err(AppError::Refused(reason)) => Ok(refused(ctx, "Not countersigned", &reason, "/supervision")),
        Err(error) => Err(error.into()),
    }
}

async fn reject(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<ReasonInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .decide_session(&session.actor, &id, false, &input.reason, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/supervision?done=rejected").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = desk_data(&state, ctx, &session.actor, &meta).await?;
            let message = errors
                .get("reason")
                .unwrap_or("Say why you reject this session.")
                .to_owned();
            data.errors.add(&format!("reason-{id}"), message);
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(reason)) => Ok(refused(ctx, "Not rejected", &reason, "/supervision")),
        Err(error) => Err(error.into()),
    }
}

// ---- one contract ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/supervision_contract.html")]
struct ContractPage {
    ctx: PageContext,
    line: ContractLine,
    terms: String,
    candidate_signed: String,
    supervisor_signed: String,
    end_reason: String,
    viewer_is_supervisor: bool,
    can_sign: bool,
    can_end: bool,
    /// The documents each party shows the other: (id, kind, file name).
    candidate_documents: Vec<(String, String, String)>,
    supervisor_documents: Vec<(String, String, String)>,
    errors: FieldErrors,
    /// The reason typed in the decline form, kept when it is refused.
    decline_reason: String,
    rule: &'static str,
    decline_min: usize,
}

async fn contract_data(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
) -> Result<ContractPage, WebError> {
    let app = state.ready_app()?;
    let view = app.contract_for(actor, id, meta).await?;
    let me = actor.user_id.as_str();
    let viewer_is_supervisor = view.row.supervisor_id.as_deref() == Some(me);
    let viewer_is_party = viewer_is_supervisor || view.row.candidate_id == me;
    let open = view.row.declined_at.is_none();
    let lists = app.board_lists().await?;
    let (candidate_documents, supervisor_documents) = app.contract_documents(actor, id, meta).await?;
    let describe = |documents: Vec<store::credentialing::evidence::DocumentRecord>| {
        documents
            .into_iter()
            .map(|d| (d.id, lists.document_kind_name(&d.kind).to_owned(), d.file_name))
            .collect::<Vec<_>>()
    };
    let candidate_documents = describe(candidate_documents);
    let supervisor_documents = describe(supervisor_documents);
    Ok(ContractPage {
        line: contract_line(&view, app.today()),
        terms: view.row.terms.clone(),
        candidate_signed: view.row.candidate_signed_at.map(crate::page::when).unwrap_or_default(),
        supervisor_signed: view.row.supervisor_signed_at.map(crate::page::when).unwrap_or_default(),
        end_reason: view.row.end_reason.clone().unwrap_or_default(),
        viewer_is_supervisor,
        can_sign: viewer_is_supervisor && open && view.row.supervisor_signed_at.is_none(),
        can_end: viewer_is_party && view.row.is_signed() && view.row.ends_on.is_none(),
        candidate_documents,
        supervisor_documents,
        errors: FieldErrors::new(),
        decline_reason: String::new(),
        rule: COUNTS_FROM_RULE,
        decline_min: DECLINE_REASON_MIN,
        ctx,
    })
}

async fn contract_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    page(&contract_data(&state, ctx, &session.actor, &meta, &id).await?)
}

async fn sign(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<ReasonInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .sign_contract(&session.actor, &id, input.accept == "yes", &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/supervision?done=signed").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = contract_data(&state, ctx, &session.actor, &meta, &id).await?;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(reason)) => Ok(refused(
            ctx,
            "Not signed",
            &reason,
            &format!("/supervision/contracts/{id}"),
        )),
        Err(error) => Err(error.into()),
    }
}

async fn decline(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<ReasonInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .decline_contract(&session.actor, &id, &input.reason, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/supervision?done=declined").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = contract_data(&state, ctx, &session.actor, &meta, &id).await?;
            data.errors = errors;
            data.decline_reason = input.reason;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(reason)) => Ok(refused(ctx, "Not declined", &reason, "/supervision")),
        Err(error) => Err(error.into()),
    }
}

async fn end(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<ReasonInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .end_contract(&session.actor, &id, &input.reason, &meta)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/supervision/contracts/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = contract_data(&state, ctx, &session.actor, &meta, &id).await?;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(reason)) => Ok(refused(
            ctx,
            "Not ended",
            &reason,
            &format!("/supervision/contracts/{id}"),
        )),
        Err(error) => Err(error.into()),
    }
}

// ---- a supervisee's application, before the endorsement -------------------------------------

#[derive(Template)]
#[template(path = "credentialing/supervision_application.html")]
struct EndorsementPage {
    ctx: PageContext,
    view: app::credentialing::applications::EndorsementView,
}

impl EndorsementPage {
    fn started(&self) -> String {
        crate::page::when(self.view.row.created_at)
    }
}

async fn endorsement_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = state
        .ready_app()?
        .application_for_endorsement(&session.actor, &id, &meta)
        .await?;
    page(&EndorsementPage { ctx, view })
}

// ---- board staff: groups --------------------------------------------------------------------

struct GroupLine {
    id: String,
    name: String,
    supervisor: String,
    size: i64,
    requested: String,
    status: &'static str,
    note: String,
}

#[derive(Template)]
#[template(path = "credentialing/supervision_groups.html")]
struct GroupsPage {
    ctx: PageContext,
    groups: Vec<GroupLine>,
    notice: Option<String>,
}

async fn groups_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let groups = state.ready_app()?.groups_for_review(&session.actor, &meta).await?;
    let groups = groups
        .into_iter()
        .map(|(g, supervisor)| GroupLine {
            status: match (g.decided_at.is_some(), g.approved) {
                (true, true) => "approved",
                (true, false) => "not approved",
                (false, _) => "waiting",
            },
            id: g.id,
            name: g.name,
            supervisor,
            size: g.size,
            requested: crate::page::when(g.requested_at),
            note: g.decision_note.unwrap_or_default(),
        })
        .collect();
    page(&GroupsPage {
        ctx,
        groups,
        notice: notice_for(&query.done),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionInput {
    decision: String,
    note: String,
}

impl FormPage for DecisionInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn decide_group(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<DecisionInput>,
) -> Result<Response, WebError> {
    let approve = input.decision == "approve";
    match state
        .ready_app()?
        .decide_group(&session.actor, &id, approve, &input.note, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/supervision-groups?done=decided").into_response()),
        Err(AppError::Refused(reason)) => Ok(refused(ctx, "Not recorded", &reason, "/admin/supervision-groups")),
        Err(error) => Err(error.into()),
    }
}
