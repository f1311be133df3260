//! The candidate's portal: choosing a credential, the records that prove eligibility
//! (memberships, the ethics attestation, degrees, licenses, insurance), the hour logs, and the
//! live progress page.
//!
//! Every record section is the same shape (a table of what is on file and a form to add one),
//! so one template renders them all from a [`Section`] description.

use std::collections::BTreeMap;

use app::AppError;
use app::credentialing::applications::ApplicationState;
use app::credentialing::evidence::{DegreeInput, HourInput, InsuranceInput, LicenseInput, MembershipInput};
use app::credentialing::progress::ProgressReport;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::FieldErrors;
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{BoardLists, DegreeLevel, LogKind, Rule, VERSION_RULE};
use domain::credentialing::requirement::{Progress, Status};
use serde::Deserialize;
use store::credentialing::evidence::EvidenceTable;

use crate::context::Meta;
use crate::forms::{FormPage, Posted};
use crate::page::{PageContext, SignedIn, page, page_with_status};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/portal", get(portal))
        .route("/portal/programs", post(choose_program))
        .route("/portal/ethics", get(ethics).post(attest))
        .route("/portal/progress/{code}", get(progress))
        .route("/portal/{section}", get(section).post(add_to_section))
        .route("/portal/{section}/{id}/remove", post(remove_from_section))
}

/// The record sections, by the last part of their URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Memberships,
    Degrees,
    Licenses,
    Insurance,
    Hours(LogKind),
}

impl SectionKind {
    fn parse(slug: &str) -> Option<SectionKind> {
        Some(match slug {
            "memberships" => SectionKind::Memberships,
            "degrees" => SectionKind::Degrees,
            "licenses" => SectionKind::Licenses,
            "insurance" => SectionKind::Insurance,
            "core-knowledge" => SectionKind::Hours(LogKind::CoreKnowledge),
            "training" => SectionKind::Hours(LogKind::Training),
            "sar" => SectionKind::Hours(LogKind::Sar),
            "clinical" => SectionKind::Hours(LogKind::Clinical),
            "counseling" => SectionKind::Hours(LogKind::Counseling),
            "teaching" => SectionKind::Hours(LogKind::Teaching),
            _ => return None,
        })
    }

    fn slug(self) -> &'static str {
        match self {
            SectionKind::Memberships => "memberships",
            SectionKind::Degrees => "degrees",
            SectionKind::Licenses => "licenses",
            SectionKind::Insurance => "insurance",
            SectionKind::Hours(LogKind::CoreKnowledge) => "core-knowledge",
            SectionKind::Hours(LogKind::Training) => "training",
            SectionKind::Hours(LogKind::Sar) => "sar",
            SectionKind::Hours(LogKind::Clinical) => "clinical",
            SectionKind::Hours(LogKind::Counseling) => "counseling",
            SectionKind::Hours(LogKind::Teaching) => "teaching",
        }
    }

    fn title(self) -> &'static str {
        match self {
            SectionKind::Memberships => "Membership",
            SectionKind::Degrees => "Degrees",
            SectionKind::Licenses => "Licenses",
            SectionKind::Insurance => "Liability insurance",
            SectionKind::Hours(LogKind::CoreKnowledge) => "Core knowledge courses",
            SectionKind::Hours(LogKind::Training) => "Sex-therapy training",
            SectionKind::Hours(LogKind::Sar) => "Sexual Attitude Reassessment (SAR)",
            SectionKind::Hours(LogKind::Clinical) => "Clinical hours",
            SectionKind::Hours(LogKind::Counseling) => "Counseling hours",
            SectionKind::Hours(LogKind::Teaching) => "Teaching hours",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            SectionKind::Memberships => {
                "Your membership must be valid when you apply and, for most credentials, without a gap from the start of supervision."
            }
            SectionKind::Degrees => "Record each relevant degree. Attach the transcript so the board can verify it.",
            SectionKind::Licenses => {
                "Record your license to practise. Hours you log only count on days your license was valid."
            }
            SectionKind::Insurance => "Record your professional liability insurance and attach its face sheet.",
            SectionKind::Hours(LogKind::CoreKnowledge) => {
                "Courses in the core knowledge areas. Divide each course's hours across the areas it covered."
            }
            SectionKind::Hours(LogKind::Training) => {
                "Training in sex therapy. Divide each entry's hours across the disciplines it covered."
            }
            SectionKind::Hours(LogKind::Sar) => "Sexual Attitude Reassessment seminars.",
            SectionKind::Hours(LogKind::Clinical) => {
                "Clinical work with clients' sexual concerns, one entry per day. Never enter a client's name or any detail that identifies a client."
            }
            SectionKind::Hours(LogKind::Counseling) => {
                "Sexuality counseling, one entry per day. Never enter a client's name or any detail that identifies a client."
            }
            SectionKind::Hours(LogKind::Teaching) => "Sexuality teaching you delivered, one entry per day.",
        }
    }

    fn table(self) -> EvidenceTable {
        match self {
            SectionKind::Memberships => EvidenceTable::Memberships,
            SectionKind::Degrees => EvidenceTable::Degrees,
            SectionKind::Licenses => EvidenceTable::Licenses,
            SectionKind::Insurance => EvidenceTable::Insurance,
            SectionKind::Hours(_) => EvidenceTable::Hours,
        }
    }
}

