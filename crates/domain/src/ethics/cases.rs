//! An ethics case's states, what moves it from one to the next, and the sanction the committee
//! decides. The stored words (`received`, `respondent_notified`, `revocation`, …) are the
//! database's; [`CaseState::as_str`] and [`CaseState::parse`] are the only way between the two.

use std::fmt;

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

    const ACTIONS: [CaseAction; 6] = [
        A::Accept,
        A::Dismiss,
        A::NotifyRespondent,
        A::Reply,
        A::AddEvidenceNote,
        A::Decide,
    ];

    /// Every allowed move; every (state, action) pair not listed is refused.
    const ALLOWED: [(CaseState, CaseAction, CaseState); 10] = [
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
    ];

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
