//! Credential programs: what a board requires for a credential, as versioned data.
//!
//! A board certifies several credentials (sex therapist, sexuality counselor, sexuality
//! educator, sex therapist supervisor). Each is a [`Program`] identified by a code ("CST") and
//! a rule version ("2025.T.1"). Boards change their rules; a candidate is judged by the version
//! in force when their supervision contract was signed, so versions are never edited, only
//! replaced by newer ones.
//!
//! Nothing here is a constant in code: hour totals, caps, spans and the lists they refer to
//! (core knowledge areas, therapy-training disciplines, license professions, delivery modes,
//! membership types, document kinds) come from definition files (see [`parse`]) that a board
//! admin can replace. The rule engine that judges a candidate against a program is in
//! [`crate::credentialing::requirement`].

mod describe;
mod lists;
mod parse;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::credentialing::hours::Hours;

pub use lists::{BoardLists, ListItem};
pub use parse::{Definition, DefinitionError, DefinitionErrors, parse_definition, parse_lists, parse_program};

/// A program's code, such as `CST` or `CST-S`: 2–16 capital letters, digits or hyphens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProgramCode(String);

impl ProgramCode {
    pub fn parse(text: &str) -> Result<ProgramCode, String> {
        let text = text.trim();
        let well_formed = (2..=16).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_uppercase())
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if well_formed {
            Ok(ProgramCode(text.to_owned()))
        } else {
            Err(format!(
                "\"{text}\" is not a program code: use 2 to 16 capital letters, digits or hyphens, like CST"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProgramCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ProgramCode::parse(&value)
    }
}

impl From<ProgramCode> for String {
    fn from(code: ProgramCode) -> String {
        code.0
    }
}

impl std::fmt::Display for ProgramCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

/// What kind of professional a credential is for. The public directory explains the
/// difference, because a counselor is not a psychotherapist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Therapist,
    Counselor,
    Educator,
    Supervisor,
}

impl CredentialKind {
    pub const ALL: [CredentialKind; 4] = [
        CredentialKind::Therapist,
        CredentialKind::Counselor,
        CredentialKind::Educator,
        CredentialKind::Supervisor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Therapist => "therapist",
            CredentialKind::Counselor => "counselor",
            CredentialKind::Educator => "educator",
            CredentialKind::Supervisor => "supervisor",
        }
    }

    pub fn parse(text: &str) -> Option<CredentialKind> {
        CredentialKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A graduate or undergraduate degree level, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegreeLevel {
    Bachelor,
    Master,
    Doctorate,
}

impl DegreeLevel {
    pub const ALL: [DegreeLevel; 3] = [DegreeLevel::Bachelor, DegreeLevel::Master, DegreeLevel::Doctorate];

    pub fn as_str(self) -> &'static str {
        match self {
            DegreeLevel::Bachelor => "bachelor",
            DegreeLevel::Master => "master",
            DegreeLevel::Doctorate => "doctorate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DegreeLevel::Bachelor => "Bachelor's degree",
            DegreeLevel::Master => "Master's degree",
            DegreeLevel::Doctorate => "Doctorate",
        }
    }

    pub fn parse(text: &str) -> Option<DegreeLevel> {
        DegreeLevel::ALL.into_iter().find(|level| level.as_str() == text)
    }
}

/// The candidate's logs. Each has its own form; two of them are split across a board list
/// (core knowledge across the core areas, training across the disciplines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    CoreKnowledge,
    Training,
    Sar,
    Clinical,
    Counseling,
    Teaching,
}

/// Which board list a log's hours are split across.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitList {
    CoreAreas,
    Disciplines,
}

impl LogKind {
    pub const ALL: [LogKind; 6] = [
        LogKind::CoreKnowledge,
        LogKind::Training,
        LogKind::Sar,
        LogKind::Clinical,
        LogKind::Counseling,
        LogKind::Teaching,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::CoreKnowledge => "core_knowledge",
            LogKind::Training => "training",
            LogKind::Sar => "sar",
            LogKind::Clinical => "clinical",
            LogKind::Counseling => "counseling",
            LogKind::Teaching => "teaching",
        }
    }

    pub fn parse(text: &str) -> Option<LogKind> {
        LogKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Lower-case words for sentences: "12 hours short of 90 in core knowledge".
    pub fn words(self) -> &'static str {
        match self {
            LogKind::CoreKnowledge => "core knowledge",
            LogKind::Training => "sex-therapy training",
            LogKind::Sar => "Sexual Attitude Reassessment",
            LogKind::Clinical => "supervised clinical work",
            LogKind::Counseling => "sexuality counseling",
            LogKind::Teaching => "sexuality teaching",
        }
    }

    /// What the log's two text fields are called, on the form, in its columns and in its
    /// messages: who or where (a course's provider, a clinical setting) and what (a course
    /// title, a kind of work).
    pub fn text_labels(self) -> (&'static str, &'static str) {
        match self {
            LogKind::Clinical | LogKind::Counseling => ("Setting", "Kind of work"),
            LogKind::Teaching => ("Organisation", "Course or class"),
            LogKind::CoreKnowledge | LogKind::Training | LogKind::Sar => ("Provider", "Course title"),
        }
    }

    pub fn split_list(self) -> Option<SplitList> {
        match self {
            LogKind::CoreKnowledge => Some(SplitList::CoreAreas),
            LogKind::Training => Some(SplitList::Disciplines),
            _ => None,
        }
    }
}

