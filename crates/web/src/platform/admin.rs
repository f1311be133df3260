//! Board administration: people and invitations, and the audit log.

use app::AppError;
use app::platform::people::{InvitationView, Invited};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::platform::audit::Outcome;
use domain::{FieldErrors, Role};
use serde::Deserialize;
use store::Timestamp;
use store::platform::audit::AuditFilter;
use store::platform::users::{UserFilter, UserSort};

use crate::context::Meta;
use crate::forms::{FormPage, Posted};
use crate::lists::{ListQuery, ListView, PER_PAGE, csv};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/admin/people", get(people))
        .route("/admin/people.csv", get(people_csv))
        .route("/admin/invitations", post(invite))
        .route("/admin/invitations/{id}", get(invitation_page))
        .route("/admin/invitations/{id}/withdraw", post(withdraw_invitation))
        .route(
            "/admin/people/{id}/roles/{role}/remove",
            get(role_removal_page).post(remove_role),
        )
        .route("/admin/audit", get(audit_log))
}

struct PersonRow {
    id: String,
    name: String,
    email: String,
    /// (key, label, whether the viewer may remove it).
    roles: Vec<(&'static str, &'static str, bool)>,
    mfa: bool,
    demo: bool,
    joined: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteInput {
    email: String,
    role: String,
}

#[derive(Template)]
#[template(path = "platform/people.html")]
struct PeoplePage {
    ctx: PageContext,
    people: Vec<PersonRow>,
    list: ListView,
    invitations: Vec<InvitationLine>,
    /// The open invitation a refused second one would have duplicated.
    existing_invitation: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
    /// Every role, for the list's filter.
    all_roles: Vec<(&'static str, &'static str)>,
    role_filter: String,
    form: InviteInput,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PeopleQuery {
    #[serde(flatten)]
    list: ListQuery,
    role: String,
    invited: String,
    done: String,
}

struct InvitationLine {
    id: String,
    email: String,
    role: &'static str,
    invited_by: String,
    expires: String,
    existing_account: bool,
}

fn invitation_line(view: InvitationView) -> InvitationLine {
    InvitationLine {
        id: view.id,
        email: view.email,
        role: view.role.label(),
        invited_by: view.invited_by,
        expires: when(view.expires_at),
        existing_account: view.existing_account,
    }
}

/// The people list's sortable columns (the first is the default, newest first).
const PEOPLE_COLUMNS: [&str; 3] = ["joined", "name", "email"];

fn people_filter(query: &PeopleQuery) -> (ListView, UserFilter) {
    let role = Role::parse(&query.role).ok();
    let list = ListView::new(
        "/admin/people",
        &query.list,
        &PEOPLE_COLUMNS,
        true,
        vec![("role", role.map(|r| r.as_str().to_owned()).unwrap_or_default())],
    );
    let filter = UserFilter {
        text: (!list.q.is_empty()).then(|| list.q.clone()),
        role,
        limit: i64::try_from(PER_PAGE).unwrap_or(50),
        offset: i64::try_from(list.offset()).unwrap_or(0),
        sort: match list.sort {
            "name" => UserSort::Name,
            "email" => UserSort::Email,
            _ => UserSort::Joined,
        },
        descending: list.descending,
    };
    (list, filter)
}

fn person_row(actor: &app::Actor, u: store::platform::users::UserRecord) -> PersonRow {
    PersonRow {
        id: u.id.to_string(),
        roles: u
            .roles
            .iter()
            .map(|r| {
                let removable = app::authz::decide(actor, &app::authz::Permission::RemoveRole { role: Some(*r) })
                    == app::authz::Decision::Allow;
                (r.as_str(), r.label(), removable)
            })
            .collect(),
        mfa: u.mfa_enabled(),
        demo: u.is_demo,
        joined: when(u.created_at),
        name: u.display_name,
        email: u.email.to_string(),
    }
}

async fn load_people(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    query: &PeopleQuery,
) -> Result<PeoplePage, WebError> {
    let app = state.ready_app()?;
    let (list, mut filter) = people_filter(query);
    let (mut users, total) = app.list_people(actor, &filter, meta).await?;
    let list = list.with_total(usize::try_from(total).unwrap_or(0));
    // A page past the end (a stale link) shows the last page instead.
    let offset = i64::try_from(list.offset()).unwrap_or(0);
    if offset != filter.offset {
        filter.offset = offset;
        users = app.list_people(actor, &filter, meta).await?.0;
    }
    let people = users.into_iter().map(|u| person_row(actor, u)).collect();
    let invitations = app
        .open_invitations(actor, meta)
        .await?
        .into_iter()
        .map(invitation_line)
        .collect();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| {
            app::authz::decide(actor, &app::authz::Permission::InvitePerson { role: Some(*r) })
                == app::authz::Decision::Allow
        })
        .map(|r| (r.as_str(), r.label()))
        .collect();
    Ok(PeoplePage {
        ctx,
        people,
        list,
        invitations,
        existing_invitation: None,
        roles,
        all_roles: Role::ALL.into_iter().map(|r| (r.as_str(), r.label())).collect(),
        role_filter: query.role.clone(),
        form: InviteInput::default(),
        errors: FieldErrors::new(),
        notice: None,
    })
}

async fn people(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, WebError> {
    let mut page_data = load_people(&state, ctx, &session.actor, &meta, &query).await?;
    page_data.notice = match (query.invited.as_str(), query.done.as_str()) {
        ("link", _) => Some("Invitation sent.".into()),
        ("offered", _) => Some(
            "That address already has an account: the person was sent a link to confirm the new role. Nothing changes on their account until they do."
                .into(),
        ),
        (_, "withdrawn") => Some("Invitation withdrawn. Its link now says so.".into()),
        (_, "role_removed") => Some("Role removed. The person's sessions were ended and they were told by e-mail.".into()),
        _ => None,
    };
    page(&page_data)
}

/// Everyone the people list's view selects, as CSV (every page).
async fn people_csv(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    let (_, mut filter) = people_filter(&query);
    filter.limit = 500;
    filter.offset = 0;
    let mut rows = Vec::new();
    loop {
        let (users, total) = app.list_people(&session.actor, &filter, &meta).await?;
        let read = users.len();
        rows.extend(users.into_iter().map(|u| person_row(&session.actor, u)).map(|p| {
            vec![
                p.name,
                p.email,
                p.roles
                    .iter()
                    .map(|(_, label, _)| *label)
                    .collect::<Vec<_>>()
                    .join("; "),
                if p.mfa { "on" } else { "off" }.to_owned(),
                p.joined,
            ]
        }));
        filter.offset += 500;
        if read == 0 || filter.offset >= total {
            break;
        }
    }
    let body = csv(&["Name", "E-mail", "Roles", "Two-factor", "Joined"], rows);
    Ok(crate::lists::csv_download("people.csv", body))
}

impl FormPage for InviteInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn invite(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Posted(input): Posted<InviteInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .invite(&session.actor, &input.email, &input.role, &meta)
        .await
    {
        Ok(Invited::LinkSent) => Ok(Redirect::to("/admin/people?invited=link").into_response()),
        Ok(Invited::RoleOffered) => Ok(Redirect::to("/admin/people?invited=offered").into_response()),
        Err(AppError::Validation(errors)) => {
            let app = state.ready_app()?;
            let mut page_data = load_people(&state, ctx, &session.actor, &meta, &PeopleQuery::default()).await?;
            page_data.existing_invitation = app
                .open_invitation_to(&session.actor, &input.email, &meta)
                .await?
                .map(|invitation| invitation.id);
            page_data.form = input;
            page_data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(other) => Err(other.into()),
    }
}

// ---- one invitation: look at it, withdraw it ------------------------------------------------

#[derive(Template)]
#[template(path = "platform/invitation_admin.html")]
struct InvitationAdminPage {
    ctx: PageContext,
    invitation: InvitationLine,
    sent: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmInput {
    confirm: String,
}

impl FormPage for ConfirmInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn invitation_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = state.ready_app()?.open_invitation(&session.actor, &id, &meta).await?;
    page(&InvitationAdminPage {
        ctx,
        sent: when(view.sent_at),
        invitation: invitation_line(view),
        errors: FieldErrors::new(),
    })
}

async fn withdraw_invitation(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Posted(input): Posted<ConfirmInput>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    match app
        .withdraw_invitation(&session.actor, &id, input.confirm == "yes", &meta)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/people?done=withdrawn").into_response()),
        Err(AppError::Validation(errors)) => {
            let view = app.open_invitation(&session.actor, &id, &meta).await?;
            let data = InvitationAdminPage {
                ctx,
                sent: when(view.sent_at),
                invitation: invitation_line(view),
                errors,
            };
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &data))
        }
        Err(AppError::Refused(reason)) => Ok(page_with_status(
            StatusCode::CONFLICT,
            &crate::platform::home::MessagePage::new(ctx, "Not withdrawn", &[&reason], &[("People", "/admin/people")]),
        )),
        Err(other) => Err(other.into()),
    }
}

