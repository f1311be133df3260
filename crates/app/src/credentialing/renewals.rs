//! Renewing a credential. Renewal opens some months before the credential ends (the
//! program's `[renewal]` rule) and stays open through the reinstatement period after it.
//! The holder logs continuing-education credits; the rule engine (`domain::credentialing::renewals`) converts
//! and caps them; membership must be in good standing. On submission a reproducible random
//! sample (10%) goes to the staff's audit queue; the rest are approved at once. Approval
//! extends validity by the program's period from the old end date.

use domain::UserId;
use domain::credentialing::credential_status::CredentialStatus;
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{Program, add_months, add_years};
use domain::credentialing::renewals::{
    RenewalAction, RenewalAssessment, RenewalClaim, RenewalRule, RenewalState, assess_renewal, in_audit_sample,
};
use store::StoreError;
use store::credentialing::credentials::{CredentialEventRow, IssuedCredential};
use store::credentialing::renewals::{RenewalEntryRow, RenewalRow};
use time::Date;

use crate::authz::Permission;
use crate::credentialing::credentials::PublicCredential;
use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// The share of renewals chosen for audit.
pub const AUDIT_PERCENT: u8 = 10;

/// The key under which board-approved CE is logged.
pub const APPROVED: &str = "approved";

/// What the renewal page shows.
#[derive(Debug, Clone)]
pub struct RenewalView {
    pub credential: PublicCredential,
    pub rule: RenewalRule,
    pub opens_on: Date,
    /// The last day a renewal is accepted (the end of validity plus any reinstatement months).
    pub closes_on: Date,
    pub open_now: bool,
    /// Why renewal is not possible now, if it is not.
    pub closed_because: Option<String>,
    pub renewal: Option<RenewalRow>,
    /// The renewal of the cycle before, when it was approved (the credential runs on from it).
    pub previous: Option<RenewalRow>,
    pub entries: Vec<RenewalEntryRow>,
    pub assessment: RenewalAssessment,
    pub membership_in_good_standing: bool,
    /// (key, name) of every way to earn credits, approved CE first.
    pub methods: Vec<(String, String)>,
    /// The first day credits of this cycle may date from.
    pub cycle_starts: Date,
}

/// What a submission led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalOutcome {
    /// Approved at once; the credential now runs until this day.
    Approved { valid_until: Date },
    /// Chosen for the random audit: staff check the documentation first.
    Audit,
}

/// A credential of the holder's whose renewal is open and not yet submitted: the prompt the
/// dashboard, the credential file and the credentials page lead with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalPrompt {
    pub number: String,
    pub program_name: String,
    pub valid_until: Date,
    /// Days from today to the end of validity (negative once it has ended).
    pub days_left: i64,
}

impl RenewalPrompt {
    /// "Your Certified Sexuality Counselor ends in 20 days, on 27 December 2026."
    pub fn sentence(&self) -> String {
        let on = crate::credentialing::credentials::long_date(self.valid_until);
        match self.days_left {
            d if d < 0 => format!(
                "Your {} ended on {on}; you can still renew it to reinstate it.",
                self.program_name
            ),
            0 => format!("Your {} ends today.", self.program_name),
            1 => format!("Your {} ends tomorrow, on {on}.", self.program_name),
            d => format!("Your {} ends in {d} days, on {on}.", self.program_name),
        }
    }
}

/// A credit entry as typed.
#[derive(Debug, Clone, Default)]
pub struct CreditInput {
    pub method: String,
    pub date: String,
    pub hours: String,
    pub provider: String,
    pub title: String,
}

/// One renewal in the staff's audit queue.
#[derive(Debug, Clone)]
pub struct AuditItem {
    pub renewal: RenewalRow,
    pub holder_name: String,
    pub number: String,
    pub entries: Vec<RenewalEntryRow>,
    pub assessment: RenewalAssessment,
    /// (key, name) of the program's ways to earn credits, to name each entry's method.
    pub methods: Vec<(String, String)>,
    /// Whether the holder answered a return (the renewal came back to the queue).
    pub answered_return: bool,
}

fn day(text: &str) -> AppResult<Date> {
    crate::credentialing::evidence::parse_day(text)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stored date unreadable: {text}")))
}

