//! Applying for a credential: a draft the candidate prepares, the primary supervisor's
//! endorsement, the fee recorded by staff (paid or waived; no card processing), and the
//! submission, which freezes a snapshot of the evidence and its judgement. The snapshot is
//! sealed with the candidate's data key; later edits to the file do not change it.

use domain::UserId;
pub use domain::credentialing::applications::{ApplicationAction, ApplicationState, Decision};
use domain::credentialing::evidence::Evidence;
use domain::credentialing::requirement::Assessment;
use serde::{Deserialize, Serialize};
use store::credentialing::applications::ApplicationRow;

use crate::authz::Permission;
use crate::platform::audit::AuditEvent;
use crate::platform::protected::{Field, Subject};
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// What is frozen at submission.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub program: String,
    pub version: String,
    pub submitted_on: String,
    pub evidence: Evidence,
    pub assessment: Assessment,
    /// The documents on file: (kind, file name, SHA-256 of the plaintext).
    pub documents: Vec<(String, String, String)>,
}

/// An application with what the candidate's page needs to show about it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub row: ApplicationRow,
    pub endorsed_by_name: Option<String>,
    pub primary_supervisor: Option<String>,
}

/// A supervisee's application as their primary supervisor reads it before endorsing: the
/// draft, and the candidate's file judged today against the program.
#[derive(Debug, Clone)]
pub struct EndorsementView {
    pub row: ApplicationRow,
    pub candidate_name: String,
    pub program_name: String,
    pub endorsed_by_name: Option<String>,
    pub assessment: Assessment,
    /// A draft not endorsed yet: the endorsement form applies.
    pub may_endorse: bool,
}

impl App {
    /// An application of a supervisee, for their primary supervisor (before and after endorsing).
    pub async fn application_for_endorsement(
        &self,
        actor: &Actor,
        id: &str,
        meta: &RequestMeta,
    ) -> AppResult<EndorsementView> {
        let row = self.store().application(id).await?.ok_or(AppError::NotFound)?;
        let primary = self.primary_supervisor(&row.candidate_id, &row.program_code).await?;
        let is_primary_supervisor = primary.is_some_and(|(supervisor, _)| supervisor == actor.user_id.as_str());
        self.authorize(actor, Permission::EndorseApplication { is_primary_supervisor }, meta)
            .await?;
        let owner = UserId::parse(&row.candidate_id).map_err(|_| AppError::NotFound)?;
        let report = self.progress(actor, &owner, &row.program_code, meta).await?;
        let view = self.application_view(row).await?;
        Ok(EndorsementView {
            may_endorse: view.row.status == ApplicationState::Draft && view.row.endorsed_at.is_none(),
            candidate_name: self.name_of(Some(&view.row.candidate_id)).await?,
            program_name: report.program.name.clone(),
            endorsed_by_name: view.endorsed_by_name,
            assessment: report.assessment,
            row: view.row,
        })
    }

    /// The primary supervisor (id, name) of `candidate` for `program`: the supervisor of a
    /// signed, primary contract towards it.
    async fn primary_supervisor(&self, candidate: &str, program: &str) -> AppResult<Option<(String, String)>> {
        for contract in self.store().contracts_of_candidate(candidate).await? {
            if contract.program_code == program
                && contract.is_primary
                && contract.is_signed()
                && contract.declined_at.is_none()
                && let Some(supervisor) = contract.supervisor_id
            {
                let name = self.name_of(Some(&supervisor)).await?;
                return Ok(Some((supervisor, name)));
            }
        }
        Ok(None)
    }

    async fn application_view(&self, row: ApplicationRow) -> AppResult<ApplicationView> {
        let endorsed_by_name = match row.endorsed_by.as_deref() {
            Some(id) => Some(self.name_of(Some(id)).await?),
            None => None,
        };
        let primary_supervisor = self
            .primary_supervisor(&row.candidate_id, &row.program_code)
            .await?
            .map(|(_, name)| name);
        Ok(ApplicationView {
            row,
            endorsed_by_name,
            primary_supervisor,
        })
    }

