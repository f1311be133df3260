//! Signing up, confirming an address, signing in and out, the second factor, password resets
//! and invitations.

use app::AppError;
use app::platform::accounts::SignUpForm;
use app::platform::sessions::SessionState;
use app::platform::signin::NextStep;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::{FieldErrors, Role};
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, Posted, TokenOnly};
use crate::page::{PageContext, page, page_with_status, safe_next};
use crate::platform::home::MessagePage;
use crate::platform::passkeys::PasskeyPanel;
use crate::routes::Routes;
use crate::session::{RequestSession, clear_cookie_value, cookie, device_cookie_sent, sign_in_cookies};
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/sign-up", get(sign_up_form).post(sign_up))
        .route("/sign-up/check-email", get(check_email))
        .route("/verify-email/{token}", get(verify_email))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-in/two-factor", get(second_factor_form).post(second_factor))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset/{token}", get(reset_form).post(reset))
        .route("/invitations/{token}", get(invitation_form).post(accept_invitation))
}

/// Sends the browser on with a new session cookie (and its device cookie after a completed
/// sign-in).
fn redirect_with_session(state: &ServerState, new: &app::platform::sessions::NewSession, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    for value in sign_in_cookies(state, new) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

// ---- sign-up -------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignUpInput {
    display_name: String,
    email: String,
    password: String,
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "platform/sign_up.html")]
struct SignUpPage {
    ctx: PageContext,
    form: SignUpInput,
    errors: FieldErrors,
}

impl FormPage for SignUpInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignUpPage {
                ctx,
                form: self,
                errors,
            },
        )
    }
}

async fn sign_up_form(ctx: PageContext) -> Result<Response, WebError> {
    page(&SignUpPage {
        ctx,
        form: SignUpInput::default(),
        errors: FieldErrors::new(),
    })
}

async fn sign_up(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Posted(input): Posted<SignUpInput>,
) -> Result<Response, WebError> {
    let form = SignUpForm {
        display_name: input.display_name.clone(),
        email: input.email.clone(),
        password: input.password.clone(),
        password_confirm: input.password_confirm.clone(),
    };
    match state.ready_app()?.sign_up(&form, &meta).await {
        Ok(()) => Ok(Redirect::to("/sign-up/check-email").into_response()),
        Err(AppError::Validation(errors)) => Ok(input.rerender(ctx, errors)),
        Err(other) => Err(other.into()),
    }
}

async fn check_email(ctx: PageContext) -> Result<Response, WebError> {
    page(&MessagePage::new(
        ctx,
        "Check your inbox",
        &[
            "We sent a message to the address you gave. Open the link in it to confirm your address; it works for 24 hours.",
            "Nothing arrived after a few minutes? Check your spam folder, or sign in and ask for a new link.",
        ],
        &[("Sign in", "/sign-in")],
    ))
}

async fn verify_email(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match state.ready_app()?.verify_email(&token, &meta).await {
        Ok(email) => {
            let line = format!("Thank you: {email} is confirmed.");
            let signed_in = ctx.viewer.is_some();
            let actions: &[(&str, &str)] = if signed_in {
                &[("Go to your dashboard", "/dashboard")]
            } else {
                &[("Sign in", "/sign-in")]
            };
            page(&MessagePage::new(ctx, "E-mail address confirmed", &[&line], actions))
        }
        Err(AppError::InvalidLink) => Ok(page_with_status(
            StatusCode::BAD_REQUEST,
            &MessagePage::new(
                ctx,
                "This link no longer works",
                &[
                    "The confirmation link has expired or was already used. Sign in and ask for a new one from your dashboard.",
                ],
                &[("Sign in", "/sign-in")],
            ),
        )),
        Err(other) => Err(other.into()),
    }
}

// ---- sign-in -------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInInput {
    email: String,
    password: String,
    next: String,
}

#[derive(Template)]
#[template(path = "platform/sign_in.html")]
struct SignInPage {
    ctx: PageContext,
    form: SignInInput,
    errors: FieldErrors,
    notice: Option<String>,
    problem: Option<String>,
    passkey: Option<PasskeyPanel>,
}

impl FormPage for SignInInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignInPage {
                ctx,
                form: self,
                errors,
                notice: None,
                problem: None,
                passkey: None,
            },
        )
    }
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
}