fn claim_of(entries: &[RenewalEntryRow]) -> RenewalClaim {
    let mut claim = RenewalClaim::default();
    for entry in entries {
        let hours = Hours::from_centi(u32::try_from(entry.hours_centi).unwrap_or(0));
        if entry.method == APPROVED {
            claim.approved += hours;
        } else {
            claim.other.push((entry.method.clone(), hours));
        }
    }
    claim
}

/// (key, name) of every way to earn credits under `rule`, board-approved CE first.
fn methods_of(rule: &RenewalRule) -> Vec<(String, String)> {
    let mut methods = vec![(APPROVED.to_owned(), "Board-approved continuing education".to_owned())];
    methods.extend(rule.methods.iter().map(|m| (m.key.clone(), m.name.clone())));
    methods
}

impl App {
    async fn renewal_subject(
        &self,
        actor: &Actor,
        number: &str,
        meta: &RequestMeta,
    ) -> AppResult<(IssuedCredential, Program)> {
        let credential = self
            .store()
            .credential_by_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        let is_holder = credential.user_id == actor.user_id.as_str();
        self.authorize(actor, Permission::RenewCredential { is_holder }, meta)
            .await?;
        let program = match self
            .program(&credential.program_code, Some(&credential.rule_version))
            .await
        {
            Ok(view) => view.program,
            Err(_) => self.program(&credential.program_code, None).await?.program,
        };
        Ok((credential, program))
    }

    fn rule_of(program: &Program) -> AppResult<RenewalRule> {
        program
            .renewal
            .clone()
            .ok_or_else(|| AppError::Refused(format!("{} has no renewal rules.", program.name)))
    }

    /// The renewal page of one of the holder's credentials.
    pub async fn renewal_view(&self, actor: &Actor, number: &str, meta: &RequestMeta) -> AppResult<RenewalView> {
        let (credential, program) = self.renewal_subject(actor, number, meta).await?;
        let rule = Self::rule_of(&program)?;
        let valid_until = day(&credential.valid_until)?;
        let opens_on = add_months(valid_until, -i32::from(rule.opens_months_before));
        let closes_on = add_months(valid_until, i32::from(rule.reinstate_within_months));
        let today = self.today();
        let status = self.credential_status(&credential).await?;
        let closed_because = if matches!(status, CredentialStatus::Revoked | CredentialStatus::Suspended) {
            Some(format!("A {} credential cannot be renewed.", status.as_str()))
        } else if today < opens_on {
            Some(format!(
                "Renewal opens on {opens_on}, {} months before the credential ends.",
                rule.opens_months_before
            ))
        } else if today > closes_on {
            Some(format!(
                "The credential ended on {valid_until} and the reinstatement period closed on {closes_on}: apply for the credential again."
            ))
        } else {
            None
        };
        let renewal = self
            .store()
            .renewal_for_cycle(&credential.id, &credential.valid_until)
            .await?;
        let entries = match &renewal {
            Some(renewal) => self.store().renewal_entries(&renewal.id).await?,
            None => Vec::new(),
        };
        let assessment = assess_renewal(&rule, &claim_of(&entries));
        let membership_in_good_standing = self.membership_in_good_standing(&credential.user_id, today).await?;
        let methods = methods_of(&rule);
        let cycle_starts = add_years(valid_until, -i32::from(program.validity_years));
        let previous = self
            .store()
            .renewal_for_cycle(&credential.id, &cycle_starts.to_string())
            .await?
            .filter(|r| r.status == RenewalState::Approved);
        Ok(RenewalView {
            credential: self.verify_number(&credential.number).await?,
            cycle_starts,
            previous,
            opens_on,
            closes_on,
            open_now: closed_because.is_none(),
            closed_because,
            renewal,
            entries,
            assessment,
            membership_in_good_standing,
            methods,
            rule,
        })
    }

