//! Renewal: the holder's renewal page (`/portal/credentials/{number}/renewal`: credits logged,
//! the rule engine's count, submission), the staff's audit queue (`/admin/renewals`) and the
//! reminders the lifecycle job sent (`/admin/reminders`).

use app::AppError;
use app::credentialing::renewals::{AuditItem, CreditInput, RenewalOutcome, RenewalView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use domain::credentialing::hours::Hours;
use domain::credentialing::renewals::{RenewalAction, RenewalState};
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{Posted, TokenOnly, plain_form};
use crate::lists::{ListQuery, ListView, matches};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/portal/credentials/{number}/renewal", get(renewal))
        .route("/portal/credentials/{number}/renewal/credits", post(add_credit))
        .route(
            "/portal/credentials/{number}/renewal/credits/{id}/delete",
            post(remove_credit),
        )
        .route("/portal/credentials/{number}/renewal/submit", post(submit))
        .route("/admin/renewals", get(audit_queue))
        .route("/admin/renewals/{id}/decide", post(decide))
        .route("/admin/reminders", get(reminders).post(run_reminders))
}

fn hours(centi: i64) -> String {
    Hours::from_centi(u32::try_from(centi).unwrap_or(0)).phrase()
}

#[derive(Template)]
#[template(path = "credentialing/renewal.html")]
struct RenewalPage {
    ctx: PageContext,
    view: RenewalView,
    form: CreditForm,
    errors: FieldErrors,
    missing: Vec<String>,
    notice: Option<String>,
}

impl RenewalPage {
    /// Credits can be logged (and the renewal submitted) while the window is open and the
    /// renewal has not been submitted.
    fn can_log(&self) -> bool {
        self.view.open_now
            && self
                .view
                .renewal
                .as_ref()
                .is_none_or(|r| r.status.after(RenewalAction::ChangeCredits).is_ok())
    }

    fn hours(&self, centi: &i64) -> String {
        hours(*centi)
    }

    fn method_name(&self, key: &str) -> String {
        self.view
            .methods
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| key.to_owned(), |(_, name)| name.clone())
    }
}

plain_form!(CreditForm {
    method,
    date,
    hours,
    provider,
    title
});

