//! The candidate's evidence: choosing a credential to work towards, recording memberships,
//! the ethics attestation, degrees, licenses and insurance, and logging hours.
//!
//! Each use case takes the form's text as typed, checks every field (reporting all problems at
//! once, by field), and stores nothing unless everything is valid.

use domain::FieldErrors;
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{BoardLists, DegreeLevel, LogKind, SplitList};
use store::credentialing::evidence::{DegreeRow, EvidenceTable, HourRow, InsuranceRow, LicenseRow, MembershipRow};
use time::Date;

use crate::authz::Permission;
use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// The statement a person signs for the ethics attestation.
pub const ETHICS_STATEMENT: &str = "I have read the board's code of ethics and agree to abide by it in my professional work, including competence, integrity, and the legal and moral responsibility to safeguard the well-being of clients.";

/// Parses a calendar day as browsers send it from a date input (YYYY-MM-DD).
pub fn parse_day(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format).ok()
}

/// Reads a required date field.
fn day_field(errors: &mut FieldErrors, field: &str, text: &str, what: &str) -> Option<Date> {
    if text.trim().is_empty() {
        errors.add(field, format!("Enter {what}."));
        return None;
    }
    let day = parse_day(text);
    if day.is_none() {
        errors.add(field, format!("Enter {what} as a date, such as 2026-03-15."));
    }
    day
}

/// Reads an optional end date, which must not be before `from`.
fn end_field(errors: &mut FieldErrors, field: &str, text: &str, from: Option<Date>) -> Option<Option<Date>> {
    if text.trim().is_empty() {
        return Some(None);
    }
    match parse_day(text) {
        None => {
            errors.add(
                field,
                "Enter the end date as a date, such as 2027-12-31, or leave it empty.",
            );
            None
        }
        Some(until) if from.is_some_and(|from| until < from) => {
            errors.add(field, "The end date is before the start date.");
            None
        }
        Some(until) => Some(Some(until)),
    }
}

fn text_field(errors: &mut FieldErrors, field: &str, text: &str, what: &str, max: usize) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, format!("Enter {what}."));
    } else if text.chars().count() > max {
        errors.add(field, format!("Keep {what} to {max} characters."));
    } else if text.chars().any(char::is_control) {
        errors.add(field, format!("Remove the control characters from {what}."));
    }
    text.to_owned()
}

