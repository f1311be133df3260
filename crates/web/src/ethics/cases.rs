//! Ethics cases over HTTP.
//!
//! - `GET/POST /ethics/complaints/new`: the public complaint form (no account needed;
//!   `?number=` fills in the credential number, as the verification page links it). The post
//!   is multipart, read whole within [`UPLOAD_BODY_LIMIT`] by
//!   [`crate::forms::PostedWithFiles`] (the token is checked there), so every error shows the
//!   form again with what was typed. `GET /ethics/complaints/received` thanks the reporter
//!   and repeats the reference.
//! - `GET /ethics/cases`: the committee's queue by state and age.
//! - `GET /ethics/cases/{id}`: the case file with its history, and the forms of the step it
//!   is at: intake, notifying the respondent, evidence notes, the decision (a final one once
//!   the respondent replied or their last day to reply passed; before that, a suspension
//!   marked interim).
//! - `GET /ethics/cases/{id}/documents/{document}`: a case document, decrypted (handlers, or
//!   the respondent for their own).
//! - `GET /portal/ethics-cases/{id}` and `POST …/reply`: the respondent's side.
//!
//! Who may see what is decided (and audited) by the app.

use app::AppError;
use app::ethics::cases::{
    Attachment, CaseFile, CaseLine, CaseState, ComplaintInput, DESCRIPTION_CHARS, INTERIM_REASON_MIN_CHARS,
    MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, RespondentCase, Sanction,
};
use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FORM_LEVEL, FormPage, Posted, PostedWithFiles, UploadedFile, as_form_errors, plain_form};
use crate::lists::{ListQuery, ListView, matches};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

/// The largest complaint or reply accepted: room for one document more than allowed (so an
/// extra or oversized file is answered by name, with the form kept) and for the text.
const UPLOAD_BODY_LIMIT: usize = (MAX_DOCUMENTS + 1) * MAX_DOCUMENT_BYTES as usize + 256 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .route(
            "/ethics/complaints/new",
            get(complaint_form)
                .post(file_complaint)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/ethics/complaints/received", get(received))
        .route("/ethics/cases", get(queue))
        .route("/ethics/cases/{id}", get(case_file))
        .route("/ethics/cases/{id}/intake", post(intake))
        .route("/ethics/cases/{id}/notify", post(notify))
        .route("/ethics/cases/{id}/notes", post(note))
        .route("/ethics/cases/{id}/decide", post(decide))
        .route("/ethics/cases/{id}/documents/{document}", get(download))
        .route("/portal/ethics-cases/{id}", get(respondent_view))
        .route(
            "/portal/ethics-cases/{id}/reply",
            post(reply).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

/// The limits as people read them on the forms.
fn documents_hint() -> String {
    format!(
        "Up to {MAX_DOCUMENTS} files, PDF, PNG or JPEG, {} MB each at most.",
        MAX_DOCUMENT_BYTES / (1024 * 1024)
    )
}

/// Whether a post was refused for its size: the body was cut off at the route's limit.
fn too_large(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .is_some_and(|length| length > UPLOAD_BODY_LIMIT)
}

fn too_large_errors() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(
        "documents",
        format!(
            "The documents together were too large, so nothing was sent and what you typed could not be kept. Send at most {MAX_DOCUMENTS} files of {} MB each.",
            MAX_DOCUMENT_BYTES / (1024 * 1024)
        ),
    );
    errors
}

/// The files of a form's `documents` input, as the app takes them.
fn attachments(files: Vec<UploadedFile>) -> Vec<Attachment> {
    files
        .into_iter()
        .filter(|file| file.field == "documents")
        .map(|file| Attachment {
            file_name: file.file_name.unwrap_or_default(),
            bytes: file.bytes.into(),
        })
        .collect()
}

// ---- the public complaint form -----------------------------------------------------------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ComplaintForm {
    credential_number: String,
    name: String,
    email: String,
    phone: String,
    description: String,
    happened_from: String,
    happened_until: String,
    /// The trap: hidden from people, filled in by scripts.
    homepage: String,
}

