//! Credential programs: importing definition files, and reading the versions in force.
//!
//! The four programs and the board lists ship in `programs/` and are installed on first start.
//! A board admin replaces them by importing a new version (web upload or
//! `sensate programs import FILE`). A file is checked completely by the domain parser before
//! anything is stored, and is stored as one row, so a refused file leaves nothing behind.

use domain::credentialing::programs::{
    BoardLists, Definition, Program, ProgramCode, SigningDays, VersionStart, parse_definition, version_on,
};
use time::Date;

use crate::authz::Permission;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::{Actor, App, AppError, AppResult, RequestMeta};

/// The definition files that ship with Sensate, in import order (the lists first, and a
/// program before the programs that depend on it).
pub const SHIPPED: [(&str, &str); 5] = [
    ("lists.toml", include_str!("../../../../programs/lists.toml")),
    ("cst.toml", include_str!("../../../../programs/cst.toml")),
    ("csc.toml", include_str!("../../../../programs/csc.toml")),
    ("cse.toml", include_str!("../../../../programs/cse.toml")),
    ("cst-s.toml", include_str!("../../../../programs/cst-s.toml")),
];

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Lists {
        version: String,
        added: bool,
    },
    Program {
        code: String,
        version: String,
        name: String,
        added: bool,
    },
}

impl ImportOutcome {
    /// One sentence for the person who imported it.
    pub fn describe(&self) -> String {
        match self {
            ImportOutcome::Lists { version, added: true } => format!("Board lists {version} imported."),
            ImportOutcome::Lists { version, added: false } => {
                format!("Board lists {version} were already imported; nothing changed.")
            }
            ImportOutcome::Program {
                code,
                version,
                name,
                added: true,
            } => {
                format!("{name} ({code}) rule version {version} imported.")
            }
            ImportOutcome::Program {
                code,
                version,
                name,
                added: false,
            } => {
                format!("{name} ({code}) rule version {version} was already imported; nothing changed.")
            }
        }
    }
}

/// A program version as the pages show it.
#[derive(Debug, Clone)]
pub struct ProgramVersionInfo {
    pub version: String,
    pub effective_from: String,
    pub imported_at: store::Timestamp,
    /// This is the version in force today.
    pub in_force: bool,
}

/// One program with its versions.
#[derive(Debug, Clone)]
pub struct ProgramView {
    pub program: Program,
    /// The file as imported.
    pub source: String,
    pub versions: Vec<ProgramVersionInfo>,
    /// Whom this version judges, by the day their first contract was signed.
    pub applies_to: Option<SigningDays>,
}

/// The first few reasons of a refused import, bounded so one bad file cannot bloat the log.
fn refusal_detail(reasons: impl Iterator<Item = String>) -> String {
    const MAX_REASONS: usize = 5;
    const MAX_CHARS: usize = 1_000;
    let reasons: Vec<String> = reasons.collect();
    let mut detail = reasons.iter().take(MAX_REASONS).cloned().collect::<Vec<_>>().join("; ");
    if reasons.len() > MAX_REASONS {
        detail.push_str(&format!("; and {} more", reasons.len() - MAX_REASONS));
    }
    detail.chars().take(MAX_CHARS).collect()
}

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> AppResult<T> {
    serde_json::from_str(json)
        .map_err(|error| AppError::internal(anyhow::anyhow!("stored definition unreadable: {error}")))
}

fn encode<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value)
        .map_err(|error| AppError::internal(anyhow::anyhow!("definition not encodable: {error}")))
}

impl App {
    /// Today's date in UTC, for rules that work in calendar days.
    pub fn today(&self) -> Date {
        self.now().get().date()
    }

    /// The board lists programs are checked against; empty before the first import.
    pub async fn board_lists(&self) -> AppResult<BoardLists> {
        match self.store().current_lists().await? {
            Some(record) => decode(&record.parsed),
            None => Ok(BoardLists::default()),
        }
    }