async fn sign_in_form(
    State(state): State<ServerState>,
    ctx: PageContext,
    Query(query): Query<SignInQuery>,
) -> Result<Response, WebError> {
    if ctx.viewer.is_some() {
        return Ok(Redirect::to(&safe_next(query.next.as_deref())).into_response());
    }
    let notice = match query.expired.as_deref() {
        Some("idle") => Some("You were signed out after 30 minutes without activity. Please sign in again.".to_owned()),
        Some(_) => Some("Your session reached its time limit. Please sign in again.".to_owned()),
        None => None,
    };
    let form = SignInInput {
        next: safe_next(query.next.as_deref()),
        ..SignInInput::default()
    };
    let passkey = PasskeyPanel::sign_in(&state, &form.next);
    page(&SignInPage {
        ctx,
        form,
        errors: FieldErrors::new(),
        notice,
        problem: None,
        passkey,
    })
}

async fn sign_in(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    axum::Extension(session): axum::Extension<RequestSession>,
    headers: axum::http::HeaderMap,
    Posted(input): Posted<SignInInput>,
) -> Result<Response, WebError> {
    let replaces = match session.state.as_ref() {
        SessionState::Active(active) => Some(active.actor.session_id.clone()),
        SessionState::MfaPending { session } => Some(session.id.clone()),
        _ => None,
    };
    let next = safe_next(Some(&input.next));
    match state
        .ready_app()?
        .sign_in(
            &input.email,
            &input.password,
            &device_cookie_sent(&state, &headers),
            replaces.as_ref(),
            &meta,
        )
        .await
    {
        Ok(signed) => {
            let to = match signed.next {
                NextStep::Dashboard => next,
                NextStep::SecondFactor => format!("/sign-in/two-factor?next={}", crate::error::urlencode(&next)),
                NextStep::EnrolSecondFactor => "/account/two-factor/setup".to_owned(),
            };
            Ok(redirect_with_session(&state, &signed.session, &to))
        }
        Err(AppError::Validation(errors)) => Ok(input.rerender(ctx, errors)),
        Err(error @ (AppError::InvalidCredentials | AppError::Throttled(_) | AppError::Refused(_))) => {
            let status = match error {
                AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                AppError::Refused(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let problem = Some(error.to_string());
            let passkey = PasskeyPanel::sign_in(&state, &next);
            Ok(page_with_status(
                status,
                &SignInPage {
                    ctx,
                    form: input,
                    errors: FieldErrors::new(),
                    notice: None,
                    problem,
                    passkey,
                },
            ))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeInput {
    code: String,
    next: String,
}

#[derive(Template)]
#[template(path = "platform/two_factor.html")]
struct SecondFactorPage {
    ctx: PageContext,
    next: String,
    errors: FieldErrors,
    problem: Option<String>,
    /// The person has an authenticator app (otherwise the code field takes recovery codes only).
    app_code: bool,
    passkey: Option<PasskeyPanel>,
}

impl FormPage for CodeInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SecondFactorPage {
                ctx,
                next: self.next,
                errors,
                problem: None,
                app_code: true,
                passkey: None,
            },
        )
    }
}

async fn second_factor_form(
    State(state): State<ServerState>,
    ctx: PageContext,
    axum::Extension(session): axum::Extension<RequestSession>,
    Query(query): Query<SignInQuery>,
) -> Result<Response, WebError> {
    let SessionState::MfaPending { session: pending } = session.state.as_ref() else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    page(&second_factor_page(&state, ctx, pending, safe_next(query.next.as_deref())).await?)
}

/// The second-factor page for what this person has set up: an app code, a passkey, or both.
async fn second_factor_page(
    state: &ServerState,
    ctx: PageContext,
    pending: &store::platform::sessions::SessionRecord,
    next: String,
) -> Result<SecondFactorPage, WebError> {
    let factors = state.ready_app()?.second_factors(pending).await?;
    let passkey = if factors.passkey {
        PasskeyPanel::second_factor(state, &next)
    } else {
        None
    };
    Ok(SecondFactorPage {
        ctx,
        next,
        errors: FieldErrors::new(),
        problem: None,
        app_code: factors.authenticator_app,
        passkey,
    })
}

async fn second_factor(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    axum::Extension(session): axum::Extension<RequestSession>,
    headers: axum::http::HeaderMap,
    Posted(input): Posted<CodeInput>,
) -> Result<Response, WebError> {
    let SessionState::MfaPending { session: pending } = session.state.as_ref() else {
        return Ok(Redirect::to("/sign-in?expired=limit").into_response());
    };
    match state
        .ready_app()?
        .verify_second_factor(pending, &input.code, &device_cookie_sent(&state, &headers), &meta)
        .await
    {
        Ok(new) => Ok(redirect_with_session(&state, &new, &safe_next(Some(&input.next)))),
        Err(AppError::Validation(errors)) => {
            let mut page = second_factor_page(&state, ctx, pending, input.next).await?;
            page.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Throttled(message)) => {
            let mut page = second_factor_page(&state, ctx, pending, input.next).await?;
            page.problem = Some(message);
            Ok(page_with_status(StatusCode::TOO_MANY_REQUESTS, &page))
        }
        Err(other) => Err(other.into()),
    }
}

async fn sign_out(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    headers: axum::http::HeaderMap,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    if let Some(token) = cookie(&headers, state.session_cookie_name()) {
        state.ready_app()?.sign_out(token, &meta).await?;
    }
    let mut response = Redirect::to("/").into_response();
    if let Some(value) = clear_cookie_value(&state, state.session_cookie_name()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

// ---- password reset ------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ForgotInput {
    email: String,
}

#[derive(Template)]
#[template(path = "platform/forgot.html")]
struct ForgotPage {
    ctx: PageContext,
    form: ForgotInput,
    errors: FieldErrors,
}

impl FormPage for ForgotInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                ctx,
                form: self,
                errors,
            },
        )
    }
}

