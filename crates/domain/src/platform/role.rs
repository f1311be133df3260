//! The roles people hold in Sensate. A person may hold several (a certified therapist who also
//! supervises holds `Candidate` and `Supervisor`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Someone working towards a credential, and later the certified professional holding it.
    Candidate,
    /// A certified supervisor who countersigns supervisees' hours.
    Supervisor,
    /// A member of the certification committee who peer-reviews applications.
    CommitteeReviewer,
    /// The chair of the certification committee, who decides applications once reviewed.
    CommitteeChair,
    /// A member of the ethics committee, who handles complaints and proposes sanctions.
    EthicsCommittee,
    /// The board's staff, who run the review workbench.
    BoardStaff,
    /// The board's administrators, who manage people, programs and the audit log.
    BoardAdmin,
    /// A therapist using the practice side (intake, consent, treatment).
    Clinician,
    /// A client of a clinician, using the client portal.
    Client,
    /// A physician, fertility clinic or health centre that refers clients.
    ReferringProvider,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known role")]
pub struct UnknownRole;

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Candidate,
        Role::Supervisor,
        Role::CommitteeReviewer,
        Role::CommitteeChair,
        Role::EthicsCommittee,
        Role::BoardStaff,
        Role::BoardAdmin,
        Role::Clinician,
        Role::Client,
        Role::ReferringProvider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Candidate => "candidate",
            Role::Supervisor => "supervisor",
            Role::CommitteeReviewer => "committee_reviewer",
            Role::CommitteeChair => "committee_chair",
            Role::EthicsCommittee => "ethics_committee",
            Role::BoardStaff => "board_staff",
            Role::BoardAdmin => "board_admin",
            Role::Clinician => "clinician",
            Role::Client => "client",
            Role::ReferringProvider => "referring_provider",
        }
    }

    pub fn parse(text: &str) -> Result<Role, UnknownRole> {
        Role::ALL.into_iter().find(|r| r.as_str() == text).ok_or(UnknownRole)
    }

    /// How the role is named to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Candidate => "Candidate or certified professional",
            Role::Supervisor => "Supervisor",
            Role::CommitteeReviewer => "Committee reviewer",
            Role::CommitteeChair => "Committee chair",
            Role::EthicsCommittee => "Ethics committee member",
            Role::BoardStaff => "Board staff",
            Role::BoardAdmin => "Board administrator",
            Role::Clinician => "Clinician",
            Role::Client => "Client",
            Role::ReferringProvider => "Referring provider",
        }
    }

    /// Two-factor sign-in is mandatory for roles that can see other people's files or
    /// clinical records, or change the board's decisions; everyone else is offered it.
    pub fn requires_mfa(self) -> bool {
        matches!(
            self,
            Role::BoardStaff
                | Role::BoardAdmin
                | Role::CommitteeReviewer
                | Role::CommitteeChair
                | Role::EthicsCommittee
                | Role::Clinician
                | Role::ReferringProvider
        )
    }

    /// Only candidates may sign themselves up; every other role is given by invitation, so
    /// nobody can claim board or clinical powers by filling in a form.
    pub fn open_sign_up(self) -> bool {
        matches!(self, Role::Candidate)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True when any of `roles` makes two-factor sign-in mandatory.
pub fn mfa_required(roles: &[Role]) -> bool {
    roles.iter().any(|r| r.requires_mfa())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_role() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("root"), Err(UnknownRole));
    }

    #[test]
    fn mfa_is_mandatory_for_staff_reviewers_clinicians_and_referrers_only() {
        let mandatory: Vec<Role> = Role::ALL.into_iter().filter(|r| r.requires_mfa()).collect();
        assert_eq!(
            mandatory,
            vec![
                Role::CommitteeReviewer,
                Role::CommitteeChair,
                Role::EthicsCommittee,
                Role::BoardStaff,
                Role::BoardAdmin,
                Role::Clinician,
                Role::ReferringProvider
            ]
        );
        assert!(mfa_required(&[Role::Candidate, Role::Clinician]));
        assert!(!mfa_required(&[Role::Candidate, Role::Supervisor]));
    }

    #[test]
    fn only_candidates_sign_up() {
        assert_eq!(Role::ALL.into_iter().filter(|r| r.open_sign_up()).count(), 1);
    }
}
