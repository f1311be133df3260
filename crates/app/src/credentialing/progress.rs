//! Progress: a person's stored evidence read into the rule engine's terms, and judged against
//! the program version that applies to them.

use domain::UserId;
use domain::credentialing::evidence::{
    ContractRecord, DegreeRecord, Evidence, HeldCredential, HourEntry, InsuranceRecord, LicenseRecord,
    MembershipRecord, Period, SignOff, SupervisionEntry, SupervisionFormat,
};
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{DegreeLevel, LogKind, Program, SigningDays};
use domain::credentialing::requirement::{Assessment, assess, why_hours_would_not_count};
use time::Date;

use crate::authz::Permission;
use crate::credentialing::evidence::parse_day;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

/// The program code of the supervisor credential: a supervisor's sessions count only while
/// they hold it.
pub const SUPERVISOR_PROGRAM: &str = "CST-S";

/// One program judged for one person.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub program: Program,
    pub assessment: Assessment,
    /// The day the first supervision contract for this program was signed by both, which
    /// fixed the rule version; `None` while no contract is signed (today's version applies).
    pub rules_fixed_on: Option<Date>,
    /// Whom the version judges, by the day their first contract was signed (as the program
    /// page says it).
    pub applies_to: Option<SigningDays>,
    pub evidence: Evidence,
}

fn day(text: &str) -> AppResult<Date> {
    parse_day(text).ok_or_else(|| AppError::internal(anyhow::anyhow!("stored date unreadable: {text}")))
}

fn optional_day(text: Option<&str>) -> AppResult<Option<Date>> {
    text.map(day).transpose()
}

fn hours(centi: i64) -> Hours {
    Hours::from_centi(u32::try_from(centi).unwrap_or(0))
}

impl App {
    /// Whether `supervisor` has (or was invited to) a contract supervising `candidate`.
    pub async fn supervises(&self, supervisor: &Actor, candidate: &UserId) -> AppResult<bool> {
        let contracts = self
            .store()
            .contracts_of_supervisor(supervisor.user_id.as_str(), supervisor.email.as_str())
            .await?;
        Ok(contracts
            .iter()
            .any(|contract| contract.candidate_id == candidate.as_str() && contract.declined_at.is_none()))
    }

    /// Checks that `actor` may see `owner`'s file (audited when refused).
    pub async fn authorize_view_evidence(&self, actor: &Actor, owner: &UserId, meta: &RequestMeta) -> AppResult<()> {
        let supervises = owner != &actor.user_id && self.supervises(actor, owner).await?;
        self.authorize(actor, Permission::ViewEvidence { owner, supervises }, meta)
            .await
    }

    /// Periods when a person's licenses (any profession), insurance and supervisor credential
    /// were valid: what makes their supervision count.
    async fn standing(&self, user_id: &str) -> AppResult<(Vec<Period>, Vec<Period>, Vec<Period>)> {
        let mut credential = Vec::new();
        for row in self.store().credentials_of(user_id).await? {
            if row.program_code == SUPERVISOR_PROGRAM && row.status == "active" {
                credential.push(Period::new(day(&row.valid_from)?, Some(day(&row.valid_until)?)));
            }
        }
        let mut license = Vec::new();
        for row in self.store().licenses(user_id).await? {
            license.push(Period::new(
                day(&row.valid_from)?,
                optional_day(row.valid_until.as_deref())?,
            ));
        }
        let mut insurance = Vec::new();
        for row in self.store().insurance(user_id).await? {
            insurance.push(Period::new(
                day(&row.valid_from)?,
                optional_day(row.valid_until.as_deref())?,
            ));
        }
        Ok((credential, license, insurance))
    }

