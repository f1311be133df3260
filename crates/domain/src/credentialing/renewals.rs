//! Renewal: continuing-education (CE) credits counted by a program's conversion rules.
//!
//! A credential is renewed every few years on enough CE credits. Board-approved CE counts in
//! full; other ways of learning (non-approved CE, supervision received or given, teaching)
//! convert at a rate and count only up to a cap each, and at least some credits must be
//! board-approved. Every figure is the program's data (`[renewal]` in its definition file).

use serde::{Deserialize, Serialize};

use crate::credentialing::hours::Hours;

/// One other way of earning credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalMethod {
    /// A stable key such as `non_approved_ce`, `supervision_received`, `teaching`.
    pub key: String,
    pub name: String,
    /// Credits per hour, in per cent (50 = half value).
    pub rate_percent: u32,
    /// The most credits this method can give.
    pub cap: Hours,
}

/// A program's renewal rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalRule {
    /// Credits needed per renewal.
    pub credits: Hours,
    /// Board-approved credits needed at least (all credits may be approved).
    pub approved_min: Hours,
    /// Months before expiry when renewal opens.
    pub opens_months_before: u16,
    /// Months after expiry during which an expired credential may still be renewed
    /// (reinstatement); after that the holder applies again. 0: no grace.
    #[serde(default)]
    pub reinstate_within_months: u16,
    pub methods: Vec<RenewalMethod>,
}

/// What a holder reports for one renewal: approved CE hours, and hours per other method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalClaim {
    pub approved: Hours,
    pub other: Vec<(String, Hours)>,
}

/// One method's contribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodCredit {
    pub key: String,
    pub name: String,
    pub hours: Hours,
    /// Credits before the cap.
    pub converted: Hours,
    /// Credits that count.
    pub counted: Hours,
}

/// The judgement on a renewal claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalAssessment {
    pub approved: Hours,
    pub methods: Vec<MethodCredit>,
    pub total: Hours,
    pub met: bool,
    pub shortfalls: Vec<String>,
    /// Credits logged that do not count (over a cap), said plainly.
    pub notices: Vec<String>,
}

impl RenewalRule {
    /// The rule in plain words, for the program pages.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{} continuing-education credits per renewal, at least {} of them board-approved; renewal opens {} months before expiry.",
            self.credits, self.approved_min, self.opens_months_before
        )];
        if self.reinstate_within_months > 0 {
            lines.push(format!(
                "An expired credential can be reinstated by renewing within {} months after it ends; after that, apply again.",
                self.reinstate_within_months
            ));
        }
        for method in &self.methods {
            let rate = if method.rate_percent == 100 {
                "1 credit per hour".to_owned()
            } else {
                format!("{}% of a credit per hour", method.rate_percent)
            };
            lines.push(format!("{}: {rate}, at most {}.", method.name, credits(method.cap)));
        }
        lines
    }
}

/// Where a renewal of one cycle stands. The stored words (`open`, `audit`, `approved`) are the
/// database's; [`RenewalState::as_str`] and [`RenewalState::parse`] are the only way between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenewalState {
    /// The holder logs credits; also where a renewal the board returned goes back to.
    Open,
    /// Submitted and drawn for the audit: board staff check the evidence.
    Audit,
    /// Approved: the credential runs another cycle. Final.
    Approved,
}

/// What moves a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenewalAction {
    /// The holder logs or removes a credit.
    ChangeCredits,
    /// The holder submits and the draw passes it by: approved at once.
    SubmitNotDrawn,
    /// The holder submits and the draw chooses it for the audit.
    SubmitDrawn,
    /// Board staff approve an audited renewal.
    ApproveAudit,
    /// Board staff return an audited renewal to the holder with a note.
    Return,
}

/// Text that is not one of the stored renewal states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known renewal state")]
pub struct UnknownRenewalState;

/// An action the renewal's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} is not allowed on a renewal that is {}", from.as_str())]
pub struct RenewalTransitionRefused {
    pub from: RenewalState,
    pub action: RenewalAction,
}

impl RenewalState {
    pub const ALL: [RenewalState; 3] = [RenewalState::Open, RenewalState::Audit, RenewalState::Approved];

    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RenewalState::Open => "open",
            RenewalState::Audit => "audit",
            RenewalState::Approved => "approved",
        }
    }

    pub fn parse(text: &str) -> Result<RenewalState, UnknownRenewalState> {
        RenewalState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or(UnknownRenewalState)
    }

    /// The state `action` leads to, or why it is refused: the holder works on an open renewal
    /// only; staff decide only an audited one.
    pub fn after(self, action: RenewalAction) -> Result<RenewalState, RenewalTransitionRefused> {
        use RenewalAction as A;
        use RenewalState as S;
        match (self, action) {
            (S::Open, A::ChangeCredits) => Ok(S::Open),
            (S::Open, A::SubmitNotDrawn) => Ok(S::Approved),
            (S::Open, A::SubmitDrawn) => Ok(S::Audit),
            (S::Audit, A::ApproveAudit) => Ok(S::Approved),
            (S::Audit, A::Return) => Ok(S::Open),
            (from, action) => Err(RenewalTransitionRefused { from, action }),
        }
    }
}

