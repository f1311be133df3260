//! A referral's states and a referring provider's account request: what moves each from one to
//! the next. The stored words (`sent`, `accepted`, `requested`, …) are the database's;
//! `as_str` and `parse` are the only way between the two.

use std::fmt;

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralState {
    /// Sent to the professional, waiting for their answer.
    Sent,
    /// The professional takes the client on.
    Accepted,
    /// The professional cannot take the client on; the reason goes back to the sender.
    Declined,
    /// Taken back by its sender before an answer (kept for referrals stored so).
    Withdrawn,
}

/// What the professional a referral was sent to does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralAction {
    Accept,
    Decline,
}

/// Text that is not one of the stored states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known state")]
pub struct UnknownState;

/// An action the referral's state does not allow: it was answered (or withdrawn) already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} is not allowed on a referral that is {from}")]
pub struct ReferralTransitionRefused {
    pub from: ReferralState,
    pub action: ReferralAction,
}

impl ReferralState {
    pub const ALL: [ReferralState; 4] = [
        ReferralState::Sent,
        ReferralState::Accepted,
        ReferralState::Declined,
        ReferralState::Withdrawn,
    ];

    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralState::Sent => "sent",
            ReferralState::Accepted => "accepted",
            ReferralState::Declined => "declined",
            ReferralState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Result<ReferralState, UnknownState> {
        ReferralState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or(UnknownState)
    }

    /// The state `action` leads to: a referral is answered once, while it waits.
    pub fn after(self, action: ReferralAction) -> Result<ReferralState, ReferralTransitionRefused> {
        match (self, action) {
            (ReferralState::Sent, ReferralAction::Accept) => Ok(ReferralState::Accepted),
            (ReferralState::Sent, ReferralAction::Decline) => Ok(ReferralState::Declined),
            (from, action) => Err(ReferralTransitionRefused { from, action }),
        }
    }

    /// The FHIR R4 `ServiceRequest.status` the state maps to: a request still in force is
    /// active; one declined or withdrawn no longer is.
    pub fn fhir_status(self) -> &'static str {
        match self {
            ReferralState::Sent | ReferralState::Accepted => "active",
            ReferralState::Declined | ReferralState::Withdrawn => "revoked",
        }
    }
}

impl fmt::Display for ReferralState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request for a referring-provider account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferrerRequestState {
    /// Waiting for board staff.
    Requested,
    /// Approved: an invitation to the referring-provider role went out.
    Approved,
    /// Declined, with the reason the person is told.
    Declined,
}

/// What board staff do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferrerRequestAction {
    Approve,
    Decline,
}

/// An action the request's state does not allow: it was decided already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} is not allowed on a request that is {from}")]
pub struct ReferrerRequestTransitionRefused {
    pub from: ReferrerRequestState,
    pub action: ReferrerRequestAction,
}

impl ReferrerRequestState {
    pub const ALL: [ReferrerRequestState; 3] = [
        ReferrerRequestState::Requested,
        ReferrerRequestState::Approved,
        ReferrerRequestState::Declined,
    ];

    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferrerRequestState::Requested => "requested",
            ReferrerRequestState::Approved => "approved",
            ReferrerRequestState::Declined => "declined",
        }
    }

    pub fn parse(text: &str) -> Result<ReferrerRequestState, UnknownState> {
        ReferrerRequestState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or(UnknownState)
    }

    /// The state `action` leads to: a request is decided once.
    pub fn after(
        self,
        action: ReferrerRequestAction,
    ) -> Result<ReferrerRequestState, ReferrerRequestTransitionRefused> {
        match (self, action) {
            (ReferrerRequestState::Requested, ReferrerRequestAction::Approve) => Ok(ReferrerRequestState::Approved),
            (ReferrerRequestState::Requested, ReferrerRequestAction::Decline) => Ok(ReferrerRequestState::Declined),
            (from, action) => Err(ReferrerRequestTransitionRefused { from, action }),
        }
    }
}

impl fmt::Display for ReferrerRequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referral_is_answered_once_while_it_waits() {
        use ReferralAction as A;
        use ReferralState as S;
        let allowed = [(S::Sent, A::Accept, S::Accepted), (S::Sent, A::Decline, S::Declined)];
        for from in ReferralState::ALL {
            for action in [A::Accept, A::Decline] {
                let expected = allowed
                    .iter()
                    .find(|(state, act, _)| *state == from && *act == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.after(action), Ok(to), "{from} {action:?}"),
                    None => assert_eq!(
                        from.after(action),
                        Err(ReferralTransitionRefused { from, action }),
                        "{from} {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn a_request_is_decided_once() {
        use ReferrerRequestAction as A;
        use ReferrerRequestState as S;
        let allowed = [
            (S::Requested, A::Approve, S::Approved),
            (S::Requested, A::Decline, S::Declined),
        ];
        for from in ReferrerRequestState::ALL {
            for action in [A::Approve, A::Decline] {
                let expected = allowed
                    .iter()
                    .find(|(state, act, _)| *state == from && *act == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.after(action).ok(), expected, "{from} {action:?}");
            }
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_words() {
        for state in ReferralState::ALL {
            assert_eq!(ReferralState::parse(state.as_str()), Ok(state));
            assert_eq!(state.to_string(), state.as_str());
        }
        for state in ReferrerRequestState::ALL {
            assert_eq!(ReferrerRequestState::parse(state.as_str()), Ok(state));
        }
        for unknown in ["", "Sent", "answered", " accepted"] {
            assert_eq!(ReferralState::parse(unknown), Err(UnknownState), "{unknown:?}");
            assert_eq!(ReferrerRequestState::parse(unknown), Err(UnknownState), "{unknown:?}");
        }
    }

    #[test]
    fn only_referrals_in_force_are_active_in_fhir() {
        let active: Vec<_> = ReferralState::ALL
            .into_iter()
            .filter(|state| state.fhir_status() == "active")
            .collect();
        assert_eq!(active, [ReferralState::Sent, ReferralState::Accepted]);
    }
}
