//! The rule engine: judges a candidate's evidence against one program version on one day.
//!
//! [`assess`] is a pure function of (program, evidence, day). For each requirement it says
//! *met*, *pending* (met once something recorded is verified: a countersignature, a document)
//! or *not met*, with the shortfall in words and numbers. It is run on every progress page
//! and again, on the frozen evidence, when an application is submitted.
//!
//! Two properties hold for every rule and are checked by property tests:
//! - adding a valid entry never turns a met requirement into an unmet one, so the engine
//!   always picks the reading of the evidence most favourable to the candidate (for example
//!   the best window of months for a span);
//! - a cap is never exceeded: no more eLearning, telehealth or group hours count than the
//!   program allows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::credentialing::evidence::{
    ContractRecord, Evidence, HourEntry, Period, SignOff, SupervisionEntry, SupervisionFormat, covered, first_gap,
};
use crate::credentialing::hours::Hours;
use crate::credentialing::programs::{
    DegreeOption, DocumentNeed, HoursRule, LogKind, MonthCounting, MonthSpan, Program, ProgramCode, Rule,
    SupervisionRule, add_years,
};

/// Where a requirement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    /// Met once recorded evidence is verified (countersigned, documented).
    Pending,
    NotMet,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Pending => "pending",
            Status::NotMet => "not_met",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "Met",
            Status::Pending => "Pending verification",
            Status::NotMet => "Not met",
        }
    }
}

/// How far along a requirement is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Progress {
    /// Hours that count, hours that would count once verified, and the hours needed.
    Hours {
        counted: Hours,
        pending: Hours,
        needed: Hours,
    },
    /// Items such as documents or supervisees.
    Count { have: u32, needed: u32 },
    /// A yes/no requirement.
    Check { done: bool },
}

impl Progress {
    /// Share done, from 0 to 1.
    pub fn fraction(&self) -> f64 {
        match *self {
            Progress::Hours { counted, needed, .. } => counted.fraction_of(needed),
            Progress::Count { have, needed } if needed > 0 => (f64::from(have) / f64::from(needed)).min(1.0),
            Progress::Count { .. } => 1.0,
            Progress::Check { done } => f64::from(u8::from(done)),
        }
    }
}

/// The judgement on one requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementResult {
    pub key: String,
    pub title: String,
    pub status: Status,
    pub progress: Progress,
    /// What is missing, in words and numbers. Empty when met.
    pub shortfalls: Vec<String>,
    /// Things the candidate should know even when met (hours that do not count, and why).
    pub notices: Vec<String>,
}

/// The judgement on a whole program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub program: ProgramCode,
    pub version: String,
    pub on: Date,
    pub results: Vec<RequirementResult>,
}

impl Assessment {
    /// Every requirement is met: the application may be submitted.
    pub fn complete(&self) -> bool {
        self.results.iter().all(|result| result.status == Status::Met)
    }

    pub fn result(&self, key: &str) -> Option<&RequirementResult> {
        self.results.iter().find(|result| result.key == key)
    }

    /// The requirements still open, with their shortfalls.
    pub fn open(&self) -> impl Iterator<Item = &RequirementResult> {
        self.results.iter().filter(|result| result.status != Status::Met)
    }

    pub fn met_count(&self) -> usize {
        self.results
            .iter()
            .filter(|result| result.status == Status::Met)
            .count()
    }
}

/// Judges `evidence` against `program` as of `on`. Entries dated after `on` are ignored.
pub fn assess(program: &Program, evidence: &Evidence, on: Date) -> Assessment {
    // Fix: judge the evidence in one canonical order. Before, same-day entries, several
    // degrees or licenses and so on were read in the order the rows came in, so the same
    // evidence could give shortfalls and notices in another order (and, past the notice
    // limit, other notices).
    let evidence = &canonical(evidence);
    let strict = Judge::new(program, evidence, on);
    // The same evidence as if every countersignature and document were in: what pending
    // verification would bring.
    let hopeful_evidence = hopeful(evidence);
    let hopeful = Judge::new(program, &hopeful_evidence, on);
    let results = program
        .requirements
        .iter()
        .map(|requirement| {
            let now = strict.judge(&requirement.rule);
            let later = hopeful.judge(&requirement.rule);
            let status = if now.met {
                Status::Met
            } else if later.met {
                Status::Pending
            } else {
                Status::NotMet
            };
            let progress = match (now.progress, later.progress) {
                (Progress::Hours { counted, needed, .. }, Progress::Hours { counted: would, .. }) => Progress::Hours {
                    counted,
                    pending: would - counted,
                    needed,
                },
                (progress, _) => progress,
            };
            let shortfalls = if now.met { Vec::new() } else { now.shortfalls };
            RequirementResult {
                key: requirement.key.clone(),
                title: requirement.title.clone(),
                status,
                progress,
                shortfalls,
                notices: now.notices,
            }
        })
        .collect();
    Assessment {
        program: program.code.clone(),
        version: program.version.clone(),
        on,
        results,
    }
}