impl ComplaintForm {
    fn input(&self) -> ComplaintInput {
        ComplaintInput {
            credential_number: self.credential_number.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            description: self.description.clone(),
            happened_from: self.happened_from.clone(),
            happened_until: self.happened_until.clone(),
            trap: self.homepage.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "ethics/ethics_complaint.html")]
struct ComplaintPage {
    ctx: PageContext,
    form: ComplaintForm,
    errors: FieldErrors,
    documents_hint: String,
    description_min: usize,
}

impl ComplaintPage {
    fn new(ctx: PageContext, mut form: ComplaintForm, errors: FieldErrors) -> ComplaintPage {
        // Never sent back: a person whose browser filled it in by mistake can simply send again.
        form.homepage.clear();
        ComplaintPage {
            ctx,
            form,
            errors,
            documents_hint: documents_hint(),
            description_min: DESCRIPTION_CHARS.0,
        }
    }
}

impl FormPage for ComplaintForm {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &ComplaintPage::new(ctx, self, errors))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NumberQuery {
    number: String,
}

async fn complaint_form(ctx: PageContext, Query(query): Query<NumberQuery>) -> Result<Response, WebError> {
    let form = ComplaintForm {
        credential_number: query.number.trim().chars().take(40).collect(),
        ..ComplaintForm::default()
    };
    page(&ComplaintPage::new(ctx, form, FieldErrors::new()))
}

async fn file_complaint(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    headers: HeaderMap,
    posted: Result<PostedWithFiles<ComplaintForm>, Response>,
) -> Result<Response, WebError> {
    let (form, files) = match posted {
        Ok(PostedWithFiles(form, files)) => (form, files),
        Err(_) if too_large(&headers) => {
            let data = ComplaintPage::new(ctx, ComplaintForm::default(), too_large_errors());
            return Ok(page_with_status(StatusCode::PAYLOAD_TOO_LARGE, &data));
        }
        Err(rejection) => return Ok(rejection),
    };
    match state
        .ready_app()?
        .file_complaint(&form.input(), attachments(files), &meta)
        .await
    {
        Ok(reference) => {
            Ok(Redirect::to(&format!("/ethics/complaints/received?reference={reference}")).into_response())
        }
        Err(AppError::Throttled(message)) => {
            let mut errors = FieldErrors::new();
            errors.add(FORM_LEVEL, message);
            Ok(page_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                &ComplaintPage::new(ctx, form, errors),
            ))
        }
        Err(error) => {
            let errors = as_form_errors(error)?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ComplaintPage::new(ctx, form, errors),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "ethics/ethics_received.html")]
struct ReceivedPage {
    ctx: PageContext,
    reference: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReferenceQuery {
    reference: String,
}

async fn received(ctx: PageContext, Query(query): Query<ReferenceQuery>) -> Result<Response, WebError> {
    // Only a well-formed reference is repeated: the page must not show whatever a link says.
    let reference = app::ethics::cases::is_reference(&query.reference).then_some(query.reference);
    page(&ReceivedPage { ctx, reference })
}

// ---- the committee's queue ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "ethics/ethics_cases.html")]
struct QueuePage {
    ctx: PageContext,
    lines: Vec<CaseLine>,
    list: ListView,
    states: Vec<(&'static str, &'static str, usize)>,
    state: String,
}

impl QueuePage {
    fn when(&self, at: &store::Timestamp) -> String {
        when(*at)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StateQuery {
    #[serde(flatten)]
    list: ListQuery,
    state: String,
}

/// The queue's sortable columns; by default by state, oldest in its state first.
const QUEUE_COLUMNS: [&str; 5] = ["state", "case", "respondent", "days", "received"];

async fn queue(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<StateQuery>,
) -> Result<Response, WebError> {
    let all = state.ready_app()?.ethics_queue(&session.actor, &meta).await?;
    let states = CaseState::ALL
        .into_iter()
        .map(|key| {
            (
                key.as_str(),
                key.label(),
                all.iter().filter(|line| line.status == key).count(),
            )
        })
        .collect();
    let list = ListView::new(
        "/ethics/cases",
        &query.list,
        &QUEUE_COLUMNS,
        false,
        vec![("state", query.state.clone())],
    );
    let needle = list.q.to_lowercase();
    // An unknown state in the address matches no case.
    let wanted = CaseState::parse(&query.state).ok();
    // The app's order is the default one (by state, oldest first); keep it as the tie-break.
    let mut lines: Vec<(usize, CaseLine)> = all
        .into_iter()
        .filter(|line| query.state.is_empty() || Some(line.status) == wanted)
        .filter(|line| {
            matches(
                &needle,
                &[&line.reference, &line.respondent_name, &line.credential_number],
            )
        })
        .enumerate()
        .collect();
    lines.sort_by(|(i, a), (j, b)| {
        let order = match list.sort {
            "case" => a.reference.cmp(&b.reference),
            "respondent" => a.respondent_name.to_lowercase().cmp(&b.respondent_name.to_lowercase()),
            "days" => a.days_in_state.cmp(&b.days_in_state),
            "received" => a.received_at.cmp(&b.received_at),
            _ => i.cmp(j),
        }
        .then_with(|| i.cmp(j));
        if list.descending { order.reverse() } else { order }
    });
    let list = list.with_total(lines.len());
    let lines = list.page_of(lines.into_iter().map(|(_, line)| line).collect());
    page(&QueuePage {
        ctx,
        lines,
        list,
        states,
        state: query.state,
    })
}

// ---- the case file -----------------------------------------------------------------------

plain_form!(IntakeInput { decision, reason });
plain_form!(NoteInput { note });
plain_form!(DecideInput {
    sanction,
    conditions,
    reasons,
    notice,
    interim
});
plain_form!(NotifyInput {});

#[derive(Template)]
#[template(path = "ethics/ethics_case.html")]
struct CasePage {
    ctx: PageContext,
    case: CaseFile,
    sanctions: Vec<(&'static str, &'static str)>,
    is_open: bool,
    is_decidable: bool,
    errors: FieldErrors,
    /// Which form the errors belong to.
    failed: &'static str,
    intake_form: IntakeInput,
    note_form: NoteInput,
    decide_form: DecideInput,
    notice: Option<&'static str>,
    interim_min_chars: usize,
}

impl CasePage {
    fn has_errors_for(&self, form: &str) -> bool {
        self.failed == form && !self.errors.is_empty()
    }

    fn when(&self, at: &store::Timestamp) -> String {
        when(*at)
    }

    fn size(&self, bytes: &i64) -> String {
        size_text(*bytes)
    }
}

/// A size for people: "812 bytes", "14.2 KB", "3.1 MB".
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

async fn case_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
) -> Result<CasePage, WebError> {
    let case = state.ready_app()?.ethics_case_file(actor, id, meta).await?;
    Ok(CasePage {
        ctx,
        is_open: case.status.is_open(),
        is_decidable: case.status.is_decidable(),
        case,
        sanctions: Sanction::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        errors: FieldErrors::new(),
        failed: "",
        intake_form: IntakeInput::default(),
        note_form: NoteInput::default(),
        decide_form: DecideInput::default(),
        notice: None,
        interim_min_chars: INTERIM_REASON_MIN_CHARS,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

async fn case_file(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = case_page(&state, ctx, &session.actor, &meta, &id).await?;
    data.notice = match query.done.as_str() {
        "accepted" => Some("Accepted. Notify the respondent when the committee is ready for their reply."),
        "dismissed" => Some("Dismissed as out of scope. The reporter was told the case is closed."),
        "notified" => Some("The respondent was told by e-mail and can now read the complaint and reply."),
        "noted" => Some("Evidence note added to the case file."),
        "decided" => Some("Decision recorded. The respondent and the reporter were told."),
        "interim" => Some(
            "Interim suspension recorded: the credential is suspended at once and its public record says it is interim. The respondent was told; the case stays open for the decision.",
        ),
        _ => None,
    };
    page(&data)
}

/// Shows the case file again with the problems of one form, keeping what was typed.
async fn case_with_errors(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
    (failed, errors): (&'static str, FieldErrors),
    fill: impl FnOnce(&mut CasePage),
) -> Result<Response, WebError> {
    let mut data = case_page(state, ctx, actor, meta, id).await?;
    data.failed = failed;
    data.errors = errors;
    fill(&mut data);
    Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
}

async fn intake(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<IntakeInput>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let outcome = match input.decision.as_str() {
        "accept" | "dismiss" => {
            app.ethics_intake(&session.actor, &id, input.decision == "accept", &input.reason, &meta)
                .await
        }
        _ => Err(AppError::field(
            "decision",
            "Choose to accept the case or dismiss it as out of scope.",
        )),
    };
    match outcome {
        Ok(()) => {
            let done = if input.decision == "accept" {
                "accepted"
            } else {
                "dismissed"
            };
            Ok(Redirect::to(&format!("/ethics/cases/{id}?done={done}")).into_response())
        }
        Err(error) => {
            let errors = as_form_errors(error)?;
            case_with_errors(&state, ctx, &session.actor, &meta, &id, ("intake", errors), |page| {
                page.intake_form = input;
            })
            .await
        }
    }
}

async fn notify(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(_): Posted<NotifyInput>,
) -> Result<Response, WebError> {
    match state.ready_app()?.notify_respondent(&session.actor, &id, &meta).await {
        Ok(()) => Ok(Redirect::to(&format!("/ethics/cases/{id}?done=notified")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            case_with_errors(&state, ctx, &session.actor, &meta, &id, ("notify", errors), |_| {}).await
        }
    }
}

async fn note(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(input): Posted<NoteInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .add_evidence_note(&session.actor, &id, &input.note, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/ethics/cases/{id}?done=noted#history")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            case_with_errors(&state, ctx, &session.actor, &meta, &id, ("note", errors), |page| {
                page.note_form = input;
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
    match state
        .ready_app()?
        .decide_ethics_case(
            &session.actor,
            &id,
            &input.sanction,
            &input.conditions,
            &input.reasons,
            &input.notice,
            input.interim == "yes",
            &meta,
        )
        .await
    {
        Ok(()) => {
            let done = if input.interim == "yes" { "interim" } else { "decided" };
            Ok(Redirect::to(&format!("/ethics/cases/{id}?done={done}")).into_response())
        }
        Err(error) => {
            let errors = as_form_errors(error)?;
            case_with_errors(&state, ctx, &session.actor, &meta, &id, ("decide", errors), |page| {
                page.decide_form = input;
            })
            .await
        }
    }
}

async fn download(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path((id, document)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (view, media_type, file) = state
        .ready_app()?
        .ethics_document(&session.actor, &id, &document, &meta)
        .await?;
    let length = file.size_bytes();
    // The name is made by the app from the side, position and type: plain ASCII.
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", view.name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"document\""));
    let served = match media_type.as_str() {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    };
    let mut response = Body::from_stream(file).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(served));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

// ---- the respondent's side ---------------------------------------------------------------

plain_form!(ReplyInput { reply });

#[derive(Template)]
#[template(path = "ethics/ethics_respondent.html")]
struct RespondentPage {
    ctx: PageContext,
    case: RespondentCase,
    form: ReplyInput,
    errors: FieldErrors,
    documents_hint: String,
    notice: Option<&'static str>,
}

impl RespondentPage {
    fn when(&self, at: &store::Timestamp) -> String {
        when(*at)
    }
}

async fn respondent_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    id: &str,
) -> Result<RespondentPage, WebError> {
    let case = state.ready_app()?.respondent_case(actor, id, meta).await?;
    Ok(RespondentPage {
        ctx,
        case,
        form: ReplyInput::default(),
        errors: FieldErrors::new(),
        documents_hint: documents_hint(),
        notice: None,
    })
}

async fn respondent_view(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = respondent_page(&state, ctx, &session.actor, &meta, &id).await?;
    data.notice = (query.done == "replied").then_some("Reply sent. The ethics committee considers it before deciding.");
    page(&data)
}

async fn reply(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    headers: HeaderMap,
    posted: Result<PostedWithFiles<ReplyInput>, Response>,
) -> Result<Response, WebError> {
    let (input, files) = match posted {
        Ok(PostedWithFiles(input, files)) => (input, files),
        Err(_) if too_large(&headers) => {
            let mut data = respondent_page(&state, ctx, &session.actor, &meta, &id).await?;
            data.errors = too_large_errors();
            return Ok(page_with_status(StatusCode::PAYLOAD_TOO_LARGE, &data));
        }
        Err(rejection) => return Ok(rejection),
    };
    match state
        .ready_app()?
        .reply_to_ethics_case(&session.actor, &id, &input.reply, attachments(files), &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/portal/ethics-cases/{id}?done=replied")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            let mut data = respondent_page(&state, ctx, &session.actor, &meta, &id).await?;
            data.form = input;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_limit_leaves_room_for_every_document() {
        assert!(UPLOAD_BODY_LIMIT > MAX_DOCUMENTS * MAX_DOCUMENT_BYTES as usize);
        assert_eq!(size_text(14 * 1024 + 300), "14.2 KB");
    }
}
