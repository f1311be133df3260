//! Issued credentials: the holder's page with downloads (certificate PDFs, the signed Open
//! Badges credential) and the staff's register with suspension, revocation, reinstatement
//! and undoing an action made in error.

use app::AppError;
use app::credential::{PublicCredential, StatusAction};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use serde::Deserialize;

use super::{PageContext, SignedIn, page, page_with_status, when};
use crate::context::Meta;
use crate::forms::{FormPage, Posted};
use crate::{ServerState, WebError};

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/portal/credentials", get(mine))
        .route("/portal/credentials/{number}/certificate.pdf", get(certificate))
        .route("/portal/credentials/{number}/badge.jwt", get(badge))
        .route("/admin/credentials", get(register))
        .route("/admin/credentials/{number}", get(one))
        .route("/admin/credentials/{number}/status", post(change_status))
}

fn app(state: &ServerState) -> Result<&app::App, WebError> {
    state.app().ok_or(WebError::NotReady)
}

/// How a status is shown: its word and the badge colour.
pub fn status_badge(status: domain::credential_status::CredentialStatus) -> &'static str {
    use domain::credential_status::CredentialStatus;
    match status {
        CredentialStatus::Active => "badge--success",
        CredentialStatus::Expired | CredentialStatus::Lapsed => "badge--warning",
        CredentialStatus::Suspended | CredentialStatus::Revoked => "badge--danger",
    }
}

#[derive(Template)]
#[template(path = "portal_credentials.html")]
struct MinePage {
    ctx: PageContext,
    credentials: Vec<PublicCredential>,
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
    let credentials = app(&state)?.my_credentials(&session.actor, &meta).await?;
    page(&MinePage { ctx, credentials })
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
        "wallet" => (app::credential::CertificateSize::Wallet, "wallet-card"),
        _ => (app::credential::CertificateSize::Wall, "certificate"),
    };
    let pdf = app(&state)?
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
    let token = app(&state)?.credential_vc(&session.actor, &number, &meta).await?;
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
#[template(path = "admin_credentials.html")]
struct RegisterPage {
    ctx: PageContext,
    credentials: Vec<PublicCredential>,
    filter: String,
}

impl RegisterPage {
    fn badge_class(&self, credential: &PublicCredential) -> &'static str {
        status_badge(credential.status)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterQuery {
    status: String,
}

async fn register(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, WebError> {
    let credentials = app(&state)?
        .all_credentials(&session.actor, &meta)
        .await?
        .into_iter()
        .filter(|c| query.status.is_empty() || c.status.as_str() == query.status)
        .collect();
    page(&RegisterPage {
        ctx,
        credentials,
        filter: query.status,
    })
}

#[derive(Template)]
#[template(path = "admin_credential.html")]
struct OnePage {
    ctx: PageContext,
    credential: PublicCredential,
    badge: &'static str,
    history: Vec<(String, String, String, Option<String>, String)>,
    form: StatusInput,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct StatusInput {
    action: String,
    reason: String,
    notice: String,
}

impl FormPage for StatusInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn one_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    number: &str,
) -> Result<OnePage, WebError> {
    let app = app(state)?;
    let history = app
        .credential_history(actor, number, meta)
        .await?
        .into_iter()
        .map(|(at, kind, reason, notice, by)| (when(at), kind, reason, notice, by))
        .collect();
    let credential = app.verify_number(number).await?;
    Ok(OnePage {
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
    let app = app(&state)?;
    let outcome = match StatusAction::parse(&input.action) {
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