async fn forgot_form(ctx: PageContext) -> Result<Response, WebError> {
    page(&ForgotPage {
        ctx,
        form: ForgotInput::default(),
        errors: FieldErrors::new(),
    })
}

async fn forgot(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Posted(input): Posted<ForgotInput>,
) -> Result<Response, WebError> {
    match state.ready_app()?.request_password_reset(&input.email, &meta).await {
        Ok(()) => page(&MessagePage::new(
            ctx,
            "Check your inbox",
            &[
                "If this address belongs to an account, a link to choose a new password is on its way. It works once, for 1 hour.",
            ],
            &[("Back to sign in", "/sign-in")],
        )),
        Err(AppError::Validation(errors)) => Ok(input.rerender(ctx, errors)),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetInput {
    password: String,
    password_confirm: String,
    #[serde(skip)]
    token: String,
}

#[derive(Template)]
#[template(path = "platform/reset.html")]
struct ResetPage {
    ctx: PageContext,
    token: String,
    errors: FieldErrors,
}

impl FormPage for ResetInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        let token = ctx.path.rsplit('/').next().unwrap_or_default().to_owned();
        page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &ResetPage { ctx, token, errors })
    }
}

fn expired_link(ctx: PageContext) -> Response {
    page_with_status(
        StatusCode::BAD_REQUEST,
        &MessagePage::new(
            ctx,
            "This link no longer works",
            &["The link has expired or was already used. You can ask for a new one."],
            &[("Ask for a new link", "/password/forgot")],
        ),
    )
}

async fn reset_form(
    State(state): State<ServerState>,
    ctx: PageContext,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !state.ready_app()?.reset_link_is_valid(&token).await? {
        return Ok(expired_link(ctx));
    }
    page(&ResetPage {
        ctx,
        token,
        errors: FieldErrors::new(),
    })
}

async fn reset(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Path(token): Path<String>,
    Posted(input): Posted<ResetInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .reset_password(&token, &input.password, &input.password_confirm, &meta)
        .await
    {
        Ok(()) => page(&MessagePage::new(
            ctx,
            "Your password was changed",
            &["Sign in with your new password. Every device that was signed in has been signed out."],
            &[("Sign in", "/sign-in")],
        )),
        Err(AppError::Validation(errors)) => Ok(ResetInput { token, ..input }.rerender(ctx, errors)),
        Err(AppError::InvalidLink) => Ok(expired_link(ctx)),
        Err(other) => Err(other.into()),
    }
}

// ---- invitations ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct InvitationInput {
    display_name: String,
    password: String,
    password_confirm: String,
    /// `add_role`: the owner of an existing account confirms the role offered.
    intent: String,
}

#[derive(Template)]
#[template(path = "platform/invitation.html")]
struct InvitationPage {
    ctx: PageContext,
    token: String,
    email: String,
    role_label: String,
    mfa_required: bool,
    form: InvitationInput,
    errors: FieldErrors,
}

/// The page of an invitation that adds a role to an existing account: sign in as its owner,
/// then confirm.
#[derive(Template)]
#[template(path = "platform/invitation_role.html")]
struct RoleInvitationPage {
    ctx: PageContext,
    token: String,
    email: String,
    role_label: String,
    mfa_required: bool,
    /// Signed in as the invited address.
    is_invitee: bool,
    /// Signed in as someone else: their address.
    signed_in_as: Option<String>,
    problem: Option<String>,
}

impl FormPage for InvitationInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        // The invitation's details are not in the form; show the form with the problem only.
        let token = ctx.path.rsplit('/').next().unwrap_or_default().to_owned();
        let page = InvitationPage {
            ctx,
            token,
            email: String::new(),
            role_label: "invited".into(),
            mfa_required: false,
            form: self,
            errors,
        };
        page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// The answer to a link that no longer works: withdrawn by staff, or expired or used.