    /// Reads everything stored about `owner` into the engine's terms.
    pub async fn evidence_for(&self, owner: &UserId) -> AppResult<Evidence> {
        let store = self.store();
        let id = owner.as_str();
        let mut evidence = Evidence::default();
        for row in store.memberships(id).await? {
            evidence.memberships.push(MembershipRecord {
                kind: row.kind,
                valid: Period::new(day(&row.valid_from)?, optional_day(row.valid_until.as_deref())?),
            });
        }
        evidence.ethics_attested_on = optional_day(store.attestation(id).await?.as_deref())?;
        for row in store.degrees(id).await? {
            let level = DegreeLevel::parse(&row.level)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("stored degree level unknown: {}", row.level)))?;
            evidence.degrees.push(DegreeRecord {
                level,
                institution: row.institution,
                accredited: row.accredited,
                awarded_on: day(&row.awarded_on)?,
                documented: row.document_id.is_some(),
            });
        }
        for row in store.licenses(id).await? {
            evidence.licenses.push(LicenseRecord {
                profession: row.profession,
                jurisdiction: row.jurisdiction,
                valid: Period::new(day(&row.valid_from)?, optional_day(row.valid_until.as_deref())?),
                documented: row.document_id.is_some(),
            });
        }
        for row in store.insurance(id).await? {
            evidence.insurance.push(InsuranceRecord {
                carrier: row.carrier,
                valid: Period::new(day(&row.valid_from)?, optional_day(row.valid_until.as_deref())?),
                documented: row.document_id.is_some(),
            });
        }
        for row in store.hours(id).await? {
            let Some(log) = LogKind::parse(&row.log) else { continue };
            let split: Vec<(String, i64)> = serde_json::from_str(&row.split).unwrap_or_default();
            evidence.hours.push(HourEntry {
                log,
                date: day(&row.entry_date)?,
                hours: hours(row.hours_centi),
                mode: row.mode,
                split: split.into_iter().map(|(key, centi)| (key, hours(centi))).collect(),
            });
        }
        let contracts = store.contracts_of_candidate(id).await?;
        for contract in contracts.iter().filter(|c| c.declined_at.is_none()) {
            let supervisor_name = match &contract.supervisor_id {
                Some(supervisor) => match UserId::parse(supervisor).ok() {
                    Some(user) => store
                        .user_by_id(&user)
                        .await?
                        .map(|u| u.display_name)
                        .unwrap_or_default(),
                    None => String::new(),
                },
                None => contract.supervisor_email.clone(),
            };
            let (credential, license, insurance) = match &contract.supervisor_id {
                Some(supervisor) => self.standing(supervisor).await?,
                None => (Vec::new(), Vec::new(), Vec::new()),
            };
            evidence.contracts.push(ContractRecord {
                id: contract.id.clone(),
                supervisor_name,
                starts_on: day(&contract.starts_on)?,
                signed_on: contract.signed_at().map(|at| at.get().date()),
                ends_on: optional_day(contract.ends_on.as_deref())?,
                primary: contract.is_primary,
                supervisor_credential: credential,
                supervisor_license: license,
                supervisor_insurance: insurance,
            });
        }
        let contract_ids: Vec<String> = contracts.iter().map(|c| c.id.clone()).collect();
        // Each group is read once, however many sessions it had.
        let mut groups: std::collections::HashMap<String, Option<store::credentialing::supervision::GroupRow>> =
            std::collections::HashMap::new();
        for session in store.supervision_sessions(&contract_ids).await? {
            let format = match &session.group_id {
                Some(group_id) if session.format == "group" => {
                    if !groups.contains_key(group_id) {
                        groups.insert(group_id.clone(), store.group(group_id).await?);
                    }
                    let group = groups.get(group_id).cloned().flatten();
                    SupervisionFormat::Group {
                        approved: group.as_ref().is_some_and(|g| g.approved),
                        size: group.map_or(0, |g| u32::try_from(g.size).unwrap_or(u32::MAX)),
                    }
                }
                _ => SupervisionFormat::Individual,
            };
            let sign_off = match session.status.as_str() {
                "countersigned" => SignOff::Countersigned,
                "rejected" => SignOff::Rejected,
                _ => SignOff::Pending,
            };
            evidence.supervision.push(SupervisionEntry {
                contract_id: session.contract_id,
                date: day(&session.session_date)?,
                hours: hours(session.hours_centi),
                format,
                sign_off,
                counts_as_training: session.counts_as_training,
            });
        }
        for row in store.credentials_of(id).await? {
            evidence.credentials.push(HeldCredential {
                program: row.program_code,
                valid: Period::new(day(&row.valid_from)?, Some(day(&row.valid_until)?)),
                in_good_standing: row.status == "active",
            });
        }
        let owner_record = store.user_by_id(owner).await?;
        let email = owner_record.map(|u| u.email.to_string()).unwrap_or_default();
        let mut supervisees: Vec<String> = store
            .contracts_of_supervisor(id, &email)
            .await?
            .into_iter()
            .filter(|contract| contract.is_signed())
            .map(|contract| contract.candidate_id)
            .collect();
        supervisees.sort();
        supervisees.dedup();
        evidence.supervisees = u32::try_from(supervisees.len()).unwrap_or(u32::MAX);
        evidence.documents = store
            .documents_of(id)
            .await?
            .into_iter()
            .map(|document| document.kind)
            .collect();
        Ok(evidence)
    }

    /// The day `owner`'s first contract towards `code` was signed by both parties.
    async fn rules_fixed_on(&self, owner: &UserId, code: &str) -> AppResult<Option<Date>> {
        let contracts = self.store().contracts_of_candidate(owner.as_str()).await?;
        Ok(contracts
            .iter()
            .filter(|contract| contract.program_code == code && contract.declined_at.is_none())
            .filter_map(|contract| contract.signed_at())
            .map(|at| at.get().date())
            .min())
    }

    /// Judges `owner`'s evidence against `code`, for someone allowed to see it.
    pub async fn progress(
        &self,
        actor: &Actor,
        owner: &UserId,
        code: &str,
        meta: &RequestMeta,
    ) -> AppResult<ProgressReport> {
        self.authorize_view_evidence(actor, owner, meta).await?;
        let rules_fixed_on = self.rules_fixed_on(owner, code).await?;
        let program = self.judging_program(code, rules_fixed_on).await?;
        let applies_to = SigningDays::of(&self.version_starts(code).await?, &program.version);
        let evidence = self.evidence_for(owner).await?;
        let assessment = assess(&program, &evidence, self.today());
        Ok(ProgressReport {
            program,
            assessment,
            rules_fixed_on,
            applies_to,
            evidence,
        })
    }

    /// The version that judges, with the names of list items recorded since it was imported (a
    /// profession added to the lists later is shown by its name, not its key).
    async fn judging_program(&self, code: &str, rules_fixed_on: Option<Date>) -> AppResult<Program> {
        let mut program = self.program_for(code, rules_fixed_on).await?;
        program.lists.fill_names_from(&self.board_lists().await?);
        Ok(program)
    }

    /// Why hours just logged (the owner's entry `entry_id`) do not count towards the credentials
    /// the owner works towards, one sentence per credential; empty when they count (or the
    /// entry is gone). Told at once, so that "Added." never stands alone over hours that will
    /// not count.
    pub async fn hours_entry_warnings(
        &self,
        actor: &Actor,
        entry_id: &str,
        meta: &RequestMeta,
    ) -> AppResult<Vec<String>> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let owner = &actor.user_id;
        let Some(row) = self
            .store()
            .hours(owner.as_str())
            .await?
            .into_iter()
            .find(|row| row.id == entry_id)
        else {
            return Ok(Vec::new());
        };
        let Some(log) = LogKind::parse(&row.log) else {
            return Ok(Vec::new());
        };
        let date = day(&row.entry_date)?;
        let evidence = self.evidence_for(owner).await?;
        let mut warnings = Vec::new();
        for code in self.store().pursuits(owner.as_str()).await? {
            let rules_fixed_on = self.rules_fixed_on(owner, &code).await?;
            let program = self.judging_program(&code, rules_fixed_on).await?;
            if let Some(reason) = why_hours_would_not_count(&program, &evidence, log, date, self.today()) {
                let amount = hours(row.hours_centi);
                let (these, verb) = if amount == Hours::whole(1) {
                    ("This", "does not")
                } else {
                    ("These", "do not")
                };
                warnings.push(format!(
                    "{these} {} {verb} count towards {}: {reason}.",
                    amount.phrase(),
                    program.name
                ));
            }
        }
        Ok(warnings)
    }
}
