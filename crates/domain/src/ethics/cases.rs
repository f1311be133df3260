//! An ethics case's states, what moves it from one to the next, and the sanction the committee
//! decides. The stored words (`received`, `respondent_notified`, `revocation`, …) are the
//! database's; [`CaseState::as_str`] and [`CaseState::parse`] are the only way between the two.

use std::fmt;

use time::{Date, Duration};

/// The board's reply period: the days a respondent has, from the day they are notified, to
/// reply before the committee may take a final decision without their reply. Board policy,
/// kept here as one named value; the deadline worked out from it is stored with the case
/// when the respondent is notified, so a later change applies to later notifications only.
pub const REPLY_PERIOD_DAYS: i64 = 30;

/// The last day a respondent notified on `notified_on` may reply: `reply_days` days later
/// ("Reply by 6 January 2027" for a notification on 7 December 2026 with 30 days).
pub fn reply_due_on(notified_on: Date, reply_days: i64) -> Date {
    notified_on.saturating_add(Duration::days(reply_days))
}

/// Why a final decision must wait: the respondent has not replied and may still do so until
/// `reply_due_on` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the respondent may reply until {reply_due_on}")]
pub struct ReplyAwaited {
    pub reply_due_on: Date,
}

/// Whether the committee may take a final decision `today` on a case whose respondent was
/// told on `notified_on` with `reply_days` to reply: once they have replied (`replied_on`),
/// or once the last day to reply has passed. Before that, only an interim measure may be
/// taken.
pub fn final_decision_allowed(
    notified_on: Date,
    reply_days: i64,
    replied_on: Option<Date>,
    today: Date,
) -> Result<(), ReplyAwaited> {
    decision_allowed_by(reply_due_on(notified_on, reply_days), replied_on.is_some(), today)
}

/// [`final_decision_allowed`] with the deadline already worked out (as stored with the case).
pub fn decision_allowed_by(reply_due_on: Date, replied: bool, today: Date) -> Result<(), ReplyAwaited> {
    if replied || today > reply_due_on {
        Ok(())
    } else {
        Err(ReplyAwaited { reply_due_on })
    }
}

/// Where an ethics case stands. Declared in the order the committee's queue lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Filed by the public, waiting for intake.
    Received,
    /// Accepted at intake; the respondent has not been told yet.
    Accepted,
    /// The respondent was told and may reply.
    RespondentNotified,
    /// The respondent replied; the committee may decide.
    ReplyReceived,
    /// Decided, with a sanction. Closed.
    Decided,
    /// Dismissed at intake as out of scope. Closed; the respondent is never told.
    Dismissed,
}

/// What someone does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseAction {
    /// Intake: the committee takes the case on.
    Accept,
    /// Intake: the committee dismisses the case as out of scope.
    Dismiss,
    /// The committee tells the respondent and asks for their reply.
    NotifyRespondent,
    /// The respondent replies (once).
    Reply,
    /// A handler adds an evidence note; the state stays.
    AddEvidenceNote,
    /// The committee decides, with a sanction.
    Decide,
    /// The committee suspends the credential as an interim measure, before its decision; the
    /// case stays open and its state stays.
    InterimSuspend,
}

/// Text that is not one of the stored case states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known ethics case state")]
pub struct UnknownCaseState;

/// An action the case's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} is not allowed on an ethics case that is {from}")]
pub struct CaseTransitionRefused {
    pub from: CaseState,
    pub action: CaseAction,
}

impl CaseState {
    /// Every state, in the order the queue lists them.
    pub const ALL: [CaseState; 6] = [
        CaseState::Received,
        CaseState::Accepted,
        CaseState::RespondentNotified,
        CaseState::ReplyReceived,
        CaseState::Decided,
        CaseState::Dismissed,
    ];

    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Accepted => "accepted",
            CaseState::RespondentNotified => "respondent_notified",
            CaseState::ReplyReceived => "reply_received",
            CaseState::Decided => "decided",
            CaseState::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> Result<CaseState, UnknownCaseState> {
        CaseState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or(UnknownCaseState)
    }