/// Why hours of `log` on `date` would not count towards `program` given the rest of `evidence`
/// (no signed contract running that day, no accepted license), judged on `on`; `None` when they
/// would, or when the program has no such log. Told to the candidate the moment they log them.
pub fn why_hours_would_not_count(
    program: &Program,
    evidence: &Evidence,
    log: LogKind,
    date: Date,
    on: Date,
) -> Option<String> {
    let rule = program.hours_rule(log)?;
    let evidence = canonical(evidence);
    Judge::new(program, &evidence, on).hour_blocker(rule, date)
}

/// The evidence with every list sorted, so that the assessment does not depend on the order
/// of the rows.
fn canonical(evidence: &Evidence) -> Evidence {
    let mut evidence = evidence.clone();
    evidence.memberships.sort();
    evidence.degrees.sort();
    evidence.licenses.sort();
    evidence.insurance.sort();
    evidence.hours.sort();
    evidence.contracts.sort();
    evidence.supervision.sort();
    evidence.credentials.sort();
    evidence.documents.sort();
    evidence
}

fn hopeful(evidence: &Evidence) -> Evidence {
    let mut evidence = evidence.clone();
    for entry in &mut evidence.supervision {
        if entry.sign_off == SignOff::Pending {
            entry.sign_off = SignOff::Countersigned;
        }
    }
    evidence.degrees.iter_mut().for_each(|degree| degree.documented = true);
    evidence
        .licenses
        .iter_mut()
        .for_each(|license| license.documented = true);
    evidence
        .insurance
        .iter_mut()
        .for_each(|insurance| insurance.documented = true);
    evidence
}

/// One requirement's judgement before the strict and hopeful passes are combined.
struct Judgement {
    met: bool,
    progress: Progress,
    shortfalls: Vec<String>,
    notices: Vec<String>,
}

impl Judgement {
    fn check(done: bool, shortfalls: Vec<String>) -> Judgement {
        Judgement {
            met: done,
            progress: Progress::Check { done },
            shortfalls,
            notices: Vec::new(),
        }
    }
}

/// Long lists of hours that do not count are cut to this many lines and a count.
const MAX_NOTICES: usize = 8;

fn push_limited(notices: &mut Vec<String>, hidden: &mut usize, notice: String) {
    if notices.len() < MAX_NOTICES {
        notices.push(notice);
    } else {
        *hidden += 1;
    }
}

fn finish_notices(mut notices: Vec<String>, hidden: usize) -> Vec<String> {
    if hidden > 0 {
        notices.push(format!("… and {hidden} more like these"));
    }
    notices
}

/// A supervision hour that passed every per-day check.
#[derive(Debug, Clone, Copy)]
struct Countable {
    date: Date,
    hours: Hours,
    group: bool,
}

/// The per-day analysis of supervision, shared by several requirements.
struct SupervisionDays {
    /// Countersigned sessions that count as supervision.
    sessions: Vec<Countable>,
    /// Countersigned hours taught by the supervisor, offered to the training requirement.
    taught: Vec<Countable>,
    notices: Vec<String>,
}

struct Judge<'a> {
    program: &'a Program,
    evidence: &'a Evidence,
    on: Date,
    supervision: SupervisionDays,
}

fn day(date: Date) -> String {
    date.to_string()
}

fn month_name(year: i32, month: u8) -> String {
    let name = time::Month::try_from(month).map_or_else(|_| month.to_string(), |m| m.to_string());
    format!("{name} {year}")
}

/// "1 hour", "2.5 hours".
fn hours_text(hours: Hours) -> String {
    if hours == Hours::whole(1) {
        "1 hour".to_owned()
    } else {
        format!("{hours} hours")
    }
}

/// How far hours are from a total, in words a newcomer reads first: "no hours logged yet: 10
/// needed", "4 of 10 hours counted, 6 to go".
fn hours_to_go(counted: Hours, total: Hours, logged_any: bool) -> String {
    if counted.is_zero() && !logged_any {
        format!("no hours logged yet: {total} needed")
    } else if counted.is_zero() {
        format!("none of the hours logged count yet: {total} needed")
    } else {
        format!("{counted} of {total} hours counted, {} to go", total - counted)
    }
}

/// The verb after one thing or several: "1 hour does not count", "2 hours do not count".
fn do_not(one: bool) -> &'static str {
    if one { "does not" } else { "do not" }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