/// A membership as typed in the form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MembershipInput {
    pub kind: String,
    pub valid_from: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DegreeInput {
    pub level: String,
    pub field: String,
    pub institution: String,
    /// "yes" when the school is accredited or the program board-approved.
    pub accredited: String,
    pub awarded_on: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct LicenseInput {
    pub profession: String,
    pub jurisdiction: String,
    pub number: String,
    pub valid_from: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct InsuranceInput {
    pub carrier: String,
    pub policy_number: String,
    pub valid_from: String,
    pub valid_until: String,
}

/// One hour-log entry as typed. For split logs, `split` holds hours per area or discipline
/// (keys from the board lists); for the others it is empty.
#[derive(Debug, Clone, Default)]
pub struct HourInput {
    pub log: String,
    pub date: String,
    pub hours: String,
    pub mode: String,
    pub provider: String,
    pub title: String,
    pub split: Vec<(String, String)>,
}

/// How far back hours may be dated: older dates are mistyped years (1900-01-01), not work that
/// could still count.
pub const HOURS_YEARS_BACK: i32 = 10;

/// The earliest day hours may be dated, `HOURS_YEARS_BACK` years before `today`.
pub fn earliest_hours_day(today: Date) -> Date {
    domain::credentialing::programs::add_years(today, -HOURS_YEARS_BACK)
}

/// Hours one entry may hold: a course can run over days; clinical, counseling and teaching
/// are logged per day.
fn entry_limit(log: LogKind) -> Hours {
    match log {
        LogKind::CoreKnowledge | LogKind::Training | LogKind::Sar => Hours::whole(100),
        LogKind::Clinical | LogKind::Counseling | LogKind::Teaching => Hours::whole(24),
    }
}

/// A checked hour entry, ready to store.
#[derive(Debug, Clone)]
pub struct CheckedHours {
    pub log: LogKind,
    pub date: Date,
    pub hours: Hours,
    pub mode: String,
    pub provider: String,
    pub title: String,
    pub split: Vec<(String, Hours)>,
}

impl CheckedHours {
    /// Identifies "the same entry": same log, day, hours, provider and title (case and spacing
    /// ignored), so a course entered twice, by hand or by import, is caught.
    pub fn fingerprint(&self) -> String {
        let squash = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        format!(
            "{}|{}|{}|{}|{}",
            self.log.as_str(),
            self.date,
            self.hours.centi(),
            squash(&self.provider),
            squash(&self.title)
        )
    }

    pub fn split_json(&self) -> String {
        let pairs: Vec<(&str, u32)> = self
            .split
            .iter()
            .map(|(key, hours)| (key.as_str(), hours.centi()))
            .collect();
        serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned())
    }
}

/// Checks one hour entry against the board lists and today's date. Errors are keyed by the
/// form's field names (`hours`, `split.<key>`, …).
pub fn check_hours(input: &HourInput, lists: &BoardLists, today: Date) -> Result<CheckedHours, FieldErrors> {
    let mut errors = FieldErrors::new();
    let log = LogKind::parse(&input.log);
    if log.is_none() {
        errors.add("log", "Choose which log this entry belongs to.");
    }
    let date = day_field(&mut errors, "date", &input.date, "the date");
    let earliest = earliest_hours_day(today);
    if let Some(date) = date {
        if date > today {
            errors.add("date", "This date is in the future. Log hours once they have happened.");
        } else if date < earliest {
            errors.add(
                "date",
                format!(
                    "This date is more than {HOURS_YEARS_BACK} years ago (before {earliest}). Check the year; hours older than that are not accepted."
                ),
            );
        }
    }
    let hours = match Hours::parse(&input.hours) {
        Ok(hours) if hours.is_zero() => {
            errors.add("hours", "Enter more than 0 hours.");
            None
        }
        Ok(hours) => match log {
            Some(log) if hours > entry_limit(log) => {
                errors.add(
                    "hours",
                    format!(
                        "One entry can hold at most {} hours; split longer work into several entries.",
                        entry_limit(log)
                    ),
                );
                None
            }
            _ => Some(hours),
        },
        Err(error) => {
            errors.add("hours", format!("Hours: {error}."));
            None
        }
    };
    if !lists.has_mode(&input.mode) {
        errors.add("mode", "Choose how this was delivered.");
    }
    // Messages use the names the form shows for this log ("the setting", "the kind of work").
    let (provider_label, title_label) = log.map_or(("Provider", "Title"), LogKind::text_labels);
    let provider = text_field(
        &mut errors,
        "provider",
        &input.provider,
        &format!("the {}", provider_label.to_lowercase()),
        200,
    );
    let title = text_field(
        &mut errors,
        "title",
        &input.title,
        &format!("the {}", title_label.to_lowercase()),
        200,
    );

    let mut split = Vec::new();
    if let Some(list) = log.and_then(LogKind::split_list) {
        let items = lists.split_items(list);
        let what = match list {
            SplitList::CoreAreas => "core area",
            SplitList::Disciplines => "discipline",
        };
        for (key, text) in &input.split {
            if text.trim().is_empty() {
                continue;
            }
            let field = format!("split.{key}");
            if !items.iter().any(|item| item.key == *key) {
                errors.add(&field, format!("\"{key}\" is not a {what} in the board's lists."));
                continue;
            }
            match Hours::parse(text) {
                Ok(part) if part.is_zero() => {}
                Ok(part) => split.push((key.clone(), part)),
                Err(error) => errors.add(&field, format!("Hours: {error}.")),
            }
        }
        if let Some(hours) = hours {
            let allotted: Hours = split.iter().map(|(_, part)| *part).sum();
            if split.is_empty() {
                errors.add("split", format!("Say how the {hours} hours divide across the {what}s."));
            } else if allotted != hours {
                errors.add(
                    "split",
                    format!(
                        "The {what} hours add up to {allotted}, not the entry's {}.",
                        hours.phrase()
                    ),
                );
            }
        }
    }
    match (log, date, hours) {
        (Some(log), Some(date), Some(hours)) if errors.is_empty() => Ok(CheckedHours {
            log,
            date,
            hours,
            mode: input.mode.clone(),
            provider,
            title,
            split,
        }),
        _ => Err(errors),
    }
}

impl App {
    fn check_membership(&self, input: &MembershipInput, lists: &BoardLists) -> Result<MembershipRow, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !lists.has_membership_type(&input.kind) {
            errors.add("kind", "Choose the membership type.");
        }
        let from = day_field(&mut errors, "valid_from", &input.valid_from, "the start date");
        let until = end_field(&mut errors, "valid_until", &input.valid_until, from);
        match (from, until) {
            (Some(from), Some(until)) if errors.is_empty() => Ok(MembershipRow {
                id: String::new(),
                kind: input.kind.clone(),
                valid_from: from.to_string(),
                valid_until: until.map(|d| d.to_string()),
                document_id: None,
            }),
            _ => Err(errors),
        }
    }

    /// Starts working towards a credential.
    pub async fn choose_program(&self, actor: &Actor, code: &str, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        if !self
            .programs()
            .await?
            .iter()
            .any(|program| program.code.as_str() == code)
        {
            return Err(AppError::field("program", "Choose one of the board's credentials."));
        }
        self.store()
            .add_pursuit(actor.user_id.as_str(), code, self.now())
            .await?;
        self.record(actor, AuditEvent::success("evidence.program_chosen").detail(code), meta)
            .await
    }

    pub async fn add_membership(&self, actor: &Actor, input: &MembershipInput, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let mut row = self.check_membership(input, &self.board_lists().await?)?;
        row.id = random::id()?;
        self.store()
            .insert_membership(actor.user_id.as_str(), &row, self.now())
            .await?;
        self.directory_may_have_changed();
        self.record(
            actor,
            AuditEvent::success("evidence.added").subject("membership", &row.id),
            meta,
        )
        .await
    }

    /// Signs the ethics attestation today.
    pub async fn attest_ethics(&self, actor: &Actor, agreed: bool, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        if !agreed {
            return Err(AppError::field("agree", "Tick the box to sign the attestation."));
        }
        let today = self.today().to_string();
        self.store()
            .put_attestation(actor.user_id.as_str(), &today, ETHICS_STATEMENT, self.now())
            .await?;
        self.record(actor, AuditEvent::success("evidence.ethics_attested"), meta)
            .await
    }

    pub async fn add_degree(&self, actor: &Actor, input: &DegreeInput, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let mut errors = FieldErrors::new();
        let level = DegreeLevel::parse(&input.level);
        if level.is_none() {
            errors.add("level", "Choose the degree level.");
        }
        let field = text_field(&mut errors, "field", &input.field, "the field of study", 200);
        let institution = text_field(&mut errors, "institution", &input.institution, "the institution", 200);
        let awarded = day_field(
            &mut errors,
            "awarded_on",
            &input.awarded_on,
            "the date the degree was awarded",
        );
        if let Some(awarded) = awarded
            && awarded > self.today()
        {
            errors.add(
                "awarded_on",
                "This date is in the future. Record the degree once it is awarded.",
            );
        }
        let (Some(level), Some(awarded)) = (level, awarded) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = DegreeRow {
            id: random::id()?,
            level: level.as_str().to_owned(),
            field,
            institution,
            accredited: input.accredited == "yes",
            awarded_on: awarded.to_string(),
            document_id: None,
        };
        self.store()
            .insert_degree(actor.user_id.as_str(), &row, self.now())
            .await?;
        self.record(
            actor,
            AuditEvent::success("evidence.added").subject("degree", &row.id),
            meta,
        )
        .await
    }

    pub async fn add_license(&self, actor: &Actor, input: &LicenseInput, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let lists = self.board_lists().await?;
        let mut errors = FieldErrors::new();
        if !lists.has_profession(&input.profession) {
            errors.add("profession", "Choose the profession the license is for.");
        }
        let jurisdiction = text_field(
            &mut errors,
            "jurisdiction",
            &input.jurisdiction,
            "the jurisdiction",
            100,
        );
        let number = text_field(&mut errors, "number", &input.number, "the license number", 60);
        let from = day_field(
            &mut errors,
            "valid_from",
            &input.valid_from,
            "the date the license was issued",
        );
        let until = end_field(&mut errors, "valid_until", &input.valid_until, from);
        let (Some(from), Some(until)) = (from, until) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = LicenseRow {
            id: random::id()?,
            profession: input.profession.clone(),
            jurisdiction,
            number,
            valid_from: from.to_string(),
            valid_until: until.map(|d| d.to_string()),
            document_id: None,
        };
        self.store()
            .insert_license(actor.user_id.as_str(), &row, self.now())
            .await?;
        self.record(
            actor,
            AuditEvent::success("evidence.added").subject("license", &row.id),
            meta,
        )
        .await
    }

    pub async fn add_insurance(&self, actor: &Actor, input: &InsuranceInput, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let mut errors = FieldErrors::new();
        let carrier = text_field(&mut errors, "carrier", &input.carrier, "the insurance carrier", 200);
        let policy_number = text_field(
            &mut errors,
            "policy_number",
            &input.policy_number,
            "the policy number",
            60,
        );
        let from = day_field(&mut errors, "valid_from", &input.valid_from, "the date cover starts");
        let until = end_field(&mut errors, "valid_until", &input.valid_until, from);
        let (Some(from), Some(until)) = (from, until) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = InsuranceRow {
            id: random::id()?,
            carrier,
            policy_number,
            valid_from: from.to_string(),
            valid_until: until.map(|d| d.to_string()),
            document_id: None,
        };
        self.store()
            .insert_insurance(actor.user_id.as_str(), &row, self.now())
            .await?;
        self.record(
            actor,
            AuditEvent::success("evidence.added").subject("insurance", &row.id),
            meta,
        )
        .await
    }

    /// Logs one hour entry; returns its id.
    pub async fn log_hours(&self, actor: &Actor, input: &HourInput, meta: &RequestMeta) -> AppResult<String> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let checked = check_hours(input, &self.board_lists().await?, self.today())?;
        let owner = actor.user_id.as_str();
        // Work logged per day cannot add up to more than a day.
        if matches!(checked.log, LogKind::Clinical | LogKind::Counseling | LogKind::Teaching) {
            let same_day: Hours = self
                .store()
                .hours(owner)
                .await?
                .iter()
                .filter(|row| row.log == checked.log.as_str() && row.entry_date == checked.date.to_string())
                .map(|row| Hours::from_centi(u32::try_from(row.hours_centi).unwrap_or(0)))
                .sum();
            if same_day + checked.hours > Hours::whole(24) {
                return Err(AppError::field(
                    "hours",
                    format!(
                        "You already logged {same_day} hours of {} on {}; with these, the day would hold more than 24 hours. Check for an entry logged twice.",
                        checked.log.words(),
                        checked.date
                    ),
                ));
            }
        }
        let row = hour_row(&checked, random::id()?, None, self.now());
        match self.store().insert_hours(owner, std::slice::from_ref(&row)).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                let (provider, title) = checked.log.text_labels();
                return Err(AppError::field(
                    "title",
                    format!(
                        "You already logged this: the same date, hours, {} and {} are on file in this log.",
                        provider.to_lowercase(),
                        title.to_lowercase()
                    ),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("evidence.hours_logged").subject("hours", &row.id),
            meta,
        )
        .await?;
        Ok(row.id)
    }

    /// Removes one of the person's own records.
    pub async fn remove_evidence(
        &self,
        actor: &Actor,
        table: EvidenceTable,
        id: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        self.store().delete_evidence(table, actor.user_id.as_str(), id).await?;
        self.directory_may_have_changed();
        self.record(
            actor,
            AuditEvent::success("evidence.removed").subject("evidence", id),
            meta,
        )
        .await
    }
}