/// Money in minor units (cents), with its currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub amount_cents: u64,
    pub currency: String,
    pub refundable: bool,
}

impl Fee {
    pub fn display(&self) -> String {
        format!(
            "{}.{:02} {}",
            self.amount_cents / 100,
            self.amount_cents % 100,
            self.currency
        )
    }
}

/// One version of one credential program. Parsed and checked against the board lists, so a
/// `Program` only ever names areas, modes and professions that exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub code: ProgramCode,
    pub version: String,
    pub name: String,
    pub kind: CredentialKind,
    pub summary: String,
    /// Contracts signed on or after this date are judged by this version (until a newer one).
    pub effective_from: Date,
    /// How long an issued credential is valid before it must be renewed.
    pub validity_years: u8,
    /// How many committee reviewers must recommend before an application is decided.
    #[serde(default = "default_reviewers")]
    pub reviewers: u8,
    pub fee: Fee,
    pub requirements: Vec<Requirement>,
    /// How the credential is renewed; absent in definitions written before renewal rules.
    #[serde(default)]
    pub renewal: Option<crate::credentialing::renewals::RenewalRule>,
    /// The board lists this version was checked against, kept with it so a candidate judged
    /// by an old version still sees the area names of that version.
    pub lists: BoardLists,
}

/// Two peer reviewers unless a definition says otherwise.
fn default_reviewers() -> u8 {
    2
}

impl Program {
    pub fn requirement(&self, key: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|requirement| requirement.key == key)
    }

    /// Whether any rule asks for a license (then hours only count while the candidate holds one).
    pub fn requires_license(&self) -> bool {
        self.requirements
            .iter()
            .any(|requirement| matches!(requirement.rule, Rule::License { .. }))
    }

    pub fn hours_rule(&self, log: LogKind) -> Option<&HoursRule> {
        self.requirements
            .iter()
            .find_map(|requirement| match &requirement.rule {
                Rule::Hours(rule) if rule.log == log => Some(rule),
                _ => None,
            })
    }

    pub fn supervision_rule(&self) -> Option<&SupervisionRule> {
        self.requirements
            .iter()
            .find_map(|requirement| match &requirement.rule {
                Rule::Supervision(rule) => Some(rule),
                _ => None,
            })
    }
}

/// One requirement of a program: a stable key, the title candidates read, and its rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    pub key: String,
    pub title: String,
    pub rule: Rule,
}

/// What a requirement asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// A membership of one of these types, valid today and, if `through_supervision`, without
    /// a gap from the start of supervision until today.
    Membership {
        types: Vec<String>,
        through_supervision: bool,
    },
    /// The signed code-of-ethics attestation.
    Attestation,
    /// A degree of one of these levels, held for at least the given years; if `accredited`,
    /// from an accredited school or a board-approved program.
    Degree {
        options: Vec<DegreeOption>,
        accredited: bool,
    },
    /// A license in one of these professions, valid on the day of judgement.
    License { professions: Vec<String> },
    /// Professional liability insurance valid on the day of judgement.
    Insurance,
    /// Hours in one log.
    Hours(HoursRule),
    /// Hours of supervision by a certified supervisor.
    Supervision(SupervisionRule),
    /// Another credential, held in good standing for at least `held_years`.
    Credential { program: ProgramCode, held_years: u8 },
    /// The candidate has supervised at least this many supervisees themselves.
    Supervisees { min: u32 },
    /// Documents on file, by kind and count.
    Documents { required: Vec<DocumentNeed> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DegreeOption {
    pub level: DegreeLevel,
    /// Years between the degree and the day of judgement (post-degree experience).
    pub years_after: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentNeed {
    pub kind: String,
    pub count: u32,
}

/// At most `max` of the hours delivered in any of `modes` count toward the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeCap {
    pub modes: Vec<String>,
    pub max: Hours,
}

/// A span of months between the first and last hour that counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSpan {
    pub min_months: u16,
    pub max_months: u16,
    /// How the months are counted. Versions stored before the definition said so were
    /// judged in elapsed months.
    #[serde(default)]
    pub counting: MonthCounting,
}

