//! An application for a credential: its states from the candidate's draft to the committee's
//! decision, what moves it between them, and the decision itself. The stored words (`draft`,
//! `in_review`, `approved`, …) are the database's; `as_str` and `parse` are the only way
//! between the two.

use std::fmt;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationState {
    /// The candidate prepares it: endorsement and fee are recorded on the draft.
    Draft,
    /// Submitted with its sealed snapshot, waiting for a first reviewer.
    Submitted,
    /// Reviewers are assigned; they recommend, and the decision is taken from here.
    InReview,
    /// The committee asked the candidate for more information and waits for the answer.
    InformationRequested,
    /// Approved or denied. Closed.
    Decided,
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationAction {
    /// The primary supervisor endorses the draft.
    Endorse,
    /// Staff record the fee as paid or waived.
    RecordFee,
    /// The candidate submits; the evidence is frozen.
    Submit,
    /// Staff assign a reviewer; the first one starts the review.
    AssignReviewer,
    /// An assigned reviewer recommends.
    Recommend,
    /// Staff ask the candidate for more information.
    RequestInformation,
    /// The candidate answers; the application returns to review.
    AnswerInformationRequest,
    /// The chair or staff decide.
    Decide,
}

/// Text that is not one of the stored application states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known application state")]
pub struct UnknownApplicationState;

/// An action the application's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} is not allowed on an application that is {from}")]
pub struct ApplicationTransitionRefused {
    pub from: ApplicationState,
    pub action: ApplicationAction,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 5] = [
        ApplicationState::Draft,
        ApplicationState::Submitted,
        ApplicationState::InReview,
        ApplicationState::InformationRequested,
        ApplicationState::Decided,
    ];

    /// The states after submission, in the order the staff's queue lists them.
    pub const QUEUE: [ApplicationState; 4] = [
        ApplicationState::Submitted,
        ApplicationState::InReview,
        ApplicationState::InformationRequested,
        ApplicationState::Decided,
    ];

    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::Draft => "draft",
            ApplicationState::Submitted => "submitted",
            ApplicationState::InReview => "in_review",
            ApplicationState::InformationRequested => "information_requested",
            ApplicationState::Decided => "decided",
        }
    }

    pub fn parse(text: &str) -> Result<ApplicationState, UnknownApplicationState> {
        ApplicationState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or(UnknownApplicationState)
    }

    /// How the state is named to people.
    pub fn label(self) -> &'static str {
        match self {
            ApplicationState::Draft => "Being prepared",
            ApplicationState::Submitted => "Submitted, waiting for reviewers",
            ApplicationState::InReview => "In review",
            ApplicationState::InformationRequested => "More information requested",
            ApplicationState::Decided => "Decided",
        }
    }

    /// The state as named to people, with the outcome once decided: "Decided: approved".
    pub fn label_with(self, decision: Option<Decision>) -> &'static str {
        match decision {
            Some(Decision::Approved) => "Decided: approved",
            Some(Decision::Denied) => "Decided: not approved",
            None => self.label(),
        }
    }

    /// Whether the application was submitted (and so has a frozen snapshot and a history).
    pub fn is_submitted(self) -> bool {
        self != ApplicationState::Draft
    }

    /// The state `action` leads to from this one, or why it is refused.
    pub fn after(self, action: ApplicationAction) -> Result<ApplicationState, ApplicationTransitionRefused> {
        use ApplicationAction as A;
        use ApplicationState as S;
        match (self, action) {
            (S::Draft, A::Endorse | A::RecordFee) => Ok(S::Draft),
            (S::Draft, A::Submit) => Ok(S::Submitted),
            // The first reviewer starts the review; later ones leave the state as it is.
            (S::Submitted, A::AssignReviewer) => Ok(S::InReview),
            (S::InReview | S::InformationRequested, A::AssignReviewer) => Ok(self),
            (S::InReview, A::Recommend) => Ok(S::InReview),
            (S::InReview, A::RequestInformation) => Ok(S::InformationRequested),
            (S::InformationRequested, A::AnswerInformationRequest) => Ok(S::InReview),
            (S::InReview, A::Decide) => Ok(S::Decided),
            (from, action) => Err(ApplicationTransitionRefused { from, action }),
        }
    }
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The committee's decision on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Approved: the credential is issued with the decision.
    Approved,
    Denied,
}

