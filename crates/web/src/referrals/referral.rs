//! Referrals: `/referrers/request` (a referring provider asks for an account),
//! `/admin/referrers` (staff approve or decline), `/referrals` (sent and received),
//! `/referrals/new?to=ID` (send one from a profile or a search result), `/referrals/{id}`
//! (read it; the professional accepts or declines), and `/fhir/ServiceRequest/{id}` (the same
//! referral as FHIR R4, for its two parties).

use app::AppError;
use app::directory::profiles::PublicProfile;
use app::referrals::referral::{
    REFERRER_KINDS, ReferralInput, ReferralSummary, ReferralView, ReferrerRequestFilter, ReferrerRequestInput,
    ReferrerRequestSort, ReferrerRequestState, URGENCIES,
};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use domain::credentialing::programs::ListItem;
use store::referrals::referral::ReferrerRequestRow;

use crate::context::Meta;
use crate::forms::{FormPage, Posted, PostedPairs, as_form_errors, plain_form};
use crate::lists::{ListQuery, ListView, PER_PAGE};
use crate::page::{PageContext, SignedIn, page, page_with_status};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/referrers/request", get(request_form).post(request_send))
        .route("/admin/referrers", get(requests))
        .route("/admin/referrers/{id}", post(decide))
        .route("/referrals", get(list))
        .route("/referrals/new", get(new_form).post(send))
        .route("/referrals/{id}", get(one))
        .route("/referrals/{id}/answer", post(answer))
        .route("/fhir/ServiceRequest/{id}", get(fhir))
}

