//! Passkeys: the two JSON steps of each WebAuthn ceremony (adding a passkey, a passkey as the
//! second factor, a passwordless sign-in), called by `static/passkeys.js`, and the page that
//! removes a passkey.
//!
//! The JSON steps are not forms: `load_session` refuses them without the page's anti-forgery
//! token in `X-CSRF-Token`, and `ApiJson` refuses any body that is not JSON (so a cross-site
//! form cannot reach them either). A finished ceremony answers `{"redirect": path}` and, when
//! it signs someone in, the new session's cookie.

use app::AppError;
use app::platform::passkeys::{PublicKeyCredential, RegisterPublicKeyCredential};
use app::platform::sessions::SessionState;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use serde::{Deserialize, Serialize};

use crate::api::ApiJson;
use crate::context::Meta;
use crate::forms::{FormPage, Posted};
use crate::page::{PageContext, SignedIn, page, page_with_status, safe_next, when};
use crate::routes::Routes;
use crate::session::{RequestSession, device_cookie_sent, sign_in_cookies};
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/account/passkeys/options", post(registration_options))
        .route("/account/passkeys", post(register))
        .route("/account/passkeys/{id}/remove", get(remove_form).post(remove))
        .route("/sign-in/passkey/options", post(sign_in_options))
        .route("/sign-in/passkey", post(sign_in))
        .route("/sign-in/two-factor/passkey/options", post(second_factor_options))
        .route("/sign-in/two-factor/passkey", post(second_factor))
}

/// Where the page goes once a ceremony has finished.
#[derive(Serialize)]
struct Finished {
    redirect: String,
}

