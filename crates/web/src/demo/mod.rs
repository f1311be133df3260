//! The demo's own pages (only with `serve --demo`): the accounts to try, with their current
//! codes, the credentials to verify, and the mailbox of e-mail sent to the demo's accounts
//! (never to anyone else: a visitor's confirmation, reset or invitation link is theirs alone).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::page::{PageContext, page, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/demo", get(accounts))
        .route("/demo/mailbox", get(mailbox))
}

fn demo_app(state: &ServerState) -> Result<&app::App, WebError> {
    if !state.config().demo {
        return Err(WebError::NotFound);
    }
    state.app().ok_or(WebError::NotReady)
}

#[derive(Template)]
#[template(path = "demo/demo.html")]
struct DemoPage {
    ctx: PageContext,
    password: &'static str,
    accounts: Vec<app::demo::DemoAccount>,
    credentials: Vec<app::demo::DemoCredential>,
    /// Where passkeys work (the public address by host name), when they do.
    passkey_origin: Option<String>,
}

impl DemoPage {
    fn badge_class(&self, credential: &app::demo::DemoCredential) -> &'static str {
        crate::credentialing::credentials::status_badge(credential.status)
    }
}

async fn accounts(State(state): State<ServerState>, ctx: PageContext) -> Result<Response, WebError> {
    let app = demo_app(&state)?;
    let accounts = app.demo_accounts().await?;
    let credentials = app.demo_credentials().await?;
    page(&DemoPage {
        ctx,
        password: app::demo::DEMO_PASSWORD,
        accounts,
        credentials,
        passkey_origin: app.passkey_site().ok().map(|site| site.origin.clone()),
    })
}

struct MailView {
    to: String,
    subject: String,
    at: String,
    status: String,
    body: String,
}

#[derive(Template)]
#[template(path = "demo/mailbox.html")]
struct MailboxPage {
    ctx: PageContext,
    messages: Vec<MailView>,
}

async fn mailbox(State(state): State<ServerState>, ctx: PageContext) -> Result<Response, WebError> {
    let app = demo_app(&state)?;
    let messages = app
        .store()
        .recent_emails_to_demo_accounts(50)
        .await
        .map_err(app::AppError::from)?
        .into_iter()
        .map(|m| MailView {
            status: match (&m.sent_at, &m.last_error) {
                (Some(_), _) => "delivered".into(),
                (None, Some(error)) => format!("not delivered yet: {error}"),
                (None, None) => "queued".into(),
            },
            to: m.recipient,
            subject: m.subject,
            at: when(m.created_at),
            body: m.body_text.unwrap_or_else(|| "(body erased after delivery)".into()),
        })
        .collect();
    page(&MailboxPage { ctx, messages })
}
