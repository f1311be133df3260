//! Authorization: who may do what. Every permission check in Sensate comes through
//! [`decide`]: this module names every permission and the gate before them all, and one file
//! per product area holds that area's rules (`platform.rs`, `credentialing.rs`, `ethics.rs`,
//! `directory.rs`, `referrals.rs`; AUTHORIZATION.md has one section per area). Decisions use
//! the person's roles and their relationship to the thing asked for (their own account, their
//! supervisees, the application they review). Every denial is written to the audit log by
//! [`App::authorize`], naming the permission, which is how the authorization test knows which
//! rule refused.
//!
//! Use cases ask before they validate: a refusal never depends on what a form contained.

use domain::{Role, UserId};

use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

mod credentialing;
mod directory;
mod ethics;
mod platform;
mod referrals;

/// What someone is trying to do.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    /// See and change one's own account and security settings.
    ManageOwnAccount,
    /// Turn off one's own two-factor sign-in: not for a role that requires it.
    TurnOffTwoFactor,
    /// End a session; only its owner may.
    EndSession { owner: &'a UserId },
    /// See the list of people and open invitations.
    ViewPeople,
    /// Invite someone to take `role` (`None`: to any role, asked before the form's role is read).
    InvitePerson { role: Option<Role> },
    /// Take `role` away from a person (`None`: any role, asked before the role is read).
    RemoveRole { role: Option<Role> },
    /// Read the audit log.
    ViewAuditLog,
    /// Reach the role-specific parts of the dashboard (anything beyond one's own account).
    UseWorkspace,
    /// Import new versions of the board lists and the credential programs.
    ManagePrograms,
    /// Record one's own evidence (memberships, degrees, licenses, hours) towards a credential.
    ManageOwnEvidence,
    /// See a person's evidence and progress. `supervises` is whether the viewer has a
    /// supervision contract with that person (as their supervisor).
    ViewEvidence { owner: &'a UserId, supervises: bool },
    /// Download one of `owner`'s documents. `shared_by_contract` is whether the viewer is the
    /// other party of a supervision contract with the owner and the document is of a kind the
    /// contract requires both parties to show each other.
    /// `reviews_owner` is whether the viewer is an assigned, unconflicted committee reviewer
    /// of an application by the owner.
    ViewDocument {
        owner: &'a UserId,
        shared_by_contract: bool,
        reviews_owner: bool,
    },
    /// Act as the supervisor of one contract: sign or decline it, countersign or reject its
    /// sessions. `is_contract_supervisor` is whether the contract names the actor.
    SuperviseContract { is_contract_supervisor: bool },
    /// Log sessions under a contract, as its candidate.
    LogSupervision { is_contract_candidate: bool },
    /// End a contract with notice: either party may.
    EndContract { is_party: bool },
    /// Ask the board to approve a supervision group.
    RequestSupervisionGroup,
    /// Approve or refuse supervision groups.
    ApproveSupervisionGroups,
    /// Prepare and submit an application; only its candidate may.
    ApplyForCredential { is_own: bool },
    /// Endorse a candidate's application: their primary supervisor for that credential.
    EndorseApplication { is_primary_supervisor: bool },
    /// Record an application fee as paid or waived, assign reviewers, ask candidates for more
    /// information: the board staff's part of the review.
    ManageApplications,
    /// Open the frozen application and its documents under review. `is_assigned`: the actor
    /// holds a live assignment to it; `is_conflicted`: the actor has a conflict of interest
    /// with the candidate (supervises them, or declared one).
    OpenReviewPacket { is_assigned: bool, is_conflicted: bool },
    /// Recommend on an application, as one of its assigned reviewers.
    RecommendOnApplication { is_assigned: bool },
    /// Declare conflicts of interest and see one's review assignments.
    DeclareConflict,
    /// Decide an application (and see the review queue): the committee chair or staff,
    /// never with a conflict of interest.
    DecideApplication { is_conflicted: bool },
    /// Suspend, revoke, reinstate credentials and undo such an action made in error.
    ManageCredentials,
    /// Download a credential's certificate and signed badge: its holder, or staff.
    DownloadCredential { is_holder: bool },
    /// Log credits towards and submit the renewal of a credential: only its holder.
    RenewCredential { is_holder: bool },
    /// See the reminders the lifecycle job sent.
    ViewReminders,
    /// Handle ethics cases: the queue, the whole case file (the complaint, the reporter's
    /// contact details, the reply, evidence notes, every document), intake, notifying the
    /// respondent, evidence notes and the decision. `is_respondent`: the case is about the
    /// actor (pass `false` for the queue, which leaves out the actor's own cases).
    HandleEthicsCase { is_respondent: bool },
    /// Read an ethics case about oneself (the complaint's text, one's own reply and documents,
    /// the outcome) and reply to it. `is_respondent`: the case is about the actor.
    RespondToEthicsCase { is_respondent: bool },
    /// Edit one's public directory profile: a person the board has issued a credential to
    /// (whatever its status: a suspended holder may still prepare it; the directory lists
    /// only holders in good standing).
    EditDirectoryProfile { holds_credential: bool },
    /// Send a referral to a certified professional: referring providers.
    SendReferral,
    /// Read a referral (its protected contents, attachments, FHIR form): only its sender and
    /// the professional it was sent to.
    ViewReferral { is_sender: bool, is_recipient: bool },
    /// Accept or decline a referral: only the professional it was sent to.
    RespondToReferral { is_recipient: bool },
    /// Approve or decline requests for referring-provider accounts.
    ApproveReferrers,
}

impl Permission<'_> {
    /// The permission's name in the audit log and in AUTHORIZATION.md's Rule column.
    pub fn name(&self) -> &'static str {
        match self {
            Permission::ManageOwnAccount => "manage_own_account",
            Permission::TurnOffTwoFactor => "turn_off_two_factor",
            Permission::EndSession { .. } => "end_session",
            Permission::ViewPeople => "view_people",
            Permission::InvitePerson { .. } => "invite_person",
            Permission::RemoveRole { .. } => "remove_role",
            Permission::ViewAuditLog => "view_audit_log",
            Permission::UseWorkspace => "use_workspace",
            Permission::ManagePrograms => "manage_programs",
            Permission::ManageOwnEvidence => "manage_own_evidence",
            Permission::ViewEvidence { .. } => "view_evidence",
            Permission::ViewDocument { .. } => "view_document",
            Permission::SuperviseContract { .. } => "supervise_contract",
            Permission::LogSupervision { .. } => "log_supervision",
            Permission::EndContract { .. } => "end_contract",
            Permission::RequestSupervisionGroup => "request_supervision_group",
            Permission::ApproveSupervisionGroups => "approve_supervision_groups",
            Permission::ApplyForCredential { .. } => "apply_for_credential",
            Permission::EndorseApplication { .. } => "endorse_application",
            Permission::ManageApplications => "manage_applications",
            Permission::OpenReviewPacket { .. } => "open_review_packet",
            Permission::RecommendOnApplication { .. } => "recommend_on_application",
            Permission::DeclareConflict => "declare_conflict",
            Permission::DecideApplication { .. } => "decide_application",
            Permission::ManageCredentials => "manage_credentials",
            Permission::DownloadCredential { .. } => "download_credential",
            Permission::RenewCredential { .. } => "renew_credential",
            Permission::ViewReminders => "view_reminders",
            Permission::HandleEthicsCase { .. } => "handle_ethics_case",
            Permission::RespondToEthicsCase { .. } => "respond_to_ethics_case",
            Permission::EditDirectoryProfile { .. } => "edit_directory_profile",
            Permission::SendReferral => "send_referral",
            Permission::ViewReferral { .. } => "view_referral",
            Permission::RespondToReferral { .. } => "respond_to_referral",
            Permission::ApproveReferrers => "approve_referrers",
        }
    }
}