const SECTIONS: [SectionKind; 10] = [
    SectionKind::Memberships,
    SectionKind::Degrees,
    SectionKind::Licenses,
    SectionKind::Insurance,
    SectionKind::Hours(LogKind::CoreKnowledge),
    SectionKind::Hours(LogKind::Training),
    SectionKind::Hours(LogKind::Sar),
    SectionKind::Hours(LogKind::Clinical),
    SectionKind::Hours(LogKind::Counseling),
    SectionKind::Hours(LogKind::Teaching),
];

/// One input of a section's form.
struct FormField {
    name: String,
    label: String,
    /// `text`, `date`, `hours` (a decimal number) or `select`.
    kind: &'static str,
    options: Vec<(String, String)>,
    value: String,
    hint: String,
}

impl FormField {
    fn new(name: &str, label: &str, kind: &'static str) -> FormField {
        FormField {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
            options: Vec::new(),
            value: String::new(),
            hint: String::new(),
        }
    }
    fn options(mut self, options: Vec<(String, String)>) -> FormField {
        self.options = options;
        self
    }
    fn hint(mut self, hint: &str) -> FormField {
        self.hint = hint.to_owned();
        self
    }
}

/// A group of inputs with an optional legend (the split of hours across areas).
struct FieldGroup {
    legend: String,
    hint: String,
    /// The error key for the group as a whole (`split`).
    error_key: String,
    fields: Vec<FormField>,
}

struct Row {
    id: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "credentialing/portal_section.html")]
struct SectionPage {
    ctx: PageContext,
    slug: &'static str,
    title: &'static str,
    intro: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Row>,
    total: Option<String>,
    groups: Vec<FieldGroup>,
    errors: FieldErrors,
    notice: Option<String>,
    /// Why hours just added do not count, told with the "Added." notice.
    warnings: Vec<String>,
    /// For records that take a document: its kind and the `attach_to` prefix.
    attach_kind: &'static str,
    attach_prefix: String,
}

fn list_options(items: &[domain::credentialing::programs::ListItem], prompt: &str) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), prompt.to_owned())];
    options.extend(items.iter().map(|item| (item.key.clone(), item.name.clone())));
    options
}

fn yes_no() -> Vec<(String, String)> {
    vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())]
}

