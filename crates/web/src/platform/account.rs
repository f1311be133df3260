//! The signed-in person's own pages: dashboard, account and security, two-factor set-up,
//! sessions.

use app::AppError;
use app::platform::sessions::ActiveSession;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{FieldErrors, Role, SessionId};
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, Posted, TokenOnly};
use crate::page::{PageContext, SignedIn, page, page_with_status, safe_next, when};
use crate::routes::Routes;
use crate::session::{clear_cookie_value, session_cookie};
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/dashboard", get(dashboard))
        .route("/account", get(|| async { Redirect::to("/account/security") }))
        .route("/account/security", get(security))
        .route("/account/password", post(change_password))
        .route("/account/name", post(rename))
        .route("/account/verify-email/resend", post(resend_verification))
        .route("/account/two-factor/setup", get(totp_setup).post(confirm_totp))
        .route(
            "/account/two-factor/recovery-codes",
            get(show_recovery_codes).post(replace_recovery_codes),
        )
        .route("/account/two-factor/disable", post(disable_totp))
        .route("/account/sessions/{id}/revoke", post(revoke_session))
        .route("/account/sessions/revoke-all", post(revoke_all_sessions))
}

// ---- dashboard -----------------------------------------------------------------------------

struct Card {
    title: String,
    text: String,
    links: Vec<(&'static str, &'static str)>,
}

impl Card {
    fn new(title: &str, text: impl Into<String>, links: Vec<(&'static str, &'static str)>) -> Card {
        Card {
            title: title.to_owned(),
            text: text.into(),
            links,
        }
    }
}

