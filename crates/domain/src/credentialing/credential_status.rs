//! Where an issued credential stands on a given day, worked out from facts rather than stored,
//! so that verification, the status list and the directory all change the moment a fact does
//! (a date passes, a membership lapses, a sanction is recorded).

use serde::{Deserialize, Serialize};
use time::Date;

/// The public status of a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    Active,
    /// Past its validity date without renewal.
    Expired,
    /// A condition of holding it failed: membership lapsed, or the credential it depends on
    /// (a supervisor's sex therapist credential) is no longer active.
    Lapsed,
    /// Suspended by the board, for now.
    Suspended,
    /// Revoked by the board.
    Revoked,
}

impl CredentialStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::Expired => "expired",
            CredentialStatus::Lapsed => "lapsed",
            CredentialStatus::Suspended => "suspended",
            CredentialStatus::Revoked => "revoked",
        }
    }

    /// What the status means to someone checking a professional.
    pub fn explanation(self) -> &'static str {
        match self {
            CredentialStatus::Active => "The credential is current and in good standing.",
            CredentialStatus::Expired => "The credential has passed its validity date and was not renewed.",
            CredentialStatus::Lapsed => {
                "A condition of holding the credential is no longer met, such as membership in good standing."
            }
            CredentialStatus::Suspended => {
                "The board has suspended this credential; it does not count while suspended."
            }
            CredentialStatus::Revoked => "The board has revoked this credential.",
        }
    }

    /// Whether the holder may be listed and may act on the credential (supervise, say).
    pub fn in_good_standing(self) -> bool {
        self == CredentialStatus::Active
    }
}

/// The facts a credential's status is worked out from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialFacts {
    pub valid_from: Date,
    pub valid_until: Date,
    pub revoked: bool,
    pub suspended: bool,
    /// The holder's membership is in good standing on the day asked about.
    pub membership_in_good_standing: bool,
    /// For a credential that depends on another (supervisor on sex therapist): whether that
    /// one is active. `None` when there is no dependency.
    pub dependency_active: Option<bool>,
}

/// The status on `day`. The board's decisions come first (revoked, then suspended), then the
/// calendar (expired), then the conditions of holding it (lapsed).
pub fn status_on(facts: &CredentialFacts, day: Date) -> CredentialStatus {
    if facts.revoked {
        CredentialStatus::Revoked
    } else if facts.suspended {
        CredentialStatus::Suspended
    } else if day > facts.valid_until || day < facts.valid_from {
        CredentialStatus::Expired
    } else if !facts.membership_in_good_standing || facts.dependency_active == Some(false) {
        CredentialStatus::Lapsed
    } else {
        CredentialStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts() -> CredentialFacts {
        CredentialFacts {
            valid_from: date!(2026 - 01 - 15),
            valid_until: date!(2029 - 01 - 14),
            revoked: false,
            suspended: false,
            membership_in_good_standing: true,
            dependency_active: None,
        }
    }

    #[test]
    fn a_credential_in_good_standing_is_active_within_its_dates() {
        assert_eq!(status_on(&facts(), date!(2026 - 01 - 15)), CredentialStatus::Active);
        assert_eq!(status_on(&facts(), date!(2029 - 01 - 14)), CredentialStatus::Active);
        assert_eq!(status_on(&facts(), date!(2029 - 01 - 15)), CredentialStatus::Expired);
        assert!(CredentialStatus::Active.in_good_standing());
    }

    #[test]
    fn a_membership_lapse_or_a_lapsed_dependency_lapses_it() {
        let lapsed = CredentialFacts {
            membership_in_good_standing: false,
            ..facts()
        };
        assert_eq!(status_on(&lapsed, date!(2027 - 06 - 01)), CredentialStatus::Lapsed);
        let supervisor = CredentialFacts {
            dependency_active: Some(false),
            ..facts()
        };
        assert_eq!(status_on(&supervisor, date!(2027 - 06 - 01)), CredentialStatus::Lapsed);
        let fine = CredentialFacts {
            dependency_active: Some(true),
            ..facts()
        };
        assert_eq!(status_on(&fine, date!(2027 - 06 - 01)), CredentialStatus::Active);
    }

    #[test]
    fn board_decisions_come_first() {
        let both = CredentialFacts {
            revoked: true,
            suspended: true,
            membership_in_good_standing: false,
            ..facts()
        };
        assert_eq!(status_on(&both, date!(2030 - 01 - 01)), CredentialStatus::Revoked);
        let suspended = CredentialFacts {
            suspended: true,
            ..facts()
        };
        assert_eq!(
            status_on(&suspended, date!(2027 - 01 - 01)),
            CredentialStatus::Suspended
        );
        assert!(!CredentialStatus::Suspended.in_good_standing());
        let expired_and_lapsed = CredentialFacts {
            membership_in_good_standing: false,
            ..facts()
        };
        assert_eq!(
            status_on(&expired_and_lapsed, date!(2030 - 01 - 01)),
            CredentialStatus::Expired
        );
    }
}