    /// Imports the shipped files that are not stored yet. Run at every start; a board that has
    /// replaced a program keeps its own versions, because shipped versions are only added.
    pub async fn install_shipped_programs(&self) -> AppResult<()> {
        for (name, text) in SHIPPED {
            match self.import(text, None).await {
                Ok(_) => {}
                // The board stored a different file under the shipped version label: theirs wins.
                Err(AppError::Refused(reason)) => {
                    tracing::warn!(file = name, %reason, "shipped definition not installed")
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Imports a definition file for a board admin (web upload).
    pub async fn import_definition(&self, actor: &Actor, text: &str, meta: &RequestMeta) -> AppResult<ImportOutcome> {
        self.authorize(actor, Permission::ManagePrograms, meta).await?;
        let result = self.import(text, Some(actor)).await;
        self.audit_import(AuditActor::from(actor), &result, meta).await?;
        result
    }

    /// Imports a definition file for the operator at the command line.
    pub async fn import_definition_as_operator(&self, text: &str) -> AppResult<ImportOutcome> {
        let result = self.import(text, None).await;
        let operator = AuditActor {
            user_id: None,
            role: Some("operator".to_owned()),
        };
        self.audit_import(operator, &result, &RequestMeta::default()).await?;
        result
    }

    async fn audit_import(
        &self,
        who: AuditActor,
        result: &AppResult<ImportOutcome>,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let event = match result {
            Ok(ImportOutcome::Lists { version, added: true }) => {
                AuditEvent::success("program.lists_imported").subject("board_lists", version)
            }
            Ok(ImportOutcome::Program {
                code,
                version,
                added: true,
                ..
            }) => AuditEvent::success("program.imported").subject("program", format!("{code}@{version}")),
            Ok(_) => return Ok(()),
            // Why it was refused, so the log answers "what was wrong with that file?". The
            // messages name fields and rules of the program text, never personal data.
            Err(AppError::Validation(errors)) => AuditEvent::failure("program.import_refused").detail(refusal_detail(
                errors.iter().map(|(field, message)| format!("{field}: {message}")),
            )),
            Err(AppError::Refused(reason)) => {
                AuditEvent::failure("program.import_refused").detail(refusal_detail(std::iter::once(reason.clone())))
            }
            Err(_) => return Ok(()),
        };
        self.record(who, event, meta).await
    }

    async fn import(&self, text: &str, by: Option<&Actor>) -> AppResult<ImportOutcome> {
        let lists = self.board_lists().await?;
        let known: Vec<ProgramCode> = self
            .store()
            .program_versions()
            .await?
            .into_iter()
            .filter_map(|record| ProgramCode::parse(&record.code).ok())
            .collect();
        let definition = parse_definition(text, &lists, &known).map_err(|errors| {
            let mut fields = domain::FieldErrors::new();
            fields.add("definition", errors.to_string());
            AppError::Validation(fields)
        })?;
        let at = self.now();
        let by = by.map(|actor| actor.user_id.to_string());
        match definition {
            Definition::Lists(lists) => {
                let parsed = encode(&lists)?;
                let stored = self
                    .store()
                    .insert_lists(&lists.version, text, &parsed, at, by.as_deref())
                    .await;
                match stored {
                    Ok(imported) => Ok(ImportOutcome::Lists {
                        version: lists.version,
                        added: imported == store::credentialing::programs::Imported::Added,
                    }),
                    Err(store::StoreError::Conflict) => Err(AppError::Refused(format!(
                        "Board lists version {} already exist with different content. Give the changed lists a new version.",
                        lists.version
                    ))),
                    Err(error) => Err(error.into()),
                }
            }
            Definition::Program(program) => {
                let parsed = encode(&program)?;
                let effective_from = program.effective_from.to_string();
                let new = store::credentialing::programs::NewProgramVersion {
                    code: program.code.as_str(),
                    version: &program.version,
                    name: &program.name,
                    kind: program.kind.as_str(),
                    effective_from: &effective_from,
                    source: text,
                    parsed: &parsed,
                    imported_by: by.as_deref(),
                };
                match self.store().insert_program_version(&new, at).await {
                    Ok(imported) => Ok(ImportOutcome::Program {
                        code: program.code.to_string(),
                        version: program.version.clone(),
                        name: program.name.clone(),
                        added: imported == store::credentialing::programs::Imported::Added,
                    }),
                    Err(store::StoreError::Conflict) => Err(AppError::Refused(format!(
                        "{} rule version {} already exists with different content. Rule versions never change once imported: give the new rules a new version.",
                        program.code, program.version
                    ))),
                    Err(error) => Err(error.into()),
                }
            }
        }
    }

    /// The version of each program in force today, in code order.
    pub async fn programs(&self) -> AppResult<Vec<Program>> {
        let today = self.today().to_string();
        let mut codes: Vec<String> = self
            .store()
            .program_versions()
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect();
        codes.dedup();
        let mut programs = Vec::new();
        for code in codes {
            if let Some(record) = self.store().program_in_force(&code, &today).await? {
                programs.push(decode::<Program>(&record.parsed)?);
            }
        }
        // Therapist, counselor, educator, supervisor: the order the board presents them in.
        programs.sort_by_key(|program| {
            (
                domain::credentialing::programs::CredentialKind::ALL
                    .iter()
                    .position(|kind| *kind == program.kind),
                program.code.clone(),
            )
        });
        Ok(programs)
    }

    /// One program: the version asked for, or the one in force today; with all its versions.
    pub async fn program(&self, code: &str, version: Option<&str>) -> AppResult<ProgramView> {
        let today = self.today().to_string();
        let in_force = self.store().program_in_force(code, &today).await?;
        let record = match version {
            Some(version) => self.store().program_version(code, version).await?,
            None => in_force.clone(),
        };
        let record = record.ok_or(AppError::NotFound)?;
        let in_force_version = in_force.map(|r| r.version);
        let versions = self
            .store()
            .program_versions()
            .await?
            .into_iter()
            .filter(|r| r.code == code)
            .map(|r| ProgramVersionInfo {
                in_force: in_force_version.as_deref() == Some(r.version.as_str()),
                version: r.version,
                effective_from: r.effective_from,
                imported_at: r.imported_at,
            })
            .collect();
        let applies_to = SigningDays::of(&self.version_starts(code).await?, &record.version);
        Ok(ProgramView {
            program: decode(&record.parsed)?,
            source: record.source,
            versions,
            applies_to,
        })
    }

    /// The versions of `code` in the order [`version_on`] takes them (the store lists them
    /// latest effective date first, later imports first).
    pub async fn version_starts(&self, code: &str) -> AppResult<Vec<VersionStart>> {
        let mut starts = Vec::new();
        for record in self.store().program_versions().await? {
            if record.code != code {
                continue;
            }
            let effective_from =
                crate::credentialing::evidence::parse_day(&record.effective_from).ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!(
                        "stored effective date unreadable: {}",
                        record.effective_from
                    ))
                })?;
            starts.push(VersionStart {
                version: record.version,
                effective_from,
            });
        }
        Ok(starts)
    }

    /// The version of `code` that judges a candidate whose first supervision contract was signed
    /// on `signed_on` (or, before any contract, today's version): `domain`'s [`version_on`], the
    /// rule the program page and the progress page state in the same words.
    pub async fn program_for(&self, code: &str, signed_on: Option<Date>) -> AppResult<Program> {
        let day = signed_on.unwrap_or_else(|| self.today());
        let starts = self.version_starts(code).await?;
        let version = version_on(&starts, day).ok_or(AppError::NotFound)?;
        let record = self
            .store()
            .program_version(code, &version.version)
            .await?
            .ok_or(AppError::NotFound)?;
        decode(&record.parsed)
    }
}