/// The two readings of "a span of N months", which give different answers at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthCounting {
    /// Whole months elapsed from the first date: 15 January to 15 July is 6 months, to 14 July 5.
    #[default]
    Elapsed,
    /// Calendar months touched, both ends counted: any day in January to any day in June is
    /// 6 months.
    Calendar,
}

impl MonthCounting {
    pub const ALL: [MonthCounting; 2] = [MonthCounting::Elapsed, MonthCounting::Calendar];

    /// The word a definition file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MonthCounting::Elapsed => "elapsed",
            MonthCounting::Calendar => "calendar",
        }
    }

    pub fn parse(text: &str) -> Option<MonthCounting> {
        MonthCounting::ALL
            .into_iter()
            .find(|counting| counting.as_str() == text)
    }
}

impl MonthSpan {
    /// Months from `first` to `last` in this span's reading (0 if `last` is earlier).
    pub fn months(&self, first: Date, last: Date) -> i32 {
        if last < first {
            return 0;
        }
        match self.counting {
            MonthCounting::Elapsed => months_between(first, last),
            MonthCounting::Calendar => month_index(last) - month_index(first) + 1,
        }
    }

    /// Whether entries from `first` to `last` span at least the minimum.
    pub fn long_enough(&self, first: Date, last: Date) -> bool {
        self.months(first, last) >= i32::from(self.min_months)
    }

    /// The first day a last entry makes the span long enough.
    pub fn long_enough_on(&self, first: Date) -> Date {
        let min = i32::from(self.min_months);
        match self.counting {
            MonthCounting::Elapsed => add_months(first, min),
            MonthCounting::Calendar => first_of_month(add_months(first, (min - 1).max(0))).max(first),
        }
    }

    /// The last day that still falls within the longest span starting on `first`.
    pub fn last_day(&self, first: Date) -> Date {
        let max = i32::from(self.max_months);
        match self.counting {
            MonthCounting::Elapsed => add_months(first, max),
            MonthCounting::Calendar => last_of_month(add_months(first, max - 1)),
        }
    }
}

/// Months since year 0, so that calendar months can be subtracted.
fn month_index(date: Date) -> i32 {
    date.year() * 12 + date.month() as i32
}

fn first_of_month(date: Date) -> Date {
    date.replace_day(1).unwrap_or(date)
}

