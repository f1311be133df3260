//! Supervision: the contract between a candidate and a certified supervisor, the sessions
//! logged under it and countersigned, and supervision groups approved by board staff.
//!
//! The contract's life: the candidate fills it in and signs it, which e-mails the supervisor;
//! the supervisor signs (or declines). From the later signature, sessions on or after the
//! start date count. Either party may end it with the contract's notice period; sessions
//! after the last day do not count. Who may do what is decided in `authz`; this module works
//! out the relationship (is this the contract's supervisor? its candidate?) and passes it in.

use domain::credentialing::hours::Hours;
use domain::{EmailAddress, FieldErrors, Role, UserId};
use store::credentialing::supervision::{ContractRow, GroupRow, SupervisionSessionRow};
use time::{Date, Duration};

use crate::authz::Permission;
use crate::credentialing::evidence::parse_day;
use crate::credentialing::progress::SUPERVISOR_PROGRAM;
use crate::platform::audit::AuditEvent;
use crate::platform::mail::Mail;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// Days of notice either party gives to end a contract.
pub const NOTICE_DAYS: i64 = 30;

/// When supervision under a contract counts: the one rule, in the words the contract page, the
/// forms' hints and the refusal all use. The rule engine applies the same rule
/// (`ContractRecord::running_on`): a board counts no supervision before the contract is signed.
pub const COUNTS_FROM_RULE: &str =
    "Sessions count from the start date of the contract or the day both parties signed it, whichever is later.";

/// The shortest reason a supervisor may give for declining a contract.
pub const DECLINE_REASON_MIN: usize = 10;

/// The contract's terms, as both parties sign them.
pub fn contract_terms(candidate: &str, program: &str) -> String {
    format!(
        "{candidate} and the supervisor agree to supervision towards the {program} credential, under the board's rules \
         in force on the day this contract is signed by both. Supervision hours count only from the start date and \
         while the supervisor's supervisor credential, license and insurance are valid. Either party may end this \
         contract by giving {NOTICE_DAYS} days' notice. This contract does not guarantee certification: the board's \
         certification committee decides on the application."
    )
}

/// The candidate's request to a supervisor, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContractInput {
    pub supervisor_email: String,
    pub program: String,
    pub starts_on: String,
    /// "yes" for the primary supervisor.
    pub primary: String,
    /// "yes" once the candidate ticked that they accept the notice term.
    pub accept_notice: String,
    /// "yes" once the candidate ticked that they understand certification is not guaranteed.
    pub accept_no_guarantee: String,
}

/// A supervision session, as the candidate logs it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SessionInput {
    pub contract_id: String,
    pub date: String,
    pub hours: String,
    /// `individual` or `group`.
    pub format: String,
    pub group_id: String,
    /// "yes" when this was training taught by the supervisor, to count as training.
    pub counts_as_training: String,
    pub topic: String,
}

/// A contract with the names of its parties, for pages.
#[derive(Debug, Clone)]
pub struct ContractView {
    pub row: ContractRow,
    pub candidate_name: String,
    pub supervisor_name: String,
}

impl ContractView {
    /// The first day sessions count: the later of the start date and the day both signed;
    /// `None` while unsigned.
    pub fn counts_from(&self) -> Option<Date> {
        let signed = self.row.signed_at()?.get().date();
        Some(parse_day(&self.row.starts_on).map_or(signed, |start| start.max(signed)))
    }

    /// Where the contract stands, in a word or two.
    pub fn state(&self, today: Date) -> &'static str {
        let row = &self.row;
        if row.declined_at.is_some() {
            "declined"
        } else if !row.is_signed() {
            "awaiting the supervisor's signature"
        } else if row
            .ends_on
            .as_deref()
            .and_then(parse_day)
            .is_some_and(|end| end < today)
        {
            "ended"
        } else if row.ends_on.is_some() {
            "ending"
        } else {
            "active"
        }
    }
}

/// A session with its contract's parties, for the supervisor's queue and the candidate's log.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub row: SupervisionSessionRow,
    pub candidate_name: String,
    pub supervisor_name: String,
    pub group_name: Option<String>,
    /// A rejected session the candidate has since corrected (the correction is another session).
    pub corrected: bool,
    /// For a correction: the rejected session's date and the supervisor's reason.
    pub corrects: Option<(String, String)>,
}

