//! Referrals: `/referrers/request` (a referring provider asks for an account),
//! `/admin/referrers` (staff approve or decline), `/referrals` (sent and received),
//! `/referrals/new?to=ID` (send one from a profile or a search result), `/referrals/{id}`
//! (read it; the professional accepts or declines), and `/fhir/ServiceRequest/{id}` (the same
//! referral as FHIR R4, for its two parties).

use app::directory::profiles::PublicProfile;
use app::referrals::referral::{
    REFERRER_KINDS, ReferralInput, ReferralSummary, ReferralView, ReferrerRequestInput, ReferrerRequestState, URGENCIES,
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
            let errors = as_form_errors(error)?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
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

async fn requests(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let requests = state.ready_app()?.referrer_requests(&session.actor, &meta).await?;
    page(&RequestsPage {
        ctx,
        requests,
        errors: FieldErrors::new(),
        done: query.done,
    })
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
            let requests = app.referrer_requests(&session.actor, &meta).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RequestsPage {
                    ctx,
                    requests,
                    errors,
                    done: None,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "referrals/referrals.html")]
struct ListPage {
    ctx: PageContext,
    sent: Vec<ReferralSummary>,
    received: Vec<ReferralSummary>,
}

async fn list(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    let (sent, received) = state.ready_app()?.my_referrals(&session.actor).await?;
    page(&ListPage { ctx, sent, received })
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
