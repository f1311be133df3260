//! The referral rules: who sends, reads and answers a referral, and who lets referring
//! providers in.

use domain::Role;

use super::Decision::{self, Allow, Deny, EnrolSecondFactor};
use super::board_staff;
use crate::Actor;

pub(super) fn send(actor: &Actor) -> Decision {
    if actor.has_role(Role::ReferringProvider) {
        Allow
    } else {
        Deny("Only referring providers can send referrals.")
    }
}

/// Why a professional without a second factor is sent to set one up.
const RECIPIENT_NEEDS_TWO_FACTOR: &str =
    "Referrals carry clients' health information: set up two-factor sign-in to read and answer them.";

/// Referral contents are the client's health information: the two parties only, not even
/// board staff. Whoever receives them signs in with two factors, as referring providers (whose
/// role requires it) do: a professional without a second factor is sent to set one up.
pub(super) fn view(actor: &Actor, is_sender: bool, is_recipient: bool) -> Decision {
    if is_recipient && !actor.mfa_enabled {
        EnrolSecondFactor(RECIPIENT_NEEDS_TWO_FACTOR)
    } else if is_sender || is_recipient {
        Allow
    } else {
        Deny("Only the referring provider and the professional it was sent to can read this referral.")
    }
}

pub(super) fn respond(actor: &Actor, is_recipient: bool) -> Decision {
    if is_recipient && !actor.mfa_enabled {
        EnrolSecondFactor(RECIPIENT_NEEDS_TWO_FACTOR)
    } else if is_recipient {
        Allow
    } else {
        Deny("Only the professional this referral was sent to can answer it.")
    }
}

pub(super) fn approve_referrers(actor: &Actor) -> Decision {
    if board_staff(actor) {
        Allow
    } else {
        Deny("Only board staff can approve referring providers.")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::actor;
    use super::super::{Decision, Permission, decide};
    use domain::Role;

    #[test]
    fn a_referral_is_read_by_its_two_parties_only() {
        for role in Role::ALL {
            let someone = actor(&[role], true);
            for (is_sender, is_recipient, allowed) in [(true, false, true), (false, true, true), (false, false, false)]
            {
                let decision = decide(
                    &someone,
                    &Permission::ViewReferral {
                        is_sender,
                        is_recipient,
                    },
                );
                assert_eq!(
                    decision == Decision::Allow,
                    allowed,
                    "{role} {is_sender} {is_recipient}"
                );
            }
            let answer = decide(&someone, &Permission::RespondToReferral { is_recipient: false });
            assert!(
                matches!(answer, Decision::Deny(_)),
                "{role} answers a referral not sent to them"
            );
            let send = decide(&someone, &Permission::SendReferral);
            assert_eq!(send == Decision::Allow, role == Role::ReferringProvider, "{role} sends");
        }
    }

    #[test]
    fn the_professional_it_was_sent_to_reads_and_answers_it_only_with_two_factors() {
        let professional = actor(&[Role::Candidate], false);
        let read = Permission::ViewReferral {
            is_sender: false,
            is_recipient: true,
        };
        let answer = Permission::RespondToReferral { is_recipient: true };
        assert!(matches!(decide(&professional, &read), Decision::EnrolSecondFactor(_)));
        assert!(matches!(decide(&professional, &answer), Decision::EnrolSecondFactor(_)));
        let enrolled = actor(&[Role::Candidate], true);
        assert_eq!(decide(&enrolled, &read), Decision::Allow);
        assert_eq!(decide(&enrolled, &answer), Decision::Allow);
        // Someone it was not sent to is refused outright, second factor or not.
        let stranger = Permission::ViewReferral {
            is_sender: false,
            is_recipient: false,
        };
        assert!(matches!(decide(&professional, &stranger), Decision::Deny(_)));
    }
}
