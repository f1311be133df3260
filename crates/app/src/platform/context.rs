//! Who is asking, and from where.

use domain::{EmailAddress, Role, SessionId, UserId};

/// Facts about the request that the audit log records. Never holds secrets.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
}

/// A signed-in person, as resolved from their session for this request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub email: EmailAddress,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub session_id: SessionId,
    pub mfa_enabled: bool,
    pub email_verified: bool,
    pub is_demo: bool,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The role recorded in the audit log: the most powerful one held.
    pub fn primary_role(&self) -> Option<Role> {
        const ORDER: [Role; 10] = [
            Role::BoardAdmin,
            Role::BoardStaff,
            Role::CommitteeChair,
            Role::EthicsCommittee,
            Role::CommitteeReviewer,
            Role::Clinician,
            Role::Supervisor,
            Role::ReferringProvider,
            Role::Candidate,
            Role::Client,
        ];
        ORDER.into_iter().find(|r| self.has_role(*r))
    }

    /// True while this person's roles demand a second factor they have not set up yet.
    pub fn must_enrol_mfa(&self) -> bool {
        domain::platform::role::mfa_required(&self.roles) && !self.mfa_enabled
    }
}