    /// How the state is named to the committee.
    pub fn label(self) -> &'static str {
        match self {
            CaseState::Received => "Received, waiting for intake",
            CaseState::Accepted => "Accepted, respondent not yet notified",
            CaseState::RespondentNotified => "Respondent notified, waiting for the reply",
            CaseState::ReplyReceived => "Reply received",
            CaseState::Decided => "Decided",
            CaseState::Dismissed => "Dismissed as out of scope",
        }
    }

    /// How the state is named to the respondent, or `None` while they have not been told of
    /// the case (before notification, and for a dismissed complaint, which never reaches them).
    pub fn respondent_label(self) -> Option<&'static str> {
        match self {
            CaseState::RespondentNotified => Some("Waiting for your reply"),
            CaseState::ReplyReceived => Some("Your reply is with the committee"),
            CaseState::Decided => Some("Decided"),
            CaseState::Received | CaseState::Accepted | CaseState::Dismissed => None,
        }
    }

    /// Whether the case is still being handled, so its file may still grow.
    pub fn is_open(self) -> bool {
        self.after(CaseAction::AddEvidenceNote).is_ok()
    }

    /// Whether the committee may decide the case now.
    pub fn is_decidable(self) -> bool {
        self.after(CaseAction::Decide).is_ok()
    }

    /// The state `action` leads to from this one, or why it is refused. A decision needs the
    /// respondent to have been told (and so to have had the chance to reply).
    pub fn after(self, action: CaseAction) -> Result<CaseState, CaseTransitionRefused> {
        use CaseAction as A;
        use CaseState as S;
        match (self, action) {
            (S::Received, A::Accept) => Ok(S::Accepted),
            (S::Received, A::Dismiss) => Ok(S::Dismissed),
            (S::Accepted, A::NotifyRespondent) => Ok(S::RespondentNotified),
            (S::RespondentNotified, A::Reply) => Ok(S::ReplyReceived),
            (S::Received | S::Accepted | S::RespondentNotified | S::ReplyReceived, A::AddEvidenceNote) => Ok(self),
            (S::RespondentNotified | S::ReplyReceived, A::Decide) => Ok(S::Decided),
            (S::RespondentNotified | S::ReplyReceived, A::InterimSuspend) => Ok(self),
            (from, action) => Err(CaseTransitionRefused { from, action }),
        }
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the committee decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sanction {
    /// No breach found, or none that calls for a sanction.
    None,
    /// The credential stays; the professional must meet conditions (stated in the decision).
    Conditions,
    /// The credential is suspended, with a public notice.
    Suspension,
    /// The credential is revoked, with a public notice.
    Revocation,
}

/// Text that is not one of the stored sanctions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known sanction")]
pub struct UnknownSanction;

impl Sanction {
    pub const ALL: [Sanction; 4] = [
        Sanction::None,
        Sanction::Conditions,
        Sanction::Suspension,
        Sanction::Revocation,
    ];

    /// The word stored in the database (and sent by the decision form).
    pub fn as_str(self) -> &'static str {
        match self {
            Sanction::None => "none",
            Sanction::Conditions => "conditions",
            Sanction::Suspension => "suspension",
            Sanction::Revocation => "revocation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sanction::None => "No sanction",
            Sanction::Conditions => "Conditions on practice",
            Sanction::Suspension => "Suspension of the credential",
            Sanction::Revocation => "Revocation of the credential",
        }
    }

    pub fn parse(text: &str) -> Result<Sanction, UnknownSanction> {
        Sanction::ALL
            .into_iter()
            .find(|sanction| sanction.as_str() == text)
            .ok_or(UnknownSanction)
    }

    /// Whether the sanction changes the credential's public status, and so is published
    /// with a notice on the verification page. Conditions are a matter between the board and
    /// the professional.
    pub fn is_public(self) -> bool {
        matches!(self, Sanction::Suspension | Sanction::Revocation)
    }
}

