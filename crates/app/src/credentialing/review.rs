//! Committee review of submitted applications.
//!
//! Board staff assign committee reviewers (as many as the program asks for); a reviewer who
//! has a conflict of interest with the candidate (their supervisee, a colleague, anyone they
//! name) can be neither assigned nor shown the packet. Each reviewer recommends approve,
//! request information or deny, with reasons. Staff may ask the candidate for more
//! information; the answer returns the application to review. Once enough recommendations
//! exist, the committee chair or staff decide; an approval issues the credential
//! (`credential.rs`) in the same transaction.
//!
//! Comments, requests, answers and reasons are sealed under the candidate's data key: they
//! are about a person's professional standing, and each reading is audited.

use domain::{EmailAddress, Role, UserId};
use store::credentialing::applications::ApplicationRow;
use store::credentialing::review::{ApplicationEventRow, AssignmentRow, ConflictRow};
use store::{StoreError, Timestamp};

use crate::authz::Permission;
use crate::credentialing::applications::{ApplicationAction, ApplicationState, Decision, Snapshot};
use crate::platform::audit::AuditEvent;
use crate::platform::mail::Mail;
use crate::platform::protected::{Field, Subject};
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// What a reviewer recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recommendation {
    Approve,
    RequestInformation,
    Deny,
}

impl Recommendation {
    pub const ALL: [Recommendation; 3] = [
        Recommendation::Approve,
        Recommendation::RequestInformation,
        Recommendation::Deny,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Approve => "approve",
            Recommendation::RequestInformation => "request_information",
            Recommendation::Deny => "deny",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Recommendation::Approve => "Approve",
            Recommendation::RequestInformation => "Ask for more information",
            Recommendation::Deny => "Deny",
        }
    }

    pub fn parse(text: &str) -> Option<Recommendation> {
        Recommendation::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Why a reviewer cannot judge a candidate fairly.
pub const CONFLICT_REASONS: [(&str, &str); 4] = [
    ("supervisee", "I supervise or supervised this person"),
    ("colleague", "We work together or did recently"),
    ("personal", "A personal or family relationship"),
    ("other", "Another reason"),
];

fn conflict_reason_label(key: &str) -> &'static str {
    CONFLICT_REASONS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("Another reason", |(_, label)| label)
}

/// One line of the staff's queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub row: ApplicationRow,
    pub candidate_name: String,
    pub candidate_email: String,
    pub program_name: String,
    /// Whole days in the current state.
    pub days_in_state: i64,
    /// Live reviewers with their recommendation, if any.
    pub reviewers: Vec<(String, Option<Recommendation>)>,
    pub reviewers_needed: usize,
    /// The number of the credential an approval issued.
    pub credential_number: Option<String>,
}

/// What happens next to an application in the queue, and who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Staff assign reviewers (this many more are needed).
    AssignReviewers(usize),
    /// Assigned reviewers have still to recommend.
    WaitForReviewers,
    /// Enough recommendations: the chair or staff decide.
    Decide,
    /// The candidate was asked for more information.
    WaitForCandidate,
    /// Decided; nothing more to do.
    Done,
}

impl NextStep {
    /// The key used in the queue's filter.
    pub fn as_str(self) -> &'static str {
        match self {
            NextStep::AssignReviewers(_) => "assign",
            NextStep::WaitForReviewers => "reviewers",
            NextStep::Decide => "decide",
            NextStep::WaitForCandidate => "candidate",
            NextStep::Done => "done",
        }
    }

    /// The filter's choices: (key, label).
    pub const CHOICES: [(&'static str, &'static str); 5] = [
        ("assign", "Assign reviewers"),
        ("reviewers", "Waiting for reviewers"),
        ("decide", "Ready for the committee's decision"),
        ("candidate", "Waiting for the candidate"),
        ("done", "Decided"),
    ];
}

impl QueueItem {
    /// The next step, from the state, the live reviewers and their recommendations.
    pub fn next_step(&self) -> NextStep {
        let recommended = self.reviewers.iter().filter(|(_, r)| r.is_some()).count();
        match self.row.status {
            ApplicationState::Decided => NextStep::Done,
            ApplicationState::InformationRequested => NextStep::WaitForCandidate,
            _ if self.reviewers.len() < self.reviewers_needed => {
                NextStep::AssignReviewers(self.reviewers_needed - self.reviewers.len())
            }
            _ if recommended >= self.reviewers_needed => NextStep::Decide,
            _ => NextStep::WaitForReviewers,
        }
    }

    /// The next step in words: who acts, by name where a reviewer is awaited.
    pub fn next_step_text(&self) -> String {
        match self.next_step() {
            NextStep::AssignReviewers(1) if self.reviewers.is_empty() => "Assign a reviewer".to_owned(),
            NextStep::AssignReviewers(n) if self.reviewers.is_empty() => format!("Assign {n} reviewers"),
            NextStep::AssignReviewers(1) => "Assign 1 more reviewer".to_owned(),
            NextStep::AssignReviewers(n) => format!("Assign {n} more reviewers"),
            NextStep::WaitForReviewers => {
                let waiting: Vec<&str> = self
                    .reviewers
                    .iter()
                    .filter(|(_, r)| r.is_none())
                    .map(|(name, _)| name.as_str())
                    .collect();
                format!("Waiting for {}", waiting.join(" and "))
            }
            NextStep::Decide => "Ready for the committee's decision".to_owned(),
            NextStep::WaitForCandidate => "Waiting for the candidate's answer".to_owned(),
            NextStep::Done => match (self.row.decision, &self.credential_number) {
                (Some(Decision::Approved), Some(number)) => format!("None: approved, credential {number}"),
                (Some(Decision::Approved), None) => "None: approved".to_owned(),
                _ => "None: not approved".to_owned(),
            },
        }
    }
}

/// What the queue is filtered by.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<ApplicationState>,
    pub program: Option<String>,
}

