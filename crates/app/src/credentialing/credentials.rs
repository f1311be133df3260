//! Issued credentials: numbering and status-list positions at issuance, the status worked out
//! from facts on the day asked, public verification (by number or name, JSON, an uploaded
//! VC-JWT), the holder's downloads (certificate PDFs, the signed Open Badges credential), the
//! signed status lists, the FHIR `Practitioner`, and the board's sanctions (suspend, revoke,
//! reinstate, undo an action made in error).

use std::collections::HashMap;

use domain::UserId;
use domain::credentialing::badge::{BadgeFacts, StatusEntry};
use domain::credentialing::credential_number::{CredentialNumber, CredentialNumberError};
use domain::credentialing::credential_status::{CredentialFacts, CredentialStatus, status_on};
use domain::credentialing::programs::{CredentialKind, Program, ProgramCode, Rule, add_years};
use domain::credentialing::status_list::{MIN_ENTRIES, StatusList};
use serde_json::{Value, json};
use store::StoreError;
use store::credentialing::applications::ApplicationRow;
use store::credentialing::credentials::{CredentialEventRow, IssuedCredential};
use time::{Date, OffsetDateTime, Time};

pub use print::CertificateSize;

use crate::authz::Permission;
use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// Bits per status list. One list holds this many credentials; the next credential starts
/// list 2. The W3C minimum, so every list gives its members the same herd privacy.
pub const LIST_SIZE: i64 = MIN_ENTRIES as i64;

/// The two purposes a credential has a status-list entry for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    Revocation,
    Suspension,
}

impl StatusPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    pub fn parse(text: &str) -> Option<StatusPurpose> {
        match text {
            "revocation" => Some(StatusPurpose::Revocation),
            "suspension" => Some(StatusPurpose::Suspension),
            _ => None,
        }
    }

    /// Whether a credential in `status` has its bit set in this list. Suspension also
    /// covers a lapse: both are temporary and end with reinstatement.
    fn bit_for(self, status: CredentialStatus) -> bool {
        match self {
            StatusPurpose::Revocation => status == CredentialStatus::Revoked,
            StatusPurpose::Suspension => matches!(status, CredentialStatus::Suspended | CredentialStatus::Lapsed),
        }
    }
}

/// The position of the n-th credential (n from 1): list number and bit index. Positions
/// within a list are spread by multiplying by an odd constant modulo the list size (a
/// bijection on a power of two), so consecutive credentials do not sit side by side.
pub fn status_position(sequence: i64) -> (i64, usize) {
    let n = (sequence - 1).max(0);
    let list = n / LIST_SIZE + 1;
    let slot = (n % LIST_SIZE) as u64;
    let spread = (slot.wrapping_mul(0x9E37_79B1) % LIST_SIZE as u64) as usize;
    (list, spread)
}

fn split_index(status_index: i64) -> (i64, usize) {
    (status_index / LIST_SIZE + 1, (status_index % LIST_SIZE) as usize)
}

fn parse_day(text: &str) -> AppResult<Date> {
    crate::credentialing::evidence::parse_day(text)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stored date unreadable: {text}")))
}

fn start_of(day: Date) -> OffsetDateTime {
    day.with_time(Time::MIDNIGHT).assume_utc()
}

/// A credential as the public sees it.
#[derive(Debug, Clone)]
pub struct PublicCredential {
    pub number: String,
    pub holder_name: String,
    pub holder_id: String,
    pub program_code: String,
    pub program_name: String,
    pub kind: Option<CredentialKind>,
    pub kind_explanation: &'static str,
    pub rule_version: String,
    pub valid_from: Date,
    pub valid_until: Date,
    pub status: CredentialStatus,
    pub public_notice: Option<String>,
    /// Whether the suspension in force is an interim measure while an ethics complaint is
    /// considered (not a final decision).
    pub interim: bool,
}

impl PublicCredential {
    /// The JSON answer of `/api/v1/credentials/{number}`.
    pub fn to_json(&self, public_url: &str) -> Value {
        json!({
            "number": self.number,
            "holder": self.holder_name,
            "credential": {
                "code": self.program_code,
                "name": self.program_name,
                "kind": self.kind.map(CredentialKind::as_str),
                "explanation": self.kind_explanation,
                "rule_version": self.rule_version,
            },
            "status": self.status.as_str(),
            "status_explanation": self.status.explanation(),
            "valid_from": self.valid_from.to_string(),
            "valid_until": self.valid_until.to_string(),
            "public_notice": self.public_notice,
            // A suspension in force that is an interim measure while an ethics complaint is
            // considered, not a final decision.
            "interim_suspension": self.interim,
            "verification_url": format!("{public_url}/verify/{}", self.number),
        })
    }
}

/// What a verification search found.
#[derive(Debug, Clone)]
pub enum VerifyAnswer {
    Found(Vec<PublicCredential>),
    /// A well-formed number the board never issued.
    Unknown,
}

/// What checking an uploaded VC-JWT found.
#[derive(Debug, Clone)]
pub struct VcCheck {
    pub key_id: String,
    pub credential: PublicCredential,
    /// What the token itself says, where it differs from the register (e.g. an old name).
    pub stated_holder: String,
    pub stated_valid_until: String,
}

/// Sanctions and their undoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Suspend,
    Revoke,
    /// Lift a suspension.
    Reinstate,
    /// Undo a suspension or revocation made in error (the history keeps both).
    UndoError,
}

impl StatusAction {
    pub const ALL: [StatusAction; 4] = [
        StatusAction::Suspend,
        StatusAction::Revoke,
        StatusAction::Reinstate,
        StatusAction::UndoError,
    ];

