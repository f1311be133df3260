//! Ethics cases: concerns the public raises about a certified professional, and how the
//! board's ethics committee handles them.
//!
//! - **A complaint** ([`App::file_complaint`]) comes from anyone, without an account. It names
//!   the professional by credential number (a mistyped number is told apart from an unknown
//!   one), gives the reporter's name, e-mail and optional phone, what happened and when, and up
//!   to [`MAX_DOCUMENTS`] documents. A hidden field catches form-filling scripts, and
//!   complaints are limited per client address and per reporter's e-mail address (counted
//!   before anything is stored). The reporter is sent the case reference (`EC-2026-0007`)
//!   and nothing of what they wrote.
//! - **The case file** is sealed under the case's own data key
//!   ([`Subject::ethics_case`]): the complaint, the reporter's contact details, the reply,
//!   evidence notes, reasons, and the documents. Every reading is audited.
//! - **The committee** (or board staff) take intake (accept, or dismiss as out of scope with
//!   a reason), notify the respondent (by e-mail, with a link only), record evidence notes,
//!   and decide with reasons and a sanction. A suspension or revocation changes the
//!   credential in the same transaction as the decision, with the decision's public notice,
//!   so verification, the API and the status lists show it at once.
//! - **The respondent** (the credential's holder) reads the complaint's text in their portal
//!   once notified, and replies, with documents if they wish. They never see who complained
//!   or how to reach them.
//!
//! Who may do what is decided in `authz` ([`Permission::HandleEthicsCase`],
//! [`Permission::RespondToEthicsCase`]).

use std::convert::Infallible;

use bytes::Bytes;
use domain::credentialing::credential_number::{CredentialNumber, CredentialNumberError};
pub use domain::ethics::cases::{
    CaseAction, CaseState, REPLY_PERIOD_DAYS, Sanction, decision_allowed_by, reply_due_on,
};
use domain::{EmailAddress, FieldErrors, PersonName, Role, UserId};
use files::{FileRejection, Inspector, OpenedFile, PutError};
use serde::{Deserialize, Serialize};
use store::credentialing::credentials::{CredentialEventRow, IssuedCredential};
use store::ethics::cases::{
    EthicsCaseRow, EthicsDecision, EthicsDocumentRow, EthicsEventRow, EthicsInterim, SanctionChange,
};
use store::{StoreError, Timestamp};
use time::Date;

use crate::authz::Permission;
use crate::credentialing::credentials::long_date;
use crate::credentialing::evidence::parse_day;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::mail::Mail;
use crate::platform::protected::{Field, Subject};
use crate::platform::throttle::Limit;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// Documents a complaint or a reply may carry.
pub const MAX_DOCUMENTS: usize = 3;
/// The largest document accepted with a complaint or reply. The web layer reads these into
/// memory (the form is public), so the limit stays well below the portal's uploads.
pub const MAX_DOCUMENT_BYTES: u64 = 5 * 1024 * 1024;
/// The shortest and longest description of a complaint, in characters.
pub const DESCRIPTION_CHARS: (usize, usize) = (30, 10_000);
/// The longest reply, evidence note or reasons, in characters.
const TEXT_MAX_CHARS: usize = 10_000;
/// The longest public notice, as for the board's other sanctions.
const NOTICE_MAX_CHARS: usize = 2_000;

/// The shortest reasons for an interim suspension, in characters: it is public at once, before
/// the respondent's reply, so the committee says why it cannot wait.
pub const INTERIM_REASON_MIN_CHARS: usize = 30;
/// The public notice of an interim suspension when the committee writes none.
pub const INTERIM_NOTICE: &str =
    "Interim suspension while an ethics complaint is considered. The ethics committee has not decided the complaint.";
/// How an interim suspension is named on the public record (the credential's history).
pub const INTERIM_LABEL: &str = "Interim suspension while an ethics complaint is considered";
/// The credential event kind of an interim suspension (the credential's status is
/// `suspended`, as with any suspension).
pub const INTERIM_EVENT_KIND: &str = "suspended_interim";

/// The key under which a problem with the whole form (not one field) is reported; the web
/// layer shows it above the form.
const FORM: &str = "_form";

/// The credential status a final decision moves to, the statuses it may move from (the
/// board's words stored with the credential) and the credential event's kind. With an interim
/// suspension in force the decision replaces it (a suspension, a revocation) or lifts it (no
/// sanction, conditions).
fn credential_change(
    sanction: Sanction,
    interim_in_force: bool,
) -> Option<(&'static str, &'static [&'static str], &'static str)> {
    match (sanction, interim_in_force) {
        (Sanction::Suspension, false) => Some(("suspended", &["active"], "suspended")),
        (Sanction::Suspension, true) => Some(("suspended", &["suspended"], "suspended")),
        (Sanction::Revocation, _) => Some(("revoked", &["active", "suspended"], "revoked")),
        (Sanction::None | Sanction::Conditions, true) => Some(("active", &["suspended"], "reinstated")),
        (Sanction::None | Sanction::Conditions, false) => None,
    }
}

/// The respondent's last day to reply: as stored when they were notified, or (for a case
/// notified before deadlines were stored) the notified day plus the reply period.
fn reply_due(case: &EthicsCaseRow) -> Option<Date> {
    if let Some(day) = case.reply_due_on.as_deref().and_then(parse_day) {
        return Some(day);
    }
    (case.status == CaseState::RespondentNotified)
        .then(|| reply_due_on(case.state_since.get().date(), REPLY_PERIOD_DAYS))
}

/// Why a final decision must wait today, in the committee's words, or `None` if it may be
/// taken.
fn decision_wait(case: &EthicsCaseRow, today: Date) -> Option<String> {
    if !case.status.is_decidable() {
        return None;
    }
    let due = reply_due(case)?;
    decision_allowed_by(due, case.replied_at.is_some(), today)
        .err()
        .map(|awaited| {
            format!(
                "The respondent has until {} to reply; decide after their reply or after that day, or take an interim measure.",
                long_date(awaited.reply_due_on)
            )
        })
}

/// The public complaint form as sent, apart from its documents.
#[derive(Debug, Clone, Default)]
pub struct ComplaintInput {
    pub credential_number: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub description: String,
    /// When it happened (or began), `YYYY-MM-DD`, optional.
    pub happened_from: String,
    /// When it ended, if it went on over time, optional.
    pub happened_until: String,
    /// A field people never see: anything in it came from a script filling every input.
    pub trap: String,
}

/// A document sent with a complaint or a reply, read whole (small: see
/// [`MAX_DOCUMENT_BYTES`]).
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The name the sender's file had: used in messages about it, never stored.
    pub file_name: String,
    pub bytes: Bytes,
}

/// What the complaint says, sealed as one value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Complaint {
    pub description: String,
    pub happened_from: Option<String>,
    pub happened_until: Option<String>,
}

impl Complaint {
    /// "2026-03-02", "2026-03-02 to 2026-05-30", or empty when no date was given.
    pub fn when(&self) -> String {
        match (&self.happened_from, &self.happened_until) {
            (Some(from), Some(until)) if from != until => format!("{from} to {until}"),
            (Some(from), _) => from.clone(),
            (None, Some(until)) => format!("until {until}"),
            (None, None) => String::new(),
        }
    }
}

/// Who complained and how to reach them, sealed as one value; only handlers read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reporter {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// The committee's decision in words, sealed as one value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionText {
    pub reasons: String,
    pub conditions: Option<String>,
}

/// One line of the committee's queue.
#[derive(Debug, Clone)]
pub struct CaseLine {
    pub id: String,
    pub reference: String,
    pub status: CaseState,
    pub state_label: &'static str,
    pub respondent_name: String,
    pub credential_number: String,
    pub received_at: Timestamp,
    /// Whole days in the current state.
    pub days_in_state: i64,
}

