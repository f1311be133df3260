//! The credentialing rules: programs, a candidate's file and documents, supervision,
//! applications and their review, credentials and their renewal.

use domain::{Role, UserId};

use super::Decision::{self, Allow, Deny};
use super::board_staff;
use crate::Actor;

/// Rules decide who gets certified: only the board's administrators change them.
pub(super) fn manage_programs(actor: &Actor) -> Decision {
    if actor.has_role(Role::BoardAdmin) {
        Allow
    } else {
        Deny("Only board administrators can import credential programs.")
    }
}

/// Candidates work towards a credential; so do supervisors (towards the supervisor credential
/// and renewals).
pub(super) fn manage_own_evidence(actor: &Actor) -> Decision {
    if actor.has_role(Role::Candidate) || actor.has_role(Role::Supervisor) {
        Allow
    } else {
        Deny("Only candidates and supervisors keep a credential file.")
    }
}

/// Relationship: a file is seen by its owner, by the owner's supervisors, and by the board's
/// staff; never by another candidate or another supervisor's supervisee.
pub(super) fn view_evidence(actor: &Actor, owner: &UserId, supervises: bool) -> Decision {
    if owner == &actor.user_id || board_staff(actor) || (supervises && actor.has_role(Role::Supervisor)) {
        Allow
    } else {
        Deny("That credential file is not yours to see.")
    }
}

/// Relationship: a document is seen by its owner and the board's staff, by the other party of
/// a supervision contract for the documents that contract asks for, and by the reviewers of the
/// owner's application.
pub(super) fn view_document(actor: &Actor, owner: &UserId, shared_by_contract: bool, reviews_owner: bool) -> Decision {
    if owner == &actor.user_id || board_staff(actor) || shared_by_contract || reviews_owner {
        Allow
    } else {
        Deny("That document is not yours to see.")
    }
}

/// Relationship: only the supervisor a contract names acts for it, and only while they hold the
/// supervisor role.
pub(super) fn supervise_contract(actor: &Actor, is_contract_supervisor: bool) -> Decision {
    if is_contract_supervisor && actor.has_role(Role::Supervisor) {
        Allow
    } else {
        Deny("You are not the supervisor of that contract.")
    }
}

pub(super) fn log_supervision(is_contract_candidate: bool) -> Decision {
    if is_contract_candidate {
        Allow
    } else {
        Deny("That supervision contract is not yours.")
    }
}

pub(super) fn end_contract(is_party: bool) -> Decision {
    if is_party {
        Allow
    } else {
        Deny("Only the candidate and the supervisor of a contract can end it.")
    }
}

pub(super) fn request_supervision_group(actor: &Actor) -> Decision {
    if actor.has_role(Role::Supervisor) {
        Allow
    } else {
        Deny("Only supervisors run supervision groups.")
    }
}

pub(super) fn approve_supervision_groups(actor: &Actor) -> Decision {
    if board_staff(actor) {
        Allow
    } else {
        Deny("Only board staff approve supervision groups.")
    }
}

pub(super) fn apply(actor: &Actor, is_own: bool) -> Decision {
    if is_own && (actor.has_role(Role::Candidate) || actor.has_role(Role::Supervisor)) {
        Allow
    } else {
        Deny("That application is not yours.")
    }
}

/// Relationship: the endorsement is the primary supervisor's word on their supervisee.
pub(super) fn endorse(actor: &Actor, is_primary_supervisor: bool) -> Decision {
    if is_primary_supervisor && actor.has_role(Role::Supervisor) {
        Allow
    } else {
        Deny("Only the candidate's primary supervisor can endorse this application.")
    }
}

pub(super) fn manage_applications(actor: &Actor) -> Decision {
    if board_staff(actor) {
        Allow
    } else {
        Deny("Only board staff handle applications.")
    }
}

/// Relationship: a packet is for the staff, the chair and the reviewers assigned to it; a
/// conflict of interest shuts out everyone, whatever their role.
pub(super) fn open_review_packet(actor: &Actor, is_assigned: bool, is_conflicted: bool) -> Decision {
    let reviewer = is_assigned && actor.has_role(Role::CommitteeReviewer);
    if is_conflicted {
        Deny("You have a conflict of interest with this candidate, so you cannot see this application.")
    } else if board_staff(actor) || actor.has_role(Role::CommitteeChair) || reviewer {
        Allow
    } else {
        Deny("Only the reviewers assigned to this application, the committee chair and board staff can open it.")
    }
}