impl<'a> Judge<'a> {
    fn new(program: &'a Program, evidence: &'a Evidence, on: Date) -> Judge<'a> {
        let mut judge = Judge {
            program,
            evidence,
            on,
            supervision: SupervisionDays {
                sessions: Vec::new(),
                taught: Vec::new(),
                notices: Vec::new(),
            },
        };
        judge.supervision = judge.supervision_days();
        judge
    }

    /// Professions whose license counts, if the program asks for one.
    fn license_professions(&self) -> Option<&'a [String]> {
        self.program
            .requirements
            .iter()
            .find_map(|requirement| match &requirement.rule {
                Rule::License { professions } => Some(professions.as_slice()),
                _ => None,
            })
    }

    /// Why the candidate's license does not let hours on `date` count, if it does not (never
    /// when the program does not ask for one). A license in a profession the program does not
    /// accept is named, so the candidate learns why rather than that they held none.
    fn license_blocker(&self, date: Date) -> Option<String> {
        let professions = self.license_professions()?;
        let held: Vec<_> = self
            .evidence
            .licenses
            .iter()
            .filter(|license| license.valid.contains(date))
            .collect();
        if held.iter().any(|license| professions.contains(&license.profession)) {
            return None;
        }
        match held.first() {
            Some(license) => Some(format!(
                "your {} license ({}) is not among the accepted professions",
                self.program.lists.profession_name(&license.profession),
                license.jurisdiction
            )),
            None => Some("you held no valid license that day".to_owned()),
        }
    }

    /// Why an hour on `date` under `contract` cannot count, if it cannot.
    fn contract_blocker(&self, contract: &ContractRecord, date: Date) -> Option<String> {
        let who = &contract.supervisor_name;
        if contract.signed_on.is_none_or(|signed| date < signed) {
            return Some(format!("the contract with {who} was not yet signed by both of you"));
        }
        if date < contract.starts_on {
            return Some(format!("the contract with {who} starts on {}", day(contract.starts_on)));
        }
        if let Some(end) = contract.ends_on
            && date > end
        {
            return Some(format!("the contract with {who} ended on {}", day(end)));
        }
        if let Some(lacked) = contract.supervisor_lacked(date) {
            return Some(format!("{who}'s {lacked} was not valid that day"));
        }
        if let Some(reason) = self.license_blocker(date) {
            return Some(reason);
        }
        None
    }

    /// Why an hour on `date` that must be under contract cannot count, if it cannot.
    fn under_contract_blocker(&self, date: Date) -> Option<String> {
        let running: Vec<&ContractRecord> = self
            .evidence
            .contracts
            .iter()
            .filter(|contract| contract.running_on(date))
            .collect();
        if running.is_empty() {
            return Some("no signed supervision contract was running that day".to_owned());
        }
        let mut first_reason = None;
        for contract in running {
            match self.contract_blocker(contract, date) {
                None => return None,
                Some(reason) => {
                    first_reason.get_or_insert(reason);
                }
            }
        }
        first_reason
    }

    /// Why hours of `rule`'s log on `date` cannot count, if they cannot: the checks made day by
    /// day (a running contract, a license), before totals, caps and spans.
    fn hour_blocker(&self, rule: &HoursRule, date: Date) -> Option<String> {
        if rule.under_contract {
            self.under_contract_blocker(date)
        } else if rule.log == LogKind::Clinical {
            self.license_blocker(date)
        } else {
            None
        }
    }

    fn supervision_days(&self) -> SupervisionDays {
        let mut days = SupervisionDays {
            sessions: Vec::new(),
            taught: Vec::new(),
            notices: Vec::new(),
        };
        let mut hidden = 0;
        let rule = self.program.supervision_rule();
        let group_size_max = rule.map_or(u32::MAX, |rule| rule.group_size_max);
        let taught_counts_as_training = self
            .program
            .hours_rule(LogKind::Training)
            .is_some_and(|rule| rule.supervisor_taught_max.is_some());
        let mut entries: Vec<&SupervisionEntry> = self.evidence.supervision.iter().collect();
        entries.sort_by_key(|entry| entry.date);
        let mut future = 0;
        for entry in entries {
            if entry.sign_off != SignOff::Countersigned {
                continue;
            }
            if entry.date > self.on {
                future += 1;
                continue;
            }
            let when = day(entry.date);
            let Some(contract) = self
                .evidence
                .contracts
                .iter()
                .find(|contract| contract.id == entry.contract_id)
            else {
                push_limited(
                    &mut days.notices,
                    &mut hidden,
                    format!(
                        "{when}: {} {} count because the session is not under any of your supervision contracts",
                        hours_text(entry.hours),
                        do_not(entry.hours == Hours::whole(1))
                    ),
                );
                continue;
            };
            if let Some(reason) = self.contract_blocker(contract, entry.date) {
                push_limited(
                    &mut days.notices,
                    &mut hidden,
                    format!(
                        "{when}: {} {} count because {reason}",
                        hours_text(entry.hours),
                        do_not(entry.hours == Hours::whole(1))
                    ),
                );
                continue;
            }
            let group = match entry.format {
                SupervisionFormat::Individual => false,
                SupervisionFormat::Group { approved: false, .. } => {
                    push_limited(
                        &mut days.notices,
                        &mut hidden,
                        format!(
                            "{when}: {} of group supervision {} count because the group was not approved by the board",
                            hours_text(entry.hours),
                            do_not(entry.hours == Hours::whole(1))
                        ),
                    );
                    continue;
                }
                SupervisionFormat::Group { size, .. } if size > group_size_max => {
                    push_limited(
                        &mut days.notices,
                        &mut hidden,
                        format!(
                            "{when}: {} of group supervision {} count because the group had {size} supervisees (at most {group_size_max})",
                            hours_text(entry.hours),
                            do_not(entry.hours == Hours::whole(1))
                        ),
                    );
                    continue;
                }
                SupervisionFormat::Group { .. } => true,
            };
            let countable = Countable {
                date: entry.date,
                hours: entry.hours,
                group,
            };
            if entry.counts_as_training && taught_counts_as_training {
                days.taught.push(countable);
            } else {
                days.sessions.push(countable);
            }
        }
        if future > 0 {
            push_limited(
                &mut days.notices,
                &mut hidden,
                format!(
                    "{} dated after {} {} count yet",
                    plural(future, "session", "sessions"),
                    day(self.on),
                    do_not(future == 1)
                ),
            );
        }
        days.notices = finish_notices(std::mem::take(&mut days.notices), hidden);
        days
    }

    /// The first day of supervision: the earliest countable session, or else the earliest
    /// running contract's start.
    fn supervision_start(&self) -> Option<Date> {
        let first_session = self
            .supervision
            .sessions
            .iter()
            .chain(&self.supervision.taught)
            .map(|s| s.date)
            .min();
        let first_contract = self
            .evidence
            .contracts
            .iter()
            .filter(|contract| contract.signed_on.is_some() && contract.starts_on <= self.on)
            .map(|contract| contract.starts_on)
            .min();
        match (first_session, first_contract) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn judge(&self, rule: &Rule) -> Judgement {
        match rule {
            Rule::Membership {
                types,
                through_supervision,
            } => self.membership(types, *through_supervision),
            Rule::Attestation => self.attestation(),
            Rule::Degree { options, accredited } => self.degree(options, *accredited),
            Rule::License { professions } => self.license(professions),
            Rule::Insurance => self.insurance(),
            Rule::Hours(rule) => self.hours(rule),
            Rule::Supervision(rule) => self.supervision(rule),
            Rule::Credential { program, held_years } => self.credential(program, *held_years),
            Rule::Supervisees { min } => {
                let have = self.evidence.supervisees;
                let met = have >= *min;
                let shortfalls = if met {
                    Vec::new()
                } else {
                    vec![format!("you have supervised {have} of the {min} supervisees needed")]
                };
                Judgement {
                    met,
                    progress: Progress::Count {
                        have: have.min(*min),
                        needed: *min,
                    },
                    shortfalls,
                    notices: Vec::new(),
                }
            }
            Rule::Documents { required } => self.documents(required),
        }
    }

    fn membership(&self, types: &[String], through_supervision: bool) -> Judgement {
        let lists = &self.program.lists;
        let accepted: Vec<_> = self
            .evidence
            .memberships
            .iter()
            .filter(|membership| types.contains(&membership.kind))
            .map(|membership| membership.valid)
            .collect();
        let mut shortfalls = Vec::new();
        let valid_today = covered(&accepted, self.on);
        let latest_end = accepted
            .iter()
            .filter_map(|period| period.until)
            .filter(|until| *until < self.on)
            .max();
        if !valid_today {
            let names: Vec<&str> = types.iter().map(|key| lists.membership_type_name(key)).collect();
            match latest_end {
                Some(end) => shortfalls.push(format!(
                    "your membership ended on {}; renew it to stay in good standing",
                    day(end)
                )),
                None => shortfalls.push(format!(
                    "no membership valid on {} ({} accepted)",
                    day(self.on),
                    names.join(", ")
                )),
            }
        }
        if through_supervision
            && let Some(start) = self.supervision_start()
            && let Some(gap) = first_gap(&accepted, start, self.on)
            && gap < self.on
            // Fix: when the membership is not valid today, a gap after its last day (or with
            // no membership at all) is the lapse already told above; it was told twice.
            && (valid_today || latest_end.is_some_and(|end| gap < end))
        {
            shortfalls.push(format!(
                "your membership lapsed on {}; it must be held without a gap from the start of supervision ({}) until today",
                day(gap),
                day(start)
            ));
        }
        Judgement::check(shortfalls.is_empty(), shortfalls)
    }

    fn attestation(&self) -> Judgement {
        match self.evidence.ethics_attested_on {
            Some(signed) if signed <= self.on => Judgement::check(true, Vec::new()),
            _ => Judgement::check(false, vec!["sign the code of ethics attestation".to_owned()]),
        }
    }

    fn degree(&self, options: &[DegreeOption], accredited: bool) -> Judgement {
        let degrees = &self.evidence.degrees;
        if degrees.is_empty() {
            let wanted: Vec<String> = options.iter().map(|option| describe_option(*option)).collect();
            return Judgement::check(false, vec![format!("record your degree ({})", wanted.join(" or "))]);
        }
        let mut shortfalls = Vec::new();
        for degree in degrees {
            let what = format!("{} from {}", degree.level.label(), degree.institution);
            if accredited && !degree.accredited {
                shortfalls.push(format!(
                    "{what} is not from an accredited school or board-approved program"
                ));
                continue;
            }
            if degree.awarded_on > self.on {
                shortfalls.push(format!("{what} is dated in the future ({})", day(degree.awarded_on)));
                continue;
            }
            // Fix: of the options the degree's level fits, only the one whose years are
            // reached first matters. Before, a doctorate was told about "master's + 2" as
            // well as "doctorate + 1", and a doctorate lacking only its transcript was told
            // about years it did not need.
            let soonest = options
                .iter()
                .filter(|option| degree.level >= option.level)
                .map(|option| {
                    (
                        add_years(degree.awarded_on, i32::from(option.years_after)),
                        option.years_after,
                    )
                })
                .min();
            match soonest {
                None => {
                    let wanted: Vec<String> = options.iter().map(|option| describe_option(*option)).collect();
                    shortfalls.push(format!(
                        "{what} is not one of the accepted degrees ({})",
                        wanted.join(" or ")
                    ));
                }
                Some((ready, years)) if ready > self.on => shortfalls.push(format!(
                    "{what} ({}): the {} after the degree {} reached on {}",
                    day(degree.awarded_on),
                    plural(usize::from(years), "year", "years"),
                    if years == 1 { "is" } else { "are" },
                    day(ready)
                )),
                Some(_) if !degree.documented => shortfalls.push(format!("{what}: attach the transcript")),
                Some(_) => return Judgement::check(true, Vec::new()),
            }
        }
        shortfalls.dedup();
        Judgement::check(false, shortfalls)
    }

    fn license(&self, professions: &[String]) -> Judgement {
        let lists = &self.program.lists;
        let licenses = &self.evidence.licenses;
        if licenses.is_empty() {
            return Judgement::check(false, vec!["record your license to practise".to_owned()]);
        }
        let mut shortfalls = Vec::new();
        for license in licenses {
            let what = format!(
                "{} license ({})",
                lists.profession_name(&license.profession),
                license.jurisdiction
            );
            if !professions.contains(&license.profession) {
                let names: Vec<&str> = professions.iter().map(|key| lists.profession_name(key)).collect();
                shortfalls.push(format!(
                    "{what} is not among the accepted professions ({})",
                    names.join(", ")
                ));
            } else if license.valid.from > self.on {
                shortfalls.push(format!("{what} is valid only from {}", day(license.valid.from)));
            } else if !license.valid.contains(self.on) {
                let end = license.valid.until.map_or_else(String::new, day);
                shortfalls.push(format!("{what} expired on {end}"));
            } else if !license.documented {
                shortfalls.push(format!("{what}: attach a copy of the license"));
            } else {
                return Judgement::check(true, Vec::new());
            }
        }
        Judgement::check(false, shortfalls)
    }

    fn insurance(&self) -> Judgement {
        let policies = &self.evidence.insurance;
        if policies.is_empty() {
            return Judgement::check(false, vec!["record your professional liability insurance".to_owned()]);
        }
        let mut shortfalls = Vec::new();
        for policy in policies {
            let what = format!("insurance with {}", policy.carrier);
            if policy.valid.from > self.on {
                shortfalls.push(format!("{what} starts on {}", day(policy.valid.from)));
            } else if !policy.valid.contains(self.on) {
                let end = policy.valid.until.map_or_else(String::new, day);
                shortfalls.push(format!("{what} expired on {end}"));
            } else if !policy.documented {
                shortfalls.push(format!("{what}: attach the face sheet"));
            } else {
                return Judgement::check(true, Vec::new());
            }
        }
        Judgement::check(false, shortfalls)
    }

    fn credential(&self, program: &ProgramCode, held_years: u8) -> Judgement {
        let held: Vec<_> = self
            .evidence
            .credentials
            .iter()
            .filter(|credential| credential.program == program.as_str())
            .collect();
        if held.is_empty() {
            return Judgement::check(
                false,
                vec![format!(
                    "this credential requires holding {program} for {}",
                    plural(usize::from(held_years), "year", "years")
                )],
            );
        }
        // Fix: years are counted from the start of the unbroken run of good-standing periods
        // that reaches today, so a renewal (a new period starting the day after the last)
        // continues the same credential. Before, each period was judged alone and a renewed
        // CST started again from zero years.
        let standing: Vec<Period> = held
            .iter()
            .filter(|credential| credential.in_good_standing)
            .map(|credential| credential.valid)
            .collect();
        if !covered(&standing, self.on) {
            return Judgement::check(
                false,
                vec![format!(
                    "your {program} credential is not in good standing on {}",
                    day(self.on)
                )],
            );
        }
        let since = standing
            .iter()
            .map(|period| period.from)
            .filter(|from| first_gap(&standing, *from, self.on).is_none())
            .min()
            .unwrap_or(self.on);
        let ready = add_years(since, i32::from(held_years));
        if ready > self.on {
            return Judgement::check(
                false,
                vec![format!(
                    "{program} held since {}; {} {} reached on {}",
                    day(since),
                    plural(usize::from(held_years), "year", "years"),
                    if held_years == 1 { "is" } else { "are" },
                    day(ready)
                )],
            );
        }
        Judgement::check(true, Vec::new())
    }

    fn documents(&self, required: &[DocumentNeed]) -> Judgement {
        let lists = &self.program.lists;
        let mut have_total = 0;
        let mut needed_total = 0;
        let mut shortfalls = Vec::new();
        for need in required {
            let have = self
                .evidence
                .documents
                .iter()
                .filter(|kind| **kind == need.kind)
                .count() as u32;
            needed_total += need.count;
            have_total += have.min(need.count);
            if have < need.count {
                shortfalls.push(format!(
                    "{}: {have} of {} on file",
                    lists.document_kind_name(&need.kind),
                    need.count
                ));
            }
        }
        Judgement {
            met: shortfalls.is_empty(),
            progress: Progress::Count {
                have: have_total,
                needed: needed_total,
            },
            shortfalls,
            notices: Vec::new(),
        }
    }

    fn hours(&self, rule: &HoursRule) -> Judgement {
        let lists = &self.program.lists;
        let mut notices = Vec::new();
        let mut hidden = 0;
        let mut entries: Vec<&HourEntry> = Vec::new();
        let mut future = 0;
        let mut logged = self
            .evidence
            .hours
            .iter()
            .filter(|entry| entry.log == rule.log)
            .collect::<Vec<_>>();
        logged.sort_by_key(|entry| entry.date);
        let logged_any = !logged.is_empty();
        for entry in logged {
            if entry.date > self.on {
                future += 1;
                continue;
            }
            match self.hour_blocker(rule, entry.date) {
                Some(reason) => push_limited(
                    &mut notices,
                    &mut hidden,
                    format!(
                        "{}: {} {} count because {reason}",
                        day(entry.date),
                        hours_text(entry.hours),
                        do_not(entry.hours == Hours::whole(1))
                    ),
                ),
                None => entries.push(entry),
            }
        }
        if future > 0 {
            push_limited(
                &mut notices,
                &mut hidden,
                format!(
                    "{} dated after {} {} count yet",
                    plural(future, "entry", "entries"),
                    day(self.on),
                    do_not(future == 1)
                ),
            );
        }

        // Hours taught by the supervisor, up to the cap.
        let taught_logged: Hours = self.supervision.taught.iter().map(|session| session.hours).sum();
        let taught = match rule.supervisor_taught_max {
            Some(max) => {
                if taught_logged > max {
                    notices.push(format!(
                        "you logged {} taught by your supervisor; at most {max} count as training, and none of them count as supervision",
                        hours_text(taught_logged)
                    ));
                }
                taught_logged.min(max)
            }
            None => Hours::ZERO,
        };

        let window = best_window(
            &entries,
            rule.span,
            |slice| tally(slice, rule).counted + taught,
            rule.total,
        );
        let in_window = &entries[window.range.clone()];
        let counted_hours = tally(in_window, rule);
        let counted = counted_hours.counted + taught;
        let mut shortfalls = Vec::new();
        if counted < rule.total {
            shortfalls.push(hours_to_go(counted, rule.total, logged_any));
        }
        for (cap, logged_in_cap) in rule.caps.iter().zip(&counted_hours.capped_logged) {
            if *logged_in_cap > cap.max {
                let names: Vec<&str> = cap.modes.iter().map(|mode| lists.mode_name(mode)).collect();
                let excess = *logged_in_cap - cap.max;
                let message = format!(
                    "{}: {} logged, at most {} of the {} count (the other {excess} {})",
                    names.join(" or "),
                    hours_text(*logged_in_cap),
                    cap.max,
                    rule.total,
                    do_not(excess == Hours::whole(1))
                );
                if counted < rule.total {
                    shortfalls.push(message)
                } else {
                    notices.push(message)
                }
            }
        }
        if let Some(split) = rule.log.split_list() {
            for item in lists.split_items(split) {
                let Some(minimum) = rule.minimum_for(&item.key) else {
                    continue;
                };
                let have = counted_hours
                    .per_item
                    .get(item.key.as_str())
                    .copied()
                    .unwrap_or_default();
                if have < minimum {
                    shortfalls.push(format!(
                        "{} short in {} (needs {minimum}, has {have})",
                        hours_text(minimum - have),
                        item.name
                    ));
                }
            }
        }
        if let Some(span) = rule.span {
            span_shortfalls(
                &window,
                span,
                &entries.iter().map(|e| e.date).collect::<Vec<_>>(),
                (rule.log.words(), "entry", "entries"),
                counted < rule.total,
                &mut shortfalls,
                &mut notices,
            );
        }
        Judgement {
            met: shortfalls.is_empty(),
            progress: Progress::Hours {
                counted: counted.min(rule.total),
                pending: Hours::ZERO,
                needed: rule.total,
            },
            shortfalls,
            notices: finish_notices(notices, hidden),
        }
    }

    fn supervision(&self, rule: &SupervisionRule) -> Judgement {
        let sessions = &self.supervision.sessions;
        let mut notices = self.supervision.notices.clone();
        let window = best_window(
            sessions,
            rule.span,
            |slice| count_sessions(slice, rule).counted,
            rule.total,
        );
        let tally = count_sessions(&sessions[window.range.clone()], rule);
        let counted = tally.counted;
        let mut shortfalls = Vec::new();
        if self.evidence.supervision.is_empty() {
            shortfalls.push(format!("no supervision logged yet: {} hours needed", rule.total));
        } else if sessions.is_empty() {
            shortfalls.push(format!("no supervision counts yet: {} hours needed", rule.total));
        } else if counted < rule.total {
            shortfalls.push(hours_to_go(counted, rule.total, true));
        }
        let mut explain = |message: String| {
            if counted < rule.total {
                shortfalls.push(message)
            } else {
                notices.push(message)
            }
        };
        // The monthly cap is applied first, so the group share is told only about the group
        // hours the months left: each lost hour is explained once.
        if let Some(max) = rule.month_max {
            for ((year, month), logged) in &tally.over_month {
                explain(format!(
                    "{}: {} logged, only {max} count in a calendar month",
                    month_name(*year, *month),
                    hours_text(*logged)
                ));
            }
        }
        if tally.group_within_months > rule.group_cap() {
            let excess = tally.group_within_months - rule.group_cap();
            let left = if tally.group_within_months == tally.group_logged {
                "logged"
            } else {
                "left after the monthly limit"
            };
            explain(format!(
                "group supervision: {} {left}, at most {} of the {} count (the {}% group share); the other {} {} count",
                hours_text(tally.group_within_months),
                rule.group_cap(),
                rule.total,
                rule.group_share_percent,
                hours_text(excess),
                do_not(excess == Hours::whole(1))
            ));
        }
        if let Some(span) = rule.span {
            let dates: Vec<Date> = sessions.iter().map(|session| session.date).collect();
            span_shortfalls(
                &window,
                span,
                &dates,
                ("supervision", "session", "sessions"),
                counted < rule.total,
                &mut shortfalls,
                &mut notices,
            );
        }
        if rule.primary_required
            && !self
                .evidence
                .contracts
                .iter()
                .any(|contract| contract.primary && contract.signed_on.is_some_and(|d| d <= self.on))
        {
            shortfalls.push("no signed contract names a primary supervisor".to_owned());
        }
        Judgement {
            met: shortfalls.is_empty(),
            progress: Progress::Hours {
                counted: counted.min(rule.total),
                pending: Hours::ZERO,
                needed: rule.total,
            },
            shortfalls,
            notices,
        }
    }
}