#[derive(Template)]
#[template(path = "referrals/referrer_request.html")]
struct RequestPage {
    ctx: PageContext,
    form: RequestForm,
    errors: FieldErrors,
    sent: bool,
    kinds: Vec<(&'static str, &'static str)>,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
struct RequestForm {
    name: String,
    email: String,
    organisation: String,
    kind: String,
    license: String,
    phone: String,
}

impl FormPage for RequestForm {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(
            StatusCode::FORBIDDEN,
            &RequestPage {
                ctx,
                form: self,
                errors,
                sent: false,
                kinds: REFERRER_KINDS.to_vec(),
            },
        )
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SentQuery {
    sent: Option<String>,
}

async fn request_form(ctx: PageContext, Query(query): Query<SentQuery>) -> Result<Response, WebError> {
    page(&RequestPage {
        ctx,
        form: RequestForm::default(),
        errors: FieldErrors::new(),
        sent: query.sent.is_some(),
        kinds: REFERRER_KINDS.to_vec(),
    })
}

async fn request_send(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Posted(form): Posted<RequestForm>,
) -> Result<Response, WebError> {
    let input = ReferrerRequestInput {
        name: form.name.clone(),
        email: form.email.clone(),
        organisation: form.organisation.clone(),
        kind: form.kind.clone(),
        license: form.license.clone(),
        phone: form.phone.clone(),
    };
    match state.ready_app()?.request_referrer_account(&input, &meta).await {
        Ok(()) => Ok(Redirect::to("/referrers/request?sent=1").into_response()),
        Err(error) => {
            // Too many requests: the form stays as typed, with the reason above it.
            let (status, error) = match error {
                AppError::Throttled(message) => (StatusCode::TOO_MANY_REQUESTS, AppError::Refused(message)),
                other => (StatusCode::UNPROCESSABLE_ENTITY, other),
            };
            let errors = as_form_errors(error)?;
            Ok(page_with_status(
                status,
                &RequestPage {
                    ctx,
                    form,
                    errors,
                    sent: false,
                    kinds: REFERRER_KINDS.to_vec(),
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "referrals/admin_referrers.html")]
struct RequestsPage {
    ctx: PageContext,
    requests: Vec<ReferrerRequestRow>,
    list: ListView,
    /// The state filter's choices: value, label, how many.
    states: Vec<(&'static str, &'static str, i64)>,
    state_filter: String,
    errors: FieldErrors,
    done: Option<String>,
}

impl RequestsPage {
    fn kind_name(&self, key: &str) -> &'static str {
        REFERRER_KINDS.iter().find(|(k, _)| *k == key).map_or("", |(_, n)| n)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RequestsQuery {
    #[serde(flatten)]
    list: ListQuery,
    /// A state, `all`, or nothing: the waiting requests (what staff come for).
    state: String,
    done: Option<String>,
}

/// The list's sortable columns (the first is the default: the longest waiting first).
const REQUEST_COLUMNS: [&str; 3] = ["requested", "name", "organisation"];

async fn load_requests(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    query: &RequestsQuery,
) -> Result<RequestsPage, WebError> {
    let chosen = match query.state.as_str() {
        "all" => None,
        "" => Some(ReferrerRequestState::Requested),
        text => Some(ReferrerRequestState::parse(text).unwrap_or(ReferrerRequestState::Requested)),
    };
    let state_filter = chosen.map_or("all", ReferrerRequestState::as_str).to_owned();
    let list = ListView::new(
        "/admin/referrers",
        &query.list,
        &REQUEST_COLUMNS,
        false,
        vec![("state", state_filter.clone())],
    );
    let mut filter = ReferrerRequestFilter {
        text: (!list.q.is_empty()).then(|| list.q.clone()),
        state: chosen,
        sort: match list.sort {
            "name" => ReferrerRequestSort::Name,
            "organisation" => ReferrerRequestSort::Organisation,
            _ => ReferrerRequestSort::Requested,
        },
        descending: list.descending,
        limit: i64::try_from(PER_PAGE).unwrap_or(50),
        offset: i64::try_from(list.offset()).unwrap_or(0),
    };
    let app = state.ready_app()?;
    let mut found = app.referrer_requests(actor, &filter, meta).await?;
    let list = list.with_total(usize::try_from(found.total).unwrap_or(0));
    // A page past the end (a stale link) shows the last page instead.
    let offset = i64::try_from(list.offset()).unwrap_or(0);
    if offset != filter.offset {
        filter.offset = offset;
        found = app.referrer_requests(actor, &filter, meta).await?;
    }
    let states = [
        (
            "requested",
            "Waiting for a decision",
            found.count(ReferrerRequestState::Requested),
        ),
        ("approved", "Approved", found.count(ReferrerRequestState::Approved)),
        ("declined", "Declined", found.count(ReferrerRequestState::Declined)),
    ]
    .to_vec();
    let all: i64 = states.iter().map(|(_, _, n)| n).sum();
    let mut choices = vec![("all", "Every state", all)];
    choices.extend(states);
    Ok(RequestsPage {
        ctx,
        requests: found.requests,
        list,
        states: choices,
        state_filter,
        errors: FieldErrors::new(),
        done: query.done.clone(),
    })
}

async fn requests(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<RequestsQuery>,
) -> Result<Response, WebError> {
    page(&load_requests(&state, ctx, &session.actor, &meta, &query).await?)
}

plain_form!(DecisionForm { decision, note });

async fn decide(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(form): Posted<DecisionForm>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let approve = form.decision == "approve";
    match app
        .decide_referrer_request(&session.actor, &id, approve, &form.note, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/admin/referrers?done={}",
            if approve { "approved" } else { "declined" }
        ))
        .into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            let mut page_data = load_requests(&state, ctx, &session.actor, &meta, &RequestsQuery::default()).await?;
            page_data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
    }
}

#[derive(Template)]
#[template(path = "referrals/referrals.html")]
struct ListPage {
    ctx: PageContext,
    sent: Vec<ReferralSummary>,
    received: Vec<ReferralSummary>,
    /// Referrals are waiting that this person may read only with a second factor.
    needs_two_factor: bool,
}

async fn list(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    let (sent, received) = state.ready_app()?.my_referrals(&session.actor).await?;
    let needs_two_factor = !received.is_empty() && !session.actor.mfa_enabled;
    page(&ListPage {
        ctx,
        sent,
        received,
        needs_two_factor,
    })
}

#[derive(Template)]
#[template(path = "referrals/referral_new.html")]
struct NewPage {
    ctx: PageContext,
    recipient: PublicProfile,
    concerns: Vec<ListItem>,
    urgencies: Vec<(&'static str, &'static str)>,
    input: ReferralInput,
    errors: FieldErrors,
}

impl NewPage {
    fn chosen(&self, key: &str) -> bool {
        self.input.concerns.iter().any(|k| k == key)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ToQuery {
    to: String,
}

async fn new_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    to: &str,
    input: ReferralInput,
    errors: FieldErrors,
) -> Result<NewPage, WebError> {
    let app = state.ready_app()?;
    let recipient = app.referral_recipient(actor, to, meta).await?;
    let concerns = app.board_lists().await?.concerns;
    Ok(NewPage {
        ctx,
        recipient,
        concerns,
        urgencies: URGENCIES.to_vec(),
        input,
        errors,
    })
}

async fn new_form(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<ToQuery>,
) -> Result<Response, WebError> {
    let input = ReferralInput {
        urgency: "routine".into(),
        ..ReferralInput::default()
    };
    let data = new_page(&state, ctx, &session.actor, &meta, &query.to, input, FieldErrors::new()).await?;
    page(&data)
}

fn referral_input(pairs: &[(String, String)]) -> (String, ReferralInput) {
    let mut to = String::new();
    let mut input = ReferralInput::default();
    for (key, value) in pairs {
        match key.as_str() {
            "to" => to = value.clone(),
            "client_name" => input.client_name = value.clone(),
            "client_email" => input.client_email = value.clone(),
            "client_phone" => input.client_phone = value.clone(),
            "concern" => input.concerns.push(value.clone()),
            "urgency" => input.urgency = value.clone(),
            "notes" => input.notes = value.clone(),
            "client_agreed" => input.client_agreed = true,
            _ => {}
        }
    }
    (to, input)
}

async fn send(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    posted: PostedPairs,
) -> Result<Response, WebError> {
    let (to, input) = referral_input(&posted.pairs);
    if !posted.token_ok {
        let data = new_page(
            &state,
            ctx,
            &session.actor,
            &meta,
            &to,
            input,
            PostedPairs::stale_errors(),
        )
        .await?;
        return Ok(page_with_status(StatusCode::FORBIDDEN, &data));
    }
    match state
        .ready_app()?
        .send_referral(&session.actor, &to, &input, &meta)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/referrals/{id}?done=sent")).into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            let data = new_page(&state, ctx, &session.actor, &meta, &to, input, errors).await?;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
    }
}

#[derive(Template)]
#[template(path = "referrals/referral.html")]
struct OnePage {
    ctx: PageContext,
    referral: ReferralView,
    errors: FieldErrors,
    reason: String,
    done: Option<String>,
}

async fn one(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let referral = state.ready_app()?.referral(&session.actor, &id, &meta).await?;
    page(&OnePage {
        ctx,
        referral,
        errors: FieldErrors::new(),
        reason: String::new(),
        done: query.done,
    })
}

plain_form!(AnswerForm { decision, reason });

async fn answer(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(form): Posted<AnswerForm>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let accept = match form.decision.as_str() {
        "accept" => Some(true),
        "decline" => Some(false),
        _ => None,
    };
    match app
        .answer_referral(&session.actor, &id, accept, &form.reason, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/referrals/{id}?done={}",
            if accept == Some(true) { "accepted" } else { "declined" }
        ))
        .into_response()),
        Err(error) => {
            let errors = as_form_errors(error)?;
            let referral = app.referral(&session.actor, &id, &meta).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &OnePage {
                    ctx,
                    referral,
                    errors,
                    reason: form.reason,
                    done: None,
                },
            ))
        }
    }
}

/// The referral as FHIR R4 (`application/fhir+json`), for its two parties only; private, so
/// never stored by a cache.
async fn fhir(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let resource = state
        .ready_app()?
        .fhir_service_request(&session.actor, &id, &meta)
        .await?;
    let mut response = Json(resource).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/fhir+json"));
    Ok(response)
}