// ---- removing a role ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "platform/role_remove.html")]
struct RoleRemovePage {
    ctx: PageContext,
    person_id: String,
    name: String,
    email: String,
    role_key: &'static str,
    role: &'static str,
    /// The person keeps these roles.
    others: Vec<&'static str>,
    errors: FieldErrors,
    problem: Option<String>,
}

fn role_remove_page(
    ctx: PageContext,
    user: &store::platform::users::UserRecord,
    role: Role,
    errors: FieldErrors,
) -> RoleRemovePage {
    RoleRemovePage {
        ctx,
        person_id: user.id.to_string(),
        name: user.display_name.clone(),
        email: user.email.to_string(),
        role_key: role.as_str(),
        role: role.label(),
        others: user.roles.iter().filter(|r| **r != role).map(|r| r.label()).collect(),
        errors,
        problem: None,
    }
}

async fn role_removal_page(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path((id, role)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (user, role) = state
        .ready_app()?
        .role_removal(&session.actor, &id, &role, &meta)
        .await?;
    page(&role_remove_page(ctx, &user, role, FieldErrors::new()))
}

async fn remove_role(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Path((id, role)): Path<(String, String)>,
    Posted(input): Posted<ConfirmInput>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    match app
        .remove_role(&session.actor, &id, &role, input.confirm == "yes", &meta)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/people?done=role_removed").into_response()),
        Err(AppError::Validation(errors)) => {
            let (user, role) = app.role_removal(&session.actor, &id, &role, &meta).await?;
            Ok(page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &role_remove_page(ctx, &user, role, errors),
            ))
        }
        Err(AppError::Refused(reason)) => {
            let (user, role) = app.role_removal(&session.actor, &id, &role, &meta).await?;
            let mut data = role_remove_page(ctx, &user, role, FieldErrors::new());
            data.problem = Some(reason);
            Ok(page_with_status(StatusCode::CONFLICT, &data))
        }
        Err(other) => Err(other.into()),
    }
}