    /// The candidate's latest application towards `code`, if any.
    pub async fn application_for(
        &self,
        actor: &Actor,
        code: &str,
        meta: &RequestMeta,
    ) -> AppResult<Option<ApplicationView>> {
        self.authorize(actor, Permission::ApplyForCredential { is_own: true }, meta)
            .await?;
        let latest = self
            .store()
            .applications_of(actor.user_id.as_str())
            .await?
            .into_iter()
            .find(|application| application.program_code == code);
        match latest {
            Some(row) => Ok(Some(self.application_view(row).await?)),
            None => Ok(None),
        }
    }

    /// Opens a draft application towards `code` (or returns the open one).
    pub async fn start_application(&self, actor: &Actor, code: &str, meta: &RequestMeta) -> AppResult<ApplicationRow> {
        self.authorize(actor, Permission::ApplyForCredential { is_own: true }, meta)
            .await?;
        let existing = self.store().applications_of(actor.user_id.as_str()).await?;
        if let Some(draft) = existing
            .into_iter()
            .find(|a| a.program_code == code && a.status == ApplicationState::Draft)
        {
            return Ok(draft);
        }
        let report = self.progress(actor, &actor.user_id, code, meta).await?;
        let row = ApplicationRow {
            id: random::id()?,
            candidate_id: actor.user_id.to_string(),
            program_code: code.to_owned(),
            program_version: report.program.version.clone(),
            status: ApplicationState::Draft,
            fee_status: "unpaid".into(),
            fee_recorded_by: None,
            fee_recorded_at: None,
            endorsed_by: None,
            endorsed_at: None,
            submitted_at: None,
            snapshot_sealed: None,
            created_at: self.now(),
            decision: None,
            decided_by: None,
            decided_at: None,
            decision_sealed: None,
            state_since: Some(self.now()),
        };
        self.store().insert_application(&row).await?;
        self.record(
            actor,
            AuditEvent::success("application.started").subject("application", &row.id),
            meta,
        )
        .await?;
        if let Some((supervisor, _)) = self.primary_supervisor(actor.user_id.as_str(), code).await? {
            let what = format!(
                "{} is preparing an application for {} and asks for your endorsement.",
                actor.display_name, report.program.name
            );
            let path = format!("/supervision/applications/{}", row.id);
            self.tell_party(&supervisor, "A request to endorse an application", what, &path)
                .await?;
        }
        Ok(row)
    }