/// One step of a case's history.
#[derive(Debug, Clone)]
pub struct CaseHistoryItem {
    pub kind: String,
    pub label: &'static str,
    pub actor_name: String,
    pub at: Timestamp,
    pub text: Option<String>,
}

/// A document of a case, as listed.
#[derive(Debug, Clone)]
pub struct CaseDocument {
    pub id: String,
    /// `reporter` or `respondent`.
    pub side: String,
    /// The name it is downloaded under (`complaint-document-1.pdf`).
    pub name: String,
    pub size_bytes: i64,
}

/// Everything the case file page shows to a handler.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub id: String,
    pub reference: String,
    pub status: CaseState,
    pub state_label: &'static str,
    pub received_at: Timestamp,
    pub respondent_name: String,
    pub respondent_email: String,
    pub credential_number: String,
    pub program_code: String,
    /// The board's action on the credential now: active, suspended or revoked.
    pub credential_status: String,
    pub complaint: Complaint,
    pub reporter: Reporter,
    pub reply: Option<String>,
    pub replied_at: Option<Timestamp>,
    pub sanction: Option<Sanction>,
    pub decision: Option<DecisionText>,
    pub public_notice: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub history: Vec<CaseHistoryItem>,
    pub documents: Vec<CaseDocument>,
    /// The respondent's last day to reply, in words ("6 January 2027"), once notified.
    pub reply_due: Option<String>,
    /// Why a final decision must wait today (no reply, deadline not passed), if it must.
    pub decision_waits: Option<String>,
    /// When the committee suspended the credential as an interim measure, if it did.
    pub interim_at: Option<Timestamp>,
    /// Whether an interim suspension may be taken now (notified, undecided, none yet, the
    /// credential active).
    pub may_suspend_interim: bool,
}

/// What the respondent sees of a case about them: never the reporter.
#[derive(Debug, Clone)]
pub struct RespondentCase {
    pub id: String,
    pub reference: String,
    pub status: CaseState,
    pub state_label: &'static str,
    pub credential_number: String,
    pub complaint: Complaint,
    pub reply: Option<String>,
    pub replied_at: Option<Timestamp>,
    /// The respondent's own documents sent with the reply.
    pub documents: Vec<CaseDocument>,
    pub sanction: Option<Sanction>,
    pub decision: Option<DecisionText>,
    pub public_notice: Option<String>,
    pub may_reply: bool,
    /// Their last day to reply, in words ("6 January 2027").
    pub reply_due: Option<String>,
    /// An interim suspension in this case: when, and the committee's reasons.
    pub interim: Option<(Timestamp, String)>,
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "received" => "Complaint received",
        "accepted" => "Accepted at intake",
        "dismissed" => "Dismissed as out of scope",
        "respondent_notified" => "Respondent notified",
        "reply_received" => "Reply received",
        "evidence_note" => "Evidence note",
        "decided" => "Decision",
        "interim_suspension" => "Interim suspension of the credential",
        _ => "Event",
    }
}

/// The object key of a case document: under its case, named by its id.
fn object_path(case_id: &str, document_id: &str) -> String {
    format!("ethics/{case_id}/{document_id}")
}

/// The associated data a case document is sealed with: binds the ciphertext to it.
fn document_aad(document_id: &str) -> Vec<u8> {
    format!("ethics-document:{document_id}").into_bytes()
}

fn extension_of(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "bin",
    }
}

fn document_view(row: &EthicsDocumentRow) -> CaseDocument {
    let prefix = if row.side == "reporter" { "complaint" } else { "reply" };
    CaseDocument {
        id: row.id.clone(),
        side: row.side.clone(),
        name: format!("{prefix}-document-{}.{}", row.position, extension_of(&row.media_type)),
        size_bytes: row.size_bytes,
    }
}

/// A short, secret-free code for the audit log.
fn rejection_code(rejection: FileRejection) -> &'static str {
    match rejection {
        FileRejection::Empty => "empty",
        FileRejection::TooLarge { .. } => "too_large",
        FileRejection::NotAllowedType => "not_allowed_type",
        FileRejection::EncryptedPdf => "encrypted_pdf",
        FileRejection::ActivePdf => "active_pdf",
        FileRejection::CorruptPdf => "corrupt_pdf",
        FileRejection::CorruptPng => "corrupt_png",
        FileRejection::CorruptJpeg => "corrupt_jpeg",
    }
}

/// A phone number as people write it: digits with spaces and `+ - ( ) . /`, 6 to 20 digits.
fn phone_ok(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    phone.chars().count() <= 40
        && (6..=20).contains(&digits)
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/'))
}

/// Checks a long text field: required with at least `min` characters, at most `max`.
fn text_field(errors: &mut FieldErrors, field: &str, text: &str, min: usize, max: usize, short: &str) {
    let count = text.chars().count();
    if count < min {
        errors.add(field, short);
    } else if count > max {
        errors.add(field, format!("Keep this under {} characters.", group_thousands(max)));
    }
}

/// "10,000".
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether `reference` looks like a case reference (`EC-2026-0007`), for pages that show one
/// from a link.
pub fn is_reference(reference: &str) -> bool {
    let mut parts = reference.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("EC"), Some(year), Some(number), None)
            if year.len() == 4
                && year.chars().all(|c| c.is_ascii_digit())
                && (4..=9).contains(&number.len())
                && number.chars().all(|c| c.is_ascii_digit())
    )
}

impl App {
    /// The answer to a complaint already filed: kind, and no second case.
    async fn repeated_complaint<T>(&self, reporter: &AuditActor, meta: &RequestMeta) -> AppResult<T> {
        self.record(reporter.clone(), AuditEvent::failure("ethics.complaint_repeated"), meta)
            .await?;
        Err(AppError::field(
            FORM,
            "We already have this complaint from you, and the ethics committee has it: its reference is in the e-mail we sent you. There is no need to send it again.",
        ))
    }
}

/// Who sent a complaint, about whom, and its words (spacing and case aside), as a hash: the
/// key that tells a copy from a new complaint without keeping the words in the clear.
fn complaint_fingerprint(email: &str, credential_number: &str, description: &str) -> String {
    use sha2::{Digest, Sha256};
    let words = description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    hex::encode(Sha256::digest(
        format!("{email}\n{credential_number}\n{words}").as_bytes(),
    ))
}

impl App {
    async fn load_case(&self, id: &str) -> AppResult<EthicsCaseRow> {
        if id.is_empty() || id.len() > 64 {
            return Err(AppError::NotFound);
        }
        self.store().ethics_case(id).await?.ok_or(AppError::NotFound)
    }