/// The stored form of a checked entry.
pub fn hour_row(checked: &CheckedHours, id: String, batch: Option<String>, at: store::Timestamp) -> HourRow {
    HourRow {
        id,
        log: checked.log.as_str().to_owned(),
        entry_date: checked.date.to_string(),
        hours_centi: i64::from(checked.hours.centi()),
        mode: checked.mode.clone(),
        provider: checked.provider.clone(),
        title: checked.title.clone(),
        split: checked.split_json(),
        document_id: None,
        import_batch: batch,
        fingerprint: checked.fingerprint(),
        created_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn lists() -> BoardLists {
        domain::credentialing::programs::parse_lists(include_str!("../../../../programs/lists.toml")).unwrap()
    }

    fn core(hours: &str, split: &[(&str, &str)]) -> HourInput {
        HourInput {
            log: "core_knowledge".into(),
            date: "2026-03-02".into(),
            hours: hours.into(),
            mode: "elearning".into(),
            provider: "Midwest Institute".into(),
            title: "Sexual health across the life course".into(),
            split: split.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn a_course_splits_exactly_across_areas() {
        let today = date!(2026 - 11 - 24);
        let ok = check_hours(
            &core("6.5", &[("ethics", "2"), ("development", "4.5")]),
            &lists(),
            today,
        )
        .unwrap();
        assert_eq!(ok.split.len(), 2);
        let short = check_hours(&core("6.5", &[("ethics", "2")]), &lists(), today).unwrap_err();
        assert_eq!(
            short.get("split"),
            Some("The core area hours add up to 2, not the entry's 6.5 hours.")
        );
        let unknown = check_hours(&core("2", &[("astrology", "2")]), &lists(), today).unwrap_err();
        assert!(unknown.get("split.astrology").is_some());
    }

    #[test]
    fn future_and_oversized_entries_are_refused_with_the_field_named() {
        let mut input = core("6", &[("ethics", "6")]);
        input.date = "2026-12-01".into();
        input.hours = "101".into();
        input.mode = "carrier_pigeon".into();
        let errors = check_hours(&input, &lists(), date!(2026 - 11 - 24)).unwrap_err();
        assert!(errors.get("date").unwrap().contains("future"));
        assert!(errors.get("hours").unwrap().contains("at most 100 hours"));
        assert_eq!(errors.get("mode"), Some("Choose how this was delivered."));
    }

    #[test]
    fn fingerprints_ignore_case_and_spacing() {
        let today = date!(2026 - 11 - 24);
        let a = check_hours(&core("2", &[("ethics", "2")]), &lists(), today).unwrap();
        let mut input = core("2", &[("ethics", "2")]);
        input.title = "  SEXUAL health across  the life course ".into();
        let b = check_hours(&input, &lists(), today).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }
}

/// Everything on file for one person, as stored (for their portal pages).
#[derive(Debug, Clone, Default)]
pub struct EvidenceFile {
    pub pursuits: Vec<String>,
    pub attested_on: Option<String>,
    pub memberships: Vec<MembershipRow>,
    pub degrees: Vec<DegreeRow>,
    pub licenses: Vec<LicenseRow>,
    pub insurance: Vec<InsuranceRow>,
    pub hours: Vec<HourRow>,
}

impl App {
    /// `owner`'s records, for someone allowed to see them.
    pub async fn evidence_file(
        &self,
        actor: &Actor,
        owner: &domain::UserId,
        meta: &RequestMeta,
    ) -> AppResult<EvidenceFile> {
        self.authorize_view_evidence(actor, owner, meta).await?;
        let store = self.store();
        let id = owner.as_str();
        Ok(EvidenceFile {
            pursuits: store.pursuits(id).await?,
            attested_on: store.attestation(id).await?,
            memberships: store.memberships(id).await?,
            degrees: store.degrees(id).await?,
            licenses: store.licenses(id).await?,
            insurance: store.insurance(id).await?,
            hours: store.hours(id).await?,
        })
    }
}