/// A reviewer as shown on an application.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub id: String,
    pub reviewer_id: String,
    pub reviewer_name: String,
    pub assigned_on: Timestamp,
    pub released: Option<String>,
    /// Whether a recommendation was made (shown even when its content is not).
    pub recommended: bool,
    /// The recommendation and comments, when the viewer may read them.
    pub recommendation: Option<Recommendation>,
    pub comments: Option<String>,
}

/// One step of an application's history.
#[derive(Debug, Clone)]
pub struct HistoryItem {
    pub kind: String,
    pub label: &'static str,
    pub actor_name: String,
    /// Whom the event is about (the reviewer assigned or withdrawn), when not the actor.
    pub about_name: String,
    pub at: Timestamp,
    pub text: Option<String>,
    /// Attached documents: (id, file name).
    pub documents: Vec<(String, String)>,
}

/// A committee member who may be assigned, and whether a conflict stops it.
#[derive(Debug, Clone)]
pub struct ReviewerChoice {
    pub id: String,
    pub name: String,
    pub conflict: Option<String>,
    pub assigned: bool,
}

/// Everything the review page shows.
#[derive(Debug, Clone)]
pub struct ReviewPacket {
    pub row: ApplicationRow,
    pub candidate_name: String,
    pub candidate_email: String,
    pub program_name: String,
    pub snapshot: Snapshot,
    pub assignments: Vec<AssignmentView>,
    pub history: Vec<HistoryItem>,
    pub reviewers_needed: usize,
    pub recommendations: usize,
    /// The viewer's own live assignment, if they are a reviewer of it.
    pub my_assignment: Option<AssignmentView>,
    /// The candidate's documents on file now: (id, kind by name, file name).
    pub documents: Vec<(String, String, String)>,
    /// The frozen evidence, grouped, with each requirement's links to it.
    pub evidence: crate::credentialing::review_evidence::PacketEvidence,
}

/// What the candidate sees of their application after submission.
#[derive(Debug, Clone)]
pub struct CandidateApplication {
    pub row: ApplicationRow,
    pub program_name: String,
    /// Requests, answers and the decision (never reviewers' comments).
    pub history: Vec<HistoryItem>,
    /// The open request for more information, if any.
    pub open_request: Option<String>,
    pub credential_number: Option<String>,
}

/// A decision letter, ready to show as HTML or print as PDF.
#[derive(Debug, Clone)]
pub struct DecisionLetter {
    pub approved: bool,
    pub date: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub credential_number: Option<String>,
    pub reference: String,
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "assigned" => "Reviewer assigned",
        "released" => "Reviewer withdrawn",
        "recommended" => "Recommendation made",
        "information_requested" => "More information requested",
        "information_given" => "Candidate answered",
        "decided" => "Decision",
        _ => "Event",
    }
}

fn document_ids_text(ids: &[String]) -> String {
    ids.join(",")
}

impl App {
    fn is_staff(actor: &Actor) -> bool {
        actor.has_role(Role::BoardStaff) || actor.has_role(Role::BoardAdmin)
    }

    async fn load_application(&self, id: &str) -> AppResult<ApplicationRow> {
        if id.is_empty() || id.len() > 64 {
            return Err(AppError::NotFound);
        }
        self.store().application(id).await?.ok_or(AppError::NotFound)
    }

    async fn program_name(&self, code: &str) -> String {
        match self.program(code, None).await {
            Ok(view) => view.program.name.clone(),
            Err(_) => code.to_owned(),
        }
    }

    async fn reviewers_needed(&self, row: &ApplicationRow) -> usize {
        match self.program(&row.program_code, Some(&row.program_version)).await {
            Ok(view) => usize::from(view.program.reviewers),
            Err(_) => 2,
        }
    }

    /// Why `reviewer` cannot review `candidate`, if they cannot: the same person, a supervision
    /// contract between them, or a conflict the reviewer declared.
    pub async fn conflict_between(&self, reviewer: &str, candidate: &str) -> AppResult<Option<String>> {
        if reviewer == candidate {
            return Ok(Some("This is their own application.".into()));
        }
        let Some(candidate_user) = self
            .store()
            .user_by_id(&UserId::parse(candidate).map_err(|_| AppError::NotFound)?)
            .await?
        else {
            return Ok(None);
        };
        if self
            .store()
            .contracts_of_candidate(candidate)
            .await?
            .iter()
            .any(|contract| contract.supervisor_id.as_deref() == Some(reviewer))
        {
            return Ok(Some("Supervises or supervised the candidate.".into()));
        }
        let declared = self.store().conflicts_of_reviewer(reviewer).await?;
        Ok(declared
            .into_iter()
            .find(|conflict| conflict.person_email == candidate_user.email.as_str())
            .map(|conflict| format!("Declared a conflict: {}.", conflict_reason_label(&conflict.reason))))
    }

    async fn seal_for_candidate(
        &self,
        actor: &Actor,
        candidate: &str,
        name: &'static str,
        record_id: &str,
        text: &str,
        meta: &RequestMeta,
    ) -> AppResult<Vec<u8>> {
        let owner = UserId::parse(candidate).map_err(|_| AppError::NotFound)?;
        let field = Field { name, record_id };
        self.seal(actor, &Subject::user(&owner), field, text.as_bytes(), meta)
            .await
    }