fn describe_option(option: DegreeOption) -> String {
    if option.years_after == 0 {
        option.level.label().to_owned()
    } else {
        format!(
            "{} + {}",
            option.level.label(),
            plural(usize::from(option.years_after), "year", "years")
        )
    }
}

/// Anything with a date, for windows of months.
trait Dated {
    fn date(&self) -> Date;
}

impl Dated for &HourEntry {
    fn date(&self) -> Date {
        self.date
    }
}

impl Dated for Countable {
    fn date(&self) -> Date {
        self.date
    }
}

/// The stretch of (date-sorted) entries that counts, chosen for the candidate.
struct Window {
    range: std::ops::Range<usize>,
    first: Option<Date>,
    last: Option<Date>,
    /// Entries after the window's end (beyond the longest span).
    beyond: usize,
}

/// With no span rule every entry counts. With one, hours count within `max_months` of the
/// first; the engine tries every starting entry and keeps the window that meets the
/// requirement, or else the one counting most hours (ties: the earliest). Trying every start
/// is what makes the result never get worse when an entry is added.
fn best_window<T: Dated>(
    entries: &[T],
    span: Option<MonthSpan>,
    count: impl Fn(&[T]) -> Hours,
    total: Hours,
) -> Window {
    let whole = |range: std::ops::Range<usize>, beyond| Window {
        first: entries.get(range.start).map(Dated::date),
        last: range.end.checked_sub(1).and_then(|i| entries.get(i)).map(Dated::date),
        range,
        beyond,
    };
    let Some(span) = span else {
        return whole(0..entries.len(), 0);
    };
    let mut best: Option<(bool, Hours, Window)> = None;
    for start in 0..entries.len() {
        if start > 0 && entries[start].date() == entries[start - 1].date() {
            continue;
        }
        let first = entries[start].date();
        let limit = span.last_day(first);
        let end = start
            + entries[start..]
                .iter()
                .take_while(|entry| entry.date() <= limit)
                .count();
        let window = whole(start..end, entries.len() - end);
        let hours = count(&entries[window.range.clone()]);
        let long_enough = window.last.is_some_and(|last| span.long_enough(first, last));
        let meets = hours >= total && long_enough;
        let better = match &best {
            None => true,
            Some((best_meets, best_hours, _)) => (meets, hours) > (*best_meets, *best_hours),
        };
        if better {
            best = Some((meets, hours, window));
        }
    }
    best.map_or_else(|| whole(0..0, 0), |(_, _, window)| window)
}

