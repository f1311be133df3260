//! The directory's rule: who keeps a public profile.

use super::Decision::{self, Allow, Deny};

/// The profile is the holder's own words; the badges on it come from credential records, never
/// from the profile. A suspended holder may still prepare it: the directory lists only holders
/// in good standing.
pub(super) fn edit_profile(holds_credential: bool) -> Decision {
    if holds_credential {
        Allow
    } else {
        Deny("Only people the board has certified have a directory profile.")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::actor;
    use super::super::{Decision, Permission, decide};
    use domain::Role;

    #[test]
    fn only_holders_keep_a_profile_whatever_their_role() {
        for role in Role::ALL {
            let someone = actor(&[role], true);
            assert_eq!(
                decide(&someone, &Permission::EditDirectoryProfile { holds_credential: true }),
                Decision::Allow,
                "{role}"
            );
            assert!(
                matches!(
                    decide(
                        &someone,
                        &Permission::EditDirectoryProfile {
                            holds_credential: false
                        }
                    ),
                    Decision::Deny(_)
                ),
                "{role}"
            );
        }
    }
}