/// Why a request was refused, in words fit for the person refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(&'static str),
    /// Refused until the person sets up two-factor sign-in (pages send them there).
    EnrolSecondFactor(&'static str),
}

/// The rules: the gate every permission passes first, then the rule of the permission's area.
pub fn decide(actor: &Actor, permission: &Permission<'_>) -> Decision {
    // Roles that demand a second factor get nothing but their own account until it is set
    // up: a stolen password alone must not open a board or clinical workspace.
    if actor.must_enrol_mfa() && !matches!(permission, Permission::ManageOwnAccount | Permission::EndSession { .. }) {
        return Decision::Deny("Set up two-factor sign-in first; your role requires it.");
    }
    match *permission {
        Permission::ManageOwnAccount | Permission::UseWorkspace => platform::own_account(actor),
        Permission::TurnOffTwoFactor => platform::turn_off_two_factor(actor),
        Permission::EndSession { owner } => platform::end_session(actor, owner),
        Permission::ViewPeople => platform::view_people(actor),
        Permission::InvitePerson { role } => platform::invite_person(actor, role),
        Permission::RemoveRole { role } => platform::remove_role(actor, role),
        Permission::ViewAuditLog => platform::view_audit_log(actor),

        Permission::ManagePrograms => credentialing::manage_programs(actor),
        Permission::ManageOwnEvidence => credentialing::manage_own_evidence(actor),
        Permission::ViewEvidence { owner, supervises } => credentialing::view_evidence(actor, owner, supervises),
        Permission::ViewDocument {
            owner,
            shared_by_contract,
            reviews_owner,
        } => credentialing::view_document(actor, owner, shared_by_contract, reviews_owner),
        Permission::SuperviseContract { is_contract_supervisor } => {
            credentialing::supervise_contract(actor, is_contract_supervisor)
        }
        Permission::LogSupervision { is_contract_candidate } => credentialing::log_supervision(is_contract_candidate),
        Permission::EndContract { is_party } => credentialing::end_contract(is_party),
        Permission::RequestSupervisionGroup => credentialing::request_supervision_group(actor),
        Permission::ApproveSupervisionGroups => credentialing::approve_supervision_groups(actor),
        Permission::ApplyForCredential { is_own } => credentialing::apply(actor, is_own),
        Permission::EndorseApplication { is_primary_supervisor } => {
            credentialing::endorse(actor, is_primary_supervisor)
        }
        Permission::ManageApplications => credentialing::manage_applications(actor),
        Permission::OpenReviewPacket {
            is_assigned,
            is_conflicted,
        } => credentialing::open_review_packet(actor, is_assigned, is_conflicted),
        Permission::RecommendOnApplication { is_assigned } => credentialing::recommend(actor, is_assigned),
        Permission::DeclareConflict => credentialing::declare_conflict(actor),
        Permission::DecideApplication { is_conflicted } => credentialing::decide_application(actor, is_conflicted),
        Permission::ManageCredentials => credentialing::manage_credentials(actor),
        Permission::DownloadCredential { is_holder } => credentialing::download_credential(actor, is_holder),
        Permission::RenewCredential { is_holder } => credentialing::renew(is_holder),
        Permission::ViewReminders => credentialing::view_reminders(actor),

        Permission::HandleEthicsCase { is_respondent } => ethics::handle_case(actor, is_respondent),
        Permission::RespondToEthicsCase { is_respondent } => ethics::respond_to_case(is_respondent),

        Permission::EditDirectoryProfile { holds_credential } => directory::edit_profile(holds_credential),

        Permission::SendReferral => referrals::send(actor),
        Permission::ViewReferral {
            is_sender,
            is_recipient,
        } => referrals::view(actor, is_sender, is_recipient),
        Permission::RespondToReferral { is_recipient } => referrals::respond(actor, is_recipient),
        Permission::ApproveReferrers => referrals::approve_referrers(actor),
    }
}