/// What the dashboard knows about the person's own work, read once per visit.
struct DashboardFacts {
    /// Credentials held, by name, for the candidate's card.
    held: Vec<String>,
    sent: app::referrals::counts::ReferralCounts,
    received: app::referrals::counts::ReferralCounts,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "3 referrals, 1 waiting for an answer." (empty when there are none).
fn referral_line(counts: app::referrals::counts::ReferralCounts, waiting_for: &str) -> String {
    if counts.total == 0 {
        return String::new();
    }
    let mut line = plural(counts.total, "referral", "referrals");
    if counts.unanswered > 0 {
        line.push_str(&format!(", {} waiting for {waiting_for}", counts.unanswered));
    }
    line.push('.');
    line
}

/// One card per role the person holds, each saying only what the product does today.
fn cards_for(roles: &[Role], facts: &DashboardFacts) -> Vec<Card> {
    let mut cards = Vec::new();
    for role in roles {
        let card = match role {
            Role::Candidate if !facts.held.is_empty() => Card::new(
                "Your credentials",
                format!(
                    "Your credentials: {}. Download your certificate, wallet card and digital badge, log continuing-education credits and renew when the time comes.",
                    facts.held.join(", ")
                ),
                vec![
                    ("Your credentials", "/portal/credentials"),
                    ("Your directory profile", "/portal/profile"),
                    ("Open your credential file", "/portal"),
                ],
            ),
            Role::Candidate => Card::new(
                "Your credential",
                "Log courses, training, clinical hours and supervision, keep your licenses and insurance on file, and see your progress against the program's rules.",
                vec![
                    ("Open your credential file", "/portal"),
                    ("Your credentials", "/portal/credentials"),
                ],
            ),
            Role::Supervisor => Card::new(
                "Supervision",
                "Your supervisees, supervision contracts and the hours waiting for your countersignature. You see only the people you supervise.",
                vec![("Open your supervisees", "/supervision")],
            ),
            Role::CommitteeReviewer => Card::new(
                "Committee review",
                "Applications assigned to you for peer review, and the conflicts of interest you declared.",
                vec![("Your reviews", "/review")],
            ),
            Role::CommitteeChair => Card::new(
                "Committee chair",
                "Applications with their recommendations, ready for your decision.",
                vec![("Review queue", "/admin/review")],
            ),
            Role::EthicsCommittee => Card::new(
                "Ethics committee",
                "Complaints about certified professionals: intake, the respondent's reply, evidence notes and the committee's decision.",
                vec![("Ethics cases", "/ethics/cases")],
            ),
            Role::BoardStaff => Card::new(
                "Board workbench",
                "Review applications, manage credentials and their status, and invite reviewers, supervisors and referring providers.",
                vec![
                    ("Review queue", "/admin/review"),
                    ("Credentials", "/admin/credentials"),
                    ("People and invitations", "/admin/people"),
                ],
            ),
            Role::BoardAdmin => Card::new(
                "Administration",
                "Invite board staff and reviewers, and read the tamper-evident audit log of every sign-in, refusal and access to protected data.",
                vec![
                    ("People and invitations", "/admin/people"),
                    ("Audit log", "/admin/audit"),
                ],
            ),
            // Client records are not built yet: the card offers only what exists, the
            // referrals sent to this clinician.
            Role::Clinician => Card::new(
                "Referrals to you",
                match referral_line(facts.received, "your answer") {
                    line if line.is_empty() => "No referrals have been sent to you yet.".to_owned(),
                    line => line,
                },
                vec![("Referrals", "/referrals")],
            ),
            // The client portal is not built yet: a client account shows no card of its own.
            Role::Client => continue,
            Role::ReferringProvider => Card::new(
                "Referrals",
                match referral_line(facts.sent, "an answer") {
                    line if line.is_empty() => {
                        "Find a certified professional by place and concern, then refer a client from their profile."
                            .to_owned()
                    }
                    line => format!("You have sent {line}"),
                },
                vec![("Find a professional", "/directory"), ("Your referrals", "/referrals")],
            ),
        };
        cards.push(card);
    }
    // A certified professional who is not a clinician still receives referrals.
    if facts.received.total > 0 && !roles.contains(&Role::Clinician) {
        cards.push(Card::new(
            "Referrals to you",
            referral_line(facts.received, "your answer"),
            vec![("Referrals", "/referrals")],
        ));
    }
    cards.push(Card::new(
        "Account and security",
        "Change your password, manage two-factor sign-in and see where you are signed in.",
        vec![("Account and security", "/account/security")],
    ));
    cards
}

async fn dashboard_facts(
    app: &app::App,
    actor: &app::Actor,
    meta: &app::RequestMeta,
) -> Result<DashboardFacts, WebError> {
    let held = if actor.roles.contains(&Role::Candidate) {
        app.my_credentials(actor, meta)
            .await?
            .into_iter()
            .map(|c| match c.status {
                domain::credentialing::credential_status::CredentialStatus::Active => c.program_name,
                other => format!("{} ({})", c.program_name, other.as_str()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let (sent, received) = app.referral_counts(actor).await?;
    Ok(DashboardFacts { held, sent, received })
}

#[derive(Template)]
#[template(path = "platform/dashboard.html")]
struct DashboardPage {
    ctx: PageContext,
    actor: app::Actor,
    cards: Vec<Card>,
    notice: Option<String>,
    /// "N failed sign-in attempts since your last sign-in", when there were some.
    failed_sign_ins: Option<String>,
    prompts: Vec<app::credentialing::renewals::RenewalPrompt>,
}

async fn dashboard(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let cards = cards_for(
        &session.actor.roles,
        &dashboard_facts(app, &session.actor, &meta).await?,
    );
    let prompts = app.renewal_prompts(&session.actor, &meta).await?;
    let failed_sign_ins = app.failed_sign_ins(&session.actor, &meta).await?.summary();
    page(&DashboardPage {
        ctx,
        actor: session.actor,
        cards,
        notice: None,
        failed_sign_ins,
        prompts,
    })
}

async fn resend_verification(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    app.resend_verification(&session.actor, &meta).await?;
    let cards = cards_for(
        &session.actor.roles,
        &dashboard_facts(app, &session.actor, &meta).await?,
    );
    let notice = Some(format!(
        "A new confirmation link is on its way to {}.",
        session.actor.email
    ));
    page(&DashboardPage {
        ctx,
        actor: session.actor,
        cards,
        notice,
        failed_sign_ins: None,
        prompts: Vec::new(),
    })
}

// ---- account and security ------------------------------------------------------------------

struct SessionRow {
    id: String,
    signed_in: String,
    last_seen: String,
    address: String,
    agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "platform/security.html")]
struct SecurityPage {
    ctx: PageContext,
    actor: app::Actor,
    sessions: Vec<SessionRow>,
    recovery_left: i64,
    mfa_mandatory: bool,
    notice: Option<String>,
    problem: Option<String>,
    password_errors: FieldErrors,
    recovery_errors: FieldErrors,
    disable_errors: FieldErrors,
    name_errors: FieldErrors,
    name_value: String,
    /// Whether the authenticator app is on (two-factor sign-in may be on through passkeys alone).
    totp_enabled: bool,
    passkeys: Vec<PasskeyRow>,
    /// The site passkeys are registered to (None: this server offers none).
    passkey_site: Option<(String, String)>,
    /// The passkey form's fields start without errors (its script shows them).
    no_errors: FieldErrors,
    /// Failed sign-in attempts since the sign-in before this one.
    failed: app::platform::signin::FailedSignIns,
}

struct PasskeyRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

impl SecurityPage {
    async fn load(
        state: &ServerState,
        ctx: PageContext,
        session: &ActiveSession,
        meta: &app::RequestMeta,
    ) -> Result<SecurityPage, WebError> {
        let app = state.ready_app()?;
        let actor = session.actor.clone();
        let sessions = app
            .my_sessions(&actor, meta)
            .await?
            .into_iter()
            .map(|s| SessionRow {
                current: s.id == actor.session_id,
                id: s.id.to_string(),
                signed_in: when(s.created_at),
                last_seen: when(s.last_seen_at),
                address: s.client_addr.unwrap_or_else(|| "unknown".into()),
                agent: s
                    .user_agent
                    .map(|a| a.chars().take(60).collect())
                    .unwrap_or_else(|| "unknown".into()),
            })
            .collect();
        let recovery_left = app
            .store()
            .unused_recovery_codes(&actor.user_id)
            .await
            .map_err(AppError::from)?;
        let passkeys = app
            .my_passkeys(&actor, meta)
            .await?
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id,
                name: p.name,
                created: when(p.created_at),
                last_used: p.last_used_at.map(when).unwrap_or_else(|| "never".into()),
            })
            .collect();
        let totp_enabled = app
            .store()
            .user_by_id(&actor.user_id)
            .await
            .map_err(AppError::from)?
            .is_some_and(|user| user.totp_enabled());
        let passkey_site = app
            .passkey_site()
            .ok()
            .map(|site| (site.id.clone(), site.origin.clone()));
        let failed = app.failed_sign_ins(&actor, meta).await?;
        Ok(SecurityPage {
            failed,
            mfa_mandatory: domain::platform::role::mfa_required(&actor.roles),
            ctx,
            actor,
            sessions,
            recovery_left,
            notice: None,
            problem: None,
            password_errors: FieldErrors::new(),
            recovery_errors: FieldErrors::new(),
            disable_errors: FieldErrors::new(),
            name_errors: FieldErrors::new(),
            name_value: session.actor.display_name.clone(),
            totp_enabled,
            passkeys,
            passkey_site,
            no_errors: FieldErrors::new(),
        })
    }
}

#[derive(Deserialize)]
struct ChangedQuery {
    changed: Option<String>,
}

async fn security(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<ChangedQuery>,
) -> Result<Response, WebError> {
    let mut page_data = SecurityPage::load(&state, ctx, &session, &meta).await?;
    page_data.notice = match query.changed.as_deref() {
        Some("password") => Some("Your password was changed. Your other sessions were signed out.".into()),
        Some("two-factor") => Some("Two-factor sign-in is off.".into()),
        Some("session") => Some("That session was signed out.".into()),
        Some("name") => Some("Your name was saved.".into()),
        Some("passkey-added") => Some("Your passkey was added. You can use it to sign in.".into()),
        Some("passkey-removed") => Some("That passkey was removed.".into()),

        _ => None,
    };
    page(&page_data)
}

/// Renames an application field error to the field id used on the security page.
fn renamed(errors: FieldErrors, from: &str, to: &str) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, message) in errors.iter() {
        out.add(if field == from { to } else { field }, message);
    }
    out
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RenameForm {
    display_name: String,
}

impl FormPage for RenameForm {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn rename(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(input): Posted<RenameForm>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .rename(&session.actor, &input.display_name, &meta)
        .await
    {
        Ok(_) => Ok(Redirect::to("/account/security?changed=name").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page = SecurityPage::load(&state, ctx, &session, &meta).await?;
            page.name_errors = errors;
            page.name_value = input.display_name;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordChange {
    current_password: String,
    password: String,
    password_confirm: String,
}

impl FormPage for PasswordChange {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn change_password(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(input): Posted<PasswordChange>,
) -> Result<Response, WebError> {
    let result = state
        .ready_app()?
        .change_password(
            &session.actor,
            &input.current_password,
            &input.password,
            &input.password_confirm,
            &meta,
        )
        .await;
    match result {
        Ok(new) => {
            let mut response = Redirect::to("/account/security?changed=password").into_response();
            if let Some(value) = session_cookie(&state, &new.cookie_token) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(AppError::Validation(errors)) => {
            let mut page = SecurityPage::load(&state, ctx, &session, &meta).await?;
            page.password_errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

// ---- two-factor sign-in --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "platform/totp_setup.html")]
struct TotpSetupPage {
    ctx: PageContext,
    setup: app::platform::mfa::TotpSetup,
    required: bool,
    errors: FieldErrors,
    /// The page that sent the person here, to go back to once the codes are saved (empty:
    /// they came of their own accord).
    next: String,
}

#[derive(Template)]
#[template(path = "platform/recovery_codes.html")]
struct RecoveryCodesPage {
    ctx: PageContext,
    /// `None` once they were shown.
    codes: Option<Vec<String>>,
    /// Shown right after two-factor sign-in was turned on (not after a replacement).
    after_setup: bool,
    /// Where "continue" leads.
    continue_to: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RecoveryCodesQuery {
    after: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetupQuery {
    next: String,
}

/// A `next` that is a local path, or empty.
fn local_next(next: &str) -> String {
    if next.is_empty() {
        String::new()
    } else {
        safe_next(Some(next))
    }
}

/// The codes just made, shown once: the forms that make them redirect here (post, redirect,
/// get), so a reload shows that they were shown instead of making new ones.
async fn show_recovery_codes(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<RecoveryCodesQuery>,
) -> Result<Response, WebError> {
    let codes = state
        .ready_app()?
        .take_recovery_codes_to_show(&session.actor, &meta)
        .await?;
    page(&RecoveryCodesPage {
        ctx,
        codes,
        after_setup: query.after == "setup",
        continue_to: safe_next(Some(&query.next)),
    })
}

async fn totp_setup(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<SetupQuery>,
) -> Result<Response, WebError> {
    let setup = match state.ready_app()?.begin_totp_setup(&session.actor, &meta).await {
        Ok(setup) => setup,
        // The authenticator app is already on.
        Err(AppError::Refused(_)) => return Ok(Redirect::to("/account/security").into_response()),
        Err(other) => return Err(other.into()),
    };
    page(&TotpSetupPage {
        ctx,
        setup,
        required: session.actor.must_enrol_mfa(),
        errors: FieldErrors::new(),
        next: local_next(&query.next),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotpCode {
    code: String,
    next: String,
}

impl FormPage for TotpCode {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        // The page is rebuilt from the pending secret; send the person back to it.
        Redirect::to("/account/two-factor/setup?expired=1").into_response()
    }
}

async fn confirm_totp(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(input): Posted<TotpCode>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    match app.confirm_totp_setup(&session.actor, &input.code, &meta).await {
        Ok(new) => {
            let next = local_next(&input.next);
            let to = if next.is_empty() {
                "/account/two-factor/recovery-codes?after=setup".to_owned()
            } else {
                format!(
                    "/account/two-factor/recovery-codes?after=setup&next={}",
                    crate::error::urlencode(&next)
                )
            };
            let mut response = Redirect::to(&to).into_response();
            if let Some(value) = session_cookie(&state, &new.cookie_token) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(AppError::Validation(errors)) => {
            let setup = app.begin_totp_setup(&session.actor, &meta).await?;
            let page = TotpSetupPage {
                ctx,
                setup,
                required: session.actor.must_enrol_mfa(),
                errors,
                next: local_next(&input.next),
            };
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RecoveryCodesForm {
    recovery_password: String,
}

impl FormPage for RecoveryCodesForm {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn replace_recovery_codes(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(input): Posted<RecoveryCodesForm>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .regenerate_recovery_codes(&session.actor, &input.recovery_password, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/two-factor/recovery-codes").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page = SecurityPage::load(&state, ctx, &session, &meta).await?;
            page.recovery_errors = renamed(errors, "password", "recovery_password");
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DisableForm {
    disable_password: String,
}

impl FormPage for DisableForm {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn disable_totp(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(input): Posted<DisableForm>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .disable_totp(&session.actor, &input.disable_password, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/security?changed=two-factor").into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page = SecurityPage::load(&state, ctx, &session, &meta).await?;
            page.disable_errors = renamed(errors, "password", "disable_password");
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        // A role that requires two-factor sign-in keeps it: said on the page it was asked from.
        Err(AppError::Forbidden(reason) | AppError::Refused(reason)) => {
            let mut page = SecurityPage::load(&state, ctx, &session, &meta).await?;
            page.problem = Some(reason);
            Ok(page_with_status(StatusCode::FORBIDDEN, &page))
        }
        Err(other) => Err(other.into()),
    }
}

// ---- sessions ------------------------------------------------------------------------------

async fn revoke_session(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    let id = SessionId::parse(&id).map_err(|_| WebError::NotFound)?;
    state.ready_app()?.end_session(&session.actor, &id, &meta).await?;
    Ok(Redirect::to("/account/security?changed=session").into_response())
}

async fn revoke_all_sessions(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    state.ready_app()?.end_all_sessions(&session.actor, &meta).await?;
    let mut response = Redirect::to("/sign-in").into_response();
    if let Some(value) = clear_cookie_value(&state, state.session_cookie_name()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
