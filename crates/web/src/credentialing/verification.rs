//! Public verification: `/verify` (search by credential number or name, and check a signed
//! credential file), `/verify/{number}` (one credential with its status, dates, public notices
//! and what the credential means). Rate-limited per client address.

use app::AppError;
use app::credentialing::credentials::{PublicCredential, VcCheck, VerifyAnswer};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use domain::credentialing::programs::CredentialKind;
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, PostedWithFiles};
use crate::page::{PageContext, page, page_with_status};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/verify", get(search))
        .route("/verify/check", post(check))
        .route("/verify/{number}", get(one))
}

/// The four credentials in one line each, so the public can tell them apart.
fn kinds() -> Vec<(&'static str, &'static str)> {
    CredentialKind::ALL
        .iter()
        .map(|kind| {
            let name = match kind {
                CredentialKind::Therapist => "Sex therapist",
                CredentialKind::Counselor => "Sexuality counselor",
                CredentialKind::Educator => "Sexuality educator",
                CredentialKind::Supervisor => "Sex therapist supervisor",
            };
            (name, kind.explanation())
        })
        .collect()
}

#[derive(Template)]
#[template(path = "credentialing/verify.html")]
struct SearchPage {
    ctx: PageContext,
    q: String,
    searched: bool,
    found: Vec<PublicCredential>,
    check: Option<VcCheck>,
    token: String,
    errors: FieldErrors,
    kinds: Vec<(&'static str, &'static str)>,
}

impl SearchPage {
    fn empty(ctx: PageContext) -> SearchPage {
        SearchPage {
            ctx,
            q: String::new(),
            searched: false,
            found: Vec::new(),
            check: None,
            token: String::new(),
            errors: FieldErrors::new(),
            kinds: kinds(),
        }
    }

    fn badge_class(&self, credential: &PublicCredential) -> &'static str {
        crate::credentialing::credentials::status_badge(credential.status)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let mut data = SearchPage::empty(ctx);
    if query.q.trim().is_empty() {
        return page(&data);
    }
    state.count_lookup(&meta)?;
    data.q = query.q.clone();
    data.searched = true;
    match state.ready_app()?.verify(&query.q).await {
        Ok(VerifyAnswer::Found(found)) => data.found = found,
        Ok(VerifyAnswer::Unknown) => {}
        Err(AppError::Validation(errors)) => {
            data.errors = errors;
            data.searched = false;
            return Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data));
        }
        Err(error) => return Err(error.into()),
    }
    page(&data)
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CheckInput {
    token: String,
}

impl FormPage for CheckInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        let mut data = SearchPage::empty(ctx);
        data.token = self.token;
        data.errors = errors;
        page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data)
    }
}

async fn check(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    PostedWithFiles(input, files): PostedWithFiles<CheckInput>,
) -> Result<Response, WebError> {
    state.count_lookup(&meta)?;
    // A chosen file wins over pasted text.
    let token = match files.into_iter().find(|f| f.field == "file" && !f.bytes.is_empty()) {
        Some(file) => String::from_utf8_lossy(&file.bytes).into_owned(),
        None => input.token.clone(),
    };
    let mut data = SearchPage::empty(ctx);
    data.token = input.token;
    match state.ready_app()?.check_vc_jwt(&token).await {
        Ok(check) => {
            data.check = Some(check);
            page(&data)
        }
        Err(AppError::Validation(errors)) => {
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "credentialing/verify_credential.html")]
struct OnePage {
    ctx: PageContext,
    credential: PublicCredential,
    badge: &'static str,
    /// The status in words with its date, before anything else.
    headline: String,
    history: Vec<(String, String, Option<String>)>,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn one(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    state.count_lookup(&meta)?;
    let app = state.ready_app()?;
    let credential = match app.verify_number(&number).await {
        Ok(credential) => credential,
        // A mistyped number is answered on the search page, with the problem named.
        Err(AppError::Validation(_)) => {
            let mut data = SearchPage::empty(ctx);
            data.q = number.clone();
            if let Err(AppError::Validation(errors)) = app.verify(&number).await {
                data.errors = errors;
            }
            return Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data));
        }
        Err(error) => return Err(error.into()),
    };
    let history = app.public_history(&credential.number).await?;
    let headline = app.status_headline(&credential, &history).await?;
    let history = history
        .into_iter()
        .map(|(day, label, notice)| (day.to_string(), label, notice))
        .collect();
    page(&OnePage {
        ctx,
        headline,
        badge: crate::credentialing::credentials::status_badge(credential.status),
        credential,
        history,
        kinds: kinds(),
    })
    .map(IntoResponse::into_response)
}