    pub fn parse(text: &str) -> Option<StatusAction> {
        match text {
            "suspend" => Some(StatusAction::Suspend),
            "revoke" => Some(StatusAction::Revoke),
            "reinstate" => Some(StatusAction::Reinstate),
            "undo" => Some(StatusAction::UndoError),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusAction::Suspend => "suspend",
            StatusAction::Revoke => "revoke",
            StatusAction::Reinstate => "reinstate",
            StatusAction::UndoError => "undo",
        }
    }

    /// How staff are offered the action.
    pub fn label(self) -> &'static str {
        match self {
            StatusAction::Suspend => "Suspend (for now)",
            StatusAction::Revoke => "Revoke",
            StatusAction::Reinstate => "Reinstate (lift a suspension)",
            StatusAction::UndoError => "Undo a suspension or revocation made in error",
        }
    }

    /// Whether the change is public at once and hard on the holder, so asked twice.
    pub fn is_sanction(self) -> bool {
        matches!(self, StatusAction::Suspend | StatusAction::Revoke)
    }

    /// (the board status it applies to, the status after, the event's kind).
    fn transition(self, current: &str) -> Option<(&'static str, &'static str)> {
        match (self, current) {
            (StatusAction::Suspend, "active") => Some(("suspended", "suspended")),
            (StatusAction::Revoke, "active" | "suspended") => Some(("revoked", "revoked")),
            (StatusAction::Reinstate, "suspended") => Some(("active", "reinstated")),
            (StatusAction::UndoError, "suspended" | "revoked") => Some(("active", "undone")),
            _ => None,
        }
    }
}

/// A signed status list ready to serve, with its validator.
#[derive(Debug, Clone)]
pub struct SignedStatusList {
    pub token: String,
    pub etag: String,
}

/// What a new credential record is made of.
struct NewCredential<'a> {
    holder: &'a UserId,
    holder_name: &'a str,
    code: &'a ProgramCode,
    rule_version: &'a str,
    valid_from: Date,
    valid_until: Date,
    application_id: Option<String>,
}

#[derive(Default)]
pub(crate) struct StatusListCache {
    entries: tokio::sync::Mutex<HashMap<(StatusPurpose, i64), CachedList>>,
}

struct CachedList {
    encoded: String,
    signed: SignedStatusList,
    signed_at: OffsetDateTime,
}

