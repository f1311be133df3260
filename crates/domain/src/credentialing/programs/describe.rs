//! Requirements in plain words, for the public program pages and the candidate's portal.

use time::macros::date;

use super::{BoardLists, CredentialKind, MonthCounting, MonthSpan, Requirement, Rule};

impl MonthSpan {
    /// How this span's months are counted, with an example at its own boundaries: "Months are
    /// counted as whole months elapsed: supervision from 15 January 2025 spans 18 months on
    /// 15 July 2026, and its 24 months end on 15 January 2027."
    pub fn reading(&self, what: &str) -> String {
        let first = date!(2025 - 01 - 15);
        let long_enough = self.long_enough_on(first);
        let last = self.last_day(first);
        let spoken = |day: time::Date| format!("{} {} {}", day.day(), day.month(), day.year());
        match self.counting {
            MonthCounting::Elapsed => format!(
                "Months are counted as whole months elapsed: {what} from 15 January 2025 spans {} months on {}, and its {} months end on {}.",
                self.min_months,
                spoken(long_enough),
                self.max_months,
                spoken(last)
            ),
            MonthCounting::Calendar => format!(
                "Months are counted as calendar months, the first and the last both included, whatever the day: {what} from January 2025 spans {} months in {} {}, and its {} months end on {}.",
                self.min_months,
                long_enough.month(),
                long_enough.year(),
                self.max_months,
                spoken(last)
            ),
        }
    }
}

impl CredentialKind {
    /// One line telling the public what this kind of professional does: the directory and the
    /// program pages make the difference between the credentials plain.
    /// What this kind of professional can help a member of the public with, in plain words
    /// (the directory's profile pages).
    pub fn helps_with(self) -> &'static str {
        match self {
            CredentialKind::Therapist => {
                "A certified sex therapist is a licensed clinician who provides psychotherapy for sexual concerns: \
                 difficulties with desire, arousal, orgasm or pain, the effects of illness, trauma or infertility \
                 on sexuality, and relationship and intimacy problems, for individuals and couples."
            }
            CredentialKind::Counselor => {
                "A certified sexuality counselor helps with sexual questions and concerns through short-term \
                 counseling, information and referral. Counselors do not provide psychotherapy; for a condition \
                 that needs treatment they refer to a therapist or physician."
            }
            CredentialKind::Educator => {
                "A certified sexuality educator teaches about sexuality, sexual health and relationships to \
                 groups, schools, clinics and communities. Educators do not provide counseling or therapy."
            }
            CredentialKind::Supervisor => {
                "A certified supervisor is a sex therapist trained to supervise other clinicians working towards \
                 certification, in addition to seeing clients."
            }
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            CredentialKind::Therapist => {
                "A licensed mental-health or medical clinician trained to provide psychotherapy for sexual concerns."
            }
            CredentialKind::Counselor => {
                "A human-service professional who counsels on sexual concerns; not a psychotherapist, and no license is required."
            }
            CredentialKind::Educator => {
                "A professional who teaches about sexuality to groups, students and communities."
            }
            CredentialKind::Supervisor => {
                "A certified sex therapist trained to supervise candidates working towards certification."
            }
        }
    }
}

fn years(count: u8) -> String {
    if count == 1 {
        "1 year".to_owned()
    } else {
        format!("{count} years")
    }
}

