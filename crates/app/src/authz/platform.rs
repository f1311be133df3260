//! The platform's rules: one's own account and sessions, the people list, invitations and the
//! audit log. No product word here: these hold for every area.

use domain::{Role, UserId};

use super::Decision::{self, Allow, Deny};
use super::board_staff;
use crate::Actor;

/// Everyone signed in keeps their own account and reaches their own workspace (what it shows
/// is decided by the other rules).
pub(super) fn own_account(_actor: &Actor) -> Decision {
    Allow
}

/// A role that requires a second factor keeps it: turning it off would leave a board or clinical
/// workspace behind a password alone.
pub(super) fn turn_off_two_factor(actor: &Actor) -> Decision {
    if domain::platform::role::mfa_required(&actor.roles) {
        Deny("Your role requires two-factor sign-in, so it cannot be turned off.")
    } else {
        Allow
    }
}

/// Relationship: a session belongs to one person, and only they may end it.
pub(super) fn end_session(actor: &Actor, owner: &UserId) -> Decision {
    if owner == &actor.user_id {
        Allow
    } else {
        Deny("That session is not yours.")
    }
}

pub(super) fn view_people(actor: &Actor) -> Decision {
    if board_staff(actor) {
        Allow
    } else {
        Deny("Only board staff and administrators can see the people list.")
    }
}

/// Administrators may invite anyone. Staff may invite the people they work with, but not other
/// staff or administrators: nobody can raise a colleague to their own rank. Without a role yet
/// (a form that names none), the question is whether the person may invite anyone at all.
pub(super) fn invite_person(actor: &Actor, role: Option<Role>) -> Decision {
    let staff_may = actor.has_role(Role::BoardStaff) && !matches!(role, Some(Role::BoardAdmin | Role::BoardStaff));
    if actor.has_role(Role::BoardAdmin) || staff_may {
        Allow
    } else {
        Deny("You cannot invite people to that role.")
    }
}

/// Taking a role away follows inviting to it: administrators any role, staff any but staff and
/// administrator (nobody lowers a colleague of their own rank either). That the board keeps
/// one administrator is the use case's check, not a rule about the actor.
pub(super) fn remove_role(actor: &Actor, role: Option<Role>) -> Decision {
    let staff_may = actor.has_role(Role::BoardStaff) && !matches!(role, Some(Role::BoardAdmin | Role::BoardStaff));
    if actor.has_role(Role::BoardAdmin) || staff_may {
        Allow
    } else {
        Deny("You cannot remove that role.")
    }
}

pub(super) fn view_audit_log(actor: &Actor) -> Decision {
    if actor.has_role(Role::BoardAdmin) {
        Allow
    } else {
        Deny("Only board administrators can read the audit log.")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::actor;
    use super::super::{Decision, Permission, decide};
    use domain::{Role, UserId};

    #[test]
    fn the_audit_log_is_for_administrators() {
        assert_eq!(
            decide(&actor(&[Role::BoardAdmin], true), &Permission::ViewAuditLog),
            Decision::Allow
        );
        for role in Role::ALL.into_iter().filter(|r| *r != Role::BoardAdmin) {
            assert!(
                matches!(
                    decide(&actor(&[role], true), &Permission::ViewAuditLog),
                    Decision::Deny(_)
                ),
                "{role}"
            );
        }
    }

    #[test]
    fn staff_cannot_raise_colleagues() {
        let staff = actor(&[Role::BoardStaff], true);
        let invite = |role| Permission::InvitePerson { role };
        assert_eq!(decide(&staff, &invite(Some(Role::CommitteeReviewer))), Decision::Allow);
        assert_eq!(decide(&staff, &invite(None)), Decision::Allow);
        assert!(matches!(
            decide(&staff, &invite(Some(Role::BoardStaff))),
            Decision::Deny(_)
        ));
        assert!(matches!(
            decide(&staff, &invite(Some(Role::BoardAdmin))),
            Decision::Deny(_)
        ));
        let admin = actor(&[Role::BoardAdmin], true);
        assert_eq!(decide(&admin, &invite(Some(Role::BoardAdmin))), Decision::Allow);
        for role in Role::ALL
            .into_iter()
            .filter(|r| !matches!(r, Role::BoardAdmin | Role::BoardStaff))
        {
            assert!(
                matches!(decide(&actor(&[role], true), &invite(None)), Decision::Deny(_)),
                "{role} invites nobody"
            );
            assert!(
                matches!(
                    decide(&actor(&[role], true), &invite(Some(Role::Client))),
                    Decision::Deny(_)
                ),
                "{role} invites nobody"
            );
        }
    }

    #[test]
    fn staff_cannot_lower_colleagues() {
        let remove = |role| Permission::RemoveRole { role };
        let staff = actor(&[Role::BoardStaff], true);
        assert_eq!(decide(&staff, &remove(Some(Role::CommitteeReviewer))), Decision::Allow);
        assert_eq!(decide(&staff, &remove(None)), Decision::Allow);
        for rank in [Role::BoardStaff, Role::BoardAdmin] {
            assert!(
                matches!(decide(&staff, &remove(Some(rank))), Decision::Deny(_)),
                "{rank}"
            );
        }
        let admin = actor(&[Role::BoardAdmin], true);
        assert_eq!(decide(&admin, &remove(Some(Role::BoardAdmin))), Decision::Allow);
        for role in Role::ALL
            .into_iter()
            .filter(|r| !matches!(r, Role::BoardAdmin | Role::BoardStaff))
        {
            assert!(
                matches!(decide(&actor(&[role], true), &remove(None)), Decision::Deny(_)),
                "{role} removes no role"
            );
        }
    }

    #[test]
    fn only_the_owner_ends_a_session() {
        let me = actor(&[Role::Candidate], false);
        let other = UserId::parse("00000000000000000000000000000002").unwrap();
        assert_eq!(
            decide(&me, &Permission::EndSession { owner: &me.user_id }),
            Decision::Allow
        );
        assert!(matches!(
            decide(&me, &Permission::EndSession { owner: &other }),
            Decision::Deny(_)
        ));
    }

    #[test]
    fn mandatory_mfa_blocks_everything_but_the_account() {
        let admin = actor(&[Role::BoardAdmin], false);
        assert!(matches!(decide(&admin, &Permission::ViewAuditLog), Decision::Deny(_)));
        assert!(matches!(decide(&admin, &Permission::UseWorkspace), Decision::Deny(_)));
        assert_eq!(decide(&admin, &Permission::ManageOwnAccount), Decision::Allow);
        assert_eq!(
            decide(&admin, &Permission::EndSession { owner: &admin.user_id }),
            Decision::Allow
        );
    }
}