/// What a supervisor sees on their supervision page.
#[derive(Debug, Clone, Default)]
pub struct SupervisorDesk {
    pub contracts: Vec<ContractView>,
    /// Sessions waiting for this supervisor's countersignature, oldest first.
    pub pending: Vec<SessionView>,
    pub groups: Vec<GroupRow>,
    /// Lapses in the supervisor's own standing that stop hours counting.
    pub warnings: Vec<String>,
}

/// What a candidate sees on their supervision page.
#[derive(Debug, Clone, Default)]
pub struct CandidateSupervision {
    pub contracts: Vec<ContractView>,
    pub sessions: Vec<SessionView>,
    /// Approved groups of the candidate's supervisors, for the session form.
    pub groups: Vec<GroupRow>,
}

fn hours_of(centi: i64) -> Hours {
    Hours::from_centi(u32::try_from(centi).unwrap_or(0))
}

impl App {
    pub(crate) async fn name_of(&self, id: Option<&str>) -> AppResult<String> {
        let Some(id) = id.and_then(|id| UserId::parse(id).ok()) else {
            return Ok(String::new());
        };
        Ok(self
            .store()
            .user_by_id(&id)
            .await?
            .map(|user| user.display_name)
            .unwrap_or_default())
    }

    async fn contract_view(&self, row: ContractRow) -> AppResult<ContractView> {
        let candidate_name = self.name_of(Some(&row.candidate_id)).await?;
        let supervisor_name = match &row.supervisor_id {
            Some(id) => self.name_of(Some(id)).await?,
            None => row.supervisor_email.clone(),
        };
        Ok(ContractView {
            row,
            candidate_name,
            supervisor_name,
        })
    }

    async fn load_contract(&self, id: &str) -> AppResult<ContractRow> {
        self.store().contract(id).await?.ok_or(AppError::NotFound)
    }

    /// Whether `user_id` holds a supervisor credential valid on `day`.
    async fn holds_supervisor_credential(&self, user_id: &str, day: Date) -> AppResult<bool> {
        let day = day.to_string();
        Ok(self.store().credentials_of(user_id).await?.iter().any(|credential| {
            credential.program_code == SUPERVISOR_PROGRAM
                && credential.status == "active"
                && credential.valid_from <= day
                && day <= credential.valid_until
        }))
    }