pub(super) fn recommend(actor: &Actor, is_assigned: bool) -> Decision {
    if is_assigned && actor.has_role(Role::CommitteeReviewer) {
        Allow
    } else {
        Deny("Only the reviewers assigned to this application can recommend on it.")
    }
}

pub(super) fn declare_conflict(actor: &Actor) -> Decision {
    if actor.has_role(Role::CommitteeReviewer) || actor.has_role(Role::CommitteeChair) {
        Allow
    } else {
        Deny("Only members of the certification committee review applications.")
    }
}

pub(super) fn decide_application(actor: &Actor, is_conflicted: bool) -> Decision {
    if is_conflicted {
        Deny("You have a conflict of interest with this candidate, so you cannot decide this application.")
    } else if board_staff(actor) || actor.has_role(Role::CommitteeChair) {
        Allow
    } else {
        Deny("Only the committee chair and board staff decide applications.")
    }
}

/// A sanction changes a professional's public standing: board staff only.
pub(super) fn manage_credentials(actor: &Actor) -> Decision {
    if board_staff(actor) {
        Allow
    } else {
        Deny("Only board staff change the status of credentials.")
    }
}

pub(super) fn download_credential(actor: &Actor, is_holder: bool) -> Decision {
    if is_holder || board_staff(actor) {
        Allow
    } else {
        Deny("Only the holder can download this credential.")
    }
}

/// Renewal is the holder's own statement of their continuing education.
pub(super) fn renew(is_holder: bool) -> Decision {
    if is_holder {
        Allow
    } else {
        Deny("Only the holder can renew this credential.")
    }
}

pub(super) fn view_reminders(actor: &Actor) -> Decision {
    if board_staff(actor) {
        Allow
    } else {
        Deny("Only board staff see the reminders sent.")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::actor;
    use super::super::{Decision, Permission, decide};
    use domain::Role;

    fn allowed(roles: &[Role], permission: Permission<'_>) -> bool {
        decide(&actor(roles, true), &permission) == Decision::Allow
    }

    #[test]
    fn a_conflict_of_interest_shuts_out_every_role() {
        for role in Role::ALL {
            let packet = Permission::OpenReviewPacket {
                is_assigned: true,
                is_conflicted: true,
            };
            assert!(!allowed(&[role], packet), "{role} opens a conflicted packet");
            assert!(
                !allowed(&[role], Permission::DecideApplication { is_conflicted: true }),
                "{role} decides"
            );
        }
        let packet = |is_assigned| Permission::OpenReviewPacket {
            is_assigned,
            is_conflicted: false,
        };
        assert!(allowed(&[Role::CommitteeReviewer], packet(true)));
        assert!(!allowed(&[Role::CommitteeReviewer], packet(false)));
        assert!(allowed(&[Role::CommitteeChair], packet(false)));
        assert!(allowed(&[Role::BoardStaff], packet(false)));
        assert!(!allowed(&[Role::Candidate], packet(true)));
    }

    #[test]
    fn only_the_named_supervisor_acts_for_a_contract() {
        let act = |is_contract_supervisor| Permission::SuperviseContract { is_contract_supervisor };
        assert!(allowed(&[Role::Supervisor], act(true)));
        assert!(!allowed(&[Role::Supervisor], act(false)));
        // Named once, but no longer holding the role.
        assert!(!allowed(&[Role::Candidate], act(true)));
        assert!(!allowed(
            &[Role::Supervisor],
            Permission::EndorseApplication {
                is_primary_supervisor: false
            }
        ));
        assert!(allowed(
            &[Role::Supervisor],
            Permission::EndorseApplication {
                is_primary_supervisor: true
            }
        ));
    }

    #[test]
    fn staff_handle_what_changes_standing_and_holders_renew_their_own() {
        for role in Role::ALL {
            let staff = matches!(role, Role::BoardStaff | Role::BoardAdmin);
            assert_eq!(allowed(&[role], Permission::ManageCredentials), staff, "{role}");
            assert_eq!(allowed(&[role], Permission::ManageApplications), staff, "{role}");
            assert_eq!(
                allowed(&[role], Permission::DownloadCredential { is_holder: false }),
                staff,
                "{role}"
            );
            assert!(
                allowed(&[role], Permission::DownloadCredential { is_holder: true }),
                "{role}"
            );
            assert!(
                allowed(&[role], Permission::RenewCredential { is_holder: true }),
                "{role}"
            );
            assert!(
                !allowed(&[role], Permission::RenewCredential { is_holder: false }),
                "{role}"
            );
            assert_eq!(
                allowed(&[role], Permission::ManagePrograms),
                role == Role::BoardAdmin,
                "{role}"
            );
        }
    }
}