/// The board's office: its staff and administrators.
fn board_staff(actor: &Actor) -> bool {
    actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin)
}

impl App {
    /// Decides, and records any denial in the audit log.
    pub async fn authorize(&self, actor: &Actor, permission: Permission<'_>, meta: &RequestMeta) -> AppResult<()> {
        match decide(actor, &permission) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => {
                let event = AuditEvent::denied("access.denied").detail(permission.name());
                self.record(actor, event, meta).await?;
                Err(AppError::Forbidden(reason.to_owned()))
            }
            Decision::EnrolSecondFactor(reason) => {
                let event = AuditEvent::denied("access.denied").detail(permission.name());
                self.record(actor, event, meta).await?;
                Err(AppError::SecondFactorRequired(reason.to_owned()))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use domain::{EmailAddress, SessionId};

    /// Someone with `roles`, with or without a second factor set up.
    pub(crate) fn actor(roles: &[Role], mfa: bool) -> Actor {
        Actor {
            user_id: UserId::parse("00000000000000000000000000000001").unwrap(),
            email: EmailAddress::parse("a@example.org").unwrap(),
            display_name: "A".into(),
            roles: roles.to_vec(),
            session_id: SessionId::parse("00000000000000000000000000000009").unwrap(),
            mfa_enabled: mfa,
            email_verified: true,
            is_demo: false,
        }
    }
}