    /// Draft applications of the supervisor's supervisees that wait for their endorsement.
    pub async fn applications_to_endorse(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<Vec<(ApplicationRow, String)>> {
        self.authorize(actor, Permission::RequestSupervisionGroup, meta).await?;
        let mut waiting = Vec::new();
        for contract in self
            .store()
            .contracts_of_supervisor(actor.user_id.as_str(), actor.email.as_str())
            .await?
        {
            if !(contract.is_primary && contract.is_signed()) {
                continue;
            }
            for application in self.store().applications_of(&contract.candidate_id).await? {
                if application.program_code == contract.program_code
                    && application.status == ApplicationState::Draft
                    && application.endorsed_at.is_none()
                {
                    let name = self.name_of(Some(&application.candidate_id)).await?;
                    waiting.push((application, name));
                }
            }
        }
        Ok(waiting)
    }

    /// The primary supervisor endorses a supervisee's draft application.
    pub async fn endorse_application(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<()> {
        let application = self.store().application(id).await?.ok_or(AppError::NotFound)?;
        let primary = self
            .primary_supervisor(&application.candidate_id, &application.program_code)
            .await?;
        let is_primary_supervisor = primary.is_some_and(|(supervisor, _)| supervisor == actor.user_id.as_str());
        self.authorize(actor, Permission::EndorseApplication { is_primary_supervisor }, meta)
            .await?;
        match self
            .store()
            .endorse_application(id, actor.user_id.as_str(), self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This application was already endorsed or submitted.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("application.endorsed").subject("application", id),
            meta,
        )
        .await?;
        self.tell_party(
            &application.candidate_id,
            "Your application was endorsed",
            format!("{} endorsed your application.", actor.display_name),
            "/portal",
        )
        .await
    }

    /// Every application, in every state, for board staff (the applications list).
    pub async fn all_applications(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<Vec<(ApplicationRow, String)>> {
        self.authorize(actor, Permission::ManageApplications, meta).await?;
        let mut drafts = Vec::new();
        for status in ApplicationState::ALL {
            for application in self.store().applications_in(status).await? {
                let name = self.name_of(Some(&application.candidate_id)).await?;
                drafts.push((application, name));
            }
        }
        Ok(drafts)
    }

    /// Staff record the fee as paid or waived.
    pub async fn record_fee(&self, actor: &Actor, id: &str, waived: bool, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageApplications, meta).await?;
        let status = if waived { "waived" } else { "paid" };
        match self
            .store()
            .record_fee(id, status, actor.user_id.as_str(), self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "The application is already submitted or does not exist.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("application.fee_recorded")
                .subject("application", id)
                .detail(status),
            meta,
        )
        .await
    }

    /// Submits: refused with the list of what is still missing, unless every requirement is
    /// met, the primary supervisor endorsed it and the fee is recorded. The evidence and its
    /// judgement are frozen, sealed, with the submission.
    pub async fn submit_application(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<()> {
        let application = self.store().application(id).await?.ok_or(AppError::NotFound)?;
        let is_own = application.candidate_id == actor.user_id.as_str();
        self.authorize(actor, Permission::ApplyForCredential { is_own }, meta)
            .await?;
        if application.status.after(ApplicationAction::Submit).is_err() {
            return Err(AppError::Refused("This application was already submitted.".into()));
        }
        let report = self
            .progress(actor, &actor.user_id, &application.program_code, meta)
            .await?;
        let mut missing: Vec<String> = Vec::new();
        for result in report.assessment.open() {
            if result.shortfalls.is_empty() {
                missing.push(format!("{}: {}", result.title, result.status.label()));
            }
            for shortfall in &result.shortfalls {
                missing.push(format!("{}: {shortfall}", result.title));
            }
        }
        if application.endorsed_at.is_none() {
            missing.push("Endorsement: your primary supervisor has not endorsed the application yet.".into());
        }
        if application.fee_status == "unpaid" {
            missing.push("Fee: the board has not recorded the application fee as paid or waived.".into());
        }
        if !missing.is_empty() {
            return Err(AppError::Blocked(missing));
        }
        let documents = self
            .store()
            .documents_of(actor.user_id.as_str())
            .await?
            .into_iter()
            .map(|d| (d.kind, d.file_name, d.sha256))
            .collect();
        let snapshot = Snapshot {
            program: application.program_code.clone(),
            version: report.program.version.clone(),
            submitted_on: self.today().to_string(),
            evidence: report.evidence,
            assessment: report.assessment,
            documents,
        };
        let json = serde_json::to_vec(&snapshot).map_err(|e| AppError::internal(anyhow::anyhow!("snapshot: {e}")))?;
        let subject = Subject::user(&actor.user_id);
        let field = Field {
            name: "application_snapshot",
            record_id: id,
        };
        let sealed = self.seal(actor, &subject, field, &json, meta).await?;
        match self.store().submit_application(id, &sealed, self.now()).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This application changed meanwhile; reload and try again.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("application.submitted").subject("application", id),
            meta,
        )
        .await
    }

    /// The credential an application of the actor's own is for.
    pub async fn application_program(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<String> {
        let application = self.store().application(id).await?.ok_or(AppError::NotFound)?;
        let is_own = application.candidate_id == actor.user_id.as_str();
        self.authorize(actor, Permission::ApplyForCredential { is_own }, meta)
            .await?;
        Ok(application.program_code)
    }

    /// The frozen snapshot of a submitted application (owner or staff; the read is audited).
    pub async fn application_snapshot(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<Snapshot> {
        let application = self.store().application(id).await?.ok_or(AppError::NotFound)?;
        let owner = UserId::parse(&application.candidate_id).map_err(|_| AppError::NotFound)?;
        self.authorize_view_evidence(actor, &owner, meta).await?;
        let sealed = application.snapshot_sealed.ok_or(AppError::NotFound)?;
        let field = Field {
            name: "application_snapshot",
            record_id: id,
        };
        let json = self.open(actor, &Subject::user(&owner), field, &sealed, meta).await?;
        serde_json::from_slice(&json).map_err(|e| AppError::internal(anyhow::anyhow!("snapshot unreadable: {e}")))
    }
}