impl Requirement {
    /// The requirement's rule as sentences.
    pub fn describe(&self, lists: &BoardLists) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.rule {
            Rule::Membership {
                types,
                through_supervision,
            } => {
                let names: Vec<&str> = types.iter().map(|key| lists.membership_type_name(key)).collect();
                lines.push(format!("A current membership: {}.", names.join(", ")));
                if *through_supervision {
                    lines.push("Kept without a gap from the start of supervision; a lapse in membership lapses the credential.".to_owned());
                }
            }
            Rule::Attestation => lines.push("A signed attestation to the code of ethics.".to_owned()),
            Rule::Degree { options, accredited } => {
                for option in options {
                    if option.years_after == 0 {
                        lines.push(format!("{}.", option.level.label()));
                    } else {
                        lines.push(format!(
                            "{} and {} of experience after it.",
                            option.level.label(),
                            years(option.years_after)
                        ));
                    }
                }
                if *accredited {
                    lines.push(
                        "From an accredited school or a board-approved program; the transcript is attached.".to_owned(),
                    );
                }
            }
            Rule::License { professions } => {
                let names: Vec<&str> = professions.iter().map(|key| lists.profession_name(key)).collect();
                lines.push(format!("A license to practise independently in: {}.", names.join(", ")));
                lines.push("Valid on the day of the application; hours stop counting on days without one.".to_owned());
            }
            Rule::Insurance => lines.push(
                "Professional liability insurance, valid on the day of the application (face sheet attached)."
                    .to_owned(),
            ),
            Rule::Hours(rule) => {
                lines.push(format!("At least {} hours of {}.", rule.total, rule.log.words()));
                if let Some(split) = rule.log.split_list() {
                    let items = lists.split_items(split);
                    lines.push(format!(
                        "Across these {} areas: {}.",
                        items.len(),
                        items
                            .iter()
                            .map(|item| item.name.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                if let Some(min) = rule.min_each {
                    lines.push(format!("At least {min} hours in each area."));
                }
                if let Some(split) = rule.log.split_list() {
                    for (key, min) in &rule.minimums {
                        lines.push(format!("At least {min} hours in {}.", lists.item_name(split, key)));
                    }
                }
                for cap in &rule.caps {
                    let names: Vec<&str> = cap.modes.iter().map(|mode| lists.mode_name(mode)).collect();
                    lines.push(format!(
                        "At most {} of the {} hours by {}.",
                        cap.max,
                        rule.total,
                        names.join(" or ")
                    ));
                }
                if let Some(max) = rule.supervisor_taught_max {
                    lines.push(format!(
                        "Up to {max} hours taught by your supervisor may count here; those hours then do not count as supervision."
                    ));
                }
                if rule.under_contract {
                    lines.push("Only hours while a signed supervision contract is running count.".to_owned());
                }
                if let Some(span) = rule.span {
                    lines.push(format!(
                        "Spread over {} to {} months.",
                        span.min_months, span.max_months
                    ));
                    lines.push(span.reading("hours logged"));
                }
            }
            Rule::Supervision(rule) => {
                lines.push(format!(
                    "At least {} hours of supervision by a certified supervisor, each session countersigned.",
                    rule.total
                ));
                if rule.group_share_percent < 100 {
                    lines.push(format!(
                        "Group supervision counts for at most {}% ({} hours), in board-approved groups of at most {} supervisees.",
                        rule.group_share_percent,
                        rule.group_cap(),
                        rule.group_size_max
                    ));
                }
                if let Some(max) = rule.month_max {
                    lines.push(format!("At most {max} hours count in any calendar month."));
                }
                if let Some(span) = rule.span {
                    lines.push(format!(
                        "Supervision spans at least {} and at most {} months.",
                        span.min_months, span.max_months
                    ));
                    lines.push(span.reading("supervision"));
                }
                lines.push(
                    "Only under a contract signed by both before supervision starts, while the supervisor's credential, license and insurance are valid."
                        .to_owned(),
                );
                if rule.primary_required {
                    lines.push("One supervisor is named the primary supervisor.".to_owned());
                }
            }
            Rule::Credential { program, held_years } => lines.push(format!(
                "Hold the {program} credential in good standing for at least {}.",
                years(*held_years)
            )),
            Rule::Supervisees { min } => lines.push(format!("Have supervised at least {min} supervisees.")),
            Rule::Documents { required } => {
                for need in required {
                    let name = lists.document_kind_name(&need.kind);
                    if need.count == 1 {
                        lines.push(format!("{name}."));
                    } else {
                        lines.push(format!("{name}: {}.", need.count));
                    }
                }
            }
        }
        lines
    }
}