fn last_of_month(date: Date) -> Date {
    date.replace_day(time::util::days_in_month(date.month(), date.year()))
        .unwrap_or(date)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursRule {
    pub log: LogKind,
    pub total: Hours,
    /// Minimum hours in every item of the log's list (every core area, every discipline).
    pub min_each: Option<Hours>,
    /// Minimums for named items, overriding `min_each` for those items.
    pub minimums: Vec<(String, Hours)>,
    pub caps: Vec<ModeCap>,
    /// Hours taught by the candidate's supervisor that may count here; hours counted here do
    /// not count as supervision.
    pub supervisor_taught_max: Option<Hours>,
    /// Only hours on days with a signed, running supervision contract count.
    pub under_contract: bool,
    pub span: Option<MonthSpan>,
}

impl HoursRule {
    /// The minimum for one list item, if any.
    pub fn minimum_for(&self, item: &str) -> Option<Hours> {
        self.minimums
            .iter()
            .find(|(key, _)| key == item)
            .map(|(_, hours)| *hours)
            .or(self.min_each)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionRule {
    pub total: Hours,
    /// Group supervision may make up at most this share of `total`, in per cent.
    pub group_share_percent: u32,
    /// Largest group (supervisees) whose sessions count.
    pub group_size_max: u32,
    /// At most this many hours count in any calendar month.
    pub month_max: Option<Hours>,
    pub span: Option<MonthSpan>,
    /// A contract must name a primary supervisor.
    pub primary_required: bool,
}

impl SupervisionRule {
    /// The most group hours that can count.
    pub fn group_cap(&self) -> Hours {
        self.total.percent(self.group_share_percent)
    }
}

/// Which rule version judges a candidate, in words: the same sentence on the program page and on
/// the candidate's progress page, and what [`version_on`] does.
pub const VERSION_RULE: &str = "The rule version that judges a candidate is the one in force on the day their first supervision contract is signed by both parties; a contract signed before the earliest version took effect is judged by the earliest version. Until a contract is signed, the version in force today is shown.";

/// A stored version's label and the day it takes effect, for choosing between versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStart {
    pub version: String,
    pub effective_from: Date,
}

/// The version that judges a candidate whose first contract was signed on `signed_on` (see
/// [`VERSION_RULE`]). `versions` come in order of precedence: the latest effective date first,
/// and of two with the same date the one imported later first.
pub fn version_on(versions: &[VersionStart], signed_on: Date) -> Option<&VersionStart> {
    versions
        .iter()
        .find(|v| v.effective_from <= signed_on)
        .or_else(|| versions.iter().min_by_key(|v| v.effective_from))
}

/// The signing days a version judges, as [`version_on`] chooses: from its effective date (or
/// from any earlier day, for the earliest version) to the day before the next version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningDays {
    Between {
        from: Option<Date>,
        until: Option<Date>,
    },
    /// Another version with the same effective date was imported later and judges instead.
    Replaced,
}

impl SigningDays {
    /// `version` among `versions` (in the order [`version_on`] takes).
    pub fn of(versions: &[VersionStart], version: &str) -> Option<SigningDays> {
        let position = versions.iter().position(|v| v.version == version)?;
        let this = &versions[position];
        if versions[..position]
            .iter()
            .any(|v| v.effective_from == this.effective_from)
        {
            return Some(SigningDays::Replaced);
        }
        let earliest = versions.iter().all(|v| v.effective_from >= this.effective_from);
        let until = versions
            .iter()
            .map(|v| v.effective_from)
            .filter(|day| *day > this.effective_from)
            .min()
            .and_then(Date::previous_day);
        Some(SigningDays::Between {
            from: (!earliest).then_some(this.effective_from),
            until,
        })
    }

    /// "candidates whose first supervision contract was signed on or before 2025-12-31".
    pub fn phrase(&self) -> String {
        let days = match *self {
            SigningDays::Replaced => {
                return "no candidate: another version with the same effective date was imported after it".to_owned();
            }
            SigningDays::Between {
                from: None,
                until: None,
            } => "on any day (it is the only version)".to_owned(),
            SigningDays::Between {
                from: None,
                until: Some(until),
            } => format!("on or before {until}"),
            SigningDays::Between {
                from: Some(from),
                until: None,
            } => format!("on or after {from}"),
            SigningDays::Between {
                from: Some(from),
                until: Some(until),
            } => format!("from {from} to {until}"),
        };
        format!("candidates whose first supervision contract was signed {days}")
    }
}

/// Adds whole calendar months, keeping the day where the month has it (31 January + 1 month
/// is 28 or 29 February).
pub fn add_months(date: Date, months: i32) -> Date {
    let month_index = date.year() * 12 + (date.month() as i32 - 1) + months;
    let year = month_index.div_euclid(12);
    let month = time::Month::try_from((month_index.rem_euclid(12) + 1) as u8).unwrap_or(time::Month::January);
    let last_day = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last_day)).unwrap_or(date)
}

/// Adds whole years (29 February + 1 year is 28 February).
pub fn add_years(date: Date, years: i32) -> Date {
    add_months(date, years * 12)
}

/// Whole months from `from` to `to` (0 if `to` is earlier): the largest n with
/// `add_months(from, n) <= to`.
pub fn months_between(from: Date, to: Date) -> i32 {
    if to <= from {
        return 0;
    }
    let mut months = (to.year() - from.year()) * 12 + (to.month() as i32 - from.month() as i32);
    while months > 0 && add_months(from, months) > to {
        months -= 1;
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn program_codes() {
        assert!(ProgramCode::parse("CST").is_ok());
        assert!(ProgramCode::parse("CST-S").is_ok());
        assert!(ProgramCode::parse("cst").is_err());
        assert!(ProgramCode::parse("C").is_err());
        assert!(ProgramCode::parse("CST S").is_err());
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2025 - 11 - 15), 3), date!(2026 - 02 - 15));
        assert_eq!(add_months(date!(2025 - 03 - 15), -3), date!(2024 - 12 - 15));
        assert_eq!(add_years(date!(2024 - 02 - 29), 1), date!(2025 - 02 - 28));
        assert_eq!(months_between(date!(2025 - 01 - 10), date!(2026 - 07 - 10)), 18);
        assert_eq!(months_between(date!(2025 - 01 - 10), date!(2026 - 07 - 09)), 17);
        assert_eq!(months_between(date!(2025 - 01 - 31), date!(2025 - 02 - 28)), 1);
        assert_eq!(months_between(date!(2025 - 05 - 01), date!(2025 - 01 - 01)), 0);
    }
}