/// Text that is not one of the stored decisions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known application decision")]
pub struct UnknownDecision;

impl Decision {
    pub const ALL: [Decision; 2] = [Decision::Approved, Decision::Denied];

    /// The word stored in the database (and written to the audit log).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Result<Decision, UnknownDecision> {
        Decision::ALL
            .into_iter()
            .find(|decision| decision.as_str() == text)
            .ok_or(UnknownDecision)
    }

    /// How the decision is named on the review page.
    pub fn label(self) -> &'static str {
        match self {
            Decision::Approved => "Approved",
            Decision::Denied => "Denied",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationAction as A;
    use ApplicationState as S;

    const ACTIONS: [ApplicationAction; 8] = [
        A::Endorse,
        A::RecordFee,
        A::Submit,
        A::AssignReviewer,
        A::Recommend,
        A::RequestInformation,
        A::AnswerInformationRequest,
        A::Decide,
    ];

    /// Every allowed move; every (state, action) pair not listed is refused.
    const ALLOWED: [(ApplicationState, ApplicationAction, ApplicationState); 10] = [
        (S::Draft, A::Endorse, S::Draft),
        (S::Draft, A::RecordFee, S::Draft),
        (S::Draft, A::Submit, S::Submitted),
        (S::Submitted, A::AssignReviewer, S::InReview),
        (S::InReview, A::AssignReviewer, S::InReview),
        (S::InReview, A::Recommend, S::InReview),
        (S::InReview, A::RequestInformation, S::InformationRequested),
        (S::InReview, A::Decide, S::Decided),
        (S::InformationRequested, A::AssignReviewer, S::InformationRequested),
        (S::InformationRequested, A::AnswerInformationRequest, S::InReview),
    ];

    #[test]
    fn every_state_and_action_is_allowed_or_refused_as_listed() {
        for from in ApplicationState::ALL {
            for action in ACTIONS {
                let expected = ALLOWED
                    .iter()
                    .find(|(state, act, _)| *state == from && *act == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.after(action), Ok(to), "{from} {action:?}"),
                    None => assert_eq!(
                        from.after(action),
                        Err(ApplicationTransitionRefused { from, action }),
                        "{from} {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn a_decided_application_takes_nothing_more_and_only_a_draft_is_unsubmitted() {
        assert!(ACTIONS.iter().all(|action| S::Decided.after(*action).is_err()));
        let unsubmitted: Vec<_> = ApplicationState::ALL
            .into_iter()
            .filter(|state| !state.is_submitted())
            .collect();
        assert_eq!(unsubmitted, [S::Draft]);
        assert!(ApplicationState::QUEUE.iter().all(|state| state.is_submitted()));
    }

    #[test]
    fn states_round_trip_through_their_stored_words() {
        for state in ApplicationState::ALL {
            assert_eq!(ApplicationState::parse(state.as_str()), Ok(state));
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!(S::InformationRequested.as_str(), "information_requested");
        for unknown in ["", "Draft", "in review", "approved", "withdrawn"] {
            assert_eq!(
                ApplicationState::parse(unknown),
                Err(UnknownApplicationState),
                "{unknown:?}"
            );
        }
    }

    #[test]
    fn decisions_round_trip_through_their_stored_words() {
        for decision in Decision::ALL {
            assert_eq!(Decision::parse(decision.as_str()), Ok(decision));
        }
        assert_eq!(Decision::Denied.label(), "Denied");
        for unknown in ["", "approve", "deny", "Approved"] {
            assert_eq!(Decision::parse(unknown), Err(UnknownDecision), "{unknown:?}");
        }
    }
}