/// The answer that ends a ceremony, with the new session's cookies when there is one.
fn finished(state: &ServerState, redirect: String, new: Option<&app::platform::sessions::NewSession>) -> Response {
    let mut response = Json(Finished { redirect }).into_response();
    for value in new.map(|new| sign_in_cookies(state, new)).unwrap_or_default() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

// ---- adding a passkey ----------------------------------------------------------------------

#[derive(Deserialize)]
struct RegistrationStart {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

async fn registration_options(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    ApiJson(input): ApiJson<RegistrationStart>,
) -> Result<Response, WebError> {
    let options = state
        .ready_app()?
        .begin_passkey_registration(&session.actor, &input.name, &input.password, &meta)
        .await?;
    Ok(Json(options).into_response())
}

async fn register(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    ApiJson(credential): ApiJson<RegisterPublicKeyCredential>,
) -> Result<Response, WebError> {
    let (_, new) = state
        .ready_app()?
        .finish_passkey_registration(&session.actor, &credential, &meta)
        .await?;
    Ok(finished(
        &state,
        "/account/security?changed=passkey-added".into(),
        Some(&new),
    ))
}

// ---- removing a passkey --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "platform/passkey_remove.html")]
struct RemovePage {
    ctx: PageContext,
    id: String,
    name: String,
    created: String,
    errors: FieldErrors,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RemoveInput {
    password: String,
}

impl FormPage for RemoveInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn remove_page(
    state: &ServerState,
    ctx: PageContext,
    session: &app::platform::sessions::ActiveSession,
    id: String,
    meta: &app::RequestMeta,
) -> Result<RemovePage, WebError> {
    let passkey = state.ready_app()?.my_passkey(&session.actor, &id, meta).await?;
    Ok(RemovePage {
        ctx,
        id,
        name: passkey.name,
        created: when(passkey.created_at),
        errors: FieldErrors::new(),
        problem: None,
    })
}

async fn remove_form(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    page(&remove_page(&state, ctx, &session, id, &meta).await?)
}

async fn remove(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Posted(input): Posted<RemoveInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .remove_passkey(&session.actor, &id, &input.password, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/security?changed=passkey-removed").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page = remove_page(&state, ctx, &session, id, &meta).await?;
            page.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Refused(reason)) => {
            let mut page = remove_page(&state, ctx, &session, id, &meta).await?;
            page.problem = Some(reason);
            Ok(page_with_status(StatusCode::FORBIDDEN, &page))
        }
        Err(other) => Err(other.into()),
    }
}

// ---- signing in ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct Assertion {
    credential: PublicKeyCredential,
    #[serde(default)]
    next: String,
}

/// Passwordless sign-in, step 1. Public: each request stores a challenge, so it counts
/// towards the per-address limit on public lookups.
async fn sign_in_options(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    Extension(session): Extension<RequestSession>,
) -> Result<Response, WebError> {
    state.count_lookup(&meta)?;
    let options = state.ready_app()?.begin_passkey_sign_in(&session.csrf_token).await?;
    Ok(Json(options).into_response())
}

async fn sign_in(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    Extension(session): Extension<RequestSession>,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<Assertion>,
) -> Result<Response, WebError> {
    let replaces = match session.state.as_ref() {
        SessionState::Active(active) => Some(active.actor.session_id.clone()),
        SessionState::MfaPending { session } => Some(session.id.clone()),
        _ => None,
    };
    let new = state
        .ready_app()?
        .finish_passkey_sign_in(
            &session.csrf_token,
            &input.credential,
            &device_cookie_sent(&state, &headers),
            replaces.as_ref(),
            &meta,
        )
        .await?;
    Ok(finished(&state, safe_next(Some(&input.next)), Some(&new)))
}

/// The session waiting for its second factor, or 401.
fn pending(session: &RequestSession) -> Result<&store::platform::sessions::SessionRecord, WebError> {
    match session.state.as_ref() {
        SessionState::MfaPending { session } => Ok(session),
        _ => Err(WebError::App(AppError::Unauthenticated)),
    }
}

async fn second_factor_options(
    State(state): State<ServerState>,
    Extension(session): Extension<RequestSession>,
) -> Result<Response, WebError> {
    let options = state
        .ready_app()?
        .begin_passkey_second_factor(pending(&session)?)
        .await?;
    Ok(Json(options).into_response())
}

async fn second_factor(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    Extension(session): Extension<RequestSession>,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<Assertion>,
) -> Result<Response, WebError> {
    let device = device_cookie_sent(&state, &headers);
    let new = state
        .ready_app()?
        .finish_passkey_second_factor(pending(&session)?, &input.credential, &device, &meta)
        .await?;
    Ok(finished(&state, safe_next(Some(&input.next)), Some(&new)))
}

// ---- the panels on the sign-in pages -------------------------------------------------------

/// The passkey part of a sign-in page (`templates/passkey_sign_in.html`).
pub struct PasskeyPanel {
    pub rp_id: String,
    pub origin: String,
    /// The two steps' addresses.
    pub options: &'static str,
    pub finish: &'static str,
    pub next: String,
    pub title: &'static str,
    pub text: &'static str,
    pub button: &'static str,
    /// Offer the device's passkeys in the e-mail field's autofill as well (conditional UI).
    pub autofill: bool,
}

impl PasskeyPanel {
    fn new(app: &app::App, next: &str) -> Option<PasskeyPanel> {
        let site = app.passkey_site().ok()?;
        Some(PasskeyPanel {
            rp_id: site.id.clone(),
            origin: site.origin.clone(),
            options: "",
            finish: "",
            next: next.to_owned(),
            title: "",
            text: "",
            button: "",
            autofill: false,
        })
    }

    /// "Sign in with a passkey" on the sign-in page: no password at all.
    pub fn sign_in(state: &ServerState, next: &str) -> Option<PasskeyPanel> {
        Some(PasskeyPanel {
            options: "/sign-in/passkey/options",
            finish: "/sign-in/passkey",
            title: "Or sign in with a passkey",
            text: "A passkey on this device, your phone or a security key signs you in without your password.",
            button: "Sign in with a passkey",
            autofill: true,
            ..PasskeyPanel::new(state.app()?, next)?
        })
    }

    /// The passkey as the second factor, after the password.
    pub fn second_factor(state: &ServerState, next: &str) -> Option<PasskeyPanel> {
        Some(PasskeyPanel {
            options: "/sign-in/two-factor/passkey/options",
            finish: "/sign-in/two-factor/passkey",
            title: "Use your passkey",
            text: "Confirm it is you with one of the passkeys you added to your account.",
            button: "Use a passkey",
            ..PasskeyPanel::new(state.app()?, next)?
        })
    }
}
