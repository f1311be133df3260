//! The ethics rules: who handles a case, and who answers one.

use domain::Role;

use super::Decision::{self, Allow, Deny};
use crate::Actor;

/// A case file holds a complainant's account and contact details: the ethics committee and
/// board staff only. Committee reviewers, candidates and supervisors never see one, and nobody
/// handles a case about themselves.
pub(super) fn handle_case(actor: &Actor, is_respondent: bool) -> Decision {
    let handler =
        actor.has_role(Role::EthicsCommittee) || actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin);
    if is_respondent {
        Deny("This ethics case is about you, so you cannot see its file or handle it.")
    } else if handler {
        Allow
    } else {
        Deny("Only the ethics committee and board staff see ethics cases.")
    }
}

/// Relationship: the professional a complaint is about answers it; whatever their role, nobody
/// else reads the case this way, and the reporter's contact details are never part of it.
pub(super) fn respond_to_case(is_respondent: bool) -> Decision {
    if is_respondent {
        Allow
    } else {
        Deny("This ethics case is not about you.")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::actor;
    use super::super::{Decision, Permission, decide};
    use domain::Role;

    #[test]
    fn ethics_cases_are_for_the_committee_and_staff_and_never_about_themselves() {
        let handle = Permission::HandleEthicsCase { is_respondent: false };
        for role in [Role::EthicsCommittee, Role::BoardStaff, Role::BoardAdmin] {
            assert_eq!(decide(&actor(&[role], true), &handle), Decision::Allow, "{role}");
            assert!(
                matches!(
                    decide(
                        &actor(&[role], true),
                        &Permission::HandleEthicsCase { is_respondent: true }
                    ),
                    Decision::Deny(_)
                ),
                "{role} about themselves"
            );
        }
        for role in [
            Role::CommitteeReviewer,
            Role::CommitteeChair,
            Role::Candidate,
            Role::Supervisor,
            Role::Clinician,
            Role::Client,
            Role::ReferringProvider,
        ] {
            assert!(
                matches!(decide(&actor(&[role], true), &handle), Decision::Deny(_)),
                "{role}"
            );
        }
        let respondent = actor(&[Role::Candidate], false);
        assert_eq!(
            decide(&respondent, &Permission::RespondToEthicsCase { is_respondent: true }),
            Decision::Allow
        );
        assert!(matches!(
            decide(
                &actor(&[Role::EthicsCommittee], true),
                &Permission::RespondToEthicsCase { is_respondent: false }
            ),
            Decision::Deny(_)
        ));
    }
}