/// The badge subject's id for a credential: a name-based UUID (RFC 9562 version 8) from a hash
/// of the credential's record id, so every download names the same subject and the id says
/// nothing about the holder.
pub fn subject_id(credential_id: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(format!("sensate badge subject {credential_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl App {
    /// The program version a credential was issued under (or the one in force).
    pub(crate) async fn program_of(&self, code: &str, version: &str) -> Option<Program> {
        match self.program(code, Some(version)).await {
            Ok(view) => Some(view.program),
            Err(_) => self.program(code, None).await.ok().map(|view| view.program),
        }
    }

    /// The credential an approval issues: the next number of its program and year, the next
    /// status-list position, valid for the program's period from today.
    pub(crate) async fn new_credential_for(&self, row: &ApplicationRow) -> AppResult<IssuedCredential> {
        let holder = UserId::parse(&row.candidate_id).map_err(|_| AppError::NotFound)?;
        let holder = self.store().user_by_id(&holder).await?.ok_or(AppError::NotFound)?;
        let program = self
            .program_of(&row.program_code, &row.program_version)
            .await
            .ok_or(AppError::NotFound)?;
        let today = self.today();
        let valid_until = add_years(today, i32::from(program.validity_years));
        self.credential_record(NewCredential {
            holder: &holder.id,
            holder_name: &holder.display_name,
            code: &program.code,
            rule_version: &row.program_version,
            valid_from: today,
            valid_until,
            application_id: Some(row.id.clone()),
        })
        .await
    }

    async fn credential_record(&self, new: NewCredential<'_>) -> AppResult<IssuedCredential> {
        let NewCredential {
            holder,
            holder_name,
            code,
            rule_version,
            valid_from,
            valid_until,
            application_id,
        } = new;
        let year = valid_from.year();
        let sequence = self.store().next_sequence(code.as_str(), year).await?;
        let number = u32::try_from(sequence)
            .ok()
            .and_then(|sequence| CredentialNumber::new(code, year, sequence))
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("credential numbers for {code} {year} ran out")))?;
        let (list, index) = status_position(self.store().next_sequence("status-list", 0).await?);
        Ok(IssuedCredential {
            id: random::id()?,
            user_id: holder.to_string(),
            holder_name: holder_name.to_owned(),
            program_code: code.to_string(),
            rule_version: rule_version.to_owned(),
            number: number.as_str().to_owned(),
            valid_from: valid_from.to_string(),
            valid_until: valid_until.to_string(),
            status: "active".into(),
            application_id,
            issued_at: self.now(),
            status_index: (list - 1) * LIST_SIZE + index as i64,
            status_reason: None,
            public_notice: None,
            status_changed_at: None,
        })
    }

    /// Records a credential the board issued before it used Sensate (and the demo's): it
    /// gets a number, a status-list position and its history like any other.
    pub async fn record_existing_credential(
        &self,
        holder: &UserId,
        code: &str,
        valid_from: Date,
        valid_until: Date,
    ) -> AppResult<IssuedCredential> {
        let user = self.store().user_by_id(holder).await?.ok_or(AppError::NotFound)?;
        let program = self.program(code, None).await?.program;
        let credential = self
            .credential_record(NewCredential {
                holder,
                holder_name: &user.display_name,
                code: &program.code,
                rule_version: &program.version,
                valid_from,
                valid_until,
                application_id: None,
            })
            .await?;
        let event = CredentialEventRow {
            id: random::id()?,
            credential_id: credential.id.clone(),
            kind: "issued".into(),
            reason: "Recorded from the board's earlier register.".into(),
            public_notice: None,
            actor_id: None,
            // The history shows when it was issued, not when it was typed in.
            at: store::Timestamp::new(start_of(valid_from)),
        };
        self.store().insert_issued_credential(&credential, &event).await?;
        self.directory_may_have_changed();
        Ok(credential)
    }

    /// The facts of a credential on `day`: the board's action, its dates, the holder's
    /// membership (when the program asks for one) and the credential it depends on.
    async fn credential_facts(
        &self,
        credential: &IssuedCredential,
        day: Date,
        depth: u8,
    ) -> AppResult<CredentialFacts> {
        let program = self
            .program_of(&credential.program_code, &credential.rule_version)
            .await;
        let needs_membership = program
            .as_ref()
            .is_some_and(|p| p.requirements.iter().any(|r| matches!(r.rule, Rule::Membership { .. })));
        let membership_in_good_standing = if needs_membership {
            let mut good = false;
            for membership in self.store().memberships(&credential.user_id).await? {
                let from = parse_day(&membership.valid_from)?;
                let until = membership.valid_until.as_deref().map(parse_day).transpose()?;
                if from <= day && until.is_none_or(|until| day <= until) {
                    good = true;
                }
            }
            good
        } else {
            true
        };
        let dependency = program.as_ref().and_then(|p| {
            p.requirements.iter().find_map(|r| match &r.rule {
                Rule::Credential { program, .. } => Some(program.to_string()),
                _ => None,
            })
        });
        let dependency_active = match dependency {
            Some(code) if depth == 0 => {
                let mut active = false;
                for other in self.store().issued_credentials_of(&credential.user_id).await? {
                    if other.program_code == code {
                        let facts = Box::pin(self.credential_facts(&other, day, depth + 1)).await?;
                        active |= status_on(&facts, day) == CredentialStatus::Active;
                    }
                }
                Some(active)
            }
            _ => None,
        };
        Ok(CredentialFacts {
            valid_from: parse_day(&credential.valid_from)?,
            valid_until: parse_day(&credential.valid_until)?,
            revoked: credential.status == "revoked",
            suspended: credential.status == "suspended",
            membership_in_good_standing,
            dependency_active,
        })
    }

    /// The status of a credential today.
    pub async fn credential_status(&self, credential: &IssuedCredential) -> AppResult<CredentialStatus> {
        let day = self.today();
        let facts = self.credential_facts(credential, day, 0).await?;
        Ok(status_on(&facts, day))
    }

    async fn public_view(&self, credential: &IssuedCredential) -> AppResult<PublicCredential> {
        let program = self
            .program_of(&credential.program_code, &credential.rule_version)
            .await;
        let kind = program.as_ref().map(|p| p.kind);
        Ok(PublicCredential {
            number: credential.number.clone(),
            holder_name: credential.holder_name.clone(),
            holder_id: credential.user_id.clone(),
            program_code: credential.program_code.clone(),
            program_name: program
                .as_ref()
                .map_or_else(|| credential.program_code.clone(), |p| p.name.clone()),
            kind,
            kind_explanation: kind.map_or("", CredentialKind::explanation),
            rule_version: credential.rule_version.clone(),
            valid_from: parse_day(&credential.valid_from)?,
            valid_until: parse_day(&credential.valid_until)?,
            status: self.credential_status(credential).await?,
            public_notice: credential.public_notice.clone(),
            interim: credential.status == "suspended"
                && self.store().credential_suspended_interim(&credential.id).await?,
        })
    }

    /// Public verification by credential number or by name. A number with a wrong check
    /// digit is told apart from an unknown one; a name needs at least 2 letters.
    pub async fn verify(&self, query: &str) -> AppResult<VerifyAnswer> {
        let query = query.trim();
        let looks_like_number = query.chars().filter(char::is_ascii_digit).count() >= 4;
        if looks_like_number {
            let number = CredentialNumber::parse(query).map_err(|error| {
                AppError::field(
                    "q",
                    match error {
                        CredentialNumberError::CheckDigits => {
                            "This number's check digits do not match: a digit was probably mistyped. Check it against the certificate.".to_owned()
                        }
                        other => other.to_string(),
                    },
                )
            })?;
            return match self.store().credential_by_number(number.as_str()).await? {
                Some(credential) => Ok(VerifyAnswer::Found(vec![self.public_view(&credential).await?])),
                None => Ok(VerifyAnswer::Unknown),
            };
        }
        if query.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            return Err(AppError::field(
                "q",
                "Enter a credential number (like CST-2026-000123-46) or at least two letters of a name.",
            ));
        }
        if query.chars().count() > 100 {
            return Err(AppError::field("q", "Enter at most 100 characters."));
        }
        let mut found = Vec::new();
        for credential in self.store().credentials_by_holder_name(query, 50).await? {
            found.push(self.public_view(&credential).await?);
        }
        if found.is_empty() {
            Ok(VerifyAnswer::Unknown)
        } else {
            Ok(VerifyAnswer::Found(found))
        }
    }

    /// One credential by number, for `/verify/{number}` and the JSON API.
    pub async fn verify_number(&self, number: &str) -> AppResult<PublicCredential> {
        let number = CredentialNumber::parse(number).map_err(|error| AppError::field("number", error.to_string()))?;
        let credential = self
            .store()
            .credential_by_number(number.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        self.public_view(&credential).await
    }

    /// The credential's history with public notices (for the verification page): only the
    /// events a member of the public should see (issued, renewed, sanctions and their lifting).
    pub async fn public_history(&self, number: &str) -> AppResult<Vec<(Date, String, Option<String>)>> {
        let credential = self
            .store()
            .credential_by_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut items = Vec::new();
        for event in self.store().credential_events(&credential.id).await? {
            let label = match event.kind.as_str() {
                "issued" => "Issued",
                "renewed" => "Renewed",
                "suspended" => "Suspended",
                crate::ethics::cases::INTERIM_EVENT_KIND => crate::ethics::cases::INTERIM_LABEL,
                "revoked" => "Revoked",
                "reinstated" => "Reinstated",
                "undone" => "Corrected: an earlier action was made in error",
                _ => continue,
            };
            items.push((event.at.get().date(), label.to_owned(), event.public_notice));
        }
        Ok(items)
    }

    /// The credential's status in words with its date, the first thing a verifier reads:
    /// "Revoked on 7 December 2026", "Lapsed since 8 November 2026", "Active: valid until …".
    /// `history` is the credential's public history, which the caller has already read.
    pub async fn status_headline(
        &self,
        credential: &PublicCredential,
        history: &[(Date, String, Option<String>)],
    ) -> AppResult<String> {
        let last = |label: &str, history: &[(Date, String, Option<String>)]| {
            history
                .iter()
                .rev()
                .find(|(_, l, _)| l == label)
                .map(|(day, _, _)| long_date(*day))
        };
        Ok(match credential.status {
            CredentialStatus::Active => format!("Active: valid until {}", long_date(credential.valid_until)),
            CredentialStatus::Expired if self.today() < credential.valid_from => {
                format!("Not yet valid: valid from {}", long_date(credential.valid_from))
            }
            CredentialStatus::Expired => format!("Expired on {}", long_date(credential.valid_until)),
            CredentialStatus::Revoked | CredentialStatus::Suspended => {
                let (word, label) = if credential.status == CredentialStatus::Revoked {
                    ("Revoked", "Revoked")
                } else if credential.interim {
                    ("Suspended as an interim measure", crate::ethics::cases::INTERIM_LABEL)
                } else {
                    ("Suspended", "Suspended")
                };
                match last(label, history) {
                    Some(day) => format!("{word} on {day}"),
                    None => word.to_owned(),
                }
            }
            CredentialStatus::Lapsed => {
                // The day after the last membership that ended before today.
                let today = self.today();
                let mut ended = None;
                for membership in self.store().memberships(&credential.holder_id).await? {
                    if let Some(until) = membership.valid_until.as_deref().and_then(|d| parse_day(d).ok())
                        && until < today
                        && ended.is_none_or(|e| until > e)
                    {
                        ended = Some(until);
                    }
                }
                match ended.and_then(|day| day.next_day()) {
                    Some(since) => format!("Lapsed since {}: membership not in good standing", long_date(since)),
                    None => "Lapsed: membership not in good standing".to_owned(),
                }
            }
        })
    }

    /// The holder's credentials with today's status.
    pub async fn my_credentials(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<PublicCredential>> {
        self.authorize(actor, Permission::DownloadCredential { is_holder: true }, meta)
            .await?;
        let mut views = Vec::new();
        for credential in self.store().issued_credentials_of(actor.user_id.as_str()).await? {
            views.push(self.public_view(&credential).await?);
        }
        Ok(views)
    }

    async fn credential_for_download(
        &self,
        actor: &Actor,
        number: &str,
        meta: &RequestMeta,
    ) -> AppResult<IssuedCredential> {
        let credential = self
            .store()
            .credential_by_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        let is_holder = credential.user_id == actor.user_id.as_str();
        self.authorize(actor, Permission::DownloadCredential { is_holder }, meta)
            .await?;
        Ok(credential)
    }

    fn verification_url(&self, number: &str) -> String {
        format!("{}/verify/{number}", self.config().public_url)
    }

    fn status_list_url(&self, purpose: StatusPurpose, list: i64) -> String {
        format!("{}/status/{}/{list}", self.config().public_url, purpose.as_str())
    }

    /// The signed Open Badges 3.0 credential (VC-JWT) for the holder to download.
    pub async fn credential_vc(&self, actor: &Actor, number: &str, meta: &RequestMeta) -> AppResult<String> {
        let credential = self.credential_for_download(actor, number, meta).await?;
        let program = self
            .program_of(&credential.program_code, &credential.rule_version)
            .await
            .ok_or(AppError::NotFound)?;
        let (list, index) = split_index(credential.status_index);
        let public_url = self.config().public_url.clone();
        let facts = BadgeFacts {
            issuer_did: self.issuer_did(),
            issuer_name: self.config().board.name.clone(),
            issuer_url: public_url.clone(),
            verification_url: self.verification_url(&credential.number),
            credential_number: credential.number.clone(),
            holder_name: credential.holder_name.clone(),
            subject_id: subject_id(&credential.id),
            program_code: program.code.to_string(),
            program_name: program.name.clone(),
            program_description: program.summary.clone(),
            criteria_url: format!("{public_url}/programs/{}/{}", program.code, credential.rule_version),
            rule_version: credential.rule_version.clone(),
            valid_from: start_of(parse_day(&credential.valid_from)?),
            valid_until: start_of(parse_day(&credential.valid_until)?.next_day().unwrap_or(Date::MAX)),
            issued_at: credential.issued_at.get(),
            revocation: StatusEntry {
                list_url: self.status_list_url(StatusPurpose::Revocation, list),
                index,
            },
            suspension: StatusEntry {
                list_url: self.status_list_url(StatusPurpose::Suspension, list),
                index,
            },
        };
        let payload = serde_json::to_vec(&domain::credentialing::badge::open_badge_credential(&facts))
            .map_err(|e| AppError::internal(anyhow::anyhow!("badge: {e}")))?;
        let token = self.sign_as_issuer("vc+jwt", &payload, meta).await?;
        self.record(
            actor,
            AuditEvent::success("credential.badge_downloaded").subject("credential", &credential.id),
            meta,
        )
        .await?;
        Ok(token)
    }

    /// The certificate as a PDF, wall or wallet size, with a QR code of the verification URL.
    pub async fn certificate_pdf(
        &self,
        actor: &Actor,
        number: &str,
        size: print::CertificateSize,
        meta: &RequestMeta,
    ) -> AppResult<Vec<u8>> {
        let credential = self.credential_for_download(actor, number, meta).await?;
        let view = self.public_view(&credential).await?;
        let board = &self.config().board;
        let certificate = print::Certificate {
            board_name: board.name.clone(),
            board_short_name: board.short_name.clone(),
            signatory_name: board.signatory_name.clone(),
            signatory_title: board.signatory_title.clone(),
            logo_png: board.logo_png.clone(),
            holder_name: view.holder_name.clone(),
            credential_name: view.program_name.clone(),
            credential_short: view.program_code.clone(),
            explanation: view.kind_explanation.to_owned(),
            credential_number: view.number.clone(),
            valid_from: long_date(view.valid_from),
            valid_until: long_date(view.valid_until),
            verification_url: self.verification_url(&view.number),
        };
        let pdf = print::certificate_pdf(&certificate, size)
            .map_err(|e| AppError::internal(anyhow::anyhow!("certificate: {e}")))?;
        self.record(
            actor,
            AuditEvent::success("credential.certificate_downloaded").subject("credential", &credential.id),
            meta,
        )
        .await?;
        Ok(pdf)
    }

    /// The signed status-list credential for one purpose and list, built from today's
    /// statuses. It is re-signed only when a bit changed (or after 12 hours), so fetching it
    /// costs no signature and validators stay stable for HTTP caches.
    pub async fn status_list(&self, purpose: StatusPurpose, list: i64) -> AppResult<SignedStatusList> {
        let credentials = self.store().all_issued_credentials().await?;
        let last_list = credentials
            .iter()
            .map(|c| split_index(c.status_index).0)
            .max()
            .unwrap_or(1);
        if !(1..=last_list).contains(&list) {
            return Err(AppError::NotFound);
        }
        let mut bits = StatusList::new(MIN_ENTRIES).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        for credential in credentials.iter().filter(|c| split_index(c.status_index).0 == list) {
            let status = self.credential_status(credential).await?;
            if purpose.bit_for(status) {
                bits.set(split_index(credential.status_index).1, true)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
            }
        }
        let encoded = bits.encode();
        let now = self.now().get();
        let mut cache = self.status_list_cache().entries.lock().await;
        if let Some(cached) = cache.get(&(purpose, list))
            && cached.encoded == encoded
            && now - cached.signed_at < time::Duration::hours(12)
        {
            return Ok(cached.signed.clone());
        }
        let url = self.status_list_url(purpose, list);
        let did = self.issuer_did();
        let payload = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": { "id": did, "name": self.config().board.name },
            "validFrom": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": purpose.as_str(),
                "encodedList": encoded,
            },
            "iss": did,
            "iat": now.unix_timestamp(),
            "nbf": now.unix_timestamp(),
            "exp": (now + time::Duration::days(1)).unix_timestamp(),
        });
        let bytes = serde_json::to_vec(&payload).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        let token = self.sign_as_issuer("vc+jwt", &bytes, &RequestMeta::default()).await?;
        let etag = format!("\"{}\"", &crate::platform::random::token_hash(&token)[..32]);
        let signed = SignedStatusList { token, etag };
        cache.insert(
            (purpose, list),
            CachedList {
                encoded,
                signed: signed.clone(),
                signed_at: now,
            },
        );
        Ok(signed)
    }

    /// Checks an uploaded VC-JWT: the signature against the board's published keys, that
    /// the board issued it, and the credential's status in the register today.
    pub async fn check_vc_jwt(&self, token: &str) -> AppResult<VcCheck> {
        // An empty or oversized paste is refused before any query.
        trimmed_token(token)?;
        let keys = self.published_keys().await?;
        let stated = read_vc_jwt(token, &keys, &self.issuer_did())?;
        let credential = self
            .store()
            .credential_by_number(&stated.number)
            .await?
            .ok_or_else(|| AppError::field("token", "The board's register has no credential with this number."))?;
        Ok(VcCheck {
            key_id: stated.key_id,
            stated_holder: stated.holder,
            stated_valid_until: stated.valid_until,
            credential: self.public_view(&credential).await?,
        })
    }

    /// A FHIR R4 `Practitioner` for a holder of at least one credential, with a
    /// `qualification` per credential (identifier, code, period, issuer). Nothing beyond what
    /// verification already shows.
    pub async fn fhir_practitioner(&self, holder_id: &str) -> AppResult<Value> {
        if UserId::parse(holder_id).is_err() {
            return Err(AppError::NotFound);
        }
        // A professional who took their profile out of the directory has no Practitioner
        // either: the resource is how programs find them, and they asked not to be found. The
        // register stays public by credential number (/verify).
        if let Some((profile, _)) = self.store().directory_profile(holder_id).await?
            && !profile.listed
        {
            return Err(AppError::NotFound);
        }
        let credentials = self.store().issued_credentials_of(holder_id).await?;
        let Some(first) = credentials.first() else {
            return Err(AppError::NotFound);
        };
        let public_url = self.config().public_url.clone();
        let mut qualifications = Vec::new();
        let mut any_active = false;
        for credential in &credentials {
            let view = self.public_view(credential).await?;
            any_active |= view.status == CredentialStatus::Active;
            qualifications.push(json!({
                "identifier": [{
                    "system": format!("{public_url}/verify"),
                    "value": view.number,
                }],
                "code": {
                    "coding": [{
                        "system": format!("{public_url}/programs"),
                        "code": view.program_code,
                        "display": view.program_name,
                    }],
                    "text": format!("{} ({})", view.program_name, view.status.as_str()),
                },
                "period": { "start": view.valid_from.to_string(), "end": view.valid_until.to_string() },
                "issuer": { "display": self.config().board.name, "identifier": { "value": self.issuer_did() } },
                "extension": [{
                    "url": format!("{public_url}/fhir/StructureDefinition/credential-status"),
                    "valueCode": view.status.as_str(),
                }],
            }));
        }
        Ok(json!({
            "resourceType": "Practitioner",
            "id": holder_id,
            "meta": { "profile": ["http://hl7.org/fhir/StructureDefinition/Practitioner"] },
            "active": any_active,
            "name": [{ "text": first.holder_name }],
            "qualification": qualifications,
        }))
    }

    /// Staff suspend, revoke, reinstate, or undo an action made in error. A reason is
    /// required; a suspension or revocation also needs the public notice text shown on the
    /// verification page. Every change keeps the history.
    /// The status changes that apply to a credential as it stands (after a revocation, only
    /// the correction of an error), for the staff page to offer.
    pub async fn status_actions(
        &self,
        actor: &Actor,
        number: &str,
        meta: &RequestMeta,
    ) -> AppResult<Vec<StatusAction>> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        let credential = self
            .store()
            .credential_by_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(StatusAction::ALL
            .into_iter()
            .filter(|action| action.transition(&credential.status).is_some())
            .collect())
    }

    pub async fn change_credential_status(
        &self,
        actor: &Actor,
        number: &str,
        action: StatusAction,
        reason: &str,
        notice: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        let credential = self
            .store()
            .credential_by_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        let reason = reason.trim();
        let notice = notice.trim();
        let mut errors = domain::FieldErrors::new();
        if reason.chars().count() < 5 {
            errors.add(
                "reason",
                "Write the reason for the record, at least 5 characters (it is kept in the credential's history).",
            );
        }
        let sanction = action.is_sanction();
        if sanction && notice.chars().count() < 5 {
            errors.add(
                "notice",
                "Write the public notice shown on the verification page, at least 5 characters (for example the ethics case outcome).",
            );
        }
        if reason.chars().count() > 2000 || notice.chars().count() > 2000 {
            errors.add("reason", "Keep the reason and the notice under 2,000 characters each.");
        }
        errors.into_result()?;
        let Some((to, kind)) = action.transition(&credential.status) else {
            return Err(AppError::Refused(format!(
                "A credential that is {} cannot be {}.",
                credential.status,
                match action {
                    StatusAction::Suspend => "suspended",
                    StatusAction::Revoke => "revoked",
                    StatusAction::Reinstate => "reinstated (only a suspension can be lifted)",
                    StatusAction::UndoError => "corrected (there is no suspension or revocation to undo)",
                }
            )));
        };
        let event = CredentialEventRow {
            id: random::id()?,
            credential_id: credential.id.clone(),
            kind: kind.into(),
            reason: reason.to_owned(),
            public_notice: sanction.then(|| notice.to_owned()),
            actor_id: Some(actor.user_id.to_string()),
            at: self.now(),
        };
        match self
            .store()
            .change_credential_status(
                &credential.id,
                &credential.status,
                to,
                sanction.then_some(notice),
                &event,
            )
            .await
        {
            Ok(()) => self.directory_may_have_changed(),
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "The credential's status changed meanwhile; reload and check it again.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success(match action {
                StatusAction::Suspend => "credential.suspended",
                StatusAction::Revoke => "credential.revoked",
                StatusAction::Reinstate => "credential.reinstated",
                StatusAction::UndoError => "credential.undone",
            })
            .subject("credential", &credential.id)
            .detail(&credential.number),
            meta,
        )
        .await?;
        self.tell_about_review(
            &credential.user_id,
            "The status of your credential changed",
            "The status of your credential changed.".into(),
            "/portal/credentials",
        )
        .await
    }

    /// Every issued credential with today's status, for staff.
    pub async fn all_credentials(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<PublicCredential>> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        let mut views = Vec::new();
        for credential in self.store().all_issued_credentials().await? {
            views.push(self.public_view(&credential).await?);
        }
        views.sort_by(|a, b| a.holder_name.cmp(&b.holder_name).then(a.number.cmp(&b.number)));
        Ok(views)
    }

    /// A credential's full history for staff: (when, kind, reason, notice, by whom).
    pub async fn credential_history(
        &self,
        actor: &Actor,
        number: &str,
        meta: &RequestMeta,
    ) -> AppResult<Vec<(store::Timestamp, String, String, Option<String>, String)>> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        let credential = self
            .store()
            .credential_by_number(number)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut items = Vec::new();
        for event in self.store().credential_events(&credential.id).await? {
            let by = self.name_of(event.actor_id.as_deref()).await?;
            let kind = if event.kind == crate::ethics::cases::INTERIM_EVENT_KIND {
                "suspended (interim measure)".to_owned()
            } else {
                event.kind
            };
            items.push((event.at, kind, event.reason, event.public_notice, by));
        }
        Ok(items)
    }
}

