//! Referrals: physicians, fertility specialists, clinics, hospitals and sexual-health centers
//! ask for a referring-provider account (board staff approve it, which sends an invitation;
//! the role requires two-factor sign-in), then refer clients to certified professionals from
//! the directory. A referral's contents (client name and contact, reason, notes, consent, the
//! answer) are sealed under the referral's own data key; only its sender and its recipient
//! open it, and every opening is audited. E-mail carries the reference and a link only. An
//! accepted referral is kept as a FHIR R4 `ServiceRequest`, the start of the client record.

use domain::directory::profiles::shorten;
pub use domain::referrals::referral::{ReferralAction, ReferralState, ReferrerRequestAction, ReferrerRequestState};
use domain::{EmailAddress, FieldErrors, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::StoreError;
use store::referrals::referral::{ReferralRow, ReferrerRequestRow};
pub use store::referrals::referral::{ReferrerRequestFilter, ReferrerRequestSort};

use crate::authz::Permission;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::mail::Mail;
use crate::platform::protected::{Field, Subject};
use crate::platform::throttle::Limit;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// Kinds of referring provider.
pub const REFERRER_KINDS: [(&str, &str); 6] = [
    ("physician", "Physician"),
    ("fertility_specialist", "Fertility specialist"),
    ("fertility_clinic", "Fertility clinic"),
    ("hospital", "Hospital"),
    ("sexual_health_center", "Sexual-health center"),
    ("clinic", "Other clinic"),
];

/// How soon the client should be seen.
pub const URGENCIES: [(&str, &str); 3] = [
    ("routine", "Routine"),
    ("soon", "Soon (within two weeks)"),
    ("urgent", "Urgent (within a few days)"),
];

/// A request for a referring-provider account, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReferrerRequestInput {
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub kind: String,
    pub license: String,
    pub phone: String,
}

/// A page of the staff's list of requests.
#[derive(Debug, Clone)]
pub struct ReferrerRequestList {
    pub requests: Vec<ReferrerRequestRow>,
    /// How many the filter selects (every page).
    pub total: i64,
    /// How many requests are in each state, whatever the filter.
    pub counts: Vec<(ReferrerRequestState, i64)>,
}

impl ReferrerRequestList {
    pub fn count(&self, state: ReferrerRequestState) -> i64 {
        self.counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n)
    }
}

/// A referral as typed.
#[derive(Debug, Clone, Default)]
pub struct ReferralInput {
    pub client_name: String,
    pub client_email: String,
    pub client_phone: String,
    pub concerns: Vec<String>,
    pub urgency: String,
    pub notes: String,
    pub client_agreed: bool,
}

/// What is sealed: everything about the client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReferralContents {
    pub client_name: String,
    pub client_email: Option<String>,
    pub client_phone: Option<String>,
    pub concerns: Vec<String>,
    pub notes: String,
    pub client_agreed: bool,
    pub sender_organisation: String,
}

/// The answer, sealed too (a decline's reason may say something about the client).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReferralAnswer {
    pub accepted: bool,
    pub reason: String,
}

/// A referral in a list (no protected content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralSummary {
    pub id: String,
    pub reference: String,
    pub other_party: String,
    pub urgency: String,
    pub status: ReferralState,
    pub sent_on: String,
}

/// One referral, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralView {
    pub id: String,
    pub reference: String,
    pub sender_name: String,
    pub recipient_id: String,
    pub recipient_name: String,
    pub urgency: String,
    pub status: ReferralState,
    pub sent_on: String,
    pub contents: ReferralContents,
    pub concern_names: Vec<String>,
    pub answer: Option<ReferralAnswer>,
    pub viewer_is_recipient: bool,
}

fn urgency_name(key: &str) -> &str {
    URGENCIES.iter().find(|(k, _)| *k == key).map_or(key, |(_, n)| n)
}

