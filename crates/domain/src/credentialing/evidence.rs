//! Evidence: what a candidate has on file, as the rule engine reads it.
//!
//! The store keeps the details (institutions, policy numbers, uploaded files); the engine
//! needs only dates, amounts and whether each item has been verified. "Verified" means what
//! the board accepts as proof: a document attached to a degree or license, a supervisor's
//! countersignature on a supervision session. Unverified evidence makes a requirement
//! *pending* rather than met.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::credentialing::hours::Hours;
use crate::credentialing::programs::{DegreeLevel, LogKind};

/// A span of days, both ends included; an open end means "until further notice".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub from: Date,
    pub until: Option<Date>,
}

impl Period {
    pub fn new(from: Date, until: Option<Date>) -> Period {
        Period { from, until }
    }

    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

/// Whether any of `periods` contains `day`.
pub fn covered(periods: &[Period], day: Date) -> bool {
    periods.iter().any(|period| period.contains(day))
}

/// The first day in `from..=to` that none of `periods` covers, if there is one.
pub fn first_gap(periods: &[Period], from: Date, to: Date) -> Option<Date> {
    let mut day = from;
    loop {
        if day > to {
            return None;
        }
        // Jump to the end of the period that covers `day` and reaches furthest.
        let reach = periods
            .iter()
            .filter(|period| period.contains(day))
            .map(|period| period.until)
            .max_by(|a, b| match (a, b) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            });
        match reach {
            None => return Some(day),
            Some(None) => return None,
            Some(Some(until)) => day = until.next_day()?,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MembershipRecord {
    /// A membership type key from the board lists.
    pub kind: String,
    pub valid: Period,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DegreeRecord {
    pub level: DegreeLevel,
    pub institution: String,
    /// From an accredited school or a board-approved program.
    pub accredited: bool,
    pub awarded_on: Date,
    /// A transcript is attached.
    pub documented: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LicenseRecord {
    /// A profession key from the board lists.
    pub profession: String,
    pub jurisdiction: String,
    pub valid: Period,
    /// A copy of the license is attached.
    pub documented: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InsuranceRecord {
    pub carrier: String,
    pub valid: Period,
    /// The face sheet is attached.
    pub documented: bool,
}

/// One entry in one of the candidate's hour logs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HourEntry {
    pub log: LogKind,
    pub date: Date,
    pub hours: Hours,
    /// A delivery mode key from the board lists.
    pub mode: String,
    /// For split logs: hours per core area or discipline, adding up to `hours`.
    pub split: Vec<(String, Hours)>,
}

/// A supervision contract as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContractRecord {
    pub id: String,
    pub supervisor_name: String,
    pub starts_on: Date,
    /// The day the second party signed; `None` while unsigned. Supervision before this day
    /// does not count: the contract must be signed before supervision starts.
    pub signed_on: Option<Date>,
    /// Last day of the contract once either party has ended it (after the notice period).
    pub ends_on: Option<Date>,
    pub primary: bool,
    /// When the supervisor held a valid supervisor credential, license and insurance.
    pub supervisor_credential: Vec<Period>,
    pub supervisor_license: Vec<Period>,
    pub supervisor_insurance: Vec<Period>,
}

impl ContractRecord {
    /// Whether the contract was signed and running on `day` (standing aside).
    pub fn running_on(&self, day: Date) -> bool {
        self.signed_on.is_some_and(|signed| signed <= day)
            && self.starts_on <= day
            && self.ends_on.is_none_or(|end| day <= end)
    }

    /// What the supervisor lacked on `day`, if anything, in words.
    pub fn supervisor_lacked(&self, day: Date) -> Option<&'static str> {
        if !covered(&self.supervisor_credential, day) {
            Some("supervisor credential")
        } else if !covered(&self.supervisor_license, day) {
            Some("license")
        } else if !covered(&self.supervisor_insurance, day) {
            Some("insurance")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOff {
    Pending,
    Countersigned,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SupervisionFormat {
    Individual,
    /// A group session: `approved` by board staff beforehand, with `size` supervisees.
    Group {
        approved: bool,
        size: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SupervisionEntry {
    pub contract_id: String,
    pub date: Date,
    pub hours: Hours,
    pub format: SupervisionFormat,
    pub sign_off: SignOff,
    /// Training taught by the supervisor, counted as sex-therapy training instead of supervision.
    pub counts_as_training: bool,
}

/// A credential the candidate already holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HeldCredential {
    pub program: String,
    pub valid: Period,
    pub in_good_standing: bool,
}

/// Everything the engine reads about one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evidence {
    pub memberships: Vec<MembershipRecord>,
    pub ethics_attested_on: Option<Date>,
    pub degrees: Vec<DegreeRecord>,
    pub licenses: Vec<LicenseRecord>,
    pub insurance: Vec<InsuranceRecord>,
    pub hours: Vec<HourEntry>,
    pub contracts: Vec<ContractRecord>,
    pub supervision: Vec<SupervisionEntry>,
    pub credentials: Vec<HeldCredential>,
    /// Supervisees this person has supervised (for the supervisor credential).
    pub supervisees: u32,
    /// Document kinds on file, one entry per document.
    pub documents: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn gaps_between_periods() {
        let periods = [
            Period::new(date!(2025 - 01 - 01), Some(date!(2025 - 06 - 30))),
            Period::new(date!(2025 - 07 - 01), Some(date!(2025 - 12 - 31))),
            Period::new(date!(2026 - 02 - 01), None),
        ];
        assert_eq!(first_gap(&periods, date!(2025 - 03 - 01), date!(2025 - 12 - 31)), None);
        assert_eq!(
            first_gap(&periods, date!(2025 - 03 - 01), date!(2026 - 03 - 01)),
            Some(date!(2026 - 01 - 01))
        );
        assert_eq!(first_gap(&periods, date!(2026 - 03 - 01), date!(2030 - 01 - 01)), None);
        assert_eq!(
            first_gap(&periods, date!(2024 - 12 - 01), date!(2025 - 01 - 05)),
            Some(date!(2024 - 12 - 01))
        );
    }
}