/// The form's inputs for a section, filled with `values` (what was typed, after a refusal).
fn form_groups(kind: SectionKind, lists: &BoardLists, values: &BTreeMap<String, String>) -> Vec<FieldGroup> {
    let mut main = match kind {
        SectionKind::Memberships => vec![
            FormField::new("kind", "Membership type", "select")
                .options(list_options(&lists.membership_types, "Choose a type")),
            FormField::new("valid_from", "Valid from", "date"),
            FormField::new("valid_until", "Valid until", "date").hint("Leave empty if it does not expire."),
        ],
        SectionKind::Degrees => vec![
            FormField::new("level", "Level", "select").options({
                let mut options = vec![(String::new(), "Choose a level".to_owned())];
                options.extend(
                    DegreeLevel::ALL
                        .iter()
                        .map(|level| (level.as_str().to_owned(), level.label().to_owned())),
                );
                options
            }),
            FormField::new("field", "Field of study", "text"),
            FormField::new("institution", "Institution", "text"),
            FormField::new("accredited", "Accredited school or board-approved program?", "select").options(yes_no()),
            FormField::new("awarded_on", "Date awarded", "date"),
        ],
        SectionKind::Licenses => vec![
            FormField::new("profession", "Profession", "select")
                .options(list_options(&lists.professions, "Choose a profession")),
            FormField::new("jurisdiction", "Jurisdiction", "text")
                .hint("The state, province or country that issued it."),
            FormField::new("number", "License number", "text"),
            FormField::new("valid_from", "Valid from", "date"),
            FormField::new("valid_until", "Valid until", "date").hint("The expiry date on the license."),
        ],
        SectionKind::Insurance => vec![
            FormField::new("carrier", "Carrier", "text"),
            FormField::new("policy_number", "Policy number", "text"),
            FormField::new("valid_from", "Cover starts", "date"),
            FormField::new("valid_until", "Cover ends", "date"),
        ],
        SectionKind::Hours(log) => {
            let (provider, title) = log.text_labels();
            vec![
                FormField::new("date", "Date", "date"),
                FormField::new("hours", "Hours", "hours").hint("Such as 1.5 for an hour and a half."),
                FormField::new("mode", "Delivery", "select").options(list_options(&lists.delivery_modes, "Choose how it was delivered")),
                FormField::new("provider", provider, "text"),
                FormField::new("title", title, "text").hint(if matches!(log, LogKind::Clinical | LogKind::Counseling) {
                    "For example \"individual therapy\" or \"couples therapy\". No client names or identifying details."
                } else {
                    ""
                }),
            ]
        }
    };
    for field in &mut main {
        field.value = values.get(&field.name).cloned().unwrap_or_default();
    }
    let mut groups = vec![FieldGroup {
        legend: String::new(),
        hint: String::new(),
        error_key: String::new(),
        fields: main,
    }];
    if let SectionKind::Hours(log) = kind
        && let Some(list) = log.split_list()
    {
        let fields = lists
            .split_items(list)
            .iter()
            .map(|item| {
                let name = format!("split.{}", item.key);
                let mut field = FormField::new(&name, &item.name, "hours");
                field.value = values.get(&name).cloned().unwrap_or_default();
                field
            })
            .collect();
        let what = if log == LogKind::CoreKnowledge {
            "core areas"
        } else {
            "disciplines"
        };
        groups.push(FieldGroup {
            legend: format!("Hours by {what}"),
            hint: format!(
                "Enter the hours spent on each of the {what} this entry covered; they must add up to the entry's hours."
            ),
            error_key: "split".to_owned(),
            fields,
        });
    }
    groups
}

fn hours_text(centi: i64) -> String {
    Hours::from_centi(u32::try_from(centi).unwrap_or(0)).to_string()
}

fn until_text(until: &Option<String>) -> String {
    until.clone().unwrap_or_else(|| "no end date".to_owned())
}