/// Whether a renewal falls in the random audit sample. The choice is a keyed hash of the
/// renewal's id, so it is reproducible (the same seed and id always give the same answer, and
/// the log can show why) yet not predictable without the seed, which the board keeps per
/// cycle. `percent` of renewals are chosen on average.
pub fn in_audit_sample(seed: &str, renewal_id: &str, percent: u8) -> bool {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(seed.as_bytes())
        .chain_update([0u8])
        .chain_update(renewal_id.as_bytes())
        .finalize();
    let draw = u16::from_be_bytes([digest[0], digest[1]]);
    // 65,536 equally likely draws; the first `percent`% of them are in the sample.
    u32::from(draw) * 100 < u32::from(percent.min(100)) * 65_536
}

/// "1 credit", "2.5 credits".
fn credits(amount: Hours) -> String {
    if amount == Hours::whole(1) {
        "1 credit".to_owned()
    } else {
        format!("{amount} credits")
    }
}

/// Counts a claim against a rule. Hours for methods the rule does not know are reported and
/// not counted.
pub fn assess_renewal(rule: &RenewalRule, claim: &RenewalClaim) -> RenewalAssessment {
    let mut notices = Vec::new();
    let mut methods = Vec::new();
    for method in &rule.methods {
        let hours: Hours = claim
            .other
            .iter()
            .filter(|(key, _)| *key == method.key)
            .map(|(_, hours)| *hours)
            .sum();
        let converted = hours.percent(method.rate_percent);
        let counted = converted.min(method.cap);
        if converted > method.cap {
            notices.push(format!(
                "{}: {} give {} credits, but at most {} count; the other {} do not",
                method.name,
                hours.phrase(),
                converted,
                method.cap,
                converted - method.cap
            ));
        }
        methods.push(MethodCredit {
            key: method.key.clone(),
            name: method.name.clone(),
            hours,
            converted,
            counted,
        });
    }
    for (key, hours) in &claim.other {
        if !rule.methods.iter().any(|method| method.key == *key) {
            notices.push(format!(
                "{} of \"{key}\" are not a way of earning credits for this credential",
                hours.phrase()
            ));
        }
    }
    let total = claim.approved + methods.iter().map(|method| method.counted).sum();
    let mut shortfalls = Vec::new();
    if claim.approved < rule.approved_min {
        shortfalls.push(format!(
            "{} short in board-approved CE: at least {} must be board-approved (you have {})",
            credits(rule.approved_min - claim.approved),
            rule.approved_min,
            claim.approved
        ));
    }
    if total < rule.credits {
        shortfalls.push(format!(
            "{} credits short of {} ({} count)",
            rule.credits - total,
            rule.credits,
            total
        ));
    }
    RenewalAssessment {
        approved: claim.approved,
        methods,
        total,
        met: shortfalls.is_empty(),
        shortfalls,
        notices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The published rule: 20 credits; all approved, or at least 5 approved and the rest by
    /// other methods, each capped at 5 (teaching at 15); non-approved CE at half value.
    fn rule() -> RenewalRule {
        let method = |key: &str, name: &str, rate_percent, cap| RenewalMethod {
            key: key.into(),
            name: name.into(),
            rate_percent,
            cap: Hours::whole(cap),
        };
        RenewalRule {
            credits: Hours::whole(20),
            approved_min: Hours::whole(5),
            opens_months_before: 6,
            reinstate_within_months: 12,
            methods: vec![
                method("non_approved_ce", "Non-approved CE", 50, 5),
                method("supervision_received", "Supervision received", 100, 5),
                method("supervision_given", "Supervision given", 100, 5),
                method("teaching", "Teaching", 100, 15),
            ],
        }
    }

    fn claim(approved: u32, other: &[(&str, u32)]) -> RenewalClaim {
        RenewalClaim {
            approved: Hours::whole(approved),
            other: other
                .iter()
                .map(|(key, hours)| ((*key).to_owned(), Hours::whole(*hours)))
                .collect(),
        }
    }

    #[test]
    fn twenty_approved_credits_renew() {
        let result = assess_renewal(&rule(), &claim(20, &[]));
        assert!(result.met, "{result:?}");
        assert_eq!(result.total, Hours::whole(20));
    }

    #[test]
    fn five_approved_and_fifteen_other_renew_within_the_caps() {
        let result = assess_renewal(
            &rule(),
            &claim(
                5,
                &[("non_approved_ce", 10), ("supervision_received", 5), ("teaching", 5)],
            ),
        );
        assert!(result.met, "{result:?}");
        assert_eq!(
            result.methods[0].counted,
            Hours::whole(5),
            "10 non-approved hours at half value"
        );
    }

    #[test]
    fn credits_over_a_cap_are_said_not_to_count() {
        let result = assess_renewal(&rule(), &claim(5, &[("non_approved_ce", 30)]));
        assert!(!result.met);
        assert_eq!(result.total, Hours::whole(10));
        assert_eq!(result.shortfalls, ["10 credits short of 20 (10 count)"]);
        assert_eq!(
            result.notices,
            ["Non-approved CE: 30 hours give 15 credits, but at most 5 count; the other 10 do not"]
        );
    }

    #[test]
    fn too_few_approved_credits_is_named_even_with_enough_in_total() {
        let result = assess_renewal(&rule(), &claim(4, &[("teaching", 15), ("supervision_received", 5)]));
        assert!(!result.met);
        assert_eq!(result.total, Hours::whole(24));
        assert_eq!(
            result.shortfalls,
            ["1 credit short in board-approved CE: at least 5 must be board-approved (you have 4)"]
        );
    }

    #[test]
    fn unknown_methods_count_nothing() {
        let result = assess_renewal(&rule(), &claim(20, &[("astrology", 3)]));
        assert!(result.met);
        assert_eq!(
            result.notices,
            ["3 hours of \"astrology\" are not a way of earning credits for this credential"]
        );
    }

    #[test]
    fn the_audit_sample_is_reproducible_and_about_the_right_size() {
        let ids: Vec<String> = (0..10_000).map(|n| format!("renewal-{n:05}")).collect();
        let chosen: Vec<&String> = ids.iter().filter(|id| in_audit_sample("cycle-2026", id, 10)).collect();
        assert!(
            (850..=1150).contains(&chosen.len()),
            "{} of 10,000 chosen",
            chosen.len()
        );
        let again: Vec<&String> = ids.iter().filter(|id| in_audit_sample("cycle-2026", id, 10)).collect();
        assert_eq!(chosen, again, "the same seed chooses the same renewals");
        let other: Vec<&String> = ids.iter().filter(|id| in_audit_sample("cycle-2027", id, 10)).collect();
        assert_ne!(chosen, other, "another cycle's seed chooses others");
        assert!(!ids.iter().any(|id| in_audit_sample("s", id, 0)));
        assert!(ids.iter().all(|id| in_audit_sample("s", id, 100)));
    }

    proptest! {
        /// No method ever gives more than its cap, and more hours never lower the total.
        #[test]
        fn caps_hold_and_more_hours_never_hurt(approved in 0u32..30, hours in proptest::collection::vec(0u32..40, 4), extra in 0u32..10, which in 0usize..4) {
            let keys = ["non_approved_ce", "supervision_received", "supervision_given", "teaching"];
            let other: Vec<(&str, u32)> = keys.iter().copied().zip(hours.iter().copied()).collect();
            let before = assess_renewal(&rule(), &claim(approved, &other));
            for (method, spec) in before.methods.iter().zip(rule().methods) {
                prop_assert!(method.counted <= spec.cap);
            }
            let mut more = other.clone();
            more[which].1 += extra;
            let after = assess_renewal(&rule(), &claim(approved, &more));
            prop_assert!(after.total >= before.total);
            prop_assert!(!before.met || after.met);
        }
    }

    #[test]
    fn every_renewal_state_and_action_is_allowed_or_refused_as_listed() {
        use RenewalAction as A;
        use RenewalState as S;
        let actions = [
            A::ChangeCredits,
            A::SubmitNotDrawn,
            A::SubmitDrawn,
            A::ApproveAudit,
            A::Return,
        ];
        let allowed = [
            (S::Open, A::ChangeCredits, S::Open),
            (S::Open, A::SubmitNotDrawn, S::Approved),
            (S::Open, A::SubmitDrawn, S::Audit),
            (S::Audit, A::ApproveAudit, S::Approved),
            (S::Audit, A::Return, S::Open),
        ];
        for from in RenewalState::ALL {
            for action in actions {
                let expected = allowed
                    .iter()
                    .find(|(state, act, _)| *state == from && *act == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.after(action), Ok(to), "{from:?} {action:?}"),
                    None => assert_eq!(
                        from.after(action),
                        Err(RenewalTransitionRefused { from, action }),
                        "{from:?} {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn renewal_states_round_trip_through_their_stored_words() {
        for state in RenewalState::ALL {
            assert_eq!(RenewalState::parse(state.as_str()), Ok(state));
        }
        for unknown in ["", "Open", "returned", "audited"] {
            assert_eq!(RenewalState::parse(unknown), Err(UnknownRenewalState), "{unknown:?}");
        }
    }
}