    async fn case_credential(&self, case: &EthicsCaseRow) -> AppResult<IssuedCredential> {
        self.store()
            .issued_credential(&case.credential_id)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("ethics case {} names no credential", case.id)))
    }

    /// Checks the actor may handle this case (not when it is about them); audited if refused.
    async fn authorize_handler(&self, actor: &Actor, case: &EthicsCaseRow, meta: &RequestMeta) -> AppResult<()> {
        let is_respondent = case.respondent_id == actor.user_id.as_str();
        self.authorize(actor, Permission::HandleEthicsCase { is_respondent }, meta)
            .await
    }

    async fn seal_case(
        &self,
        who: impl Into<AuditActor>,
        case_id: &str,
        name: &'static str,
        record_id: &str,
        plaintext: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<Vec<u8>> {
        self.seal(
            who,
            &Subject::ethics_case(case_id),
            Field { name, record_id },
            plaintext,
            meta,
        )
        .await
    }

    async fn open_case_json<T: serde::de::DeserializeOwned>(
        &self,
        actor: &Actor,
        case_id: &str,
        name: &'static str,
        record_id: &str,
        sealed: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<T> {
        let bytes = self
            .open(
                actor,
                &Subject::ethics_case(case_id),
                Field { name, record_id },
                sealed,
                meta,
            )
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| AppError::internal(anyhow::anyhow!("{name} unreadable: {e}")))
    }

    async fn open_case_text(
        &self,
        actor: &Actor,
        case_id: &str,
        name: &'static str,
        record_id: &str,
        sealed: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<String> {
        let bytes = self
            .open(
                actor,
                &Subject::ethics_case(case_id),
                Field { name, record_id },
                sealed,
                meta,
            )
            .await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The largest document accepted here.
    fn document_limit(&self) -> u64 {
        MAX_DOCUMENT_BYTES.min(self.config().files.max_upload_bytes)
    }

    /// Checks the documents sent with a form before anything is counted or stored, so a wrong
    /// file is a mistake to correct rather than an attempt used up: at most
    /// [`MAX_DOCUMENTS`], each a complete PDF, PNG or JPEG within the limit.
    fn inspect_attachments(&self, errors: &mut FieldErrors, attachments: &[Attachment]) {
        if attachments.len() > MAX_DOCUMENTS {
            errors.add("documents", format!("Attach at most {MAX_DOCUMENTS} documents."));
            return;
        }
        for (index, attachment) in attachments.iter().enumerate() {
            let mut inspector = Inspector::new(self.document_limit());
            let checked = inspector
                .update(&attachment.bytes)
                .and_then(|()| inspector.finish().map(|_| ()));
            if let Err(rejection) = checked {
                let name = attachment_name(&attachment.file_name, index);
                errors.add("documents", format!("{name}: {rejection}"));
                return;
            }
        }
    }

    /// Checks, encrypts and stores a complaint's or reply's documents under the case's key.
    /// A refused file removes the ones already stored and names the problem on the field
    /// `documents`.
    async fn store_case_documents(
        &self,
        who: &AuditActor,
        case_id: &str,
        side: &str,
        attachments: Vec<Attachment>,
        meta: &RequestMeta,
    ) -> AppResult<Vec<EthicsDocumentRow>> {
        if attachments.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.subject_data_key(&Subject::ethics_case(case_id)).await?;
        let limit = self.document_limit();
        let mut stored = Vec::new();
        for (index, Attachment { file_name, bytes }) in attachments.into_iter().enumerate() {
            let id = random::id()?;
            let path = object_path(case_id, &id);
            let body = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(bytes) });
            let outcome = self
                .files()
                .put_sealed(&path, &key, &document_aad(&id), body, limit)
                .await;
            let problem = match outcome {
                Ok(file) => {
                    stored.push(EthicsDocumentRow {
                        id,
                        case_id: case_id.to_owned(),
                        side: side.to_owned(),
                        position: i32::try_from(index + 1).unwrap_or(i32::MAX),
                        media_type: file.kind.media_type().to_owned(),
                        size_bytes: i64::try_from(file.size_bytes).unwrap_or(i64::MAX),
                        sha256: file.sha256_hex(),
                        object_path: path,
                        uploaded_at: self.now(),
                    });
                    continue;
                }
                Err(PutError::Rejected(rejection)) => {
                    let event = AuditEvent::failure("ethics.document_refused").detail(rejection_code(rejection));
                    self.record(who.clone(), event, meta).await?;
                    let name = attachment_name(&file_name, index);
                    AppError::field("documents", format!("{name}: {rejection} Nothing was sent."))
                }
                Err(error) => AppError::internal(anyhow::anyhow!("storing an ethics document: {error}")),
            };
            self.remove_case_documents(&stored).await;
            return Err(problem);
        }
        Ok(stored)
    }

    /// Removes stored documents whose rows were never written (a later refusal or failure).
    async fn remove_case_documents(&self, documents: &[EthicsDocumentRow]) {
        for document in documents {
            if let Err(error) = self.files().delete(&document.object_path).await {
                tracing::warn!(path = %document.object_path, error = %error, "removing an unused ethics document failed");
            }
        }
    }

    /// The people told about a case's progress: the ethics committee, or board staff when
    /// the board has no committee members yet, so no complaint goes unseen.
    async fn case_handlers(&self) -> AppResult<Vec<store::platform::users::UserRecord>> {
        for role in [Role::EthicsCommittee, Role::BoardStaff] {
            let filter = store::platform::users::UserFilter {
                text: None,
                role: Some(role),
                limit: 200,
                offset: 0,
                ..Default::default()
            };
            let (people, _) = self.store().list_users(&filter).await?;
            let people: Vec<_> = people.into_iter().filter(|p| p.disabled_at.is_none()).collect();
            if !people.is_empty() {
                return Ok(people);
            }
        }
        Ok(Vec::new())
    }

    /// Tells the handlers something about a case (reference and link only). The respondent
    /// is left out even if they hold a handling role.
    async fn tell_handlers(&self, case: &EthicsCaseRow, what: &str) -> AppResult<()> {
        let link = self.link(&format!("/ethics/cases/{}", case.id));
        for person in self.case_handlers().await? {
            if person.id.as_str() == case.respondent_id {
                continue;
            }
            self.send_mail(
                person.email.as_str(),
                Mail::EthicsCase {
                    name: &person.display_name,
                    reference: &case.reference,
                    what: what.to_owned(),
                    link: Some(link.clone()),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Tells the respondent something about their case, with a link to their portal.
    async fn tell_respondent(&self, case: &EthicsCaseRow, what: &str) -> AppResult<()> {
        let Ok(id) = UserId::parse(&case.respondent_id) else {
            return Ok(());
        };
        let Some(person) = self.store().user_by_id(&id).await? else {
            return Ok(());
        };
        self.send_mail(
            person.email.as_str(),
            Mail::EthicsCase {
                name: &person.display_name,
                reference: &case.reference,
                what: what.to_owned(),
                link: Some(self.link(&format!("/portal/ethics-cases/{}", case.id))),
            },
        )
        .await
    }

    /// Tells the reporter their case is closed (opening their contact details, audited). The
    /// message does not say how: outcomes that concern the public are on the verification page.
    async fn tell_reporter_closed(&self, actor: &Actor, case: &EthicsCaseRow, meta: &RequestMeta) -> AppResult<()> {
        let reporter: Reporter = self
            .open_case_json(
                actor,
                &case.id,
                "ethics_reporter",
                &case.id,
                &case.reporter_sealed,
                meta,
            )
            .await?;
        let what = format!(
            "The ethics committee of {} has finished its work on the concern you raised, case {}. Thank you for bringing it to the board. If the outcome affects the professional's credential, their public verification page shows it.",
            self.config().board.name,
            case.reference
        );
        self.send_mail(
            &reporter.email,
            Mail::EthicsCase {
                name: &reporter.name,
                reference: &case.reference,
                what,
                link: None,
            },
        )
        .await
    }

    /// A member of the public raises a concern about a certified professional. Returns the
    /// case reference. No account is needed; the reporter is sent the reference by e-mail.
    ///
    /// # Errors
    /// `Validation` naming each field's problem (nothing is counted or stored then);
    /// `Throttled` past the limits per address and per reporter; `Validation` on the form for
    /// a filled-in trap field.
    pub async fn file_complaint(
        &self,
        input: &ComplaintInput,
        attachments: Vec<Attachment>,
        meta: &RequestMeta,
    ) -> AppResult<String> {
        let reporter_actor = AuditActor::default();
        let mut errors = FieldErrors::new();
        let number_text = input.credential_number.trim();
        let credential = if number_text.is_empty() {
            errors.add(
                "credential_number",
                "Enter the credential number of the professional your concern is about. It is on their certificate and on their verification page.",
            );
            None
        } else {
            match CredentialNumber::parse(number_text) {
                Err(CredentialNumberError::CheckDigits) => {
                    errors.add(
                        "credential_number",
                        "This number's check digits do not match: a character was probably mistyped. Check it against the professional's certificate or verification page.",
                    );
                    None
                }
                Err(other) => {
                    errors.add("credential_number", other.to_string());
                    None
                }
                Ok(number) => {
                    let found = self.store().credential_by_number(number.as_str()).await?;
                    if found.is_none() {
                        errors.add(
                            "credential_number",
                            format!(
                                "No credential numbered {number} is in the board's register. Check the number, or search the register on the verification page."
                            ),
                        );
                    }
                    found
                }
            }
        };
        let name = errors.check("name", PersonName::parse(&input.name));
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let phone = input.phone.trim();
        if !phone.is_empty() && !phone_ok(phone) {
            errors.add(
                "phone",
                "Enter a phone number with its digits (spaces and + - ( ) are fine), or leave it empty.",
            );
        }
        let description = input.description.trim();
        text_field(
            &mut errors,
            "description",
            description,
            DESCRIPTION_CHARS.0,
            DESCRIPTION_CHARS.1,
            "Describe what happened in at least 30 characters: what the professional did, where, and who was affected.",
        );
        let (from, until) = self.complaint_dates(&mut errors, input);
        self.inspect_attachments(&mut errors, &attachments);
        errors.into_result()?;
        let (Some(credential), Some(name), Some(email)) = (credential, name, email) else {
            return Err(AppError::field(
                FORM,
                "The form could not be read. Check it and send it again.",
            ));
        };

        // The same complaint sent again (a double click, a reload, a second try) is not a
        // second case, and does not use up the reporter's allowance either.
        let copy = Limit::complaint_copy(&complaint_fingerprint(email.as_str(), &credential.number, description));
        if self.used_up(&copy).await? {
            return self.repeated_complaint(&reporter_actor, meta).await;
        }
        // Counted before anything is stored, so parallel posts cannot slip past the limits.
        let mut limits = vec![Limit::complaint_reporter(email.as_str())];
        limits.extend(Limit::complaint_address(meta));
        match self.count_attempt(&limits).await {
            Ok(()) => {}
            Err(AppError::Throttled(_)) => {
                self.record(
                    reporter_actor.clone(),
                    AuditEvent::denied("ethics.complaint_throttled"),
                    meta,
                )
                .await?;
                return Err(AppError::Throttled(
                    "We cannot take more complaints from you today. If your concern is urgent or someone is in danger, contact the board or the emergency services directly; otherwise send it again tomorrow.".into(),
                ));
            }
            Err(other) => return Err(other),
        }
        if !input.trap.trim().is_empty() {
            self.record(
                reporter_actor.clone(),
                AuditEvent::failure("ethics.complaint_refused").detail("trap"),
                meta,
            )
            .await?;
            return Err(AppError::field(
                FORM,
                "Your complaint was not sent. Check what you wrote and send it again.",
            ));
        }
        // Counted once the complaint is sure to be filed; parallel copies: one case.
        match self.count_attempt(&[copy]).await {
            Ok(()) => {}
            Err(AppError::Throttled(_)) => return self.repeated_complaint(&reporter_actor, meta).await,
            Err(other) => return Err(other),
        }

        let id = random::id()?;
        let documents = self
            .store_case_documents(&reporter_actor, &id, "reporter", attachments, meta)
            .await?;
        let result = self
            .open_case(
                &reporter_actor,
                &id,
                &credential,
                Complaint {
                    description: description.to_owned(),
                    happened_from: from,
                    happened_until: until,
                },
                Reporter {
                    name: name.as_str().to_owned(),
                    email: email.to_string(),
                    phone: (!phone.is_empty()).then(|| phone.to_owned()),
                },
                &documents,
                meta,
            )
            .await;
        match result {
            Ok(case) => {
                let what = format!(
                    "Thank you for raising your concern with {}. We received it and opened ethics case {}: please quote this reference whenever you write to us about it.\n\nThe ethics committee reads every complaint. If it needs more from you, it will write to this address. For your privacy and the professional's, this message does not repeat what you wrote.",
                    self.config().board.name,
                    case.reference
                );
                self.send_mail(
                    email.as_str(),
                    Mail::EthicsCase {
                        name: name.as_str(),
                        reference: &case.reference,
                        what,
                        link: None,
                    },
                )
                .await?;
                self.tell_handlers(
                    &case,
                    "A new complaint about a certified professional arrived and waits for intake.",
                )
                .await?;
                Ok(case.reference)
            }
            Err(error) => {
                self.remove_case_documents(&documents).await;
                Err(error)
            }
        }
    }

    /// The optional dates of a complaint: valid days, not in the future, in order.
    fn complaint_dates(&self, errors: &mut FieldErrors, input: &ComplaintInput) -> (Option<String>, Option<String>) {
        let today = self.today();
        let mut day = |field: &str, text: &str| -> Option<time::Date> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match parse_day(text) {
                None => {
                    errors.add(field, "Enter a date like 2026-03-14, or leave it empty.");
                    None
                }
                Some(day) if day > today => {
                    errors.add(field, "This date is in the future.");
                    None
                }
                Some(day) => Some(day),
            }
        };
        let from = day("happened_from", &input.happened_from);
        let until = day("happened_until", &input.happened_until);
        if let (Some(from), Some(until)) = (from, until)
            && until < from
        {
            errors.add("happened_until", "The end is before the start: check both dates.");
        }
        (from.map(|d| d.to_string()), until.map(|d| d.to_string()))
    }

    /// Seals the complaint and the reporter's details under the case's key and writes the
    /// case with its documents and first event.
    #[allow(clippy::too_many_arguments)]
    async fn open_case(
        &self,
        who: &AuditActor,
        id: &str,
        credential: &IssuedCredential,
        complaint: Complaint,
        reporter: Reporter,
        documents: &[EthicsDocumentRow],
        meta: &RequestMeta,
    ) -> AppResult<EthicsCaseRow> {
        let complaint_json =
            serde_json::to_vec(&complaint).map_err(|e| AppError::internal(anyhow::anyhow!("complaint: {e}")))?;
        let reporter_json =
            serde_json::to_vec(&reporter).map_err(|e| AppError::internal(anyhow::anyhow!("reporter: {e}")))?;
        let complaint_sealed = self
            .seal_case(who.clone(), id, "ethics_complaint", id, &complaint_json, meta)
            .await?;
        let reporter_sealed = self
            .seal_case(who.clone(), id, "ethics_reporter", id, &reporter_json, meta)
            .await?;
        let year = self.today().year();
        let sequence = self.store().next_sequence("ethics", year).await?;
        let now = self.now();
        let case = EthicsCaseRow {
            id: id.to_owned(),
            reference: format!("EC-{year}-{sequence:04}"),
            credential_id: credential.id.clone(),
            respondent_id: credential.user_id.clone(),
            status: CaseState::Received,
            received_at: now,
            state_since: now,
            complaint_sealed,
            reporter_sealed,
            reply_sealed: None,
            replied_at: None,
            sanction: None,
            decision_sealed: None,
            public_notice: None,
            decided_by: None,
            decided_at: None,
            reply_due_on: None,
            interim_at: None,
        };
        let event = EthicsEventRow {
            id: random::id()?,
            case_id: id.to_owned(),
            kind: "received".into(),
            actor_id: None,
            at: now,
            body_sealed: None,
        };
        self.store().insert_ethics_case(&case, documents, &event).await?;
        self.record(
            who.clone(),
            AuditEvent::success("ethics.complaint_filed")
                .subject("ethics_case", id)
                .detail(&case.reference),
            meta,
        )
        .await?;
        Ok(case)
    }

    /// The committee's queue: every case not about the viewer, oldest in its state first.
    pub async fn ethics_queue(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<CaseLine>> {
        self.authorize(actor, Permission::HandleEthicsCase { is_respondent: false }, meta)
            .await?;
        let now = self.now();
        let mut lines = Vec::new();
        for case in self.store().ethics_cases().await? {
            if case.respondent_id == actor.user_id.as_str() {
                continue;
            }
            let credential = self.case_credential(&case).await?;
            lines.push(CaseLine {
                state_label: case.status.label(),
                respondent_name: credential.holder_name,
                credential_number: credential.number,
                received_at: case.received_at,
                days_in_state: (now.get() - case.state_since.get()).whole_days(),
                id: case.id,
                reference: case.reference,
                status: case.status,
            });
        }
        let order = |status: CaseState| CaseState::ALL.iter().position(|state| *state == status);
        lines.sort_by_key(|line| order(line.status));
        Ok(lines)
    }

    /// The case file for a handler: everything, each sealed value opened (and audited).
    pub async fn ethics_case_file(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<CaseFile> {
        let case = self.load_case(id).await?;
        self.authorize_handler(actor, &case, meta).await?;
        self.record(
            actor,
            AuditEvent::success("ethics.case_opened").subject("ethics_case", id),
            meta,
        )
        .await?;
        let credential = self.case_credential(&case).await?;
        let respondent = UserId::parse(&case.respondent_id).map_err(|_| AppError::NotFound)?;
        let respondent = self.store().user_by_id(&respondent).await?.ok_or(AppError::NotFound)?;
        let complaint: Complaint = self
            .open_case_json(actor, id, "ethics_complaint", id, &case.complaint_sealed, meta)
            .await?;
        let reporter: Reporter = self
            .open_case_json(actor, id, "ethics_reporter", id, &case.reporter_sealed, meta)
            .await?;
        let reply = match &case.reply_sealed {
            Some(sealed) => Some(self.open_case_text(actor, id, "ethics_reply", id, sealed, meta).await?),
            None => None,
        };
        let decision = match &case.decision_sealed {
            Some(sealed) => Some(
                self.open_case_json::<DecisionText>(actor, id, "ethics_decision", id, sealed, meta)
                    .await?,
            ),
            None => None,
        };
        let mut history = Vec::new();
        for event in self.store().ethics_events(id).await? {
            let text = match &event.body_sealed {
                Some(sealed) => Some(
                    self.open_case_text(actor, id, "ethics_event", &event.id, sealed, meta)
                        .await?,
                ),
                None => None,
            };
            history.push(CaseHistoryItem {
                label: event_label(&event.kind),
                actor_name: self.name_of(event.actor_id.as_deref()).await?,
                kind: event.kind,
                at: event.at,
                text,
            });
        }
        let documents = self
            .store()
            .ethics_documents(id)
            .await?
            .iter()
            .map(document_view)
            .collect();
        let may_suspend_interim = case.status.after(CaseAction::InterimSuspend).is_ok()
            && case.interim_at.is_none()
            && credential.status == "active";
        Ok(CaseFile {
            reply_due: reply_due(&case).map(long_date),
            decision_waits: decision_wait(&case, self.today()),
            interim_at: case.interim_at,
            may_suspend_interim,
            id: case.id,
            reference: case.reference,
            state_label: case.status.label(),
            status: case.status,
            received_at: case.received_at,
            respondent_name: credential.holder_name,
            respondent_email: respondent.email.to_string(),
            credential_number: credential.number,
            program_code: credential.program_code,
            credential_status: credential.status,
            complaint,
            reporter,
            reply,
            replied_at: case.replied_at,
            sanction: case.sanction,
            decision,
            public_notice: case.public_notice,
            decided_at: case.decided_at,
            history,
            documents,
        })
    }

    /// Intake: the committee accepts the case, or dismisses it as out of scope with a reason
    /// (kept sealed in the history). A dismissal tells the reporter the case is closed.
    pub async fn ethics_intake(
        &self,
        actor: &Actor,
        id: &str,
        accept: bool,
        reason: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let case = self.load_case(id).await?;
        self.authorize_handler(actor, &case, meta).await?;
        let reason = reason.trim();
        let mut errors = FieldErrors::new();
        if !accept && reason.chars().count() < 10 {
            errors.add(
                "reason",
                "Write why the complaint is out of scope (at least a sentence); it stays in the case file.",
            );
        }
        if reason.chars().count() > TEXT_MAX_CHARS {
            errors.add("reason", "Keep this under 10,000 characters.");
        }
        errors.into_result()?;
        let action = if accept {
            CaseAction::Accept
        } else {
            CaseAction::Dismiss
        };
        let Ok(to) = case.status.after(action) else {
            return Err(AppError::Refused(format!(
                "Intake is done once; this case is already {}.",
                case.status.label().to_lowercase()
            )));
        };
        let event_id = random::id()?;
        let body_sealed = if reason.is_empty() {
            None
        } else {
            Some(
                self.seal_case(actor, id, "ethics_event", &event_id, reason.as_bytes(), meta)
                    .await?,
            )
        };
        let event = EthicsEventRow {
            id: event_id,
            case_id: id.to_owned(),
            kind: to.as_str().into(),
            actor_id: Some(actor.user_id.to_string()),
            at: self.now(),
            body_sealed,
        };
        self.move_case(&case, to, &event).await?;
        self.record(
            actor,
            AuditEvent::success(if accept { "ethics.accepted" } else { "ethics.dismissed" }).subject("ethics_case", id),
            meta,
        )
        .await?;
        if !accept {
            self.tell_reporter_closed(actor, &case, meta).await?;
        }
        Ok(())
    }

    /// Moves the case on from the state it was read in; someone acting first is a refusal.
    async fn move_case(&self, case: &EthicsCaseRow, to: CaseState, event: &EthicsEventRow) -> AppResult<()> {
        match self.store().move_ethics_case(&case.id, case.status, to, event).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => Err(AppError::Refused(
                "Someone changed this case meanwhile; reload it to see where it stands.".into(),
            )),
            Err(error) => Err(error.into()),
        }
    }

    /// Tells the respondent a case about them is open and asks for their reply: the e-mail
    /// carries the reference and a link to their portal, nothing of the complaint.
    pub async fn notify_respondent(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<()> {
        let case = self.load_case(id).await?;
        self.authorize_handler(actor, &case, meta).await?;
        let Ok(to) = case.status.after(CaseAction::NotifyRespondent) else {
            return Err(AppError::Refused(format!(
                "The respondent is notified once a case is accepted at intake; this case is {}.",
                case.status.label().to_lowercase()
            )));
        };
        let due = reply_due_on(self.today(), REPLY_PERIOD_DAYS);
        let event = EthicsEventRow {
            id: random::id()?,
            case_id: id.to_owned(),
            kind: to.as_str().into(),
            actor_id: Some(actor.user_id.to_string()),
            at: self.now(),
            body_sealed: None,
        };
        match self
            .store()
            .notify_ethics_respondent(id, &due.to_string(), &event)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "Someone changed this case meanwhile; reload it to see where it stands.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("ethics.respondent_notified").subject("ethics_case", id),
            meta,
        )
        .await?;
        self.tell_respondent(
            &case,
            &format!(
                "The board's ethics committee has received a concern about your professional practice and opened a case. Please read it and send your reply in Sensate by {}; the committee reads your reply before it decides.",
                long_date(due)
            ),
        )
        .await
    }

    /// A handler records an evidence note (what a witness said, what a document shows), sealed
    /// in the case's history.
    pub async fn add_evidence_note(&self, actor: &Actor, id: &str, note: &str, meta: &RequestMeta) -> AppResult<()> {
        let case = self.load_case(id).await?;
        self.authorize_handler(actor, &case, meta).await?;
        let note = note.trim();
        let mut errors = FieldErrors::new();
        text_field(
            &mut errors,
            "note",
            note,
            10,
            TEXT_MAX_CHARS,
            "Write the note (at least a sentence): what was found, and where it comes from.",
        );
        errors.into_result()?;
        if !case.status.is_open() {
            return Err(AppError::Refused(
                "This case is closed; its file is kept as it was decided.".into(),
            ));
        }
        let event_id = random::id()?;
        let sealed = self
            .seal_case(actor, id, "ethics_event", &event_id, note.as_bytes(), meta)
            .await?;
        self.store()
            .insert_ethics_event(&EthicsEventRow {
                id: event_id,
                case_id: id.to_owned(),
                kind: "evidence_note".into(),
                actor_id: Some(actor.user_id.to_string()),
                at: self.now(),
                body_sealed: Some(sealed),
            })
            .await?;
        self.record(
            actor,
            AuditEvent::success("ethics.evidence_noted").subject("ethics_case", id),
            meta,
        )
        .await
    }

    /// The committee decides, with reasons and a sanction. Conditions need their text; a
    /// suspension or revocation needs the public notice, and changes the credential in the
    /// same transaction as the decision (so the verification page, the API and the status
    /// lists show it at once). No notice is published with no sanction or with conditions.
    ///
    /// A final decision waits for the respondent's reply or for their last day to reply to
    /// pass ([`decision_allowed_by`]); before that, the only sanction is a suspension marked
    /// `interim` (see [`App::suspend_interim`]), which leaves the case open. A final decision
    /// replaces an interim suspension in force, or lifts it.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_ethics_case(
        &self,
        actor: &Actor,
        id: &str,
        sanction: &str,
        conditions: &str,
        reasons: &str,
        notice: &str,
        interim: bool,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let case = self.load_case(id).await?;
        self.authorize_handler(actor, &case, meta).await?;
        if interim {
            return self
                .suspend_interim(actor, &case, sanction, conditions, reasons, notice, meta)
                .await;
        }
        let mut errors = FieldErrors::new();
        let sanction = Sanction::parse(sanction).ok();
        if sanction.is_none() {
            errors.add(
                "sanction",
                "Choose the sanction: none, conditions, suspension or revocation.",
            );
        }
        // No final decision before the reply or the last day to reply: said by the sanction,
        // with the form's other problems.
        if let Some(wait) = decision_wait(&case, self.today()) {
            errors.add("sanction", wait);
        }
        let reasons = reasons.trim();
        text_field(
            &mut errors,
            "reasons",
            reasons,
            10,
            TEXT_MAX_CHARS,
            "Write the reasons for the decision (at least a sentence): what the committee found, and why this sanction.",
        );
        let conditions = conditions.trim();
        let notice = notice.trim();
        match sanction {
            Some(Sanction::Conditions) => text_field(
                &mut errors,
                "conditions",
                conditions,
                10,
                TEXT_MAX_CHARS,
                "Write the conditions the professional must meet, and by when.",
            ),
            Some(_) if !conditions.is_empty() => {
                errors.add(
                    "conditions",
                    "Conditions go with the sanction \u{201c}conditions on practice\u{201d}: choose it, or leave this empty.",
                );
            }
            _ => {}
        }
        match sanction {
            Some(s) if s.is_public() => text_field(
                &mut errors,
                "notice",
                notice,
                5,
                NOTICE_MAX_CHARS,
                "Write the public notice shown on the professional's verification page.",
            ),
            Some(_) if !notice.is_empty() => errors.add(
                "notice",
                "A public notice is published only with a suspension or revocation: leave it empty for this sanction.",
            ),
            _ => {}
        }
        errors.into_result()?;
        let Some(sanction) = sanction else {
            return Err(AppError::field("sanction", "Choose the sanction."));
        };
        if !case.status.is_decidable() {
            return Err(AppError::Refused(format!(
                "A case is decided once the respondent has been notified and could reply; this case is {}.",
                case.status.label().to_lowercase()
            )));
        }
        let credential = self.case_credential(&case).await?;
        let interim_in_force = self.store().credential_suspended_interim(&credential.id).await?;
        let change = match credential_change(sanction, interim_in_force) {
            Some((to, from, kind)) if from.contains(&credential.status.as_str()) => Some((to, kind)),
            Some(_) => {
                return Err(AppError::Refused(format!(
                    "The credential {} is already {}, so it cannot be given this sanction. Choose another, or ask board staff to correct the credential first.",
                    credential.number, credential.status
                )));
            }
            None => None,
        };
        let text = DecisionText {
            reasons: reasons.to_owned(),
            conditions: (sanction == Sanction::Conditions).then(|| conditions.to_owned()),
        };
        let json = serde_json::to_vec(&text).map_err(|e| AppError::internal(anyhow::anyhow!("decision: {e}")))?;
        let sealed = self.seal_case(actor, id, "ethics_decision", id, &json, meta).await?;
        let now = self.now();
        let event = EthicsEventRow {
            id: random::id()?,
            case_id: id.to_owned(),
            kind: "decided".into(),
            actor_id: Some(actor.user_id.to_string()),
            at: now,
            body_sealed: None,
        };
        let public_notice = sanction.is_public().then_some(notice);
        let credential_event = match change {
            Some((to, kind)) => Some(CredentialEventRow {
                id: random::id()?,
                credential_id: credential.id.clone(),
                kind: kind.into(),
                // The reason kept with the credential names the case, not what it found: that
                // stays sealed in the case file.
                reason: if to == "active" {
                    format!(
                        "Ethics case {}: decided ({}); the interim suspension is lifted.",
                        case.reference,
                        sanction.label().to_lowercase()
                    )
                } else {
                    format!("Ethics case {}: {}.", case.reference, sanction.label().to_lowercase())
                },
                public_notice: public_notice.map(str::to_owned),
                actor_id: Some(actor.user_id.to_string()),
                at: now,
            }),
            None => None,
        };
        // Any state a decision may come from: a reply arriving meanwhile does not block it.
        let decidable: Vec<CaseState> = CaseState::ALL.into_iter().filter(|s| s.is_decidable()).collect();
        let record = EthicsDecision {
            case_id: id,
            from: &decidable,
            sanction,
            decision_sealed: &sealed,
            public_notice,
            decided_by: actor.user_id.as_str(),
            at: now,
            event: &event,
            credential: match (&credential_event, change) {
                (Some(event), Some((to, _))) => Some(SanctionChange {
                    credential_id: &credential.id,
                    from: &credential.status,
                    to,
                    event,
                }),
                _ => None,
            },
        };
        match self.store().decide_ethics_case(&record).await {
            Ok(()) => self.directory_may_have_changed(),
            Err(StoreError::Conflict) => return Err(changed_meanwhile()),
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("ethics.decided")
                .subject("ethics_case", id)
                .detail(sanction.as_str()),
            meta,
        )
        .await?;
        if let Some((to, _)) = change {
            self.record(
                actor,
                AuditEvent::success(match to {
                    "revoked" => "credential.revoked",
                    "active" => "credential.reinstated",
                    _ => "credential.suspended",
                })
                .subject("credential", &credential.id)
                .detail(&credential.number),
                meta,
            )
            .await?;
        }
        self.tell_respondent(
            &case,
            "The board's ethics committee has decided the case about your practice. Read the decision in Sensate.",
        )
        .await?;
        self.tell_reporter_closed(actor, &case, meta).await
    }

    /// An interim suspension: before the respondent's reply or their last day to reply, the
    /// committee suspends the credential with its own reasons (at least
    /// [`INTERIM_REASON_MIN_CHARS`] characters, sealed in the case's history). The credential
    /// is suspended at once with the public notice (or [`INTERIM_NOTICE`]) and named an interim
    /// suspension on the public record; the respondent is told by e-mail (a link only); the
    /// case stays open for the final decision. Once per case, on an active credential.
    #[allow(clippy::too_many_arguments)]
    async fn suspend_interim(
        &self,
        actor: &Actor,
        case: &EthicsCaseRow,
        sanction: &str,
        conditions: &str,
        reasons: &str,
        notice: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let id = case.id.as_str();
        let mut errors = FieldErrors::new();
        if Sanction::parse(sanction).ok() != Some(Sanction::Suspension) {
            errors.add(
                "sanction",
                "Only a suspension can be taken as an interim measure: choose \u{201c}suspension of the credential\u{201d}, or untick \u{201c}interim suspension\u{201d} for a final decision.",
            );
        }
        let reasons = reasons.trim();
        text_field(
            &mut errors,
            "reasons",
            reasons,
            INTERIM_REASON_MIN_CHARS,
            TEXT_MAX_CHARS,
            &format!(
                "Write why the credential cannot wait for the respondent's reply, in at least {INTERIM_REASON_MIN_CHARS} characters: an interim suspension is public at once."
            ),
        );
        if !conditions.trim().is_empty() {
            errors.add(
                "conditions",
                "Conditions go with the sanction \u{201c}conditions on practice\u{201d}, in a final decision: leave this empty for an interim suspension.",
            );
        }
        let notice = notice.trim();
        if notice.chars().count() > NOTICE_MAX_CHARS {
            errors.add("notice", "Keep the public notice under 2,000 characters.");
        }
        errors.into_result()?;
        if case.status.after(CaseAction::InterimSuspend).is_err() {
            return Err(AppError::Refused(format!(
                "An interim suspension is taken once the respondent has been notified and before the decision; this case is {}.",
                case.status.label().to_lowercase()
            )));
        }
        if case.interim_at.is_some() {
            return Err(AppError::Refused(
                "The credential was already suspended as an interim measure in this case; the final decision replaces or lifts that suspension.".into(),
            ));
        }
        let credential = self.case_credential(case).await?;
        if credential.status != "active" {
            return Err(AppError::Refused(format!(
                "The credential {} is {}, so it cannot be suspended as an interim measure.",
                credential.number, credential.status
            )));
        }
        let notice = if notice.is_empty() { INTERIM_NOTICE } else { notice };
        let event_id = random::id()?;
        let sealed = self
            .seal_case(actor, id, "ethics_event", &event_id, reasons.as_bytes(), meta)
            .await?;
        let now = self.now();
        let event = EthicsEventRow {
            id: event_id,
            case_id: id.to_owned(),
            kind: "interim_suspension".into(),
            actor_id: Some(actor.user_id.to_string()),
            at: now,
            body_sealed: Some(sealed),
        };
        let credential_event = CredentialEventRow {
            id: random::id()?,
            credential_id: credential.id.clone(),
            kind: INTERIM_EVENT_KIND.into(),
            reason: format!(
                "Ethics case {}: interim suspension while the complaint is considered.",
                case.reference
            ),
            public_notice: Some(notice.to_owned()),
            actor_id: Some(actor.user_id.to_string()),
            at: now,
        };
        let open: Vec<CaseState> = CaseState::ALL
            .into_iter()
            .filter(|s| s.after(CaseAction::InterimSuspend).is_ok())
            .collect();
        let record = EthicsInterim {
            case_id: id,
            from: &open,
            at: now,
            event: &event,
            credential: SanctionChange {
                credential_id: &credential.id,
                from: &credential.status,
                to: "suspended",
                event: &credential_event,
            },
        };
        match self.store().suspend_ethics_case_interim(&record).await {
            Ok(()) => self.directory_may_have_changed(),
            Err(StoreError::Conflict) => return Err(changed_meanwhile()),
            Err(error) => return Err(error.into()),
        }
        self.record(
            actor,
            AuditEvent::success("ethics.interim_suspension").subject("ethics_case", id),
            meta,
        )
        .await?;
        self.record(
            actor,
            AuditEvent::success("credential.suspended")
                .subject("credential", &credential.id)
                .detail(&credential.number),
            meta,
        )
        .await?;
        self.tell_respondent(
            case,
            "The board's ethics committee has taken an interim measure in the case about your practice. It has not decided the case: your reply is still read before it does. Read what was done, and why, in Sensate.",
        )
        .await
    }

    /// The cases about the actor that they have been told of: (id, reference, state, since).
    pub async fn cases_about_me(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<Vec<(String, String, String, store::Timestamp)>> {
        self.authorize(actor, Permission::RespondToEthicsCase { is_respondent: true }, meta)
            .await?;
        Ok(self
            .store()
            .ethics_cases()
            .await?
            .into_iter()
            .filter(|case| case.respondent_id == actor.user_id.as_str())
            .filter_map(|case| {
                let state = case.status.respondent_label()?;
                Some((case.id, case.reference, state.to_owned(), case.state_since))
            })
            .collect())
    }

    pub async fn respondent_case(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<RespondentCase> {
        let case = self.load_case(id).await?;
        let is_respondent = case.respondent_id == actor.user_id.as_str();
        self.authorize(actor, Permission::RespondToEthicsCase { is_respondent }, meta)
            .await?;
        // Before notification the respondent has not been told of the case: it does not exist
        // for them yet, and a dismissed complaint never reaches them.
        if case.status.respondent_label().is_none() {
            return Err(AppError::NotFound);
        }
        self.record(
            actor,
            AuditEvent::success("ethics.case_opened")
                .subject("ethics_case", id)
                .detail("respondent"),
            meta,
        )
        .await?;
        let credential = self.case_credential(&case).await?;
        let complaint: Complaint = self
            .open_case_json(actor, id, "ethics_complaint", id, &case.complaint_sealed, meta)
            .await?;
        let reply = match &case.reply_sealed {
            Some(sealed) => Some(self.open_case_text(actor, id, "ethics_reply", id, sealed, meta).await?),
            None => None,
        };
        let decision = match &case.decision_sealed {
            Some(sealed) => Some(
                self.open_case_json::<DecisionText>(actor, id, "ethics_decision", id, sealed, meta)
                    .await?,
            ),
            None => None,
        };
        let documents = self
            .store()
            .ethics_documents(id)
            .await?
            .iter()
            .filter(|d| d.side == "respondent")
            .map(document_view)
            .collect();
        let mut interim = None;
        if case.interim_at.is_some() {
            let events = self.store().ethics_events(id).await?;
            if let Some(event) = events.iter().find(|e| e.kind == "interim_suspension") {
                let reasons = match &event.body_sealed {
                    Some(sealed) => {
                        self.open_case_text(actor, id, "ethics_event", &event.id, sealed, meta)
                            .await?
                    }
                    None => String::new(),
                };
                interim = Some((event.at, reasons));
            }
        }
        Ok(RespondentCase {
            reply_due: reply_due(&case).map(long_date),
            interim,
            id: case.id,
            reference: case.reference,
            state_label: case.status.label(),
            may_reply: case.status.after(CaseAction::Reply).is_ok(),
            status: case.status,
            credential_number: credential.number,
            complaint,
            reply,
            replied_at: case.replied_at,
            documents,
            sanction: case.sanction,
            decision,
            public_notice: case.public_notice,
        })
    }

    /// The respondent replies, once, with text and up to [`MAX_DOCUMENTS`] documents.
    pub async fn reply_to_ethics_case(
        &self,
        actor: &Actor,
        id: &str,
        reply: &str,
        attachments: Vec<Attachment>,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let case = self.load_case(id).await?;
        let is_respondent = case.respondent_id == actor.user_id.as_str();
        self.authorize(actor, Permission::RespondToEthicsCase { is_respondent }, meta)
            .await?;
        let reply = reply.trim();
        let mut errors = FieldErrors::new();
        text_field(
            &mut errors,
            "reply",
            reply,
            10,
            TEXT_MAX_CHARS,
            "Write your reply (at least a sentence): your account of what happened.",
        );
        self.inspect_attachments(&mut errors, &attachments);
        errors.into_result()?;
        if case.status.after(CaseAction::Reply).is_err() {
            return Err(match case.status {
                CaseState::ReplyReceived | CaseState::Decided if case.reply_sealed.is_some() => {
                    AppError::Refused("You already replied to this case.".into())
                }
                // Not yet told of the case, or never will be: it does not exist for them.
                _ if case.status.respondent_label().is_none() => AppError::NotFound,
                _ => AppError::Refused("This case no longer waits for a reply.".into()),
            });
        }
        let who = AuditActor::from(actor);
        let documents = self
            .store_case_documents(&who, id, "respondent", attachments, meta)
            .await?;
        let sealed = match self
            .seal_case(actor, id, "ethics_reply", id, reply.as_bytes(), meta)
            .await
        {
            Ok(sealed) => sealed,
            Err(error) => {
                self.remove_case_documents(&documents).await;
                return Err(error);
            }
        };
        let event = EthicsEventRow {
            id: random::id()?,
            case_id: id.to_owned(),
            kind: "reply_received".into(),
            actor_id: Some(actor.user_id.to_string()),
            at: self.now(),
            body_sealed: None,
        };
        match self.store().record_ethics_reply(id, &sealed, &documents, &event).await {
            Ok(()) => {}
            Err(error) => {
                self.remove_case_documents(&documents).await;
                return Err(match error {
                    StoreError::Conflict => AppError::Refused("You already replied to this case.".into()),
                    other => other.into(),
                });
            }
        }
        self.record(
            actor,
            AuditEvent::success("ethics.reply_received").subject("ethics_case", id),
            meta,
        )
        .await?;
        self.tell_handlers(
            &case,
            "The respondent replied; the case is ready for the committee's decision.",
        )
        .await
    }

    /// Opens a case document for download. Handlers read every document; the respondent only
    /// the ones they sent. The download is audited before the first byte.
    pub async fn ethics_document(
        &self,
        actor: &Actor,
        case_id: &str,
        document_id: &str,
        meta: &RequestMeta,
    ) -> AppResult<(CaseDocument, String, OpenedFile)> {
        let case = self.load_case(case_id).await?;
        let is_respondent = case.respondent_id == actor.user_id.as_str();
        let row = self
            .store()
            .ethics_documents(case_id)
            .await?
            .into_iter()
            .find(|d| d.id == document_id);
        let own_reply_document = is_respondent && row.as_ref().is_some_and(|d| d.side == "respondent");
        if own_reply_document {
            self.authorize(actor, Permission::RespondToEthicsCase { is_respondent }, meta)
                .await?;
        } else {
            self.authorize(actor, Permission::HandleEthicsCase { is_respondent }, meta)
                .await?;
        }
        let row = row.ok_or(AppError::NotFound)?;
        let key = self.subject_data_key(&Subject::ethics_case(case_id)).await?;
        let opened = self
            .files()
            .open_sealed(&row.object_path, &key, &document_aad(&row.id))
            .await
            .map_err(|error| AppError::internal(anyhow::anyhow!("opening ethics document {}: {error}", row.id)))?;
        self.record(
            actor,
            AuditEvent::success("ethics.document_downloaded")
                .subject("ethics_document", &row.id)
                .detail(case_id),
            meta,
        )
        .await?;
        Ok((document_view(&row), row.media_type, opened))
    }
}

/// How a sent file is named in a message about it: its name as sent (shortened), or its
/// place in the form.
fn attachment_name(file_name: &str, index: usize) -> String {
    let last = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(80).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        format!("Document {}", index + 1)
    } else {
        format!("\u{201c}{clean}\u{201d}")
    }
}

/// A decision raced another change to the case or the credential: nothing was stored.
fn changed_meanwhile() -> AppError {
    AppError::Refused(
        "This case or the credential changed meanwhile, so nothing was recorded; reload the case and decide again."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_recognised() {
        assert!(is_reference("EC-2026-0007"));
        assert!(is_reference("EC-2026-12345"));
        assert!(!is_reference("EC-26-0007"));
        assert!(!is_reference("EC-2026-07"));
        assert!(!is_reference("XX-2026-0007"));
        assert!(!is_reference("EC-2026-0007-1"));
        assert!(!is_reference("Call us at 555"));
    }

    #[test]
    fn only_suspension_and_revocation_are_public_and_change_the_credential() {
        for sanction in Sanction::ALL {
            assert_eq!(sanction.is_public(), credential_change(sanction, false).is_some());
        }
        assert_eq!(
            credential_change(Sanction::Revocation, false),
            Some(("revoked", &["active", "suspended"][..], "revoked"))
        );
    }

    #[test]
    fn a_final_decision_replaces_or_lifts_an_interim_suspension() {
        assert_eq!(
            credential_change(Sanction::Suspension, true),
            Some(("suspended", &["suspended"][..], "suspended"))
        );
        assert_eq!(
            credential_change(Sanction::Revocation, true),
            Some(("revoked", &["active", "suspended"][..], "revoked"))
        );
        for sanction in [Sanction::None, Sanction::Conditions] {
            assert_eq!(
                credential_change(sanction, true),
                Some(("active", &["suspended"][..], "reinstated"))
            );
        }
    }

    #[test]
    fn phone_numbers_as_people_write_them() {
        assert!(phone_ok("+1 (555) 010-2030"));
        assert!(phone_ok("030 1234567"));
        assert!(!phone_ok("call me"));
        assert!(!phone_ok("12345"));
        assert!(!phone_ok("555-0100 <script>"));
    }

    #[test]
    fn dates_read_as_a_span() {
        let complaint = |from: Option<&str>, until: Option<&str>| Complaint {
            description: String::new(),
            happened_from: from.map(str::to_owned),
            happened_until: until.map(str::to_owned),
        };
        assert_eq!(complaint(None, None).when(), "");
        assert_eq!(complaint(Some("2026-03-02"), None).when(), "2026-03-02");
        assert_eq!(
            complaint(Some("2026-03-02"), Some("2026-05-30")).when(),
            "2026-03-02 to 2026-05-30"
        );
        assert_eq!(group_thousands(10_000), "10,000");
        assert_eq!(group_thousands(999), "999");
    }

    #[test]
    fn sent_file_names_are_shortened_for_messages() {
        assert_eq!(
            attachment_name("C:\\scans\\letter.pdf", 0),
            "\u{201c}letter.pdf\u{201d}"
        );
        assert_eq!(attachment_name("", 1), "Document 2");
    }
}