/// What a span rule says about the chosen window. Too short a span is a shortfall. Entries
/// outside the window are told as a shortfall while hours are short (they explain it), and
/// otherwise as a notice.
///
/// Fix: they were always a shortfall, so a met requirement became unmet when an entry was
/// added outside the window (old counseling hours, supervision continued after the 24
/// months), against the rule that adding evidence never undoes a met requirement.
fn span_shortfalls(
    window: &Window,
    span: MonthSpan,
    all_dates: &[Date],
    (what, one, many): (&str, &str, &str),
    hours_short: bool,
    shortfalls: &mut Vec<String>,
    notices: &mut Vec<String>,
) {
    let (Some(first), Some(last)) = (window.first, window.last) else {
        return;
    };
    let months = span.months(first, last);
    if !span.long_enough(first, last) {
        let unit = match span.counting {
            MonthCounting::Elapsed => ("month", "months"),
            MonthCounting::Calendar => ("calendar month", "calendar months"),
        };
        shortfalls.push(format!(
            "{what} spans {} ({} to {}); it must span at least {} {} (until {} or later)",
            plural(months.max(0) as usize, unit.0, unit.1),
            day(first),
            day(last),
            span.min_months,
            unit.1,
            day(span.long_enough_on(first))
        ));
    }
    let before = all_dates.iter().filter(|date| **date < first).count();
    let outside = window.beyond + before;
    if outside > 0 {
        let message = format!(
            "{} outside the {}-month span from {} to {} {} count",
            plural(outside, one, many),
            span.max_months,
            day(first),
            day(span.last_day(first)),
            do_not(outside == 1)
        );
        if hours_short {
            shortfalls.push(message);
        } else {
            notices.push(message);
        }
    }
}