    async fn open_for_candidate(
        &self,
        actor: &Actor,
        candidate: &str,
        name: &'static str,
        record_id: &str,
        sealed: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<String> {
        let owner = UserId::parse(candidate).map_err(|_| AppError::NotFound)?;
        let field = Field { name, record_id };
        let bytes = self.open(actor, &Subject::user(&owner), field, sealed, meta).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Tells every board staff member something about the review (a link only).
    async fn tell_staff(&self, subject: &str, what: String, path: &str) -> AppResult<()> {
        let filter = store::platform::users::UserFilter {
            text: None,
            role: Some(Role::BoardStaff),
            limit: 50,
            offset: 0,
            ..Default::default()
        };
        let (staff, _) = self.store().list_users(&filter).await?;
        for person in staff {
            self.tell_about_review(person.id.as_str(), subject, what.clone(), path)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn tell_about_review(
        &self,
        user_id: &str,
        subject: &str,
        what: String,
        path: &str,
    ) -> AppResult<()> {
        let Ok(id) = UserId::parse(user_id) else {
            return Ok(());
        };
        let Some(user) = self.store().user_by_id(&id).await? else {
            return Ok(());
        };
        let link = format!("{}{path}", self.config().public_url);
        self.send_mail(
            user.email.as_str(),
            Mail::ApplicationUpdate {
                name: &user.display_name,
                subject,
                what,
                link,
            },
        )
        .await
    }

    /// The staff's queue, filtered, oldest in its state first.
    pub async fn review_queue(
        &self,
        actor: &Actor,
        filter: &QueueFilter,
        meta: &RequestMeta,
    ) -> AppResult<Vec<QueueItem>> {
        self.authorize(actor, Permission::DecideApplication { is_conflicted: false }, meta)
            .await?;
        let now = self.now();
        let mut items = Vec::new();
        for row in self.store().submitted_applications().await? {
            if filter.state.is_some_and(|state| state != row.status)
                || filter.program.as_deref().is_some_and(|code| code != row.program_code)
            {
                continue;
            }
            let mut reviewers = Vec::new();
            for assignment in self.store().assignments_of_application(&row.id).await? {
                if assignment.is_active() {
                    reviewers.push((
                        self.name_of(Some(&assignment.reviewer_id)).await?,
                        assignment.recommendation.as_deref().and_then(Recommendation::parse),
                    ));
                }
            }
            let since = row.state_since.unwrap_or(row.created_at);
            let candidate = match UserId::parse(&row.candidate_id) {
                Ok(id) => self.store().user_by_id(&id).await?,
                Err(_) => None,
            };
            let credential_number = if row.decision == Some(Decision::Approved) {
                self.store()
                    .issued_credentials_of(&row.candidate_id)
                    .await?
                    .into_iter()
                    .find(|c| c.application_id.as_deref() == Some(row.id.as_str()))
                    .map(|c| c.number)
            } else {
                None
            };
            items.push(QueueItem {
                candidate_name: candidate.as_ref().map(|c| c.display_name.clone()).unwrap_or_default(),
                candidate_email: candidate.map(|c| c.email.to_string()).unwrap_or_default(),
                program_name: self.program_name(&row.program_code).await,
                days_in_state: (now.get() - since.get()).whole_days(),
                reviewers_needed: self.reviewers_needed(&row).await,
                reviewers,
                credential_number,
                row,
            });
        }
        Ok(items)
    }

    /// Committee members who could review an application, each with any conflict.
    pub async fn reviewer_choices(
        &self,
        actor: &Actor,
        id: &str,
        meta: &RequestMeta,
    ) -> AppResult<Vec<ReviewerChoice>> {
        self.authorize(actor, Permission::ManageApplications, meta).await?;
        let row = self.load_application(id).await?;
        let assigned: Vec<String> = self
            .store()
            .assignments_of_application(id)
            .await?
            .into_iter()
            .filter(AssignmentRow::is_active)
            .map(|a| a.reviewer_id)
            .collect();
        let filter = store::platform::users::UserFilter {
            text: None,
            role: Some(Role::CommitteeReviewer),
            limit: 500,
            offset: 0,
            ..Default::default()
        };
        let (people, _) = self.store().list_users(&filter).await?;
        let mut choices = Vec::new();
        for person in people.into_iter().filter(|p| p.disabled_at.is_none()) {
            let conflict = self.conflict_between(person.id.as_str(), &row.candidate_id).await?;
            choices.push(ReviewerChoice {
                assigned: assigned.iter().any(|a| a == person.id.as_str()),
                id: person.id.to_string(),
                name: person.display_name,
                conflict,
            });
        }
        choices.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(choices)
    }

    /// Staff assign a committee reviewer. Refused for someone with a conflict, someone who is
    /// not a committee reviewer, or a decided application.
    pub async fn assign_reviewer(&self, actor: &Actor, id: &str, reviewer: &str, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageApplications, meta).await?;
        let row = self.load_application(id).await?;
        let Ok(next) = row.status.after(ApplicationAction::AssignReviewer) else {
            return Err(AppError::Refused(
                "Reviewers can only be assigned to a submitted application that is not decided.".into(),
            ));
        };
        let reviewer_id = UserId::parse(reviewer).map_err(|_| AppError::field("reviewer", "Choose a reviewer."))?;
        let person = self
            .store()
            .user_by_id(&reviewer_id)
            .await?
            .filter(|p| p.roles.contains(&Role::CommitteeReviewer) && p.disabled_at.is_none())
            .ok_or_else(|| AppError::field("reviewer", "Choose a member of the certification committee."))?;
        if let Some(conflict) = self.conflict_between(reviewer_id.as_str(), &row.candidate_id).await? {
            return Err(AppError::field(
                "reviewer",
                format!(
                    "{} cannot review this application: {conflict} Choose another reviewer.",
                    person.display_name
                ),
            ));
        }
        let assignment = AssignmentRow {
            id: random::id()?,
            application_id: id.to_owned(),
            reviewer_id: reviewer_id.to_string(),
            assigned_by: actor.user_id.to_string(),
            assigned_at: self.now(),
            released_at: None,
            released_reason: None,
            recommendation: None,
            comments_sealed: None,
            recommended_at: None,
        };
        match self.store().insert_assignment(&assignment).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::field(
                    "reviewer",
                    format!("{} is already reviewing this application.", person.display_name),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        if next != row.status {
            // The first reviewer starts the review; a concurrent assignment may have moved it.
            match self.store().move_application(id, row.status, next, self.now()).await {
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.add_history(id, "assigned", actor, Some(reviewer_id.as_str()))
            .await?;
        self.record(
            actor,
            AuditEvent::success("review.assigned")
                .subject("application", id)
                .detail(reviewer_id.as_str()),
            meta,
        )
        .await?;
        self.tell_about_review(
            reviewer_id.as_str(),
            "An application to review",
            "You were asked to review an application for certification.".into(),
            &format!("/review/applications/{id}"),
        )
        .await
    }

    /// Adds a step to an application's history: who acted and, when another person is
    /// concerned (the reviewer assigned or withdrawn), whom it is about.
    async fn add_history(
        &self,
        application_id: &str,
        kind: &str,
        actor: &Actor,
        about: Option<&str>,
    ) -> AppResult<String> {
        let id = random::id()?;
        self.store()
            .insert_application_event(&ApplicationEventRow {
                id: id.clone(),
                application_id: application_id.to_owned(),
                kind: kind.to_owned(),
                actor_id: Some(actor.user_id.to_string()),
                at: self.now(),
                body_sealed: None,
                document_ids: String::new(),
                about_id: about.map(str::to_owned),
            })
            .await?;
        Ok(id)
    }

    /// A reviewer's live assignments: (assignment id, application, candidate, program name).
    pub async fn my_reviews(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<Vec<(AssignmentRow, ApplicationRow, String, String)>> {
        self.authorize(actor, Permission::DeclareConflict, meta).await?;
        let mut reviews = Vec::new();
        for assignment in self.store().assignments_of_reviewer(actor.user_id.as_str()).await? {
            let row = self.load_application(&assignment.application_id).await?;
            let candidate = self.name_of(Some(&row.candidate_id)).await?;
            let program = self.program_name(&row.program_code).await;
            reviews.push((assignment, row, candidate, program));
        }
        Ok(reviews)
    }

    /// The conflicts the reviewer declared.
    pub async fn my_conflicts(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<ConflictRow>> {
        self.authorize(actor, Permission::DeclareConflict, meta).await?;
        Ok(self.store().conflicts_of_reviewer(actor.user_id.as_str()).await?)
    }

    /// A reviewer names someone they cannot review (by e-mail), before or after that person
    /// applies. A live assignment to that person's application is released at once.
    pub async fn declare_conflict(
        &self,
        actor: &Actor,
        email: &str,
        reason: &str,
        note: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::DeclareConflict, meta).await?;
        let mut errors = domain::FieldErrors::new();
        let email = match EmailAddress::parse(email) {
            Ok(email) => Some(email),
            Err(_) => {
                errors.add("email", "Enter the person's e-mail address, like name@example.org.");
                None
            }
        };
        if !CONFLICT_REASONS.iter().any(|(key, _)| *key == reason) {
            errors.add("reason", "Choose why you cannot review this person.");
        }
        let note = note.trim();
        if note.chars().count() > 500 {
            errors.add("note", "Keep the note under 500 characters.");
        }
        errors.into_result()?;
        let Some(email) = email else {
            return Err(AppError::field("email", "Enter the person's e-mail address."));
        };
        let conflict = ConflictRow {
            id: random::id()?,
            reviewer_id: actor.user_id.to_string(),
            person_email: email.to_string(),
            reason: reason.to_owned(),
            note: note.to_owned(),
            declared_at: self.now(),
        };
        match self.store().insert_conflict(&conflict).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::field(
                    "email",
                    "You already declared a conflict with this person.",
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("review.conflict_declared").detail(reason),
            meta,
        )
        .await?;
        // Release any live assignment to this person's applications.
        if let Some(person) = self.store().user_by_email(&email).await? {
            for assignment in self.store().assignments_of_reviewer(actor.user_id.as_str()).await? {
                let row = self.load_application(&assignment.application_id).await?;
                if row.candidate_id == person.id.as_str() {
                    self.release_for_conflict(actor, &assignment, meta).await?;
                }
            }
        }
        Ok(())
    }

    async fn release_for_conflict(
        &self,
        actor: &Actor,
        assignment: &AssignmentRow,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        match self
            .store()
            .release_assignment(&assignment.id, "conflict", self.now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "You already recommended on this application; ask staff to withdraw your review.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.add_history(
            &assignment.application_id,
            "released",
            actor,
            Some(&assignment.reviewer_id),
        )
        .await?;
        self.record(
            actor,
            AuditEvent::success("review.released")
                .subject("application", &assignment.application_id)
                .detail("conflict"),
            meta,
        )
        .await?;
        self.tell_staff(
            "A reviewer to reassign",
            format!(
                "{} declared a conflict of interest and no longer reviews an application; assign another reviewer.",
                actor.display_name
            ),
            &format!("/review/applications/{}", assignment.application_id),
        )
        .await
    }

    /// A reviewer declares a conflict with the candidate of an assignment (without opening
    /// the packet): the assignment is released and staff are told to replace them.
    pub async fn declare_conflict_on_assignment(
        &self,
        actor: &Actor,
        assignment_id: &str,
        reason: &str,
        note: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::DeclareConflict, meta).await?;
        let assignment = self
            .store()
            .assignment(assignment_id)
            .await?
            .filter(|a| a.reviewer_id == actor.user_id.as_str() && a.is_active())
            .ok_or(AppError::NotFound)?;
        let row = self.load_application(&assignment.application_id).await?;
        let candidate = UserId::parse(&row.candidate_id).map_err(|_| AppError::NotFound)?;
        let person = self.store().user_by_id(&candidate).await?.ok_or(AppError::NotFound)?;
        self.declare_conflict(actor, person.email.as_str(), reason, note, meta)
            .await
    }

    /// Whether the actor holds a live assignment to the application (their own row).
    async fn live_assignment(&self, actor: &Actor, id: &str) -> AppResult<Option<AssignmentRow>> {
        Ok(self
            .store()
            .assignments_of_reviewer(actor.user_id.as_str())
            .await?
            .into_iter()
            .find(|a| a.application_id == id))
    }

    /// Checks that the actor may open an application's packet: staff, the chair, or a live
    /// assigned reviewer, never anyone with a conflict. Audited either way.
    async fn authorize_packet(&self, actor: &Actor, row: &ApplicationRow, meta: &RequestMeta) -> AppResult<()> {
        let is_assigned = self.live_assignment(actor, &row.id).await?.is_some();
        let is_conflicted = self
            .conflict_between(actor.user_id.as_str(), &row.candidate_id)
            .await?
            .is_some();
        self.authorize(
            actor,
            Permission::OpenReviewPacket {
                is_assigned,
                is_conflicted,
            },
            meta,
        )
        .await
    }

    /// Whether `actor` reviews (live, without conflict) an application of `owner`: what lets
    /// a reviewer download that candidate's documents.
    pub(crate) async fn reviews_candidate(&self, actor: &Actor, owner: &UserId) -> AppResult<bool> {
        if !actor.has_role(Role::CommitteeReviewer) {
            return Ok(false);
        }
        for assignment in self.store().assignments_of_reviewer(actor.user_id.as_str()).await? {
            let row = self.load_application(&assignment.application_id).await?;
            if row.candidate_id == owner.as_str()
                && self
                    .conflict_between(actor.user_id.as_str(), owner.as_str())
                    .await?
                    .is_none()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn assignment_view(
        &self,
        actor: &Actor,
        row: &ApplicationRow,
        assignment: AssignmentRow,
        reveal: bool,
        meta: &RequestMeta,
    ) -> AppResult<AssignmentView> {
        let comments = match &assignment.comments_sealed {
            Some(sealed) if reveal => Some(
                self.open_for_candidate(
                    actor,
                    &row.candidate_id,
                    "review_comments",
                    &assignment.id,
                    sealed,
                    meta,
                )
                .await?,
            ),
            _ => None,
        };
        let released = assignment.released_reason.as_deref().map(|reason| match reason {
            "conflict" => "Withdrawn: declared a conflict of interest".to_owned(),
            _ => "Withdrawn".to_owned(),
        });
        Ok(AssignmentView {
            reviewer_name: self.name_of(Some(&assignment.reviewer_id)).await?,
            id: assignment.id,
            reviewer_id: assignment.reviewer_id,
            assigned_on: assignment.assigned_at,
            released,
            recommended: assignment.recommendation.is_some(),
            recommendation: if reveal {
                assignment.recommendation.as_deref().and_then(Recommendation::parse)
            } else {
                None
            },
            comments,
        })
    }

    async fn history(
        &self,
        actor: &Actor,
        row: &ApplicationRow,
        for_candidate: bool,
        meta: &RequestMeta,
    ) -> AppResult<Vec<HistoryItem>> {
        let documents = self.store().documents_of(&row.candidate_id).await?;
        let mut items = Vec::new();
        for event in self.store().application_events(&row.id).await? {
            if for_candidate
                && !matches!(
                    event.kind.as_str(),
                    "information_requested" | "information_given" | "decided"
                )
            {
                continue;
            }
            let text = match &event.body_sealed {
                Some(sealed) => Some(
                    self.open_for_candidate(actor, &row.candidate_id, "application_event", &event.id, sealed, meta)
                        .await?,
                ),
                None => None,
            };
            let attached = event
                .document_ids
                .split(',')
                .filter(|id| !id.is_empty())
                .filter_map(|id| {
                    documents
                        .iter()
                        .find(|d| d.id == id)
                        .map(|d| (d.id.clone(), d.file_name.clone()))
                })
                .collect();
            items.push(HistoryItem {
                label: event_label(&event.kind),
                actor_name: self.name_of(event.actor_id.as_deref()).await?,
                about_name: self.name_of(event.about_id.as_deref()).await?,
                kind: event.kind,
                at: event.at,
                text,
                documents: attached,
            });
        }
        Ok(items)
    }

    /// The review packet: the frozen application, its documents, reviewers and history.
    /// Opening it is audited (and so is each sealed text read).
    pub async fn review_packet(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<ReviewPacket> {
        let row = self.load_application(id).await?;
        if !row.status.is_submitted() {
            return Err(AppError::NotFound);
        }
        self.authorize_packet(actor, &row, meta).await?;
        self.record(
            actor,
            AuditEvent::success("review.packet_opened").subject("application", id),
            meta,
        )
        .await?;
        let owner = UserId::parse(&row.candidate_id).map_err(|_| AppError::NotFound)?;
        let candidate = self.store().user_by_id(&owner).await?.ok_or(AppError::NotFound)?;
        let snapshot = self.read_snapshot(actor, &row, meta).await?;
        let mut assignments = Vec::new();
        // A reviewer sees the others' recommendations only after making their own, so the
        // first opinion does not steer the second.
        let sees_all = Self::is_staff(actor)
            || actor.has_role(Role::CommitteeChair)
            || self
                .live_assignment(actor, id)
                .await?
                .is_some_and(|own| own.recommendation.is_some());
        for assignment in self.store().assignments_of_application(id).await? {
            let show_comments = sees_all || assignment.reviewer_id == actor.user_id.as_str();
            assignments.push(
                self.assignment_view(actor, &row, assignment, show_comments, meta)
                    .await?,
            );
        }
        let my_assignment = assignments
            .iter()
            .find(|a| a.reviewer_id == actor.user_id.as_str() && a.released.is_none())
            .cloned();
        let recommendations = self.recommendation_count(id).await?;
        let history = self.history(actor, &row, false, meta).await?;
        let stored = self.store().documents_of(&row.candidate_id).await?;
        let lists = self.board_lists().await?;
        let program = self
            .program(&row.program_code, Some(&row.program_version))
            .await
            .ok()
            .map(|view| view.program);
        let evidence =
            crate::credentialing::review_evidence::packet_evidence(&snapshot, program.as_ref(), &lists, &stored);
        let documents = stored
            .into_iter()
            .map(|d| (d.id, lists.document_kind_name(&d.kind).to_owned(), d.file_name))
            .collect();
        Ok(ReviewPacket {
            evidence,
            candidate_name: candidate.display_name,
            candidate_email: candidate.email.to_string(),
            program_name: self.program_name(&row.program_code).await,
            reviewers_needed: self.reviewers_needed(&row).await,
            recommendations,
            snapshot,
            assignments,
            history,
            my_assignment,
            documents,
            row,
        })
    }

    async fn read_snapshot(&self, actor: &Actor, row: &ApplicationRow, meta: &RequestMeta) -> AppResult<Snapshot> {
        let sealed = row.snapshot_sealed.as_ref().ok_or(AppError::NotFound)?;
        let json = self
            .open_for_candidate(actor, &row.candidate_id, "application_snapshot", &row.id, sealed, meta)
            .await?;
        serde_json::from_str(&json).map_err(|e| AppError::internal(anyhow::anyhow!("snapshot unreadable: {e}")))
    }

    async fn recommendation_count(&self, id: &str) -> AppResult<usize> {
        Ok(self
            .store()
            .assignments_of_application(id)
            .await?
            .iter()
            .filter(|a| a.is_active() && a.recommendation.is_some())
            .count())
    }

    /// An assigned reviewer recommends, with reasons (required).
    pub async fn recommend(
        &self,
        actor: &Actor,
        id: &str,
        recommendation: &str,
        comments: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let row = self.load_application(id).await?;
        let assignment = self.live_assignment(actor, id).await?;
        self.authorize(
            actor,
            Permission::RecommendOnApplication {
                is_assigned: assignment.is_some(),
            },
            meta,
        )
        .await?;
        let Some(assignment) = assignment else {
            return Err(AppError::NotFound);
        };
        let mut errors = domain::FieldErrors::new();
        let choice = Recommendation::parse(recommendation);
        if choice.is_none() {
            errors.add("recommendation", "Choose approve, ask for more information, or deny.");
        }
        let comments = comments.trim();
        if comments.chars().count() < 10 {
            errors.add(
                "comments",
                "Write your reasons (at least a sentence): the chair and staff read them before deciding.",
            );
        } else if comments.chars().count() > 10_000 {
            errors.add("comments", "Keep your comments under 10,000 characters.");
        }
        errors.into_result()?;
        if row.status.after(ApplicationAction::Recommend).is_err() {
            return Err(AppError::Refused(format!(
                "This application is not in review now ({}).",
                row.status.label().to_lowercase()
            )));
        }
        let Some(choice) = choice else {
            return Err(AppError::field("recommendation", "Choose a recommendation."));
        };
        let sealed = self
            .seal_for_candidate(
                actor,
                &row.candidate_id,
                "review_comments",
                &assignment.id,
                comments,
                meta,
            )
            .await?;
        match self
            .store()
            .record_recommendation(&assignment.id, choice.as_str(), &sealed, self.now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused("You already recommended on this application.".into()));
            }
            Err(error) => return Err(error.into()),
        }
        self.add_history(id, "recommended", actor, None).await?;
        self.record(
            actor,
            AuditEvent::success("review.recommended")
                .subject("application", id)
                .detail(choice.as_str()),
            meta,
        )
        .await?;
        if self.recommendation_count(id).await? >= self.reviewers_needed(&row).await {
            self.tell_staff(
                "An application ready for a decision",
                "An application has all its recommendations and is ready for a decision.".into(),
                &format!("/review/applications/{id}"),
            )
            .await?;
        }
        Ok(())
    }

    /// Staff ask the candidate for more information; the application waits for the answer.
    pub async fn request_information(&self, actor: &Actor, id: &str, text: &str, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageApplications, meta).await?;
        let row = self.load_application(id).await?;
        let text = text.trim();
        if text.chars().count() < 10 {
            return Err(AppError::field(
                "request",
                "Say what the candidate should send or explain (at least a sentence).",
            ));
        }
        if text.chars().count() > 10_000 {
            return Err(AppError::field("request", "Keep the request under 10,000 characters."));
        }
        let Ok(next) = row.status.after(ApplicationAction::RequestInformation) else {
            return Err(AppError::Refused(
                "More information can be asked for while the application is in review.".into(),
            ));
        };
        let event_id = random::id()?;
        let sealed = self
            .seal_for_candidate(actor, &row.candidate_id, "application_event", &event_id, text, meta)
            .await?;
        self.store()
            .move_application(id, row.status, next, self.now())
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AppError::Refused("The application changed meanwhile; reload it.".into()),
                other => other.into(),
            })?;
        self.store()
            .insert_application_event(&ApplicationEventRow {
                id: event_id,
                application_id: id.to_owned(),
                kind: "information_requested".into(),
                actor_id: Some(actor.user_id.to_string()),
                at: self.now(),
                body_sealed: Some(sealed),
                document_ids: String::new(),
                about_id: None,
            })
            .await?;
        self.record(
            actor,
            AuditEvent::success("review.information_requested").subject("application", id),
            meta,
        )
        .await?;
        self.tell_about_review(
            &row.candidate_id,
            "The committee asks for more information",
            "The certification committee asks for more information about your application.".into(),
            &format!("/portal/applications/{id}"),
        )
        .await
    }

    /// The candidate answers a request for more information, with text and documents of
    /// their own; the application returns to review.
    pub async fn answer_information_request(
        &self,
        actor: &Actor,
        id: &str,
        text: &str,
        document_ids: &[String],
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let row = self.load_application(id).await?;
        let is_own = row.candidate_id == actor.user_id.as_str();
        self.authorize(actor, Permission::ApplyForCredential { is_own }, meta)
            .await?;
        let text = text.trim();
        let mut errors = domain::FieldErrors::new();
        if text.is_empty() && document_ids.is_empty() {
            errors.add("answer", "Write your answer or attach a document.");
        }
        if text.chars().count() > 10_000 {
            errors.add("answer", "Keep the answer under 10,000 characters.");
        }
        let own_documents = self.store().documents_of(actor.user_id.as_str()).await?;
        if document_ids.iter().any(|id| !own_documents.iter().any(|d| &d.id == id)) {
            errors.add("documents", "Attach only documents from your own file.");
        }
        errors.into_result()?;
        let Ok(next) = row.status.after(ApplicationAction::AnswerInformationRequest) else {
            return Err(AppError::Refused(
                "There is no open request for more information on this application.".into(),
            ));
        };
        let event_id = random::id()?;
        let sealed = self
            .seal_for_candidate(actor, &row.candidate_id, "application_event", &event_id, text, meta)
            .await?;
        self.store()
            .move_application(id, row.status, next, self.now())
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AppError::Refused("You already answered this request.".into()),
                other => other.into(),
            })?;
        self.store()
            .insert_application_event(&ApplicationEventRow {
                id: event_id,
                application_id: id.to_owned(),
                kind: "information_given".into(),
                actor_id: Some(actor.user_id.to_string()),
                at: self.now(),
                body_sealed: Some(sealed),
                document_ids: document_ids_text(document_ids),
                about_id: None,
            })
            .await?;
        self.record(
            actor,
            AuditEvent::success("review.information_given").subject("application", id),
            meta,
        )
        .await?;
        for assignment in self.store().assignments_of_application(id).await? {
            if assignment.is_active() {
                self.tell_about_review(
                    &assignment.reviewer_id,
                    "A candidate answered the committee",
                    "A candidate answered the committee's request for more information.".into(),
                    &format!("/review/applications/{id}"),
                )
                .await?;
            }
        }
        self.tell_staff(
            "A candidate answered a request for information",
            "A candidate answered a request for more information.".into(),
            &format!("/review/applications/{id}"),
        )
        .await
    }

    /// The candidate's view of their application after submission.
    pub async fn candidate_application(
        &self,
        actor: &Actor,
        id: &str,
        meta: &RequestMeta,
    ) -> AppResult<CandidateApplication> {
        let row = self.load_application(id).await?;
        let is_own = row.candidate_id == actor.user_id.as_str();
        self.authorize(actor, Permission::ApplyForCredential { is_own }, meta)
            .await?;
        let history = self.history(actor, &row, true, meta).await?;
        let open_request = if row.status == ApplicationState::InformationRequested {
            history
                .iter()
                .rev()
                .find(|h| h.kind == "information_requested")
                .and_then(|h| h.text.clone())
        } else {
            None
        };
        let credential_number = self
            .store()
            .issued_credentials_of(&row.candidate_id)
            .await?
            .into_iter()
            .find(|c| c.application_id.as_deref() == Some(id))
            .map(|c| c.number);
        Ok(CandidateApplication {
            program_name: self.program_name(&row.program_code).await,
            history,
            open_request,
            credential_number,
            row,
        })
    }

    /// Whether the actor may decide (chair or staff, without a conflict), for showing the form.
    pub async fn may_decide(&self, actor: &Actor, row: &ApplicationRow) -> AppResult<bool> {
        let is_conflicted = self
            .conflict_between(actor.user_id.as_str(), &row.candidate_id)
            .await?
            .is_some();
        Ok(
            crate::authz::decide(actor, &Permission::DecideApplication { is_conflicted })
                == crate::authz::Decision::Allow,
        )
    }

    /// Records the decision. Refused until the program's number of recommendations exists.
    /// An approval issues the credential in the same transaction; the candidate is told to
    /// read the decision letter in their portal.
    pub async fn decide(
        &self,
        actor: &Actor,
        id: &str,
        approve: Option<bool>,
        reasons: &str,
        meta: &RequestMeta,
    ) -> AppResult<Option<String>> {
        let row = self.load_application(id).await?;
        let is_conflicted = self
            .conflict_between(actor.user_id.as_str(), &row.candidate_id)
            .await?
            .is_some();
        self.authorize(actor, Permission::DecideApplication { is_conflicted }, meta)
            .await?;
        // Checked after authorization, so that someone who may not decide is refused as such.
        let Some(approve) = approve else {
            return Err(AppError::field("decision", "Choose approve or deny."));
        };
        let reasons = reasons.trim();
        if reasons.chars().count() < 10 {
            return Err(AppError::field(
                "reasons",
                if approve {
                    "Write the reasons for the decision (at least a sentence); they go into the letter."
                } else {
                    "Write why the application is denied and what the candidate can do next; they go into the letter."
                },
            ));
        }
        if reasons.chars().count() > 10_000 {
            return Err(AppError::field("reasons", "Keep the reasons under 10,000 characters."));
        }
        if row.status.after(ApplicationAction::Decide).is_err() {
            return Err(AppError::Refused(format!(
                "Only an application in review can be decided; this one is {}.",
                row.status.label().to_lowercase()
            )));
        }
        let needed = self.reviewers_needed(&row).await;
        let have = self.recommendation_count(id).await?;
        if have < needed {
            return Err(AppError::Refused(format!(
                "This application needs {needed} recommendations before a decision; it has {have}."
            )));
        }
        let sealed = self
            .seal_for_candidate(actor, &row.candidate_id, "decision_reasons", id, reasons, meta)
            .await?;
        let event = ApplicationEventRow {
            id: random::id()?,
            application_id: id.to_owned(),
            kind: "decided".into(),
            actor_id: Some(actor.user_id.to_string()),
            at: self.now(),
            body_sealed: None,
            document_ids: String::new(),
            about_id: None,
        };
        let credential = if approve {
            Some(self.new_credential_for(&row).await?)
        } else {
            None
        };
        let record = store::credentialing::credentials::DecisionRecord {
            application_id: id,
            decision: if approve { Decision::Approved } else { Decision::Denied },
            decided_by: actor.user_id.as_str(),
            reasons_sealed: &sealed,
            at: self.now(),
            event: &event,
            credential: credential.as_ref(),
        };
        match self.store().decide_application(&record).await {
            Ok(()) => self.directory_may_have_changed(),
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This application was decided or changed meanwhile; reload it.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("review.decided")
                .subject("application", id)
                .detail(record.decision.as_str()),
            meta,
        )
        .await?;
        if let Some(credential) = &credential {
            self.record(
                actor,
                AuditEvent::success("credential.issued")
                    .subject("credential", &credential.id)
                    .detail(&credential.number),
                meta,
            )
            .await?;
        }
        self.tell_about_review(
            &row.candidate_id,
            "A decision on your application",
            "The certification committee decided on your application. Read the decision letter in your portal.".into(),
            &format!("/portal/applications/{id}"),
        )
        .await?;
        Ok(credential.map(|c| c.number))
    }

    /// The reasons of a decision, for the letter (the candidate or staff; audited).
    pub async fn decision_reasons(&self, actor: &Actor, row: &ApplicationRow, meta: &RequestMeta) -> AppResult<String> {
        let sealed = row.decision_sealed.as_ref().ok_or(AppError::NotFound)?;
        self.open_for_candidate(actor, &row.candidate_id, "decision_reasons", &row.id, sealed, meta)
            .await
    }

    /// The decision letter (the candidate or staff; reading the reasons is audited).
    pub async fn decision_letter(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<DecisionLetter> {
        let row = self.load_application(id).await?;
        let is_own = row.candidate_id == actor.user_id.as_str();
        if is_own {
            self.authorize(actor, Permission::ApplyForCredential { is_own }, meta)
                .await?;
        } else {
            self.authorize(actor, Permission::ManageApplications, meta).await?;
        }
        let (Some(decision), Some(decided_at)) = (row.decision, row.decided_at) else {
            return Err(AppError::NotFound);
        };
        let approved = decision == Decision::Approved;
        let reasons = self.decision_reasons(actor, &row, meta).await?;
        let owner = UserId::parse(&row.candidate_id).map_err(|_| AppError::NotFound)?;
        let candidate = self.store().user_by_id(&owner).await?.ok_or(AppError::NotFound)?;
        let program = self.program_name(&row.program_code).await;
        let public_url = self.config().public_url.clone();
        let credential = self
            .store()
            .issued_credentials_of(&row.candidate_id)
            .await?
            .into_iter()
            .find(|c| c.application_id.as_deref() == Some(id));
        let mut paragraphs = vec![format!("Dear {},", candidate.display_name)];
        if approved {
            paragraphs.push(format!(
                "The certification committee has reviewed your application for {program} and approved it. Congratulations."
            ));
            if let Some(credential) = &credential {
                paragraphs.push(format!(
                    "Your credential number is {}. It is valid from {} until {}, under rule version {}. Renewal opens six months before it ends.",
                    credential.number,
                    crate::credentialing::credentials::long_date(crate::credentialing::evidence::parse_day(&credential.valid_from).unwrap_or(self.today())),
                    crate::credentialing::credentials::long_date(crate::credentialing::evidence::parse_day(&credential.valid_until).unwrap_or(self.today())),
                    credential.rule_version
                ));
                paragraphs.push(format!(
                    "Download your certificate (wall and wallet sizes) and your digital badge from {public_url}/portal/credentials. Anyone can check your credential at {public_url}/verify/{}.",
                    credential.number
                ));
            }
            paragraphs.push(format!("The committee's reasons: {reasons}"));
        } else {
            paragraphs.push(format!(
                "The certification committee has reviewed your application for {program} and cannot approve it at this time."
            ));
            paragraphs.push(format!("The committee's reasons: {reasons}"));
            paragraphs.push(format!(
                "What you can do next: your records stay in your credential file at {public_url}/portal. Once you have addressed the reasons above, start a new application from your progress page; your supervisor endorses it again. If you believe the committee misread your application, write to the board within 30 days of this letter and ask for the decision to be reconsidered."
            ));
        }
        paragraphs.push("With kind regards,".to_owned());
        Ok(DecisionLetter {
            approved,
            date: crate::credentialing::credentials::long_date(decided_at.get().date()),
            recipient_name: candidate.display_name,
            recipient_email: candidate.email.to_string(),
            subject: format!(
                "Your application for {program}: {}",
                if approved { "approved" } else { "not approved" }
            ),
            paragraphs,
            credential_number: credential.map(|c| c.number),
            // The footer names the application as its reader knows it, not by its database id.
            reference: format!(
                "{program} application, decided {}",
                crate::credentialing::credentials::long_date(decided_at.get().date())
            ),
        })
    }

    /// The decision letter as a PDF.
    pub async fn decision_letter_pdf(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<Vec<u8>> {
        let letter = self.decision_letter(actor, id, meta).await?;
        let board = &self.config().board;
        let mut board_address = board.address.clone();
        board_address.push(self.config().public_url.clone());
        let signature = if board.signatory_name.is_empty() {
            vec!["Certification Committee".to_owned(), board.name.clone()]
        } else {
            vec![
                board.signatory_name.clone(),
                board.signatory_title.clone(),
                board.name.clone(),
            ]
        };
        let printed = print::Letter {
            board_name: board.name.clone(),
            board_address,
            logo_png: board.logo_png.clone(),
            date: letter.date,
            recipient_name: letter.recipient_name,
            recipient_lines: vec![letter.recipient_email],
            subject: letter.subject,
            paragraphs: letter.paragraphs,
            signature,
            reference: letter.reference,
        };
        print::letter_pdf(&printed).map_err(|e| AppError::internal(anyhow::anyhow!("letter: {e}")))
    }
}