// ---- audit log -----------------------------------------------------------------------------

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AuditQuery {
    actor: String,
    action: String,
    outcome: String,
    from: String,
    until: String,
    page: String,
}

struct EventRow {
    seq: i64,
    at: String,
    who: String,
    action: String,
    outcome: &'static str,
    subject: String,
    address: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "platform/audit.html")]
struct AuditPage {
    ctx: PageContext,
    filter: AuditQuery,
    events: Vec<EventRow>,
    total: i64,
    page_number: i64,
    page_count: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
    problem: Option<String>,
}

fn parse_date(text: &str) -> Result<Option<time::Date>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), format)
        .map(Some)
        .map_err(|_| format!("\"{text}\" is not a date like 2026-11-24."))
}

async fn audit_log(
    State(state): State<ServerState>,
    ctx: PageContext,
    Meta(meta): Meta,
    SignedIn(session): SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let page_number = query.page.parse::<i64>().unwrap_or(1).clamp(1, 1_000_000);
    let mut problem = None;
    let from = parse_date(&query.from).unwrap_or_else(|e| {
        problem = Some(e);
        None
    });
    let until = parse_date(&query.until).unwrap_or_else(|e| {
        problem = Some(e);
        None
    });
    if let (Some(first), Some(last)) = (from, until)
        && first > last
    {
        // Reversed, the range holds no day at all: say so rather than list nothing.
        problem = Some(format!(
            "The first day, {first}, is after the last, {last}: swap them to see the events between."
        ));
    }
    let filter = AuditFilter {
        actor_email: Some(query.actor.trim().to_owned()).filter(|s| !s.is_empty()),
        action_prefix: Some(query.action.trim().to_owned()).filter(|s| !s.is_empty()),
        outcome: Outcome::parse(&query.outcome),
        subject_id: None,
        from: from.map(|d| Timestamp::new(d.midnight().assume_utc())),
        until: until
            .and_then(|d| d.next_day())
            .map(|d| Timestamp::new(d.midnight().assume_utc())),
        limit: PAGE_SIZE,
        offset: (page_number - 1) * PAGE_SIZE,
    };
    let (items, total) = state.ready_app()?.audit_log(&session.actor, &filter, &meta).await?;
    let events = items
        .into_iter()
        .map(|item| {
            let e = item.record.entry;
            EventRow {
                seq: item.record.seq,
                at: when(Timestamp::new(item.record.at)),
                who: item.actor_email.or(e.actor_id).unwrap_or_else(|| "anonymous".into()),
                action: e.action,
                outcome: e.outcome.as_str(),
                subject: match (e.subject_type, e.subject_id) {
                    (Some(kind), Some(id)) => format!("{kind} {id}"),
                    _ => String::new(),
                },
                address: e.client_addr.unwrap_or_default(),
                detail: e.detail.unwrap_or_default(),
            }
        })
        .collect();
    let page_count = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let link = |n: i64| {
        let mut q = query.clone();
        q.page = n.to_string();
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string([
                ("actor", q.actor.as_str()),
                ("action", q.action.as_str()),
                ("outcome", q.outcome.as_str()),
                ("from", q.from.as_str()),
                ("until", q.until.as_str()),
                ("page", q.page.as_str()),
            ])
            .unwrap_or_default()
        )
    };
    let prev_link = (page_number > 1).then(|| link(page_number - 1));
    let next_link = (page_number < page_count).then(|| link(page_number + 1));
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page_data = AuditPage {
        ctx,
        filter: query,
        events,
        total,
        page_number,
        page_count,
        prev_link,
        next_link,
        problem,
    };
    if status == StatusCode::OK {
        page(&page_data)
    } else {
        Ok(page_with_status(status, &page_data))
    }
}
