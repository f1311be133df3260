//! Authorization: who may do what. Every permission check in Sensate comes through
//! [`decide`], so this file is the one to read to know the rules. Decisions use the person's
//! roles and their relationship to the thing asked for (their own account, their own
//! sessions; later issues add supervisees and clients). Every denial is written to the audit
//! log by [`App::authorize`].

use domain::{Role, UserId};

use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

/// What someone is trying to do.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    /// See and change one's own account and security settings.
    ManageOwnAccount,
    /// End a session; only its owner may.
    EndSession { owner: &'a UserId },
    /// See the list of people and open invitations.
    ViewPeople,
    /// Invite someone to take `role`.
    InvitePerson { role: Role },
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
    fn name(&self) -> &'static str {
        match self {
            Permission::ManageOwnAccount => "manage_own_account",
            Permission::EndSession { .. } => "end_session",
            Permission::ViewPeople => "view_people",
            Permission::InvitePerson { .. } => "invite_person",
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
}

/// The rules.
pub fn decide(actor: &Actor, permission: &Permission<'_>) -> Decision {
    use Decision::{Allow, Deny};
    // Roles that demand a second factor get nothing but their own account until it is set
    // up: a stolen password alone must not open a board or clinical workspace.
    if actor.must_enrol_mfa() && !matches!(permission, Permission::ManageOwnAccount | Permission::EndSession { .. }) {
        return Deny("Set up two-factor sign-in first; your role requires it.");
    }
    match permission {
        Permission::ManageOwnAccount | Permission::UseWorkspace => Allow,
        // Relationship: a session belongs to one person, and only they may end it.
        Permission::EndSession { owner } => {
            if *owner == &actor.user_id {
                Allow
            } else {
                Deny("That session is not yours.")
            }
        }
        Permission::ViewPeople => {
            if actor.has_role(Role::BoardAdmin) || actor.has_role(Role::BoardStaff) {
                Allow
            } else {
                Deny("Only board staff and administrators can see the people list.")
            }
        }
        // Administrators may invite anyone. Staff may invite the people they work with, but
        // not other staff or administrators: nobody can raise a colleague to their own rank.
        Permission::InvitePerson { role } => {
            let staff_may = actor.has_role(Role::BoardStaff) && !matches!(role, Role::BoardAdmin | Role::BoardStaff);
            if actor.has_role(Role::BoardAdmin) || staff_may {
                Allow
            } else {
                Deny("You cannot invite people to that role.")
            }
        }
        Permission::ViewAuditLog => {
            if actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board administrators can read the audit log.")
            }
        }
        // Rules decide who gets certified: only the board's administrators change them.
        Permission::ManagePrograms => {
            if actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board administrators can import credential programs.")
            }
        }
        // Candidates work towards a credential; so do supervisors (towards the supervisor
        // credential and renewals).
        Permission::ManageOwnEvidence => {
            if actor.has_role(Role::Candidate) || actor.has_role(Role::Supervisor) {
                Allow
            } else {
                Deny("Only candidates and supervisors keep a credential file.")
            }
        }
        // Relationship: a file is seen by its owner, by the owner's supervisors, and by the
        // board's staff; never by another candidate or another supervisor's supervisee.
        Permission::ViewEvidence { owner, supervises } => {
            let staff = actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin);
            if *owner == &actor.user_id || staff || (*supervises && actor.has_role(Role::Supervisor)) {
                Allow
            } else {
                Deny("That credential file is not yours to see.")
            }
        }
        // Relationship: a document is seen by its owner and the board's staff, and by the other
        // party of a supervision contract for the documents that contract asks for.
        Permission::ViewDocument {
            owner,
            shared_by_contract,
            reviews_owner,
        } => {
            let staff = actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin);
            if *owner == &actor.user_id || staff || *shared_by_contract || *reviews_owner {
                Allow
            } else {
                Deny("That document is not yours to see.")
            }
        }
        // Relationship: only the supervisor a contract names acts for it, and only while they
        // hold the supervisor role.
        Permission::SuperviseContract { is_contract_supervisor } => {
            if *is_contract_supervisor && actor.has_role(Role::Supervisor) {
                Allow
            } else {
                Deny("You are not the supervisor of that contract.")
            }
        }
        Permission::LogSupervision { is_contract_candidate } => {
            if *is_contract_candidate {
                Allow
            } else {
                Deny("That supervision contract is not yours.")
            }
        }
        Permission::EndContract { is_party } => {
            if *is_party {
                Allow
            } else {
                Deny("Only the candidate and the supervisor of a contract can end it.")
            }
        }
        Permission::RequestSupervisionGroup => {
            if actor.has_role(Role::Supervisor) {
                Allow
            } else {
                Deny("Only supervisors run supervision groups.")
            }
        }
        Permission::ApproveSupervisionGroups => {
            if actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board staff approve supervision groups.")
            }
        }
        Permission::ApplyForCredential { is_own } => {
            if *is_own && (actor.has_role(Role::Candidate) || actor.has_role(Role::Supervisor)) {
                Allow
            } else {
                Deny("That application is not yours.")
            }
        }
        // Relationship: the endorsement is the primary supervisor's word on their supervisee.
        Permission::EndorseApplication { is_primary_supervisor } => {
            if *is_primary_supervisor && actor.has_role(Role::Supervisor) {
                Allow
            } else {
                Deny("Only the candidate's primary supervisor can endorse this application.")
            }
        }
        Permission::ManageApplications => {
            if actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board staff handle applications.")
            }
        }
        // Relationship: a packet is for the staff, the chair and the reviewers assigned to it;
        // a conflict of interest shuts out everyone, whatever their role.
        Permission::OpenReviewPacket {
            is_assigned,
            is_conflicted,
        } => {
            let staff = actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin);
            let reviewer = *is_assigned && actor.has_role(Role::CommitteeReviewer);
            if *is_conflicted {
                Deny("You have a conflict of interest with this candidate, so you cannot see this application.")
            } else if staff || actor.has_role(Role::CommitteeChair) || reviewer {
                Allow
            } else {
                Deny(
                    "Only the reviewers assigned to this application, the committee chair and board staff can open it.",
                )
            }
        }
        Permission::RecommendOnApplication { is_assigned } => {
            if *is_assigned && actor.has_role(Role::CommitteeReviewer) {
                Allow
            } else {
                Deny("Only the reviewers assigned to this application can recommend on it.")
            }
        }
        Permission::DeclareConflict => {
            if actor.has_role(Role::CommitteeReviewer) || actor.has_role(Role::CommitteeChair) {
                Allow
            } else {
                Deny("Only members of the certification committee review applications.")
            }
        }
        Permission::DecideApplication { is_conflicted } => {
            let staff = actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin);
            if *is_conflicted {
                Deny("You have a conflict of interest with this candidate, so you cannot decide this application.")
            } else if staff || actor.has_role(Role::CommitteeChair) {
                Allow
            } else {
                Deny("Only the committee chair and board staff decide applications.")
            }
        }
        // A sanction changes a professional's public standing: board staff only.
        Permission::ManageCredentials => {
            if actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board staff change the status of credentials.")
            }
        }
        Permission::DownloadCredential { is_holder } => {
            if *is_holder || actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only the holder can download this credential.")
            }
        }
        // Renewal is the holder's own statement of their continuing education.
        Permission::RenewCredential { is_holder } => {
            if *is_holder {
                Allow
            } else {
                Deny("Only the holder can renew this credential.")
            }
        }
        Permission::ViewReminders => {
            if actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board staff see the reminders sent.")
            }
        }
        // A case file holds a complainant's account and contact details: the ethics committee
        // and board staff only. Committee reviewers, candidates and supervisors never see one,
        // and nobody handles a case about themselves.
        Permission::HandleEthicsCase { is_respondent } => {
            let handler = actor.has_role(Role::EthicsCommittee)
                || actor.has_role(Role::BoardStaff)
                || actor.has_role(Role::BoardAdmin);
            if *is_respondent {
                Deny("This ethics case is about you, so you cannot see its file or handle it.")
            } else if handler {
                Allow
            } else {
                Deny("Only the ethics committee and board staff see ethics cases.")
            }
        }
        // Relationship: the professional a complaint is about answers it; whatever their role,
        // nobody else reads the case this way, and the reporter's contact details are never
        // part of it.
        Permission::RespondToEthicsCase { is_respondent } => {
            if *is_respondent {
                Allow
            } else {
                Deny("This ethics case is not about you.")
            }
        }
        // The profile is the holder's own words; the badges on it come from credential
        // records, never from the profile.
        Permission::EditDirectoryProfile { holds_credential } => {
            if *holds_credential {
                Allow
            } else {
                Deny("Only people the board has certified have a directory profile.")
            }
        }
        Permission::SendReferral => {
            if actor.has_role(Role::ReferringProvider) {
                Allow
            } else {
                Deny("Only referring providers can send referrals.")
            }
        }
        // Referral contents are the client's health information: the two parties only,
        // not even board staff.
        Permission::ViewReferral {
            is_sender,
            is_recipient,
        } => {
            if *is_sender || *is_recipient {
                Allow
            } else {
                Deny("Only the referring provider and the professional it was sent to can read this referral.")
            }
        }
        Permission::RespondToReferral { is_recipient } => {
            if *is_recipient {
                Allow
            } else {
                Deny("Only the professional this referral was sent to can answer it.")
            }
        }
        Permission::ApproveReferrers => {
            if actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin) {
                Allow
            } else {
                Deny("Only board staff can approve referring providers.")
            }
        }
    }
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{EmailAddress, SessionId};

    fn actor(roles: &[Role], mfa: bool) -> Actor {
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
        assert_eq!(
            decide(
                &staff,
                &Permission::InvitePerson {
                    role: Role::CommitteeReviewer
                }
            ),
            Decision::Allow
        );
        assert!(matches!(
            decide(&staff, &Permission::InvitePerson { role: Role::BoardStaff }),
            Decision::Deny(_)
        ));
        assert!(matches!(
            decide(
                &actor(&[Role::Candidate], false),
                &Permission::InvitePerson { role: Role::Client }
            ),
            Decision::Deny(_)
        ));
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

    #[test]
    fn mandatory_mfa_blocks_everything_but_the_account() {
        let admin = actor(&[Role::BoardAdmin], false);
        assert!(matches!(decide(&admin, &Permission::ViewAuditLog), Decision::Deny(_)));
        assert!(matches!(decide(&admin, &Permission::UseWorkspace), Decision::Deny(_)));
        assert_eq!(decide(&admin, &Permission::ManageOwnAccount), Decision::Allow);
    }
}