impl App {
    /// A public request for a referring-provider account. Staff are told; nothing else
    /// happens until they decide. Limited per client address and per e-mail address; a copy
    /// of a request still waiting is answered like the first and stores nothing (the answer
    /// is the same, so the form does not tell anyone whether an address has asked).
    pub async fn request_referrer_account(&self, input: &ReferrerRequestInput, meta: &RequestMeta) -> AppResult<()> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let text = |errors: &mut FieldErrors, field: &str, value: &str, what: &str, max: usize| {
            let value = value.trim();
            if value.is_empty() {
                errors.add(field, format!("Enter {what}."));
            } else if value.chars().count() > max || value.chars().any(char::is_control) {
                errors.add(field, format!("Keep {what} to {max} characters."));
            }
            value.to_owned()
        };
        let name = text(&mut errors, "name", &input.name, "your name", 120);
        let organisation = text(
            &mut errors,
            "organisation",
            &input.organisation,
            "your practice or organisation",
            160,
        );
        let license = text(
            &mut errors,
            "license",
            &input.license,
            "your license or registration number",
            60,
        );
        let phone = text(&mut errors, "phone", &input.phone, "a phone number", 40);
        if !REFERRER_KINDS.iter().any(|(k, _)| *k == input.kind) {
            errors.add("kind", "Choose what kind of provider you are.");
        }
        errors.into_result()?;
        let Some(email) = email else {
            return Err(AppError::internal(anyhow::anyhow!("validated e-mail lost")));
        };
        // Counted before anything is stored, so parallel posts cannot slip past the limits.
        let limits: Vec<Limit> = std::iter::once(Limit::referrer_request_email(email.as_str()))
            .chain(Limit::referrer_request_address(meta))
            .collect();
        match self.count_attempt(&limits).await {
            Ok(()) => {}
            Err(AppError::Throttled(_)) => {
                self.record(
                    AuditActor::default(),
                    AuditEvent::denied("referrer.request_throttled"),
                    meta,
                )
                .await?;
                return Err(AppError::Throttled(
                    "We cannot take more requests from you today. If you sent one already, board staff will answer it by e-mail; otherwise send it again tomorrow.".into(),
                ));
            }
            Err(other) => return Err(other),
        }
        let request = ReferrerRequestRow {
            id: random::id()?,
            email: email.as_str().to_owned(),
            name,
            organisation,
            kind: input.kind.clone(),
            license,
            phone,
            status: ReferrerRequestState::Requested,
            requested_at: self.now(),
            decided_by: None,
            decided_at: None,
            decision_note: None,
        };
        match self.store().insert_referrer_request(&request).await {
            Ok(()) => {
                self.record(
                    AuditActor::default(),
                    AuditEvent::success("referrer.requested").subject("referrer_request", &request.id),
                    meta,
                )
                .await
            }
            // A request from this address already waits for staff: it stands, unchanged.
            Err(StoreError::Conflict) => {
                self.record(
                    AuditActor::default(),
                    AuditEvent::failure("referrer.request_repeated"),
                    meta,
                )
                .await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// One page of the requests for referring-provider accounts that `filter` selects, with
    /// how many it selects, and how many are in each state.
    pub async fn referrer_requests(
        &self,
        actor: &Actor,
        filter: &ReferrerRequestFilter,
        meta: &RequestMeta,
    ) -> AppResult<ReferrerRequestList> {
        self.authorize(actor, Permission::ApproveReferrers, meta).await?;
        let (requests, total) = self.store().referrer_requests_page(filter).await?;
        let counts = self.store().referrer_request_counts().await?;
        Ok(ReferrerRequestList {
            requests,
            total,
            counts,
        })
    }

    /// Approves (an invitation to the referring-provider role goes out) or declines a request.
    pub async fn decide_referrer_request(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        note: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::ApproveReferrers, meta).await?;
        let request = self.store().referrer_request(id).await?.ok_or(AppError::NotFound)?;
        let action = if approve {
            ReferrerRequestAction::Approve
        } else {
            ReferrerRequestAction::Decline
        };
        let status = request
            .status
            .after(action)
            .map_err(|_| AppError::Refused("This request was decided meanwhile.".into()))?;
        let note = note.trim();
        if !approve && note.is_empty() {
            return Err(AppError::field(
                "note",
                "Say why the request is declined; the person is told.",
            ));
        }
        match self
            .store()
            .decide_referrer_request(
                &request.id,
                status,
                actor.user_id.as_str(),
                (!note.is_empty()).then_some(note),
                self.now(),
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(AppError::Refused("This request was decided meanwhile.".into())),
            Err(error) => return Err(error.into()),
        }
        if approve {
            self.invite(actor, &request.email, domain::Role::ReferringProvider.as_str(), meta)
                .await?;
        } else {
            self.send_mail(
                &request.email,
                Mail::Referral {
                    name: &request.name,
                    reference: "account request",
                    what: "Your request for a referring-provider account was not approved. The board's note is on the page below.",
                    link: self.link("/referrers/request"),
                },
            )
            .await?;
        }
        self.record(
            actor,
            AuditEvent::success("referrer.decided")
                .subject("referrer_request", &request.id)
                .detail(status.as_str()),
            meta,
        )
        .await
    }

    /// The professional a referral would go to (listed and in good standing).
    pub async fn referral_recipient(
        &self,
        actor: &Actor,
        recipient: &str,
        meta: &RequestMeta,
    ) -> AppResult<crate::directory::profiles::PublicProfile> {
        self.authorize(actor, Permission::SendReferral, meta).await?;
        crate::directory::profiles::profile_id(recipient)?;
        self.public_profile(recipient).await
    }

    /// Sends a referral: checks every field, seals the contents, tells the professional (a
    /// link only). Returns the referral's id.
    pub async fn send_referral(
        &self,
        actor: &Actor,
        recipient: &str,
        input: &ReferralInput,
        meta: &RequestMeta,
    ) -> AppResult<String> {
        let profile = self.referral_recipient(actor, recipient, meta).await?;
        let lists = self.board_lists().await?;
        let mut errors = FieldErrors::new();
        let client_name = input.client_name.trim().to_owned();
        if client_name.is_empty() {
            errors.add("client_name", "Enter the client's name.");
        } else if client_name.chars().count() > 120 || client_name.chars().any(char::is_control) {
            errors.add("client_name", "Keep the name to 120 characters.");
        }
        let client_email = match input.client_email.trim() {
            "" => None,
            text => match EmailAddress::parse(text) {
                Ok(email) => Some(email.as_str().to_owned()),
                Err(error) => {
                    errors.add("client_email", error.to_string());
                    None
                }
            },
        };
        let phone = input.client_phone.trim();
        let client_phone = if phone.is_empty() {
            None
        } else if phone.chars().filter(char::is_ascii_digit).count() < 7
            || phone.len() > 40
            || !phone.chars().all(|c| c.is_ascii_digit() || " .-()+x".contains(c))
        {
            errors.add("client_phone", "Enter a phone number such as +1 415 555 0134.");
            None
        } else {
            Some(phone.to_owned())
        };
        if client_email.is_none() && client_phone.is_none() && errors.get("client_email").is_none() {
            errors.add(
                "client_email",
                "Give an e-mail address or a phone number so the professional can reach the client.",
            );
        }
        let mut concerns = Vec::new();
        for key in &input.concerns {
            if lists.concerns.iter().any(|c| &c.key == key) {
                if !concerns.contains(key) {
                    concerns.push(key.clone());
                }
            } else {
                errors.add(
                    "concerns",
                    format!("\u{201c}{}\u{201d} is not a concern on the list.", shorten(key)),
                );
            }
        }
        if concerns.is_empty() && errors.get("concerns").is_none() {
            errors.add("concerns", "Choose the concerns the client is referred for.");
        }
        if !URGENCIES.iter().any(|(k, _)| *k == input.urgency) {
            errors.add("urgency", "Choose how soon the client should be seen.");
        }
        let notes = input.notes.trim().replace("\r\n", "\n");
        if notes.chars().count() > 4_000 {
            errors.add("notes", "Keep the notes to 4,000 characters.");
        }
        if !input.client_agreed {
            errors.add(
                "client_agreed",
                "Send a referral only once the client has agreed to be contacted: tick the box to confirm they have.",
            );
        }
        errors.into_result()?;
        let organisation = self
            .store()
            .approved_referrer(actor.email.as_str())
            .await?
            .map(|r| r.organisation)
            .unwrap_or_default();
        let contents = ReferralContents {
            client_name,
            client_email,
            client_phone,
            concerns,
            notes,
            client_agreed: true,
            sender_organisation: organisation,
        };
        let id = random::id()?;
        let year = self.today().year();
        let sequence = self.store().next_sequence("referral", year).await?;
        let plaintext = serde_json::to_vec(&contents).map_err(AppError::internal)?;
        let sealed = self
            .seal(
                actor,
                &Subject::referral(&id),
                Field {
                    name: "referral.contents",
                    record_id: &id,
                },
                &plaintext,
                meta,
            )
            .await?;
        let referral = ReferralRow {
            id: id.clone(),
            reference: format!("RF-{year}-{sequence:04}"),
            sender_id: actor.user_id.as_str().to_owned(),
            recipient_id: profile.user_id.clone(),
            urgency: input.urgency.clone(),
            status: ReferralState::Sent,
            contents_sealed: sealed,
            response_sealed: None,
            sent_at: self.now(),
            responded_at: None,
        };
        self.store().insert_referral(&referral).await?;
        self.record(
            actor,
            AuditEvent::success("referral.sent").subject("referral", &id),
            meta,
        )
        .await?;
        if let Ok(recipient_id) = UserId::parse(&profile.user_id)
            && let Some(person) = self.store().user_by_id(&recipient_id).await?
        {
            self.send_mail(
                person.email.as_str(),
                Mail::Referral {
                    name: &person.display_name,
                    reference: &referral.reference,
                    what: "You have a new referral. Sign in to read it and to accept or decline it.",
                    link: self.link(&format!("/referrals/{id}")),
                },
            )
            .await?;
        }
        Ok(id)
    }

    /// Referrals the person sent (referring provider) and received (professional).
    pub async fn my_referrals(&self, actor: &Actor) -> AppResult<(Vec<ReferralSummary>, Vec<ReferralSummary>)> {
        let mut lists = Vec::new();
        for as_sender in [true, false] {
            let mut out = Vec::new();
            for row in self.store().referrals_of(actor.user_id.as_str(), as_sender).await? {
                let other = if as_sender { &row.recipient_id } else { &row.sender_id };
                out.push(ReferralSummary {
                    other_party: self.display_name_of(other).await?,
                    id: row.id,
                    reference: row.reference,
                    urgency: urgency_name(&row.urgency).to_owned(),
                    status: row.status,
                    sent_on: row.sent_at.get().date().to_string(),
                });
            }
            lists.push(out);
        }
        let received = lists.pop().unwrap_or_default();
        let sent = lists.pop().unwrap_or_default();
        Ok((sent, received))
    }

    async fn display_name_of(&self, user_id: &str) -> AppResult<String> {
        let Ok(id) = UserId::parse(user_id) else {
            return Ok(String::new());
        };
        Ok(self
            .store()
            .user_by_id(&id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default())
    }

    /// The referral, checked and audited: only its two parties.
    async fn referral_for(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<ReferralRow> {
        let row = self.store().referral(id).await?.ok_or(AppError::NotFound)?;
        let me = actor.user_id.as_str();
        self.authorize(
            actor,
            Permission::ViewReferral {
                is_sender: row.sender_id == me,
                is_recipient: row.recipient_id == me,
            },
            meta,
        )
        .await?;
        Ok(row)
    }

    /// Opens a referral for one of its parties (every opening recorded).
    pub async fn referral(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<ReferralView> {
        let row = self.referral_for(actor, id, meta).await?;
        let bytes = self
            .open(
                actor,
                &Subject::referral(&row.id),
                Field {
                    name: "referral.contents",
                    record_id: &row.id,
                },
                &row.contents_sealed,
                meta,
            )
            .await?;
        let contents: ReferralContents = serde_json::from_slice(&bytes).map_err(AppError::internal)?;
        let answer = match &row.response_sealed {
            Some(sealed) => {
                let bytes = self
                    .open(
                        actor,
                        &Subject::referral(&row.id),
                        Field {
                            name: "referral.answer",
                            record_id: &row.id,
                        },
                        sealed,
                        meta,
                    )
                    .await?;
                Some(serde_json::from_slice::<ReferralAnswer>(&bytes).map_err(AppError::internal)?)
            }
            None => None,
        };
        let lists = self.board_lists().await?;
        let concern_names = contents
            .concerns
            .iter()
            .map(|key| {
                lists
                    .concerns
                    .iter()
                    .find(|c| &c.key == key)
                    .map_or_else(|| key.clone(), |c| c.name.clone())
            })
            .collect();
        Ok(ReferralView {
            id: row.id.clone(),
            reference: row.reference.clone(),
            sender_name: self.display_name_of(&row.sender_id).await?,
            recipient_id: row.recipient_id.clone(),
            recipient_name: self.display_name_of(&row.recipient_id).await?,
            urgency: urgency_name(&row.urgency).to_owned(),
            status: row.status,
            sent_on: row.sent_at.get().date().to_string(),
            viewer_is_recipient: row.recipient_id == actor.user_id.as_str(),
            contents,
            concern_names,
            answer,
        })
    }

    /// Accepts or declines (a reason required) a referral, once; the sender is told (a link).
    pub async fn answer_referral(
        &self,
        actor: &Actor,
        id: &str,
        accept: Option<bool>,
        reason: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let row = self.store().referral(id).await?.ok_or(AppError::NotFound)?;
        self.authorize(
            actor,
            Permission::RespondToReferral {
                is_recipient: row.recipient_id == actor.user_id.as_str(),
            },
            meta,
        )
        .await?;
        // Checked after authorization, so that someone who may not answer is refused as such.
        let Some(accept) = accept else {
            return Err(AppError::field(
                "decision",
                "Choose to accept or to decline the referral.",
            ));
        };
        let reason = reason.trim();
        if !accept && reason.is_empty() {
            return Err(AppError::field(
                "reason",
                "Say why you decline, so the referring provider can refer the client elsewhere.",
            ));
        }
        if reason.chars().count() > 2_000 {
            return Err(AppError::field("reason", "Keep the reason to 2,000 characters."));
        }
        let answer = ReferralAnswer {
            accepted: accept,
            reason: reason.to_owned(),
        };
        let plaintext = serde_json::to_vec(&answer).map_err(AppError::internal)?;
        let sealed = self
            .seal(
                actor,
                &Subject::referral(&row.id),
                Field {
                    name: "referral.answer",
                    record_id: &row.id,
                },
                &plaintext,
                meta,
            )
            .await?;
        let action = if accept {
            ReferralAction::Accept
        } else {
            ReferralAction::Decline
        };
        let status = row
            .status
            .after(action)
            .map_err(|_| AppError::Refused("This referral was already answered.".into()))?;
        match self.store().answer_referral(&row.id, status, &sealed, self.now()).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused("This referral was already answered.".into()));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("referral.answered")
                .subject("referral", &row.id)
                .detail(status.as_str()),
            meta,
        )
        .await?;
        if let Ok(sender) = UserId::parse(&row.sender_id)
            && let Some(person) = self.store().user_by_id(&sender).await?
        {
            self.send_mail(
                person.email.as_str(),
                Mail::Referral {
                    name: &person.display_name,
                    reference: &row.reference,
                    what: if accept {
                        "The professional accepted your referral."
                    } else {
                        "The professional declined your referral; the page says why."
                    },
                    link: self.link(&format!("/referrals/{}", row.id)),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// The referral as a FHIR R4 `ServiceRequest`, for its two parties.
    pub async fn fhir_service_request(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<Value> {
        let view = self.referral(actor, id, meta).await?;
        let status = view.status.fhir_status();
        let priority = match view.urgency.as_str() {
            u if u.starts_with("Urgent") => "asap",
            u if u.starts_with("Soon") => "urgent",
            _ => "routine",
        };
        let mut telecom = Vec::new();
        if let Some(email) = &view.contents.client_email {
            telecom.push(json!({"system": "email", "value": email}));
        }
        if let Some(phone) = &view.contents.client_phone {
            telecom.push(json!({"system": "phone", "value": phone}));
        }
        let mut notes = vec![json!({"text": "The client agreed to be contacted by the professional."})];
        if !view.contents.notes.is_empty() {
            notes.push(json!({"text": view.contents.notes}));
        }
        if let Some(answer) = &view.answer {
            let text = if answer.accepted {
                format!("Accepted by the professional. {}", answer.reason)
            } else {
                format!("Declined by the professional: {}", answer.reason)
            };
            notes.push(json!({"text": text.trim()}));
        }
        Ok(json!({
            "resourceType": "ServiceRequest",
            "id": view.id,
            "identifier": [{"system": self.link("/referrals"), "value": view.reference}],
            "status": status,
            "intent": "order",
            "priority": priority,
            "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]}],
            "code": {"text": "Sex therapy, sexuality counseling or education"},
            "contained": [{
                "resourceType": "Patient",
                "id": "client",
                "name": [{"text": view.contents.client_name}],
                "telecom": telecom,
            }],
            "subject": {"reference": "#client", "display": view.contents.client_name},
            "authoredOn": view.sent_on,
            "requester": {"display": if view.contents.sender_organisation.is_empty() { view.sender_name.clone() } else { format!("{}, {}", view.sender_name, view.contents.sender_organisation) }},
            "performer": [{"reference": format!("Practitioner/{}", view.recipient_id), "display": view.recipient_name}],
            "reasonCode": view.contents.concerns.iter().zip(view.concern_names.iter()).map(|(code, name)| json!({
                "coding": [{"system": self.link("/directory/concerns"), "code": code, "display": name}],
                "text": name,
            })).collect::<Vec<_>>(),
            "note": notes,
        }))
    }
}