/// Hours in a log after caps, and hours per list item.
struct Tally {
    counted: Hours,
    /// Hours logged under each of the rule's caps (before capping), in the rule's order.
    capped_logged: Vec<Hours>,
    per_item: BTreeMap<String, Hours>,
}

fn tally(entries: &[&HourEntry], rule: &HoursRule) -> Tally {
    let mut uncapped = Hours::ZERO;
    let mut capped_logged = vec![Hours::ZERO; rule.caps.len()];
    let mut per_item: BTreeMap<String, Hours> = BTreeMap::new();
    for entry in entries {
        match rule.caps.iter().position(|cap| cap.modes.contains(&entry.mode)) {
            Some(index) => capped_logged[index] += entry.hours,
            None => uncapped += entry.hours,
        }
        for (item, hours) in &entry.split {
            *per_item.entry(item.clone()).or_default() += *hours;
        }
    }
    let capped: Hours = rule
        .caps
        .iter()
        .zip(&capped_logged)
        .map(|(cap, logged)| (*logged).min(cap.max))
        .sum();
    Tally {
        counted: uncapped + capped,
        capped_logged,
        per_item,
    }
}

/// Supervision hours after the monthly and group caps.
struct SessionTally {
    counted: Hours,
    group_logged: Hours,
    /// Group hours left after the monthly cap, before the group share.
    group_within_months: Hours,
    /// Months whose logged hours exceed the monthly cap, with the hours logged.
    over_month: Vec<((i32, u8), Hours)>,
}

fn count_sessions(sessions: &[Countable], rule: &SupervisionRule) -> SessionTally {
    let mut months: BTreeMap<(i32, u8), (Hours, Hours)> = BTreeMap::new();
    for session in sessions {
        let month = months
            .entry((session.date.year(), session.date.month() as u8))
            .or_default();
        if session.group {
            month.1 += session.hours
        } else {
            month.0 += session.hours
        }
    }
    let mut individual = Hours::ZERO;
    let mut group = Hours::ZERO;
    let mut group_logged = Hours::ZERO;
    let mut over_month = Vec::new();
    for (month, (month_individual, month_group)) in months {
        group_logged += month_group;
        // Within a month over the cap, individual hours are counted first: they are not
        // limited by the group share, so this counts the most for the candidate.
        let (counted_individual, counted_group) = match rule.month_max {
            Some(max) if month_individual + month_group > max => {
                over_month.push((month, month_individual + month_group));
                let take_individual = month_individual.min(max);
                (take_individual, month_group.min(max - take_individual))
            }
            _ => (month_individual, month_group),
        };
        individual += counted_individual;
        group += counted_group;
    }
    SessionTally {
        counted: individual + group.min(rule.group_cap()),
        group_logged,
        group_within_months: group,
        over_month,
    }
}