async fn section_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    kind: SectionKind,
    values: &BTreeMap<String, String>,
) -> Result<SectionPage, WebError> {
    let app = state.ready_app()?;
    // Sections are where candidates keep their file: only they may open one.
    app.authorize(actor, app::authz::Permission::ManageOwnEvidence, meta)
        .await?;
    let file = app.evidence_file(actor, &actor.user_id, meta).await?;
    let lists = app.board_lists().await?;
    let attached = |document: &Option<String>| if document.is_some() { "attached" } else { "not yet" }.to_owned();
    let (headers, rows, total): (Vec<&'static str>, Vec<Row>, Option<String>) = match kind {
        SectionKind::Memberships => (
            vec!["Type", "Valid from", "Valid until"],
            file.memberships
                .into_iter()
                .map(|r| Row {
                    cells: vec![
                        lists.membership_type_name(&r.kind).to_owned(),
                        r.valid_from.clone(),
                        until_text(&r.valid_until),
                    ],
                    id: r.id,
                })
                .collect(),
            None,
        ),
        SectionKind::Degrees => (
            vec!["Level", "Field", "Institution", "Accredited", "Awarded", "Transcript"],
            file.degrees
                .into_iter()
                .map(|r| Row {
                    cells: vec![
                        DegreeLevel::parse(&r.level).map_or(r.level.clone(), |l| l.label().to_owned()),
                        r.field.clone(),
                        r.institution.clone(),
                        if r.accredited { "yes" } else { "no" }.to_owned(),
                        r.awarded_on.clone(),
                        attached(&r.document_id),
                    ],
                    id: r.id,
                })
                .collect(),
            None,
        ),
        SectionKind::Licenses => (
            vec![
                "Profession",
                "Jurisdiction",
                "Number",
                "Valid from",
                "Valid until",
                "Copy",
            ],
            file.licenses
                .into_iter()
                .map(|r| Row {
                    cells: vec![
                        lists.profession_name(&r.profession).to_owned(),
                        r.jurisdiction.clone(),
                        r.number.clone(),
                        r.valid_from.clone(),
                        until_text(&r.valid_until),
                        attached(&r.document_id),
                    ],
                    id: r.id,
                })
                .collect(),
            None,
        ),
        SectionKind::Insurance => (
            vec!["Carrier", "Policy", "Cover starts", "Cover ends", "Face sheet"],
            file.insurance
                .into_iter()
                .map(|r| Row {
                    cells: vec![
                        r.carrier.clone(),
                        r.policy_number.clone(),
                        r.valid_from.clone(),
                        until_text(&r.valid_until),
                        attached(&r.document_id),
                    ],
                    id: r.id,
                })
                .collect(),
            None,
        ),
        SectionKind::Hours(log) => {
            let entries: Vec<_> = file.hours.into_iter().filter(|r| r.log == log.as_str()).collect();
            let total: i64 = entries.iter().map(|r| r.hours_centi).sum();
            let split_list = log.split_list();
            let (provider, title) = log.text_labels();
            let mut headers = vec!["Date", "Hours", "Delivery", provider, title];
            if split_list.is_some() {
                headers.push("Split");
            }
            let rows = entries
                .into_iter()
                .map(|r| {
                    let mut cells = vec![
                        r.entry_date.clone(),
                        hours_text(r.hours_centi),
                        lists.mode_name(&r.mode).to_owned(),
                        r.provider.clone(),
                        r.title.clone(),
                    ];
                    if let Some(list) = split_list {
                        let split: Vec<(String, i64)> = serde_json::from_str(&r.split).unwrap_or_default();
                        cells.push(
                            split
                                .iter()
                                .map(|(key, centi)| format!("{}: {}", lists.item_name(list, key), hours_text(*centi)))
                                .collect::<Vec<_>>()
                                .join("; "),
                        );
                    }
                    Row { id: r.id, cells }
                })
                .collect();
            (headers, rows, Some(hours_text(total)))
        }
    };
    Ok(SectionPage {
        ctx,
        slug: kind.slug(),
        title: kind.title(),
        intro: kind.intro(),
        headers,
        rows,
        total,
        groups: form_groups(kind, &lists, values),
        errors: FieldErrors::new(),
        notice: None,
        warnings: Vec::new(),
        attach_kind: app::credentialing::documents::kind_for(kind.table()).unwrap_or(""),
        attach_prefix: app::credentialing::documents::attach_value(kind.table(), "")
            .map(|value| value.trim_end_matches(':').to_owned())
            .unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    added: String,
    removed: String,
    /// The hour entry just added, to say at once whether it counts.
    entry: String,
}

async fn section(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(slug): Path<String>,
    axum::extract::Query(query): axum::extract::Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let kind = SectionKind::parse(&slug).ok_or(WebError::App(AppError::NotFound))?;
    let mut page_data = section_page(&state, ctx, &session.actor, &meta, kind, &BTreeMap::new()).await?;
    if !query.added.is_empty() {
        page_data.notice = Some("Added.".to_owned());
        if matches!(kind, SectionKind::Hours(_)) && !query.entry.is_empty() {
            page_data.warnings = state
                .ready_app()?
                .hours_entry_warnings(&session.actor, &query.entry, &meta)
                .await?;
        }
    } else if !query.removed.is_empty() {
        page_data.notice = Some("Removed.".to_owned());
    }
    page(&page_data)
}

/// Any section's form, as typed.
#[derive(Deserialize, Default)]
#[serde(transparent)]
struct SectionInput(BTreeMap<String, String>);

impl FormPage for SectionInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

fn value(values: &BTreeMap<String, String>, key: &str) -> String {
    values.get(key).cloned().unwrap_or_default()
}

async fn add_to_section(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(slug): Path<String>,
    Posted(SectionInput(values)): Posted<SectionInput>,
) -> Result<Response, WebError> {
    let kind = SectionKind::parse(&slug).ok_or(WebError::App(AppError::NotFound))?;
    let app = state.ready_app()?;
    let actor = &session.actor;
    let v = |key: &str| value(&values, key);
    // The id of an hour entry, so the page can say at once whether it counts.
    let result: Result<Option<String>, AppError> = match kind {
        SectionKind::Memberships => app
            .add_membership(
                actor,
                &MembershipInput {
                    kind: v("kind"),
                    valid_from: v("valid_from"),
                    valid_until: v("valid_until"),
                },
                &meta,
            )
            .await
            .map(|()| None),
        SectionKind::Degrees => {
            let input = DegreeInput {
                level: v("level"),
                field: v("field"),
                institution: v("institution"),
                accredited: v("accredited"),
                awarded_on: v("awarded_on"),
            };
            app.add_degree(actor, &input, &meta).await.map(|()| None)
        }
        SectionKind::Licenses => {
            let input = LicenseInput {
                profession: v("profession"),
                jurisdiction: v("jurisdiction"),
                number: v("number"),
                valid_from: v("valid_from"),
                valid_until: v("valid_until"),
            };
            app.add_license(actor, &input, &meta).await.map(|()| None)
        }
        SectionKind::Insurance => {
            let input = InsuranceInput {
                carrier: v("carrier"),
                policy_number: v("policy_number"),
                valid_from: v("valid_from"),
                valid_until: v("valid_until"),
            };
            app.add_insurance(actor, &input, &meta).await.map(|()| None)
        }
        SectionKind::Hours(log) => {
            let split = values
                .iter()
                .filter_map(|(key, text)| key.strip_prefix("split.").map(|item| (item.to_owned(), text.clone())))
                .collect();
            let input = HourInput {
                log: log.as_str().to_owned(),
                date: v("date"),
                hours: v("hours"),
                mode: v("mode"),
                provider: v("provider"),
                title: v("title"),
                split,
            };
            app.log_hours(actor, &input, &meta).await.map(Some)
        }
    };
    match result {
        Ok(None) => Ok(Redirect::to(&format!("/portal/{}?added=1", kind.slug())).into_response()),
        Ok(Some(entry)) => Ok(Redirect::to(&format!("/portal/{}?added=1&entry={entry}", kind.slug())).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page_data = section_page(&state, ctx, actor, &meta, kind, &values).await?;
            page_data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(error) => Err(error.into()),
    }
}

async fn remove_from_section(
    State(state): State<ServerState>,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path((slug, id)): Path<(String, String)>,
    Posted(_): Posted<crate::forms::TokenOnly>,
) -> Result<Response, WebError> {
    let kind = SectionKind::parse(&slug).ok_or(WebError::App(AppError::NotFound))?;
    state
        .ready_app()?
        .remove_evidence(&session.actor, kind.table(), &id, &meta)
        .await?;
    Ok(Redirect::to(&format!("/portal/{}?removed=1", kind.slug())).into_response())
}

// ---- the portal's home and the ethics attestation ---------------------------------------------

struct PursuitCard {
    code: String,
    name: String,
    version: String,
    met: usize,
    total: usize,
    complete: bool,
}

struct SectionLink {
    slug: &'static str,
    title: &'static str,
    count: usize,
}

#[derive(Template)]
#[template(path = "credentialing/portal.html")]
struct PortalPage {
    ctx: PageContext,
    pursuits: Vec<PursuitCard>,
    choices: Vec<(String, String)>,
    sections: Vec<SectionLink>,
    attested_on: Option<String>,
    errors: FieldErrors,
    prompts: Vec<app::credentialing::renewals::RenewalPrompt>,
    /// The credentials the person holds, by name (a certified professional's file).
    held: Vec<String>,
}

async fn portal_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
) -> Result<PortalPage, WebError> {
    let app = state.ready_app()?;
    app.authorize(actor, app::authz::Permission::ManageOwnEvidence, meta)
        .await?;
    let file = app.evidence_file(actor, &actor.user_id, meta).await?;
    let codes = file.pursuits.clone();
    let mut pursuits = Vec::new();
    for code in &codes {
        let report = app.progress(actor, &actor.user_id, code, meta).await?;
        pursuits.push(PursuitCard {
            code: code.clone(),
            name: report.program.name.clone(),
            version: report.program.version.clone(),
            met: report.assessment.met_count(),
            total: report.assessment.results.len(),
            complete: report.assessment.complete(),
        });
    }
    let choices = app
        .programs()
        .await?
        .into_iter()
        .filter(|program| !codes.iter().any(|code| code == program.code.as_str()))
        .map(|program| (program.code.to_string(), program.name))
        .collect();
    let mut sections = Vec::new();
    for kind in SECTIONS {
        let count = match kind {
            SectionKind::Memberships => file.memberships.len(),
            SectionKind::Degrees => file.degrees.len(),
            SectionKind::Licenses => file.licenses.len(),
            SectionKind::Insurance => file.insurance.len(),
            SectionKind::Hours(log) => file.hours.iter().filter(|row| row.log == log.as_str()).count(),
        };
        sections.push(SectionLink {
            slug: kind.slug(),
            title: kind.title(),
            count,
        });
    }
    let attested_on = file.attested_on.clone();
    let prompts = app.renewal_prompts(actor, meta).await?;
    let mut held: Vec<String> = app
        .store()
        .issued_credentials_of(actor.user_id.as_str())
        .await
        .map_err(app::AppError::from)?
        .into_iter()
        .map(|c| c.number)
        .collect();
    held.sort();
    Ok(PortalPage {
        ctx,
        pursuits,
        choices,
        sections,
        attested_on,
        errors: FieldErrors::new(),
        prompts,
        held,
    })
}

async fn portal(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
) -> Result<Response, WebError> {
    page(&portal_page(&state, ctx, &session.actor, &meta).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChooseInput {
    program: String,
}

impl FormPage for ChooseInput {
    fn rerender(self, _: PageContext, _: FieldErrors) -> Response {
        WebError::Csrf.into_response()
    }
}

async fn choose_program(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(input): Posted<ChooseInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .choose_program(&session.actor, &input.program, &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/portal/progress/{}", input.program)).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page_data = portal_page(&state, ctx, &session.actor, &meta).await?;
            page_data.errors = errors;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "credentialing/portal_ethics.html")]
struct EthicsPage {
    ctx: PageContext,
    statement: &'static str,
    attested_on: Option<String>,
    errors: FieldErrors,
}

async fn ethics(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    app.authorize(&session.actor, app::authz::Permission::ManageOwnEvidence, &meta)
        .await?;
    let attested_on = app
        .evidence_file(&session.actor, &session.actor.user_id, &meta)
        .await?
        .attested_on;
    page(&EthicsPage {
        ctx,
        statement: app::credentialing::evidence::ETHICS_STATEMENT,
        attested_on,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AttestInput {
    agree: String,
}

impl FormPage for AttestInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EthicsPage {
                ctx,
                statement: app::credentialing::evidence::ETHICS_STATEMENT,
                attested_on: None,
                errors,
            },
        )
    }
}

async fn attest(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Posted(input): Posted<AttestInput>,
) -> Result<Response, WebError> {
    match state
        .ready_app()?
        .attest_ethics(&session.actor, input.agree == "yes", &meta)
        .await
    {
        Ok(()) => Ok(Redirect::to("/portal").into_response()),
        Err(AppError::Validation(errors)) => Ok(input.rerender(ctx, errors)),
        Err(error) => Err(error.into()),
    }
}

// ---- progress -----------------------------------------------------------------------------------

struct RequirementBar {
    key: String,
    title: String,
    status: &'static str,
    status_label: &'static str,
    /// The badge's colour: green when met, amber while waiting for verification, neutral
    /// otherwise (a newcomer's page is a list of things to do, not a wall of red).
    badge: &'static str,
    /// The form that meets the requirement, and what to do there.
    link: Option<(String, String)>,
    /// Whole per cent done, for the bar's width class and its text.
    percent: u32,
    measure: String,
    shortfalls: Vec<String>,
    notices: Vec<String>,
}

#[derive(Template)]
#[template(path = "credentialing/portal_progress.html")]
pub(super) struct ProgressPage {
    ctx: PageContext,
    code: String,
    name: String,
    version: String,
    rules_note: String,
    complete: bool,
    met: usize,
    bars: Vec<RequirementBar>,
    chart: String,
    legend: Vec<(&'static str, &'static str, String)>,
    application: Option<ApplicationPanel>,
    missing: Vec<String>,
    fee: String,
    just_submitted: bool,
    /// The rule that picks the version, in the program page's words.
    version_rule: &'static str,
    /// What to do next: each requirement not met, with the form that meets it.
    next_steps: Vec<NextStep>,
    /// Requirements met once something recorded is verified.
    waiting: Vec<NextStep>,
}

/// One line of "What to do next".
struct NextStep {
    href: String,
    action: String,
    title: String,
    detail: String,
}

/// The form that meets a requirement, and what to do there; `None` where no form of the
/// candidate's does (supervisees are counted from contracts others sign).
fn requirement_link(rule: &Rule) -> Option<(String, String)> {
    let (href, action) = match rule {
        Rule::Membership { .. } => ("/portal/memberships".to_owned(), "Record your membership".to_owned()),
        Rule::Attestation => (
            "/portal/ethics".to_owned(),
            "Sign the code of ethics attestation".to_owned(),
        ),
        Rule::Degree { .. } => ("/portal/degrees".to_owned(), "Record your degree".to_owned()),
        Rule::License { .. } => ("/portal/licenses".to_owned(), "Record your license".to_owned()),
        Rule::Insurance => ("/portal/insurance".to_owned(), "Record your insurance".to_owned()),
        Rule::Hours(hours) => {
            let what = match hours.log {
                LogKind::CoreKnowledge => "core knowledge courses",
                LogKind::Training => "sex-therapy training",
                LogKind::Sar => "Sexual Attitude Reassessment (SAR)",
                LogKind::Clinical => "clinical hours",
                LogKind::Counseling => "counseling hours",
                LogKind::Teaching => "teaching hours",
            };
            (
                format!("/portal/{}", SectionKind::Hours(hours.log).slug()),
                format!("Log your {what}"),
            )
        }
        Rule::Supervision(_) => (
            "/portal/supervision".to_owned(),
            "Set up supervision and log sessions".to_owned(),
        ),
        Rule::Documents { .. } => ("/portal/documents".to_owned(), "Upload documents".to_owned()),
        Rule::Credential { .. } => ("/portal/credentials".to_owned(), "See your credentials".to_owned()),
        Rule::Supervisees { .. } => return None,
    };
    Some((href, action))
}

/// "What to do next" and "waiting for verification", in the program's order.
fn next_steps(report: &ProgressReport) -> (Vec<NextStep>, Vec<NextStep>) {
    let mut to_do = Vec::new();
    let mut waiting = Vec::new();
    for result in report.assessment.open() {
        let Some((href, action)) = report
            .program
            .requirement(&result.key)
            .and_then(|requirement| requirement_link(&requirement.rule))
        else {
            continue;
        };
        let mut detail = result.shortfalls.first().cloned().unwrap_or_default();
        if result.shortfalls.len() > 1 {
            detail.push_str(&format!(" (and {} more below)", result.shortfalls.len() - 1));
        }
        let step = NextStep {
            href,
            action,
            title: result.title.clone(),
            detail,
        };
        if result.status == Status::Pending {
            waiting.push(step);
        } else {
            to_do.push(step);
        }
    }
    (to_do, waiting)
}

fn bars(report: &ProgressReport) -> Vec<RequirementBar> {
    report
        .assessment
        .results
        .iter()
        .map(|result| {
            let measure = match result.progress {
                Progress::Hours {
                    counted,
                    pending,
                    needed,
                } if pending.is_zero() => format!("{counted} of {needed} hours"),
                Progress::Hours {
                    counted,
                    pending,
                    needed,
                } => format!("{counted} of {needed} hours, {pending} more awaiting verification"),
                Progress::Count { have, needed } => format!("{have} of {needed}"),
                Progress::Check { done: true } => "done".to_owned(),
                Progress::Check { done: false } => "not yet".to_owned(),
            };
            let (status_label, badge) = match result.status {
                Status::Met => (result.status.label(), "success"),
                Status::Pending => (result.status.label(), "warning"),
                Status::NotMet if result.progress.fraction() > 0.0 => ("In progress", "neutral"),
                Status::NotMet => ("To do", "neutral"),
            };
            RequirementBar {
                key: result.key.clone(),
                title: result.title.clone(),
                status: result.status.as_str(),
                status_label,
                badge,
                link: report
                    .program
                    .requirement(&result.key)
                    .and_then(|requirement| requirement_link(&requirement.rule)),
                percent: (result.progress.fraction() * 100.0).floor() as u32,
                measure,
                shortfalls: result.shortfalls.clone(),
                notices: result.notices.clone(),
            }
        })
        .collect()
}

/// The application part of the progress page.
struct ApplicationPanel {
    id: String,
    submitted: bool,
    submitted_at: String,
    version: String,
    endorsed_by: Option<String>,
    primary_supervisor: Option<String>,
    fee: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProgressQuery {
    submitted: String,
}

/// The progress page for `code`; `missing` lists what blocked a submission just tried.
pub(super) async fn progress_page(
    state: &ServerState,
    ctx: PageContext,
    actor: &app::Actor,
    meta: &app::RequestMeta,
    code: &str,
    missing: Vec<String>,
) -> Result<ProgressPage, WebError> {
    let app = state.ready_app()?;
    let report = app.progress(actor, &actor.user_id, code, meta).await?;
    // The same words as the program page: whom the version judges.
    let judges = report
        .applies_to
        .map(|days| days.phrase())
        .unwrap_or_else(|| "candidates by the rule below".to_owned());
    let rules_note = match report.rules_fixed_on {
        Some(day) => format!(
            "Rule version {} applies to you: your first supervision contract was signed on {day}, and this version judges {judges}.",
            report.program.version
        ),
        None => format!(
            "Rule version {} is in force today; it judges {judges}. The version that applies to you is fixed when your first supervision contract is signed.",
            report.program.version
        ),
    };
    let (next_steps, waiting) = next_steps(&report);
    let chart = crate::chart::hours_over_time(&report.evidence, &report.program, app.today());
    let met = report
        .assessment
        .results
        .iter()
        .filter(|r| r.status == Status::Met)
        .count();
    let application = app
        .application_for(actor, code, meta)
        .await?
        .map(|view| ApplicationPanel {
            id: view.row.id.clone(),
            submitted: view.row.status == ApplicationState::Submitted,
            submitted_at: view.row.submitted_at.map(crate::page::when).unwrap_or_default(),
            version: view.row.program_version.clone(),
            endorsed_by: view.endorsed_by_name.clone(),
            primary_supervisor: view.primary_supervisor.clone(),
            fee: view.row.fee_status.clone(),
        });
    Ok(ProgressPage {
        ctx,
        code: report.program.code.to_string(),
        name: report.program.name.clone(),
        version: report.program.version.clone(),
        rules_note,
        complete: report.assessment.complete(),
        met,
        bars: bars(&report),
        chart,
        legend: crate::chart::legend(&report.program),
        application,
        missing,
        fee: report.program.fee.display(),
        just_submitted: false,
        version_rule: VERSION_RULE,
        next_steps,
        waiting,
    })
}

async fn progress(
    State(state): State<ServerState>,
    ctx: PageContext,
    SignedIn(session): SignedIn,
    Meta(meta): Meta,
    Path(code): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ProgressQuery>,
) -> Result<Response, WebError> {
    let mut data = progress_page(&state, ctx, &session.actor, &meta, &code, Vec::new()).await?;
    data.just_submitted = query.submitted == "1";
    page(&data)
}