    /// The candidate asks a certified supervisor to supervise them, signing the contract.
    pub async fn request_supervision(
        &self,
        actor: &Actor,
        input: &ContractInput,
        meta: &RequestMeta,
    ) -> AppResult<ContractRow> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let mut errors = FieldErrors::new();
        let email = match EmailAddress::parse(&input.supervisor_email) {
            Ok(email) => Some(email),
            Err(_) => {
                errors.add(
                    "supervisor_email",
                    "Enter your supervisor's e-mail address, such as name@example.org.",
                );
                None
            }
        };
        let programs = self.programs().await?;
        let program = programs.iter().find(|program| program.code.as_str() == input.program);
        if program.is_none() {
            errors.add("program", "Choose the credential this supervision is for.");
        }
        let starts_on = parse_day(&input.starts_on);
        if starts_on.is_none() {
            errors.add("starts_on", "Enter the date supervision starts, such as 2026-03-15.");
        }
        if input.accept_notice != "yes" {
            errors.add(
                "accept_notice",
                "Tick to accept that either party may end the contract with 30 days' notice.",
            );
        }
        if input.accept_no_guarantee != "yes" {
            errors.add(
                "accept_no_guarantee",
                "Tick to confirm you understand the contract does not guarantee certification.",
            );
        }
        let primary = input.primary == "yes";
        let supervisor = match &email {
            Some(email) if *email == actor.email => {
                errors.add("supervisor_email", "You cannot supervise yourself.");
                None
            }
            Some(email) => match self.store().user_by_email(email).await? {
                Some(user) if user.has_role(Role::Supervisor) => {
                    if self.holds_supervisor_credential(user.id.as_str(), self.today()).await? {
                        Some(user)
                    } else {
                        errors.add(
                            "supervisor_email",
                            format!("{} does not hold a current supervisor credential, so supervision with them would not count.", user.display_name),
                        );
                        None
                    }
                }
                _ => {
                    errors.add(
                        "supervisor_email",
                        "No certified supervisor uses this address with the board. Check the address your supervisor uses with Sensate.",
                    );
                    None
                }
            },
            None => None,
        };
        if primary && let Some(program) = program {
            let existing = self.store().contracts_of_candidate(actor.user_id.as_str()).await?;
            let today = self.today();
            for other in existing {
                let ended = other
                    .ends_on
                    .as_deref()
                    .and_then(parse_day)
                    .is_some_and(|end| end < today);
                if other.program_code == program.code.as_str()
                    && other.is_primary
                    && other.declined_at.is_none()
                    && !ended
                {
                    let name = self.contract_view(other).await?.supervisor_name;
                    errors.add(
                        "primary",
                        format!("{name} is already your primary supervisor for this credential. A second supervisor cannot also be primary; end that contract first or leave this box unticked."),
                    );
                    break;
                }
            }
        }
        let (Some(supervisor), Some(program), Some(starts_on)) = (supervisor, program, starts_on) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = ContractRow {
            id: random::id()?,
            candidate_id: actor.user_id.to_string(),
            supervisor_id: Some(supervisor.id.to_string()),
            supervisor_email: supervisor.email.to_string(),
            program_code: program.code.to_string(),
            starts_on: starts_on.to_string(),
            is_primary: primary,
            notice_days: NOTICE_DAYS,
            terms: contract_terms(&actor.display_name, &program.name),
            candidate_signed_at: Some(self.now()),
            supervisor_signed_at: None,
            declined_at: None,
            ended_by: None,
            end_noticed_at: None,
            ends_on: None,
            end_reason: None,
            created_at: self.now(),
        };
        self.store().insert_contract(&row).await?;
        self.store()
            .add_pursuit(actor.user_id.as_str(), &row.program_code, self.now())
            .await?;
        self.record(
            actor,
            AuditEvent::success("supervision.contract_requested").subject("contract", &row.id),
            meta,
        )
        .await?;
        let link = format!("{}/supervision/contracts/{}", self.config().public_url, row.id);
        self.send_mail(
            supervisor.email.as_str(),
            Mail::SupervisionRequested {
                candidate: &actor.display_name,
                program: &program.name,
                link,
            },
        )
        .await?;
        Ok(row)
    }

    /// One contract, for either party or board staff.
    pub async fn contract_for(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<ContractView> {
        let row = self.load_contract(id).await?;
        let is_party =
            row.candidate_id == actor.user_id.as_str() || row.supervisor_id.as_deref() == Some(actor.user_id.as_str());
        let owner = UserId::parse(&row.candidate_id).map_err(|_| AppError::NotFound)?;
        if !is_party {
            self.authorize_view_evidence(actor, &owner, meta).await?;
        }
        self.contract_view(row).await
    }

    /// The supervisor signs the contract (they must hold a current supervisor credential).
    pub async fn sign_contract(&self, actor: &Actor, id: &str, accepted: bool, meta: &RequestMeta) -> AppResult<()> {
        let row = self.load_contract(id).await?;
        let is_contract_supervisor = row.supervisor_id.as_deref() == Some(actor.user_id.as_str());
        self.authorize(actor, Permission::SuperviseContract { is_contract_supervisor }, meta)
            .await?;
        if !accepted {
            return Err(AppError::field(
                "accept",
                "Tick to accept the contract's terms before signing.",
            ));
        }
        if !self
            .holds_supervisor_credential(actor.user_id.as_str(), self.today())
            .await?
        {
            return Err(AppError::Refused(
                "Your supervisor credential is not current, so you cannot sign supervision contracts. Renew it with the board first.".into(),
            ));
        }
        match self
            .store()
            .sign_contract_as_supervisor(id, actor.user_id.as_str(), actor.email.as_str(), self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This contract was already signed or declined.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("supervision.contract_signed").subject("contract", id),
            meta,
        )
        .await?;
        let counts_from = parse_day(&row.starts_on).map_or(self.today(), |start| start.max(self.today()));
        self.tell_party(
            &row.candidate_id,
            "Your supervision contract was signed",
            format!(
                "{} signed your supervision contract. Sessions from {counts_from} can now be logged. {COUNTS_FROM_RULE}",
                actor.display_name
            ),
            "/portal/supervision",
        )
        .await
    }

    /// The supervisor declines an unsigned contract, saying why: the candidate reads the reason
    /// on their supervision page (the e-mail only points there).
    pub async fn decline_contract(&self, actor: &Actor, id: &str, reason: &str, meta: &RequestMeta) -> AppResult<()> {
        let row = self.load_contract(id).await?;
        let is_contract_supervisor = row.supervisor_id.as_deref() == Some(actor.user_id.as_str());
        self.authorize(actor, Permission::SuperviseContract { is_contract_supervisor }, meta)
            .await?;
        let reason = reason.trim();
        let length = reason.chars().count();
        if !(DECLINE_REASON_MIN..=500).contains(&length) {
            return Err(AppError::field(
                "decline_reason",
                format!(
                    "Say why you decline, in at least {DECLINE_REASON_MIN} characters (at most 500): your supervisee reads it."
                ),
            ));
        }
        match self
            .store()
            .decline_contract(id, actor.user_id.as_str(), actor.email.as_str(), reason, self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This contract was already signed or declined.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("supervision.contract_declined").subject("contract", id),
            meta,
        )
        .await?;
        self.tell_party(
            &row.candidate_id,
            "Your supervision contract was declined",
            format!(
                "{} declined your supervision contract. Read why on your supervision page.",
                actor.display_name
            ),
            "/portal/supervision",
        )
        .await
    }

    /// Either party ends the contract; it runs for the notice period, then ends.
    pub async fn end_contract(&self, actor: &Actor, id: &str, reason: &str, meta: &RequestMeta) -> AppResult<Date> {
        let row = self.load_contract(id).await?;
        let me = actor.user_id.as_str();
        let is_party = row.candidate_id == me || row.supervisor_id.as_deref() == Some(me);
        self.authorize(actor, Permission::EndContract { is_party }, meta)
            .await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::field(
                "reason",
                "Say briefly why the contract ends (at most 500 characters).",
            ));
        }
        let ends_on = self.today() + Duration::days(row.notice_days);
        match self
            .store()
            .end_contract(id, me, &ends_on.to_string(), reason, self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This contract is not signed yet, or is already ending.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("supervision.contract_ended").subject("contract", id),
            meta,
        )
        .await?;
        let other = if row.candidate_id == me {
            row.supervisor_id.clone().unwrap_or_default()
        } else {
            row.candidate_id.clone()
        };
        let link = if row.candidate_id == me {
            "/supervision"
        } else {
            "/portal/supervision"
        };
        self.tell_party(
            &other,
            "Notice to end a supervision contract",
            format!(
                "{} gave notice to end your supervision contract. Its last day is {ends_on}.",
                actor.display_name
            ),
            link,
        )
        .await?;
        Ok(ends_on)
    }

    /// E-mails a party a short notice with a link (never any protected detail).
    pub(crate) async fn tell_party(&self, user_id: &str, subject: &str, what: String, path: &str) -> AppResult<()> {
        let Some(user) = UserId::parse(user_id).ok() else {
            return Ok(());
        };
        let Some(user) = self.store().user_by_id(&user).await? else {
            return Ok(());
        };
        let link = format!("{}{path}", self.config().public_url);
        self.send_mail(
            user.email.as_str(),
            Mail::SupervisionUpdate {
                name: &user.display_name,
                subject,
                what,
                link,
            },
        )
        .await
    }

    /// The candidate logs a session; it waits for the supervisor's countersignature.
    pub async fn log_supervision(&self, actor: &Actor, input: &SessionInput, meta: &RequestMeta) -> AppResult<()> {
        // Whether this person keeps a file at all, before the form's contract is looked up.
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let row = self.store().contract(&input.contract_id).await?;
        let Some(contract) = row else {
            return Err(AppError::field(
                "contract_id",
                "Choose the supervision contract this session was under.",
            ));
        };
        let is_contract_candidate = contract.candidate_id == actor.user_id.as_str();
        self.authorize(actor, Permission::LogSupervision { is_contract_candidate }, meta)
            .await?;
        let session = self.checked_session(&contract, input, None).await?;
        self.store().insert_supervision_session(&session).await?;
        self.record(
            actor,
            AuditEvent::success("supervision.session_logged").subject("session", &session.id),
            meta,
        )
        .await?;
        if let Some(supervisor) = &contract.supervisor_id {
            self.tell_party(
                supervisor,
                "A supervision session to countersign",
                format!(
                    "{} logged a supervision session on {} for you to countersign.",
                    actor.display_name, session.session_date
                ),
                "/supervision",
            )
            .await?;
        }
        Ok(())
    }

    /// A rejected session of the candidate's, with its contract, to correct (the candidate only;
    /// refused once it has been corrected, or when it was not rejected).
    pub async fn session_to_correct(
        &self,
        actor: &Actor,
        session_id: &str,
        meta: &RequestMeta,
    ) -> AppResult<(SessionView, ContractView)> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let session = self
            .store()
            .supervision_session(session_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let contract = self.load_contract(&session.contract_id).await?;
        let is_contract_candidate = contract.candidate_id == actor.user_id.as_str();
        self.authorize(actor, Permission::LogSupervision { is_contract_candidate }, meta)
            .await?;
        let siblings = self
            .store()
            .supervision_sessions(std::slice::from_ref(&contract.id))
            .await?;
        if session.status != "rejected" {
            return Err(AppError::Refused(
                "Only a session your supervisor rejected can be corrected; this one is not rejected.".into(),
            ));
        }
        if siblings.iter().any(|s| s.corrects_id.as_deref() == Some(session_id)) {
            return Err(AppError::Refused(
                "This session was already corrected and sent again; its correction is in your list of sessions.".into(),
            ));
        }
        let contract = self.contract_view(contract).await?;
        let mut views = self
            .session_views(vec![session], std::slice::from_ref(&contract))
            .await?;
        let view = views.pop().ok_or(AppError::NotFound)?;
        Ok((view, contract))
    }

    /// The candidate corrects a rejected session and sends it to the supervisor again. The
    /// rejected session stays in the log as it was (with the reason); the correction is a new
    /// session that points at it and waits for the countersignature.
    pub async fn correct_session(
        &self,
        actor: &Actor,
        session_id: &str,
        input: &SessionInput,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let (rejected, contract) = self.session_to_correct(actor, session_id, meta).await?;
        let mut input = input.clone();
        input.contract_id = contract.row.id.clone();
        let session = self
            .checked_session(&contract.row, &input, Some(&rejected.row.id))
            .await?;
        match self.store().insert_supervision_session(&session).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This session was already corrected and sent again.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("supervision.session_corrected")
                .subject("session", &session.id)
                .detail(&rejected.row.id),
            meta,
        )
        .await?;
        if let Some(supervisor) = &contract.row.supervisor_id {
            self.tell_party(
                supervisor,
                "A corrected supervision session to countersign",
                format!(
                    "{} corrected a supervision session you rejected and sent it again for you to countersign.",
                    actor.display_name
                ),
                "/supervision",
            )
            .await?;
        }
        Ok(())
    }

    /// Checks a session as typed against its contract and gives the row to store (pending).
    /// `corrects`: the rejected session it replaces, which does not count as logged that day.
    async fn checked_session(
        &self,
        contract: &ContractRow,
        input: &SessionInput,
        corrects: Option<&str>,
    ) -> AppResult<SupervisionSessionRow> {
        let mut errors = FieldErrors::new();
        let today = self.today();
        let date = parse_day(&input.date);
        match date {
            None => errors.add("date", "Enter the session's date, such as 2026-03-15."),
            Some(date) if date > today => errors.add(
                "date",
                "This date is in the future. Log sessions once they have happened.",
            ),
            Some(date) => {
                let signed = contract.signed_at().map(|at| at.get().date());
                let starts = parse_day(&contract.starts_on);
                let ends = contract.ends_on.as_deref().and_then(parse_day);
                if let Some(signed) = signed {
                    let from = starts.map_or(signed, |start| start.max(signed));
                    if date < from {
                        errors.add(
                            "date",
                            format!(
                                "There was no valid contract on that day. {COUNTS_FROM_RULE} For this contract that is {from}."
                            ),
                        );
                    } else if ends.is_some_and(|end| date > end) {
                        errors.add(
                            "date",
                            format!(
                                "There was no valid contract on that day: this contract ended on {}.",
                                contract.ends_on.clone().unwrap_or_default()
                            ),
                        );
                    }
                } else {
                    errors.add("date", "Your supervisor has not signed this contract yet; sessions count only under a signed contract.");
                }
            }
        }
        let hours = match Hours::parse(&input.hours) {
            Ok(hours) if hours.is_zero() => {
                errors.add("hours", "Enter more than 0 hours.");
                None
            }
            // A supervision session is part of a day.
            Ok(hours) if hours > Hours::whole(8) => {
                errors.add(
                    "hours",
                    "A session can be at most 8 hours; log longer days as separate sessions.",
                );
                None
            }
            Ok(hours) => Some(hours),
            Err(error) => {
                errors.add("hours", format!("Hours: {error}."));
                None
            }
        };
        let group_id = match input.format.as_str() {
            "individual" => None,
            "group" => {
                let group = self.store().group(&input.group_id).await?;
                match group {
                    Some(group) if Some(group.supervisor_id.as_str()) == contract.supervisor_id.as_deref() => {
                        if !group.approved {
                            errors.add(
                                "group_id",
                                "That group has not been approved by the board; its sessions would not count.",
                            );
                        }
                        Some(group.id)
                    }
                    _ => {
                        errors.add("group_id", "Choose one of your supervisor's approved groups.");
                        None
                    }
                }
            }
            _ => {
                errors.add("format", "Choose individual or group supervision.");
                None
            }
        };
        let topic = input.topic.trim();
        if topic.chars().count() > 300 {
            errors.add("topic", "Keep the topic to 300 characters.");
        }
        if let Some(date) = date
            && errors.get("date").is_none()
        {
            let day = date.to_string();
            let logged = self
                .store()
                .supervision_sessions(std::slice::from_ref(&contract.id))
                .await?;
            if logged.iter().any(|session| {
                session.session_date == day && session.status != "rejected" && Some(session.id.as_str()) != corrects
            }) {
                errors.add("date", "You already logged a session with this supervisor on that day. Overlapping sessions are not counted twice.");
            }
        }
        let (Some(date), Some(hours)) = (date, hours) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let session = SupervisionSessionRow {
            id: random::id()?,
            contract_id: contract.id.clone(),
            session_date: date.to_string(),
            hours_centi: i64::from(hours.centi()),
            format: if group_id.is_some() { "group" } else { "individual" }.to_owned(),
            group_id,
            counts_as_training: input.counts_as_training == "yes",
            topic: topic.to_owned(),
            status: "pending".to_owned(),
            decided_at: None,
            reject_reason: None,
            created_at: self.now(),
            corrects_id: corrects.map(str::to_owned),
        };
        Ok(session)
    }

    /// The supervisor countersigns a session, or rejects it with a reason.
    pub async fn decide_session(
        &self,
        actor: &Actor,
        session_id: &str,
        countersign: bool,
        reason: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let session = self
            .store()
            .supervision_session(session_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let contract = self.load_contract(&session.contract_id).await?;
        let is_contract_supervisor = contract.supervisor_id.as_deref() == Some(actor.user_id.as_str());
        self.authorize(actor, Permission::SuperviseContract { is_contract_supervisor }, meta)
            .await?;
        let reason = reason.trim();
        if !countersign && (reason.is_empty() || reason.chars().count() > 500) {
            return Err(AppError::field(
                "reason",
                "Say why you reject this session, so your supervisee can correct it (at most 500 characters).",
            ));
        }
        let (status, stored_reason) = if countersign {
            ("countersigned", None)
        } else {
            ("rejected", Some(reason))
        };
        match self
            .store()
            .decide_supervision_session(session_id, status, stored_reason, self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused("This session was already decided.".into()));
            }
            Err(error) => return Err(error.into()),
        }
        let action = if countersign {
            "supervision.session_countersigned"
        } else {
            "supervision.session_rejected"
        };
        self.record(actor, AuditEvent::success(action).subject("session", session_id), meta)
            .await?;
        if !countersign {
            self.tell_party(
                &contract.candidate_id,
                "A supervision session was sent back",
                // The reason stays in Sensate: e-mail carries what happened and a link.
                format!(
                    "{} rejected the supervision session of {}. Read why, and correct it, on your supervision page.",
                    actor.display_name, session.session_date
                ),
                "/portal/supervision",
            )
            .await?;
        }
        Ok(())
    }

    async fn session_views(
        &self,
        sessions: Vec<SupervisionSessionRow>,
        contracts: &[ContractView],
    ) -> AppResult<Vec<SessionView>> {
        let mut views = Vec::new();
        for row in sessions {
            let corrected = self.store().session_correction(&row.id).await?.is_some();
            let corrects = match &row.corrects_id {
                Some(id) => self
                    .store()
                    .supervision_session(id)
                    .await?
                    .map(|old| (old.session_date, old.reject_reason.unwrap_or_default())),
                None => None,
            };
            let contract = contracts.iter().find(|contract| contract.row.id == row.contract_id);
            let group_name = match &row.group_id {
                Some(id) => self.store().group(id).await?.map(|group| group.name),
                None => None,
            };
            views.push(SessionView {
                candidate_name: contract.map(|c| c.candidate_name.clone()).unwrap_or_default(),
                supervisor_name: contract.map(|c| c.supervisor_name.clone()).unwrap_or_default(),
                group_name,
                corrected,
                corrects,
                row,
            });
        }
        Ok(views)
    }

    /// The candidate's contracts and sessions.
    pub async fn candidate_supervision(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<CandidateSupervision> {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let mut contracts = Vec::new();
        for row in self.store().contracts_of_candidate(actor.user_id.as_str()).await? {
            contracts.push(self.contract_view(row).await?);
        }
        let ids: Vec<String> = contracts.iter().map(|c| c.row.id.clone()).collect();
        let sessions = self.store().supervision_sessions(&ids).await?;
        let sessions = self.session_views(sessions, &contracts).await?;
        let mut groups = Vec::new();
        for contract in &contracts {
            if let Some(supervisor) = &contract.row.supervisor_id {
                groups.extend(
                    self.store()
                        .groups(Some(supervisor))
                        .await?
                        .into_iter()
                        .filter(|group| group.approved),
                );
            }
        }
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        groups.dedup_by(|a, b| a.id == b.id);
        Ok(CandidateSupervision {
            contracts,
            sessions,
            groups,
        })
    }

    /// The supervisor's desk: contracts, the countersignature queue, groups, and warnings
    /// about their own standing.
    pub async fn supervisor_desk(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<SupervisorDesk> {
        self.authorize(actor, Permission::RequestSupervisionGroup, meta).await?;
        let mut contracts = Vec::new();
        for row in self
            .store()
            .contracts_of_supervisor(actor.user_id.as_str(), actor.email.as_str())
            .await?
        {
            contracts.push(self.contract_view(row).await?);
        }
        let ids: Vec<String> = contracts
            .iter()
            .filter(|c| c.row.is_signed())
            .map(|c| c.row.id.clone())
            .collect();
        let pending: Vec<SupervisionSessionRow> = self
            .store()
            .supervision_sessions(&ids)
            .await?
            .into_iter()
            .filter(|s| s.status == "pending")
            .collect();
        let pending = self.session_views(pending, &contracts).await?;
        let groups = self.store().groups(Some(actor.user_id.as_str())).await?;
        let today = self.today();
        let mut warnings = Vec::new();
        if !self.holds_supervisor_credential(actor.user_id.as_str(), today).await? {
            warnings.push(
                "Your supervisor credential is not current: supervision you give does not count until it is renewed."
                    .to_owned(),
            );
        }
        let soon = today + Duration::days(60);
        for license in self.store().licenses(actor.user_id.as_str()).await? {
            if let Some(until) = license.valid_until.as_deref().and_then(parse_day)
                && until <= soon
            {
                let tense = if until < today { "expired" } else { "expires" };
                warnings.push(format!(
                    "Your license ({}) {tense} on {until}: sessions after that date do not count for your supervisees.",
                    license.jurisdiction
                ));
            }
        }
        for policy in self.store().insurance(actor.user_id.as_str()).await? {
            if let Some(until) = policy.valid_until.as_deref().and_then(parse_day)
                && until <= soon
            {
                let tense = if until < today { "expired" } else { "expires" };
                warnings.push(format!("Your insurance with {} {tense} on {until}: sessions after that date do not count for your supervisees.", policy.carrier));
            }
        }
        // A supervisee's license lapsing also stops their hours counting: say so here too.
        for contract in contracts
            .iter()
            .filter(|c| c.row.is_signed() && c.row.declined_at.is_none())
        {
            let ended = contract
                .row
                .ends_on
                .as_deref()
                .and_then(parse_day)
                .is_some_and(|end| end < today);
            if ended {
                continue;
            }
            let latest = self
                .store()
                .licenses(&contract.row.candidate_id)
                .await?
                .into_iter()
                .filter_map(|license| license.valid_until.as_deref().and_then(parse_day))
                .max();
            if let Some(until) = latest
                && until <= soon
            {
                let tense = if until < today { "expired" } else { "expires" };
                warnings.push(format!(
                    "{}'s license {tense} on {until}: their clinical and supervision hours after that date do not count.",
                    contract.candidate_name
                ));
            }
        }
        Ok(SupervisorDesk {
            contracts,
            pending,
            groups,
            warnings,
        })
    }

    /// A supervisor asks the board to approve a group.
    pub async fn request_group(&self, actor: &Actor, name: &str, size: &str, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::RequestSupervisionGroup, meta).await?;
        let mut errors = FieldErrors::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.add("name", "Give the group a name of at most 100 characters.");
        }
        // The strictest group limit among the programs in force (4 in the shipped rules).
        let limit = self
            .programs()
            .await?
            .iter()
            .filter_map(|program| program.supervision_rule().map(|rule| rule.group_size_max))
            .min()
            .unwrap_or(4);
        let size = match size.trim().parse::<u32>() {
            Ok(size) if (2..=limit).contains(&size) => Some(size),
            Ok(size) if size > limit => {
                errors.add(
                    "size",
                    format!("A group can have at most {limit} supervisees; {size} is too many for its hours to count."),
                );
                None
            }
            _ => {
                errors.add("size", format!("Enter the number of supervisees, from 2 to {limit}."));
                None
            }
        };
        let Some(size) = size else { return Err(errors.into()) };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let group = GroupRow {
            id: random::id()?,
            supervisor_id: actor.user_id.to_string(),
            name: name.to_owned(),
            size: i64::from(size),
            requested_at: self.now(),
            decided_at: None,
            approved: false,
            decision_note: None,
        };
        self.store().insert_group(&group).await?;
        self.record(
            actor,
            AuditEvent::success("supervision.group_requested").subject("group", &group.id),
            meta,
        )
        .await
    }

    /// Every group, for board staff.
    pub async fn groups_for_review(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<(GroupRow, String)>> {
        self.authorize(actor, Permission::ApproveSupervisionGroups, meta)
            .await?;
        let mut groups = Vec::new();
        for group in self.store().groups(None).await? {
            let name = self.name_of(Some(&group.supervisor_id)).await?;
            groups.push((group, name));
        }
        Ok(groups)
    }

    pub async fn decide_group(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        note: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::ApproveSupervisionGroups, meta)
            .await?;
        let group = self.store().group(id).await?.ok_or(AppError::NotFound)?;
        match self
            .store()
            .decide_group(id, approve, actor.user_id.as_str(), note.trim(), self.now())
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused("This group was already decided.".into()));
            }
            Err(error) => return Err(error.into()),
        }
        let action = if approve {
            "supervision.group_approved"
        } else {
            "supervision.group_refused"
        };
        self.record(actor, AuditEvent::success(action).subject("group", id), meta)
            .await?;
        let mut what = if approve {
            format!("The board approved your supervision group \"{}\".", group.name)
        } else {
            format!("The board did not approve your supervision group \"{}\".", group.name)
        };
        // The note itself stays on the desk (e-mail carries links, not the board's words).
        if !note.trim().is_empty() {
            what.push_str(" The board added a note; read it on your supervision desk.");
        }
        self.tell_party(
            &group.supervisor_id,
            "A decision on your supervision group",
            what,
            "/supervision",
        )
        .await
    }
}

/// Sum of hours in sessions, for pages.
pub fn total_hours(sessions: &[SessionView], status: &str) -> Hours {
    sessions
        .iter()
        .filter(|s| s.row.status == status)
        .map(|s| hours_of(s.row.hours_centi))
        .sum()
}