impl fmt::Display for Sanction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseAction as A;
    use CaseState as S;

    const ACTIONS: [CaseAction; 7] = [
        A::Accept,
        A::Dismiss,
        A::NotifyRespondent,
        A::Reply,
        A::AddEvidenceNote,
        A::Decide,
        A::InterimSuspend,
    ];

    /// Every allowed move; every (state, action) pair not listed is refused.
    const ALLOWED: [(CaseState, CaseAction, CaseState); 12] = [
        (S::Received, A::Accept, S::Accepted),
        (S::Received, A::Dismiss, S::Dismissed),
        (S::Received, A::AddEvidenceNote, S::Received),
        (S::Accepted, A::NotifyRespondent, S::RespondentNotified),
        (S::Accepted, A::AddEvidenceNote, S::Accepted),
        (S::RespondentNotified, A::Reply, S::ReplyReceived),
        (S::RespondentNotified, A::AddEvidenceNote, S::RespondentNotified),
        (S::RespondentNotified, A::Decide, S::Decided),
        (S::ReplyReceived, A::AddEvidenceNote, S::ReplyReceived),
        (S::ReplyReceived, A::Decide, S::Decided),
        (S::RespondentNotified, A::InterimSuspend, S::RespondentNotified),
        (S::ReplyReceived, A::InterimSuspend, S::ReplyReceived),
    ];

    fn day(text: &str) -> Date {
        let mut parts = text.split('-').map(|part| part.parse::<i32>().unwrap());
        let (year, month, day) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let month = time::Month::try_from(u8::try_from(month).unwrap()).unwrap();
        Date::from_calendar_date(year, month, u8::try_from(day).unwrap()).unwrap()
    }

    #[test]
    fn the_reply_deadline_is_the_notified_day_plus_the_reply_period() {
        assert_eq!(REPLY_PERIOD_DAYS, 30);
        assert_eq!(reply_due_on(day("2026-12-07"), 30), day("2027-01-06"));
        assert_eq!(reply_due_on(day("2027-02-01"), 30), day("2027-03-03"));
        assert_eq!(reply_due_on(day("2028-02-01"), 30), day("2028-03-02"), "a leap year");
        assert_eq!(reply_due_on(day("2026-12-07"), 0), day("2026-12-07"));
    }

    #[test]
    fn a_final_decision_waits_for_the_reply_or_the_end_of_the_last_day_to_reply() {
        // (notified, reply days, replied on, today, allowed)
        let table: [(&str, i64, Option<&str>, &str, bool); 10] = [
            ("2026-12-07", 30, None, "2026-12-07", false),
            ("2026-12-07", 30, None, "2026-12-20", false),
            ("2026-12-07", 30, None, "2027-01-06", false),
            ("2026-12-07", 30, None, "2027-01-07", true),
            ("2026-12-07", 30, None, "2027-06-01", true),
            ("2026-12-07", 30, Some("2026-12-07"), "2026-12-07", true),
            ("2026-12-07", 30, Some("2026-12-10"), "2026-12-10", true),
            ("2026-12-07", 30, Some("2027-01-06"), "2027-01-06", true),
            ("2026-12-07", 10, None, "2026-12-17", false),
            ("2026-12-07", 10, None, "2026-12-18", true),
        ];
        for (notified, days, replied, today, allowed) in table {
            let outcome = final_decision_allowed(day(notified), days, replied.map(day), day(today));
            assert_eq!(
                outcome.is_ok(),
                allowed,
                "notified {notified}, {days} days, replied {replied:?}, today {today}"
            );
            if !allowed {
                assert_eq!(
                    outcome,
                    Err(ReplyAwaited {
                        reply_due_on: reply_due_on(day(notified), days)
                    })
                );
            }
        }
        assert!(decision_allowed_by(day("2027-01-06"), true, day("2026-12-08")).is_ok());
        assert!(decision_allowed_by(day("2027-01-06"), false, day("2026-12-08")).is_err());
    }

    #[test]
    fn an_interim_suspension_keeps_the_case_open_and_waiting() {
        for state in [S::RespondentNotified, S::ReplyReceived] {
            assert_eq!(state.after(A::InterimSuspend), Ok(state));
            assert!(state.is_open() && state.is_decidable());
        }
        for state in [S::Received, S::Accepted, S::Decided, S::Dismissed] {
            assert!(state.after(A::InterimSuspend).is_err(), "{state}");
        }
    }

    #[test]
    fn every_state_and_action_is_allowed_or_refused_as_listed() {
        for from in CaseState::ALL {
            for action in ACTIONS {
                let expected = ALLOWED
                    .iter()
                    .find(|(state, act, _)| *state == from && *act == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.after(action), Ok(to), "{from} {action:?}"),
                    None => assert_eq!(
                        from.after(action),
                        Err(CaseTransitionRefused { from, action }),
                        "{from} {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn closed_cases_take_nothing_more() {
        for state in [S::Decided, S::Dismissed] {
            assert!(!state.is_open());
            assert!(!state.is_decidable());
            assert!(ACTIONS.iter().all(|action| state.after(*action).is_err()));
        }
        assert!(S::ReplyReceived.is_open() && S::ReplyReceived.is_decidable());
        assert!(S::Accepted.is_open() && !S::Accepted.is_decidable());
    }

    #[test]
    fn the_respondent_knows_of_a_case_only_once_notified() {
        let known: Vec<_> = CaseState::ALL
            .into_iter()
            .filter(|state| state.respondent_label().is_some())
            .collect();
        assert_eq!(known, [S::RespondentNotified, S::ReplyReceived, S::Decided]);
    }

    #[test]
    fn states_round_trip_through_their_stored_words() {
        for state in CaseState::ALL {
            assert_eq!(CaseState::parse(state.as_str()), Ok(state));
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!(S::RespondentNotified.as_str(), "respondent_notified");
        for unknown in ["", "Received", "closed", "reply received", " decided"] {
            assert_eq!(CaseState::parse(unknown), Err(UnknownCaseState), "{unknown:?}");
        }
    }

    #[test]
    fn sanctions_round_trip_and_only_suspension_and_revocation_are_public() {
        for sanction in Sanction::ALL {
            assert_eq!(Sanction::parse(sanction.as_str()), Ok(sanction));
        }
        let public: Vec<_> = Sanction::ALL.into_iter().filter(|s| s.is_public()).collect();
        assert_eq!(public, [Sanction::Suspension, Sanction::Revocation]);
        for unknown in ["", "warning", "Revocation"] {
            assert_eq!(Sanction::parse(unknown), Err(UnknownSanction), "{unknown:?}");
        }
    }
}