    /// The holder's credentials whose renewal window is open and whose renewal is not yet
    /// submitted, soonest end first. Empty for people who hold none.
    pub async fn renewal_prompts(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<RenewalPrompt>> {
        let held = self.store().issued_credentials_of(actor.user_id.as_str()).await?;
        let mut prompts = Vec::new();
        let today = self.today();
        for credential in held {
            // Most holders are far from their window: skip them before building the full view.
            if !self.renewal_window_contains(&credential, today).await {
                continue;
            }
            let Ok(view) = self.renewal_view(actor, &credential.number, meta).await else {
                continue;
            };
            let waiting = view
                .renewal
                .as_ref()
                .is_none_or(|r| r.status.after(RenewalAction::ChangeCredits).is_ok());
            if view.open_now && waiting {
                prompts.push(RenewalPrompt {
                    days_left: (view.credential.valid_until - self.today()).whole_days(),
                    number: credential.number,
                    program_name: view.credential.program_name.clone(),
                    valid_until: view.credential.valid_until,
                });
            }
        }
        prompts.sort_by_key(|p| p.valid_until);
        Ok(prompts)
    }

    /// Whether `on` falls between the day renewal opens and the end of reinstatement.
    async fn renewal_window_contains(&self, credential: &IssuedCredential, on: Date) -> bool {
        let Ok(valid_until) = day(&credential.valid_until) else {
            return false;
        };
        let record = match self
            .store()
            .program_version(&credential.program_code, &credential.rule_version)
            .await
        {
            Ok(Some(record)) => record,
            // The full view falls back to the version in force; let it decide.
            _ => return true,
        };
        let Ok(program) = serde_json::from_str::<Program>(&record.parsed) else {
            return true;
        };
        let Ok(rule) = Self::rule_of(&program) else {
            return false;
        };
        let opens_on = add_months(valid_until, -i32::from(rule.opens_months_before));
        let closes_on = add_months(valid_until, i32::from(rule.reinstate_within_months));
        opens_on <= on && on <= closes_on
    }

    pub(crate) async fn membership_in_good_standing(&self, user_id: &str, on: Date) -> AppResult<bool> {
        for membership in self.store().memberships(user_id).await? {
            let from = day(&membership.valid_from)?;
            let until = membership.valid_until.as_deref().map(day).transpose()?;
            if from <= on && until.is_none_or(|until| on <= until) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Logs a credit entry, opening the renewal of this cycle if needed.
    pub async fn add_renewal_credit(
        &self,
        actor: &Actor,
        number: &str,
        input: &CreditInput,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let view = self.renewal_view(actor, number, meta).await?;
        if let Some(why) = &view.closed_because {
            return Err(AppError::Refused(why.clone()));
        }
        let mut errors = domain::FieldErrors::new();
        if !view.methods.iter().any(|(key, _)| *key == input.method) {
            errors.add("method", "Choose how the credits were earned.");
        }
        let date = crate::credentialing::evidence::parse_day(input.date.trim());
        match date {
            None => errors.add("date", "Enter the date as YYYY-MM-DD, for example 2026-03-14."),
            Some(date) if date > self.today() => errors.add("date", "The date cannot be in the future."),
            Some(date) if date < view.cycle_starts => errors.add(
                "date",
                format!("Credits count from the start of this cycle, {}.", view.cycle_starts),
            ),
            Some(_) => {}
        }
        let hours = match Hours::parse(&input.hours) {
            Ok(hours) if hours.is_zero() => {
                errors.add("hours", "Enter the hours, more than 0.");
                None
            }
            Ok(hours) if hours > Hours::whole(200) => {
                errors.add("hours", "Enter at most 200 hours for one activity.");
                None
            }
            Ok(hours) => Some(hours),
            Err(error) => {
                errors.add("hours", format!("Enter the hours as a number, like 1.5 ({error})."));
                None
            }
        };
        for (field, value, what) in [
            ("provider", &input.provider, "who provided it"),
            ("title", &input.title, "what it was"),
        ] {
            let value = value.trim();
            if value.is_empty() {
                errors.add(field, format!("Enter {what}."));
            } else if value.chars().count() > 200 {
                errors.add(field, "Keep it under 200 characters.");
            }
        }
        errors.into_result()?;
        let (Some(date), Some(hours)) = (date, hours) else {
            return Err(AppError::field("hours", "Enter the hours."));
        };
        let renewal = match view.renewal {
            Some(renewal) => renewal,
            None => {
                let row = RenewalRow {
                    id: random::id()?,
                    credential_id: self
                        .store()
                        .credential_by_number(number)
                        .await?
                        .ok_or(AppError::NotFound)?
                        .id,
                    user_id: actor.user_id.to_string(),
                    cycle_ends: view.credential.valid_until.to_string(),
                    status: RenewalState::Open,
                    audit_selected: false,
                    submitted_at: None,
                    decided_by: None,
                    decided_at: None,
                    decision_note: None,
                    created_at: self.now(),
                };
                match self.store().insert_renewal(&row).await {
                    Ok(()) => row,
                    // Opened meanwhile (another tab): use that one.
                    Err(StoreError::Conflict) => self
                        .store()
                        .renewal_for_cycle(&row.credential_id, &row.cycle_ends)
                        .await?
                        .ok_or(AppError::NotFound)?,
                    Err(error) => return Err(error.into()),
                }
            }
        };
        let entry = RenewalEntryRow {
            id: random::id()?,
            renewal_id: renewal.id.clone(),
            method: input.method.clone(),
            entry_date: date.to_string(),
            hours_centi: i64::from(hours.centi()),
            provider: input.provider.trim().to_owned(),
            title: input.title.trim().to_owned(),
            created_at: self.now(),
            document_id: None,
        };
        match self.store().insert_renewal_entry(&entry).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused("This renewal was already submitted.".into()));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("renewal.credit_added").subject("renewal", &renewal.id),
            meta,
        )
        .await
    }

    pub async fn remove_renewal_credit(
        &self,
        actor: &Actor,
        number: &str,
        entry_id: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let view = self.renewal_view(actor, number, meta).await?;
        let renewal = view.renewal.ok_or(AppError::NotFound)?;
        self.store().delete_renewal_entry(&renewal.id, entry_id).await?;
        self.record(
            actor,
            AuditEvent::success("renewal.credit_removed").subject("renewal", &renewal.id),
            meta,
        )
        .await
    }

    /// The seed of this year's audit sample: drawn once, kept in the settings, never shown.
    async fn audit_seed(&self, year: i32) -> AppResult<String> {
        let name = format!("renewal.audit_seed.{year}");
        if let Some(seed) = self.store().setting(&name).await? {
            return Ok(seed);
        }
        let seed = random::token()?;
        self.store().put_setting(&name, &seed).await?;
        // Another node may have written first: read back what is stored.
        Ok(self.store().setting(&name).await?.unwrap_or(seed))
    }

    /// Submits the renewal: blocked with the list of what is missing; otherwise approved at
    /// once or, if drawn in the audit sample, sent to staff.
    pub async fn submit_renewal(&self, actor: &Actor, number: &str, meta: &RequestMeta) -> AppResult<RenewalOutcome> {
        let view = self.renewal_view(actor, number, meta).await?;
        if let Some(why) = &view.closed_because {
            return Err(AppError::Refused(why.clone()));
        }
        let mut missing = view.assessment.shortfalls.clone();
        if !view.membership_in_good_standing {
            missing.push(
                "Membership: your membership must be in good standing; record its renewal in your credential file."
                    .into(),
            );
        }
        let Some(renewal) = view.renewal.clone() else {
            missing.push("Log your continuing-education credits first.".into());
            return Err(AppError::Blocked(missing));
        };
        if !missing.is_empty() {
            return Err(AppError::Blocked(missing));
        }
        if renewal.status.after(RenewalAction::SubmitDrawn).is_err() {
            return Err(AppError::Refused("This renewal was already submitted.".into()));
        }
        // A renewal staff returned goes back to them, not to the draw.
        if renewal.decision_note.is_some() {
            self.store()
                .send_renewal_to_audit(&renewal.id, self.now())
                .await
                .map_err(|_| AppError::Refused("This renewal was already submitted.".into()))?;
            self.record(
                actor,
                AuditEvent::success("renewal.resubmitted").subject("renewal", &renewal.id),
                meta,
            )
            .await?;
            return Ok(RenewalOutcome::Audit);
        }
        let year = self.today().year();
        let seed = self.audit_seed(year).await?;
        let chosen = in_audit_sample(&seed, &renewal.id, AUDIT_PERCENT);
        // The draw is logged with what makes it reproducible (the year's seed, by reference).
        self.record(
            actor,
            AuditEvent::success("renewal.audit_draw")
                .subject("renewal", &renewal.id)
                .detail(format!(
                    "{} (seed renewal.audit_seed.{year}, {AUDIT_PERCENT}%)",
                    if chosen { "chosen for audit" } else { "not chosen" }
                )),
            meta,
        )
        .await?;
        if chosen {
            self.store()
                .send_renewal_to_audit(&renewal.id, self.now())
                .await
                .map_err(|_| AppError::Refused("This renewal was already submitted.".into()))?;
            return Ok(RenewalOutcome::Audit);
        }
        let valid_until = self.approve(&renewal, RenewalState::Open, None, meta, actor).await?;
        Ok(RenewalOutcome::Approved { valid_until })
    }

    async fn approve(
        &self,
        renewal: &RenewalRow,
        from: RenewalState,
        staff: Option<&Actor>,
        meta: &RequestMeta,
        actor: &Actor,
    ) -> AppResult<Date> {
        let credential = self
            .store()
            .issued_credential(&renewal.credential_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let program = match self
            .program(&credential.program_code, Some(&credential.rule_version))
            .await
        {
            Ok(view) => view.program,
            Err(_) => self.program(&credential.program_code, None).await?.program,
        };
        let valid_until = add_years(day(&renewal.cycle_ends)?, i32::from(program.validity_years));
        let event = CredentialEventRow {
            id: random::id()?,
            credential_id: credential.id.clone(),
            kind: "renewed".into(),
            reason: format!("Renewal approved; valid until {valid_until}."),
            public_notice: None,
            actor_id: staff.map(|s| s.user_id.to_string()),
            at: self.now(),
        };
        match self
            .store()
            .approve_renewal(
                &renewal.id,
                from,
                staff.map(|s| s.user_id.as_str()),
                &valid_until.to_string(),
                &event,
            )
            .await
        {
            Ok(()) => self.directory_may_have_changed(),
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused("This renewal was decided meanwhile.".into()));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("renewal.approved")
                .subject("renewal", &renewal.id)
                .detail(valid_until.to_string()),
            meta,
        )
        .await?;
        if staff.is_some() {
            self.tell_about_review(
                &renewal.user_id,
                "Your renewal was checked",
                "Your renewal was checked and approved.".into(),
                &format!("/portal/credentials/{}/renewal", credential.number),
            )
            .await?;
        }
        Ok(valid_until)
    }

    /// Renewals chosen for audit, for staff.
    pub async fn renewal_audit_queue(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<AuditItem>> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        let mut items = Vec::new();
        for renewal in self.store().renewals_in(RenewalState::Audit.as_str()).await? {
            let Some(credential) = self.store().issued_credential(&renewal.credential_id).await? else {
                continue;
            };
            let program = self.program(&credential.program_code, None).await?.program;
            let entries = self.store().renewal_entries(&renewal.id).await?;
            let Some(rule) = &program.renewal else {
                continue;
            };
            items.push(AuditItem {
                holder_name: credential.holder_name,
                number: credential.number,
                answered_return: renewal.decision_note.is_some(),
                assessment: assess_renewal(rule, &claim_of(&entries)),
                methods: methods_of(rule),
                renewal,
                entries,
            });
        }
        Ok(items)
    }

    /// Staff approve an audited renewal, or return it to the holder with a note.
    pub async fn decide_audited_renewal(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        note: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        let renewal = self.store().renewal(id).await?.ok_or(AppError::NotFound)?;
        let action = if approve {
            RenewalAction::ApproveAudit
        } else {
            RenewalAction::Return
        };
        if renewal.status.after(action).is_err() {
            return Err(AppError::Refused("This renewal is not waiting for an audit.".into()));
        }
        if approve {
            self.approve(&renewal, RenewalState::Audit, Some(actor), meta, actor)
                .await?;
            return Ok(());
        }
        let note = note.trim();
        if note.chars().count() < 5 {
            return Err(AppError::field(
                "note",
                "Say what the holder should send or correct; they read it on their renewal page.",
            ));
        }
        self.store()
            .return_renewal(id, actor.user_id.as_str(), note, self.now())
            .await
            .map_err(|_| AppError::Refused("This renewal was decided meanwhile.".into()))?;
        self.record(
            actor,
            AuditEvent::success("renewal.returned").subject("renewal", id),
            meta,
        )
        .await?;
        let holder = UserId::parse(&renewal.user_id).map_err(|_| AppError::NotFound)?;
        let number = self
            .store()
            .issued_credential(&renewal.credential_id)
            .await?
            .map(|c| c.number)
            .ok_or(AppError::NotFound)?;
        // The link leads to the renewal itself, where the note is read and answered.
        self.tell_about_review(
            holder.as_str(),
            "Your renewal needs a correction",
            "The board checked your renewal and asks for a correction. Read the note and answer it on your renewal page.".into(),
            &format!("/portal/credentials/{number}/renewal"),
        )
        .await
    }
}