async fn dead_invitation(state: &ServerState, ctx: PageContext, token: &str) -> Result<Response, WebError> {
    if state.ready_app()?.invitation_withdrawn(token).await? {
        return Ok(page_with_status(
            StatusCode::GONE,
            &MessagePage::new(
                ctx,
                "This invitation was withdrawn",
                &[
                    "The board withdrew this invitation, so the link no longer works. If you expected to join, ask the person who invited you.",
                ],
                &[("Sign in", "/sign-in")],
            ),
        ));
    }
    Ok(page_with_status(
        StatusCode::BAD_REQUEST,
        &MessagePage::new(
            ctx,
            "This invitation no longer works",
            &["The invitation has expired or was already accepted. Ask the person who invited you to send a new one."],
            &[("Sign in", "/sign-in")],
        ),
    ))
}

fn role_invitation_page(
    ctx: PageContext,
    token: String,
    link: &app::platform::people::InvitationLink,
    problem: Option<String>,
) -> RoleInvitationPage {
    let viewer = ctx.viewer.as_ref().map(|v| v.email.to_string());
    RoleInvitationPage {
        is_invitee: viewer.as_deref() == Some(link.email.as_str()),
        signed_in_as: viewer.filter(|email| *email != link.email),
        token,
        email: link.email.clone(),
        role_label: link.role.label().to_owned(),
        mfa_required: link.role.requires_mfa(),
        problem,
        ctx,
    }
}

async fn invitation_form(
    State(state): State<ServerState>,
    ctx: PageContext,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match state.ready_app()?.invitation_link(&token).await {
        Ok(link) if link.existing_account => page(&role_invitation_page(ctx, token, &link, None)),
        Ok(link) => page(&InvitationPage {
            ctx,
            token,
            email: link.email,
            role_label: link.role.label().to_owned(),
            mfa_required: link.role.requires_mfa(),
            form: InvitationInput::default(),
            errors: FieldErrors::new(),
        }),
        Err(AppError::InvalidLink) => dead_invitation(&state, ctx, &token).await,
        Err(other) => Err(other.into()),
    }
}

/// The owner of an existing account confirms the role: signed in as the invited address, they
/// get the role and sign in again (their sessions end with the change of privilege).
async fn accept_role(
    state: &ServerState,
    ctx: PageContext,
    meta: &app::RequestMeta,
    token: String,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let Some(viewer) = ctx.viewer.clone() else {
        let next = crate::error::urlencode(&format!("/invitations/{token}"));
        return Ok(Redirect::to(&format!("/sign-in?next={next}")).into_response());
    };
    match app.accept_role_invitation(&viewer, &token, meta).await {
        Ok(role) => {
            let line = format!(
                "The role {} was added to your account {}. Sign in again to use it.",
                role.label(),
                viewer.email
            );
            let signed_out = PageContext { viewer: None, ..ctx };
            let mut response = page(&MessagePage::new(
                signed_out,
                "Role added",
                &[&line],
                &[("Sign in", "/sign-in")],
            ))?;
            if let Some(value) = clear_cookie_value(state, state.session_cookie_name()) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(AppError::Refused(reason)) => {
            let link = app.invitation_link(&token).await?;
            Ok(page_with_status(
                StatusCode::CONFLICT,
                &role_invitation_page(ctx, token, &link, Some(reason)),
            ))
        }
        Err(AppError::InvalidLink) => dead_invitation(state, ctx, &token).await,
        Err(other) => Err(other.into()),
    }
}

async fn accept_invitation(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Path(token): Path<String>,
    Posted(input): Posted<InvitationInput>,
) -> Result<Response, WebError> {
    if input.intent == "add_role" {
        return accept_role(&state, ctx, &meta, token).await;
    }
    let app = state.ready_app()?;
    match app
        .accept_invitation(
            &token,
            &input.display_name,
            &input.password,
            &input.password_confirm,
            &meta,
        )
        .await
    {
        Ok(email) => {
            let line = format!("Your account {email} is ready. Sign in with the password you chose.");
            page(&MessagePage::new(
                ctx,
                "Welcome to Sensate",
                &[&line],
                &[("Sign in", "/sign-in")],
            ))
        }
        Err(AppError::Validation(errors)) => {
            let invitation = app.invitation(&token).await?;
            let role = invitation.role.unwrap_or(Role::Candidate);
            let page = InvitationPage {
                ctx,
                token,
                email: invitation.email.unwrap_or_default(),
                role_label: role.label().to_owned(),
                mfa_required: role.requires_mfa(),
                form: input,
                errors,
            };
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::InvalidLink) => dead_invitation(&state, ctx, &token).await,
        Err(other) => Err(other.into()),
    }
}
