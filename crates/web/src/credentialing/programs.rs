//! Credential programs: the public, read-only rules (`/programs/...`), and the board admin's
//! import of new versions (`/admin/programs`).

use app::AppError;
use app::credentialing::programs::ProgramView;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::FieldErrors;
use domain::credentialing::programs::Program;
use serde::Deserialize;

use crate::context::Meta;
use crate::forms::{FormPage, PostedWithFiles};
use crate::page::{PageContext, SignedIn, page, page_with_status, when};
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub fn routes() -> Routes {
    Routes::new()
        .route("/programs", get(list))
        .route("/programs/{code}", get(current))
        .route("/programs/{code}/{version}", get(version))
        .route("/admin/programs", get(admin).post(import))
}

/// A program as listed: the version in force today.
struct ProgramCard {
    code: String,
    name: String,
    kind_explanation: &'static str,
    summary: String,
    version: String,
    fee: String,
    validity_years: u8,
}

impl ProgramCard {
    fn from(program: &Program) -> ProgramCard {
        ProgramCard {
            code: program.code.to_string(),
            name: program.name.clone(),
            kind_explanation: program.kind.explanation(),
            summary: program.summary.clone(),
            version: program.version.clone(),
            fee: program.fee.display(),
            validity_years: program.validity_years,
        }
    }
}

#[derive(Template)]
#[template(path = "credentialing/programs.html")]
struct ProgramsPage {
    ctx: PageContext,
    programs: Vec<ProgramCard>,
}

async fn list(State(state): State<ServerState>, ctx: PageContext) -> Result<Response, WebError> {
    let programs = state.ready_app()?.programs().await?;
    page(&ProgramsPage {
        ctx,
        programs: programs.iter().map(ProgramCard::from).collect(),
    })
}

struct RequirementView {
    title: String,
    lines: Vec<String>,
}

struct VersionRow {
    version: String,
    effective_from: String,
    imported: String,
    in_force: bool,
    shown: bool,
}

#[derive(Template)]
#[template(path = "credentialing/program.html")]
struct ProgramPage {
    ctx: PageContext,
    card: ProgramCard,
    effective_from: String,
    fee_refundable: bool,
    lists_version: String,
    requirements: Vec<RequirementView>,
    renewal: Vec<String>,
    versions: Vec<VersionRow>,
    in_force: bool,
    source: String,
    /// Whom this version judges, and the rule that decides it: the progress page's words.
    judges: String,
    version_rule: &'static str,
}

fn program_page(ctx: PageContext, view: ProgramView) -> Result<Response, WebError> {
    let program = &view.program;
    let requirements = program
        .requirements
        .iter()
        .map(|requirement| RequirementView {
            title: requirement.title.clone(),
            lines: requirement.describe(&program.lists),
        })
        .collect();
    let versions: Vec<VersionRow> = view
        .versions
        .iter()
        .map(|info| VersionRow {
            version: info.version.clone(),
            effective_from: info.effective_from.clone(),
            imported: when(info.imported_at),
            in_force: info.in_force,
            shown: info.version == program.version,
        })
        .collect();
    let in_force = versions.iter().any(|row| row.shown && row.in_force);
    page(&ProgramPage {
        ctx,
        card: ProgramCard::from(program),
        effective_from: program.effective_from.to_string(),
        fee_refundable: program.fee.refundable,
        lists_version: program.lists.version.clone(),
        requirements,
        renewal: program.renewal.as_ref().map(|rule| rule.describe()).unwrap_or_default(),
        versions,
        in_force,
        source: view.source,
        judges: view
            .applies_to
            .map(|days| days.phrase())
            .unwrap_or_else(|| "candidates by the rule below".to_owned()),
        version_rule: domain::credentialing::programs::VERSION_RULE,
    })
}

async fn current(
    State(state): State<ServerState>,
    ctx: PageContext,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let view = state.ready_app()?.program(&code, None).await?;
    program_page(ctx, view)
}

async fn version(
    State(state): State<ServerState>,
    ctx: PageContext,
    Path((code, version)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let view = state.ready_app()?.program(&code, Some(&version)).await?;
    program_page(ctx, view)
}

/// The import form: a file, or the same text pasted.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportInput {
    definition: String,
}

#[derive(Template)]
#[template(path = "credentialing/admin_programs.html")]
struct AdminProgramsPage {
    ctx: PageContext,
    programs: Vec<ProgramCard>,
    lists_version: String,
    form: ImportInput,
    errors: FieldErrors,
    /// Each problem of a refused file on its own line.
    problems: Vec<String>,
    notice: Option<String>,
}