/// "24 November 2026".
pub fn long_date(day: Date) -> String {
    format!("{} {} {}", day.day(), day.month(), day.year())
}

/// The longest VC-JWT read: a credential from this board is a few kilobytes.
pub const MAX_VC_JWT_BYTES: usize = 64 * 1024;

/// What an uploaded VC-JWT states, once its signature and issuer are checked. The register,
/// not this, decides the credential's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedCredential {
    pub key_id: String,
    /// The credential number (`credentialSubject.identifier[0].identityHash`); empty if absent.
    pub number: String,
    pub holder: String,
    pub valid_until: String,
}

fn trimmed_token(token: &str) -> AppResult<&str> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::field(
            "token",
            "Paste the credential (a long text in three parts separated by dots) or choose its file.",
        ));
    }
    if token.len() > MAX_VC_JWT_BYTES {
        return Err(AppError::field(
            "token",
            "This is too long to be a credential from this board.",
        ));
    }
    Ok(token)
}

/// Reads a VC-JWT given by anyone: its signature must be by one of `keys` (the board's
/// published keys) and its issuer `issuer` (the board's DID). Problems are field errors on
/// `token`, in words for the person who pasted it.
pub fn read_vc_jwt(token: &str, keys: &[vault::PublicJwk], issuer: &str) -> AppResult<StatedCredential> {
    let token = trimmed_token(token)?;
    let verified = vault::verify_jws(token, |kid| {
        keys.iter().find(|key| key.kid == kid).and_then(vault::jwk_public_key)
    })
    .map_err(|error| {
        AppError::field(
            "token",
            match error {
                vault::JwsError::Malformed | vault::JwsError::BadHeader => {
                    "This is not a signed credential: it should be three parts of letters and digits separated by dots.".to_owned()
                }
                vault::JwsError::WrongAlgorithm(alg) => format!("This credential is signed with {alg}; this board signs with EdDSA (Ed25519), so it did not come from here."),
                vault::JwsError::UnknownKey(kid) => format!("This credential was signed with a key this board never published (key id \"{kid}\"). It was not issued here."),
                vault::JwsError::BadSignature => "The signature does not match: the credential was altered after it was issued, or it was not issued by this board.".to_owned(),
            },
        )
    })?;
    let payload: Value = serde_json::from_slice(&verified.payload)
        .map_err(|_| AppError::field("token", "The signed content is not a credential (not JSON)."))?;
    if payload["iss"].as_str() != Some(issuer) {
        return Err(AppError::field(
            "token",
            "The signature is valid but the credential names another issuer.",
        ));
    }
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    Ok(StatedCredential {
        key_id: verified.kid,
        number: text(&payload["credentialSubject"]["identifier"][0]["identityHash"]),
        holder: text(&payload["credentialSubject"]["name"]),
        valid_until: text(&payload["validUntil"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_subject_id_is_a_stable_version_8_uuid_per_credential() {
        let id = subject_id("01JD4W0QX8R5T2K9M3N6P7V1ZB");
        assert_eq!(id, subject_id("01JD4W0QX8R5T2K9M3N6P7V1ZB"));
        assert_ne!(id, subject_id("01JD4W0QX8R5T2K9M3N6P7V1ZC"));
        let uuid = id.strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&uuid[14..15], "8", "version 8");
        assert!(
            matches!(&uuid[19..20], "8" | "9" | "a" | "b"),
            "RFC 9562 variant: {uuid}"
        );
    }

    #[test]
    fn status_positions_are_distinct_within_a_list_and_move_on_to_the_next_list() {
        let mut seen = std::collections::HashSet::new();
        for sequence in 1..=LIST_SIZE {
            let (list, index) = status_position(sequence);
            assert_eq!(list, 1);
            assert!(index < MIN_ENTRIES);
            assert!(seen.insert(index), "position {index} given twice");
        }
        assert_eq!(status_position(LIST_SIZE + 1).0, 2);
        // Consecutive credentials are not neighbours.
        let (_, a) = status_position(2);
        let (_, b) = status_position(3);
        assert!(a.abs_diff(b) > 1);
    }

    #[test]
    fn actions_apply_only_from_the_right_status() {
        assert_eq!(
            StatusAction::Suspend.transition("active"),
            Some(("suspended", "suspended"))
        );
        assert_eq!(StatusAction::Suspend.transition("revoked"), None);
        assert_eq!(
            StatusAction::Revoke.transition("suspended"),
            Some(("revoked", "revoked"))
        );
        assert_eq!(StatusAction::Reinstate.transition("revoked"), None);
        assert_eq!(
            StatusAction::UndoError.transition("revoked"),
            Some(("active", "undone"))
        );
        assert_eq!(StatusAction::UndoError.transition("active"), None);
    }

    #[test]
    fn lapse_sets_the_suspension_bit_and_revocation_its_own() {
        assert!(StatusPurpose::Suspension.bit_for(CredentialStatus::Lapsed));
        assert!(StatusPurpose::Suspension.bit_for(CredentialStatus::Suspended));
        assert!(!StatusPurpose::Suspension.bit_for(CredentialStatus::Expired));
        assert!(StatusPurpose::Revocation.bit_for(CredentialStatus::Revoked));
        assert!(!StatusPurpose::Revocation.bit_for(CredentialStatus::Suspended));
    }
}

/// One credential in a bulk action's preview: what will happen to it, or why it is skipped.
#[derive(Debug, Clone)]
pub struct BulkLine {
    pub number: String,
    pub holder_name: String,
    pub current: String,
    /// `Ok(what will happen)` or `Err(why it is skipped)`.
    pub outcome: Result<String, String>,
}

/// Where a bulk action stands (kept in the settings table, so every node can show it).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct BulkProgress {
    pub action: String,
    pub total: usize,
    pub done: usize,
    pub applied: usize,
    /// (number, why) for credentials left as they were.
    pub skipped: Vec<(String, String)>,
    pub finished: bool,
}

/// The most credentials one bulk action may touch: enough for a board's yearly clean-up, small
/// enough to preview on one page.
pub const BULK_LIMIT: usize = 500;

impl App {
    /// What a bulk action would do to each chosen credential. Nothing changes.
    pub async fn bulk_preview(
        &self,
        actor: &Actor,
        numbers: &[String],
        action: StatusAction,
        meta: &RequestMeta,
    ) -> AppResult<Vec<BulkLine>> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        if numbers.is_empty() {
            return Err(AppError::field("numbers", "Choose at least one credential."));
        }
        if numbers.len() > BULK_LIMIT {
            return Err(AppError::field(
                "numbers",
                format!("Choose at most {BULK_LIMIT} credentials at a time."),
            ));
        }
        let mut lines = Vec::new();
        for number in numbers {
            let Some(credential) = self.store().credential_by_number(number).await? else {
                lines.push(BulkLine {
                    number: number.clone(),
                    holder_name: String::new(),
                    current: String::new(),
                    outcome: Err("No credential has this number.".into()),
                });
                continue;
            };
            let outcome = match action.transition(&credential.status) {
                Some((to, _)) => Ok(format!("{} → {to}", credential.status)),
                None => Err(format!(
                    "Left as it is: a {} credential cannot take this action.",
                    credential.status
                )),
            };
            lines.push(BulkLine {
                number: credential.number,
                holder_name: credential.holder_name,
                current: credential.status,
                outcome,
            });
        }
        Ok(lines)
    }

    /// Starts a bulk action in the background and returns its id; the reason (and for a
    /// sanction the public notice) applies to every credential. Each credential changes in its
    /// own transaction with its own history, so a stop half-way leaves every credential either
    /// changed or not, and running the same action again skips the ones already done.
    pub async fn start_bulk(
        &self,
        actor: &Actor,
        numbers: Vec<String>,
        action: StatusAction,
        reason: &str,
        notice: &str,
        meta: &RequestMeta,
    ) -> AppResult<String> {
        let preview = self.bulk_preview(actor, &numbers, action, meta).await?;
        let mut errors = domain::FieldErrors::new();
        if reason.trim().chars().count() < 5 {
            errors.add(
                "reason",
                "Write the reason for the record (it is kept in each credential's history).",
            );
        }
        if matches!(action, StatusAction::Suspend | StatusAction::Revoke) && notice.trim().chars().count() < 5 {
            errors.add("notice", "Write the public notice shown on each verification page.");
        }
        errors.into_result()?;
        let id = random::id()?;
        let key = format!("bulk.{id}");
        let mut progress = BulkProgress {
            action: action.as_str().to_owned(),
            total: preview.len(),
            ..BulkProgress::default()
        };
        self.save_bulk(&key, &progress).await?;
        self.record(
            actor,
            AuditEvent::success("credential.bulk_started")
                .subject("bulk", &id)
                .detail(format!("{} × {}", action.as_str(), preview.len())),
            meta,
        )
        .await?;
        let app = self.clone();
        let actor = actor.clone();
        let meta = meta.clone();
        let (reason, notice) = (reason.to_owned(), notice.to_owned());
        tokio::spawn(async move {
            for line in preview {
                match line.outcome {
                    Ok(_) => match app
                        .change_credential_status(&actor, &line.number, action, &reason, &notice, &meta)
                        .await
                    {
                        Ok(()) => progress.applied += 1,
                        Err(error) => progress.skipped.push((line.number, error.to_string())),
                    },
                    Err(why) => progress.skipped.push((line.number, why)),
                }
                progress.done += 1;
                if let Err(error) = app.save_bulk(&key, &progress).await {
                    tracing::warn!(error = %error, "bulk progress not saved");
                }
            }
            progress.finished = true;
            if let Err(error) = app.save_bulk(&key, &progress).await {
                tracing::warn!(error = %error, "bulk progress not saved");
            }
        });
        Ok(id)
    }

    async fn save_bulk(&self, key: &str, progress: &BulkProgress) -> AppResult<()> {
        let json = serde_json::to_string(progress).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        self.store().put_setting(key, &json).await?;
        Ok(())
    }

    /// Where a bulk action stands.
    pub async fn bulk_progress(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<BulkProgress> {
        self.authorize(actor, Permission::ManageCredentials, meta).await?;
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(AppError::NotFound);
        }
        let json = self
            .store()
            .setting(&format!("bulk.{id}"))
            .await?
            .ok_or(AppError::NotFound)?;
        serde_json::from_str(&json).map_err(|e| AppError::internal(anyhow::anyhow!("bulk progress unreadable: {e}")))
    }
}