async fn renewal_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    number: &str,
) -> Result<RenewalPage, WebError> {
    let view = state.ready_app()?.renewal_view(actor, number, meta).await?;
    Ok(RenewalPage {
        ctx,
        view,
        form: CreditForm::default(),
        errors: FieldErrors::new(),
        missing: Vec::new(),
        notice: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
    until: String,
}

async fn renewal(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let mut data = renewal_page(&state, ctx, &session.actor, &meta, &number).await?;
    data.notice = match query.done.as_str() {
        "added" => Some("Credits added.".to_owned()),
        "removed" => Some("Entry removed.".to_owned()),
        "approved" => Some(format!("Renewal approved: your credential is now valid until {}.", query.until)),
        "audit" => Some(
            "Renewal submitted. Staff will check your documentation (the renewal was drawn for the board's random audit of one in ten, or it answers their return) and you will hear from them by e-mail.".to_owned(),
        ),
        _ => None,
    };
    page(&data)
}

async fn add_credit(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
    Posted(form): Posted<CreditForm>,
) -> Result<Response, WebError> {
    let input = CreditInput {
        method: form.method.clone(),
        date: form.date.clone(),
        hours: form.hours.clone(),
        provider: form.provider.clone(),
        title: form.title.clone(),
    };
    match state
        .ready_app()?
        .add_renewal_credit(&session.actor, &number, &input, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/portal/credentials/{number}/renewal?done=added")).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut data = renewal_page(&state, ctx, &session.actor, &meta, &number).await?;
            data.form = form;
            data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(error) => Err(error.into()),
    }
}

async fn remove_credit(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path((number, id)): Path<(String, String)>,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    state
        .ready_app()?
        .remove_renewal_credit(&session.actor, &number, &id, &meta)
        .await?;
    Ok(Redirect::to(&format!("/portal/credentials/{number}/renewal?done=removed")).into_response())
}

async fn submit(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(number): Path<String>,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    match state.ready_app()?.submit_renewal(&session.actor, &number, &meta).await {
        Ok(RenewalOutcome::Approved { valid_until }) => Ok(Redirect::to(&format!(
            "/portal/credentials/{number}/renewal?done=approved&until={valid_until}"
        ))
        .into_response()),
        Ok(RenewalOutcome::Audit) => {
            Ok(Redirect::to(&format!("/portal/credentials/{number}/renewal?done=audit")).into_response())
        }
        Err(AppError::Blocked(missing)) => {
            let mut data = renewal_page(&state, ctx, &session.actor, &meta, &number).await?;
            data.missing = missing;
            Ok(page_with_status(StatusCode::CONFLICT, &data))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- staff -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "credentialing/admin_renewals.html")]
struct AuditPage {
    ctx: PageContext,
    items: Vec<AuditItem>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

impl AuditPage {
    fn hours(&self, centi: &i64) -> String {
        hours(*centi)
    }

    /// A way of earning credits by its name, not its key.
    fn method_name(&self, item: &AuditItem, key: &str) -> String {
        item.methods
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| key.to_owned(), |(_, name)| name.clone())
    }
}

async fn audit_queue(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let items = state.ready_app()?.renewal_audit_queue(&session.actor, &meta).await?;
    let notice = match query.done.as_str() {
        "approved" => Some("Renewal approved; the credential was extended."),
        "returned" => Some("Renewal returned to the holder with your note."),
        _ => None,
    };
    page(&AuditPage {
        ctx,
        items,
        errors: FieldErrors::new(),
        notice,
    })
}

plain_form!(DecideForm { decision, note });

async fn decide(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Posted(form): Posted<DecideForm>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let approve = form.decision == "approve";
    match app
        .decide_audited_renewal(&session.actor, &id, approve, &form.note, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(if approve {
            "/admin/renewals?done=approved"
        } else {
            "/admin/renewals?done=returned"
        })
        .into_response()),
        Err(AppError::Validation(errors)) => {
            let items = app.renewal_audit_queue(&session.actor, &meta).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &AuditPage {
                    ctx,
                    items,
                    errors,
                    notice: None,
                },
            ))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "credentialing/admin_reminders.html")]
struct RemindersPage {
    ctx: PageContext,
    lines: Vec<ReminderLine>,
    list: ListView,
    kind_filter: String,
    last_round: String,
    every_minutes: u64,
    notice: Option<String>,
}

struct ReminderLine {
    sent: String,
    sent_at: time::OffsetDateTime,
    to: String,
    about: String,
    key: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RemindersQuery {
    #[serde(flatten)]
    list: ListQuery,
    kind: String,
    /// Set after "Run a round now": how many were sent (text, as flattened queries are).
    sent: String,
}

/// The reminder log's sortable columns; by default the latest first.
const REMINDER_COLUMNS: [&str; 2] = ["sent", "to"];

async fn reminders(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Query(query): Query<RemindersQuery>,
) -> Result<Response, WebError> {
    let (rows, last) = state.ready_app()?.reminder_log(&session.actor, &meta).await?;
    let list = ListView::new(
        "/admin/reminders",
        &query.list,
        &REMINDER_COLUMNS,
        true,
        vec![("kind", query.kind.clone())],
    );
    let needle = list.q.to_lowercase();
    let mut lines: Vec<ReminderLine> = rows
        .into_iter()
        .filter(|line| query.kind.is_empty() || line.row.kind == query.kind)
        .map(|line| {
            let about = match line.row.kind.as_str() {
                "expiry" => format!(
                    "Credential ends in {} days or fewer",
                    line.row
                        .reminder_key
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("expiry-")
                ),
                "membership" => "Membership ended".to_owned(),
                other => other.to_owned(),
            };
            ReminderLine {
                sent: when(line.row.sent_at),
                sent_at: line.row.sent_at.get(),
                to: line.recipient,
                about,
                key: line.row.reminder_key,
            }
        })
        .filter(|l| matches(&needle, &[&l.to, &l.about, &l.key]))
        .collect();
    lines.sort_by(|a, b| {
        let order = match list.sort {
            "to" => a.to.to_lowercase().cmp(&b.to.to_lowercase()),
            _ => a.sent_at.cmp(&b.sent_at),
        }
        .then_with(|| a.key.cmp(&b.key));
        if list.descending { order.reverse() } else { order }
    });
    let list = list.with_total(lines.len());
    page(&RemindersPage {
        ctx,
        lines: list.page_of(lines),
        list,
        kind_filter: query.kind,
        last_round: last.unwrap_or_else(|| "not yet".to_owned()),
        every_minutes: app::credentialing::lifecycle::ROUND_EVERY.as_secs() / 60,
        notice: query
            .sent
            .parse::<usize>()
            .ok()
            .map(|n| format!("Round run now: {n} reminder(s) sent.")),
    })
}

async fn run_reminders(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(_): Posted<TokenOnly>,
) -> Result<Response, WebError> {
    let sent = state.ready_app()?.run_lifecycle_now(&session.actor, &meta).await?;
    Ok(Redirect::to(&format!("/admin/reminders?sent={sent}")).into_response())
}