impl FormPage for ImportInput {
    fn rerender(self, ctx: PageContext, errors: FieldErrors) -> Response {
        let page = AdminProgramsPage {
            ctx,
            programs: Vec::new(),
            lists_version: String::new(),
            form: self,
            errors,
            problems: Vec::new(),
            notice: None,
        };
        page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// What the page says after an import: which definition, and whether it was new. Only facts
/// that the page checks against the store are shown, never text taken from the URL.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AdminQuery {
    imported: String,
    version: String,
    new: String,
}

async fn admin_page(
    state: &ServerState,
    ctx: PageContext,
    signed_in: &SignedIn,
    meta: &app::RequestMeta,
    form: ImportInput,
) -> Result<AdminProgramsPage, WebError> {
    let app = state.ready_app()?;
    app.authorize(&signed_in.0.actor, app::authz::Permission::ManagePrograms, meta)
        .await?;
    let programs = app.programs().await?;
    let lists_version = app.board_lists().await?.version;
    Ok(AdminProgramsPage {
        ctx,
        programs: programs.iter().map(ProgramCard::from).collect(),
        lists_version,
        form,
        errors: FieldErrors::new(),
        problems: Vec::new(),
        notice: None,
    })
}

async fn admin(
    State(state): State<ServerState>,
    ctx: PageContext,
    signed_in: SignedIn,
    Meta(meta): Meta,
    axum::extract::Query(query): axum::extract::Query<AdminQuery>,
) -> Result<Response, WebError> {
    let mut page_data = admin_page(&state, ctx, &signed_in, &meta, ImportInput::default()).await?;
    let app = state.ready_app()?;
    let added = query.new == "1";
    page_data.notice = if query.imported == "lists" {
        let lists = app.board_lists().await?;
        (lists.version == query.version).then(|| {
            app::credentialing::programs::ImportOutcome::Lists {
                version: lists.version,
                added,
            }
            .describe()
        })
    } else if !query.imported.is_empty() {
        match app.program(&query.imported, Some(&query.version)).await {
            Ok(view) => Some(
                app::credentialing::programs::ImportOutcome::Program {
                    code: view.program.code.to_string(),
                    version: view.program.version,
                    name: view.program.name,
                    added,
                }
                .describe(),
            ),
            Err(AppError::NotFound) => None,
            Err(error) => return Err(error.into()),
        }
    } else {
        None
    };
    page(&page_data)
}

async fn import(
    State(state): State<ServerState>,
    ctx: PageContext,
    signed_in: SignedIn,
    Meta(meta): Meta,
    PostedWithFiles(mut input, files): PostedWithFiles<ImportInput>,
) -> Result<Response, WebError> {
    let app = state.ready_app()?;
    // A chosen file wins over pasted text; its text is shown in the box if it is refused, so
    // the admin can read the problems beside it.
    if let Some(file) = files.into_iter().find(|file| file.field == "file") {
        let name = file.file_name.unwrap_or_else(|| "This file".to_owned());
        match String::from_utf8(file.bytes) {
            Ok(text) => input.definition = text,
            Err(_) => {
                let mut page_data = admin_page(&state, ctx, &signed_in, &meta, input).await?;
                page_data.errors.add(
                    "file",
                    format!("{name} is not a text file. Choose the .toml definition file."),
                );
                return Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data));
            }
        }
    }
    if input.definition.trim().is_empty() {
        let mut page_data = admin_page(&state, ctx, &signed_in, &meta, input).await?;
        page_data
            .errors
            .add("file", "Choose a definition file, or paste its text below.");
        return Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data));
    }
    match app
        .import_definition(&signed_in.0.actor, &input.definition, &meta)
        .await
    {
        Ok(outcome) => {
            let (what, version, added) = match &outcome {
                app::credentialing::programs::ImportOutcome::Lists { version, added } => {
                    ("lists".to_owned(), version, added)
                }
                app::credentialing::programs::ImportOutcome::Program {
                    code, version, added, ..
                } => (code.clone(), version, added),
            };
            let target = format!(
                "/admin/programs?imported={}&version={}&new={}",
                crate::error::urlencode(&what),
                crate::error::urlencode(version),
                u8::from(*added)
            );
            Ok(Redirect::to(&target).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let problems: Vec<String> = errors
                .iter()
                .flat_map(|(_, message)| message.lines().map(str::to_owned).collect::<Vec<_>>())
                .collect();
            let mut page_data = admin_page(&state, ctx, &signed_in, &meta, input).await?;
            page_data.errors.add(
                "definition",
                format!(
                    "The file was refused and nothing was stored: {} found.",
                    plural(problems.len())
                ),
            );
            page_data.problems = problems;
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(AppError::Refused(reason)) => {
            let mut page_data = admin_page(&state, ctx, &signed_in, &meta, input).await?;
            page_data.errors.add("definition", reason);
            Ok(page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data))
        }
        Err(error) => Err(error.into()),
    }
}

fn plural(count: usize) -> String {
    if count == 1 {
        "1 problem".to_owned()
    } else {
        format!("{count} problems")
    }
}
