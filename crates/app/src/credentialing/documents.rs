//! Documents: uploads of transcripts, licenses, insurance face sheets and certificates.
//!
//! - **Upload** ([`App::upload_document`]): the form is checked first (the kind is one of the
//!   board lists' document kinds; a record to attach to is the uploader's own and takes that
//!   kind), so a mistake there costs no upload. The file is then streamed through
//!   [`files::FileStore::put_sealed`]: its *content* must be a complete PDF, PNG or JPEG within
//!   the configured size limit, and it is sealed chunk by chunk with the owner's data key (the
//!   vault's `user:<id>` subject, so crypto-shredding a person erases their documents too) and
//!   the associated data `document:<id>`, so an object copied to another document's path does
//!   not open. Only then is the row written; if that fails, the stored object is deleted. A
//!   refused file is a [`AppError::Validation`] on the field `file`, with a message for the
//!   person, and leaves nothing behind.
//! - **Download** ([`App::open_document`]): allowed by [`Permission::ViewDocument`] only (the
//!   owner, board staff, and the other party of a supervision contract for the kinds a
//!   contract shares, [`CONTRACT_SHARED_KINDS`]). Every download is audited as
//!   `document.downloaded` before the first byte is handed out; refusals are audited by
//!   [`App::authorize`].
//! - **Listing** ([`App::documents`]): a person's documents, filtered to those the viewer may
//!   download.

use bytes::Bytes;
use domain::UserId;
use files::{FileKind, FileRejection, OpenedFile, PutError};
use futures_util::Stream;
use store::credentialing::evidence::{DocumentRecord, EvidenceTable};

use crate::authz::{Decision, Permission, decide};
use crate::credentialing::evidence::parse_day;
use crate::platform::audit::AuditEvent;
use crate::platform::protected::Subject;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// Document kinds a supervision contract asks both parties to show each other. Any other kind
/// (a transcript, reference letters, …) is seen only by its owner and the board's staff.
pub const CONTRACT_SHARED_KINDS: [&str; 6] = [
    "license",
    "insurance_face_sheet",
    "cv",
    "membership_proof",
    "supervisor_certificate",
    "supervision_contract",
];

/// The records a document can be attached to: the table, the prefix of the form value
/// (`degrees:<id>`), and the document kind that proves that record. Attaching sets the record's
/// `document_id`, which the rule engine reads as "documented".
const ATTACHABLE: [(EvidenceTable, &str, &str); 4] = [
    (EvidenceTable::Degrees, "degrees", "transcript"),
    (EvidenceTable::Licenses, "licenses", "license"),
    (EvidenceTable::Insurance, "insurance", "insurance_face_sheet"),
    // A continuing-education credit of an open renewal takes its certificate.
    (EvidenceTable::RenewalCredits, "credits", "certificate"),
];

/// The longest file name kept (in characters, before an extension is added).
const MAX_FILE_NAME_CHARS: usize = 120;

/// The form value naming one of a person's records as the place to attach a document, such as
/// `licenses:<id>`. Only degrees, licenses and insurance policies take documents.
pub fn attach_value(table: EvidenceTable, record_id: &str) -> Option<String> {
    ATTACHABLE
        .iter()
        .find(|(t, _, _)| *t == table)
        .map(|(_, prefix, _)| format!("{prefix}:{record_id}"))
}

fn table_prefix(table: EvidenceTable) -> &'static str {
    ATTACHABLE
        .iter()
        .find(|(t, _, _)| *t == table)
        .map_or("record", |(_, prefix, _)| *prefix)
}

/// The document kind that proves a record in `table` (`transcript` for degrees, …).
pub fn kind_for(table: EvidenceTable) -> Option<&'static str> {
    ATTACHABLE
        .iter()
        .find(|(t, _, _)| *t == table)
        .map(|(_, _, kind)| *kind)
}

fn parse_attach(text: &str) -> Option<(EvidenceTable, &'static str, &str)> {
    let (prefix, id) = text.split_once(':')?;
    let (table, _, kind) = ATTACHABLE.iter().find(|(_, p, _)| *p == prefix)?;
    (!id.is_empty()).then_some((*table, *kind, id))
}

/// An upload form as sent, apart from the file's bytes.
#[derive(Debug, Clone, Default)]
pub struct UploadInput {
    /// A document kind key from the board lists.
    pub kind: String,
    /// Empty, or a record to attach the document to (see [`attach_value`]).
    pub attach_to: String,
    /// The file's name as the browser sent it (may be empty when no file was chosen).
    pub file_name: String,
}

/// The object key of a document: under its owner, named by its id.
fn object_path(owner: &UserId, id: &str) -> String {
    format!("documents/{owner}/{id}")
}

/// The associated data a document is sealed with: binds the ciphertext to this document.
fn aad(id: &str) -> Vec<u8> {
    format!("document:{id}").into_bytes()
}

fn extensions(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Pdf => &["pdf"],
        FileKind::Png => &["png"],
        FileKind::Jpeg => &["jpg", "jpeg", "jpe"],
    }
}

/// The name a document is kept under: the last path component of what the browser sent, without
/// control characters, at most [`MAX_FILE_NAME_CHARS`] characters, and ending in an extension
/// that matches its content (added when missing), so a download opens in the right program.
pub fn clean_file_name(raw: &str, kind: FileKind) -> String {
    // Old browsers on Windows sent the whole path.
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let printable: String = last.chars().filter(|c| !c.is_control()).collect();
    let mut name: String = printable
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    name = name.trim_end().to_owned();
    if name.is_empty() {
        return format!("document.{}", kind.extension());
    }
    let has_extension = name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && extensions(kind).iter().any(|known| ext.eq_ignore_ascii_case(known))
    });
    if !has_extension {
        name.push('.');
        name.push_str(kind.extension());
    }
    name
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

impl App {
    /// Checks, encrypts and stores an upload as one of `actor`'s documents, and attaches it to
    /// the chosen record. `body` is the file's bytes as they arrive; it is not read at all when
    /// the form itself has problems, and no further than the size limit.
    ///
    /// # Errors
    /// `Validation` naming `kind`, `attach_to` or `file` (the file's problem in words for the
    /// person: not a PDF, PNG or JPEG, too large, password-protected, damaged, empty); nothing is
    /// stored in any of these cases. `Forbidden` for people without a credential file.
    pub async fn upload_document<S, E>(
        &self,
        actor: &Actor,
        input: &UploadInput,
        body: S,
        meta: &RequestMeta,
    ) -> AppResult<DocumentRecord>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: Into<files::BoxError>,
    {
        self.authorize(actor, Permission::ManageOwnEvidence, meta).await?;
        let owner = &actor.user_id;
        let attach = self.check_upload_form(owner, input).await?;

        let id = random::id()?;
        let path = object_path(owner, &id);
        let key = self.subject_data_key(&Subject::user(owner)).await?;
        let limit = self.config().files.max_upload_bytes;
        let stored = match self.files().put_sealed(&path, &key, &aad(&id), body, limit).await {
            Ok(stored) => stored,
            Err(PutError::Rejected(rejection)) => {
                let event = AuditEvent::failure("document.refused").detail(rejection_code(rejection));
                self.record(actor, event, meta).await?;
                let message = if rejection == FileRejection::Empty && input.file_name.trim().is_empty() {
                    "Choose a file to upload.".to_owned()
                } else {
                    rejection.to_string()
                };
                return Err(AppError::field("file", message));
            }
            Err(PutError::Body(error)) => {
                tracing::info!(error = %error, "an upload ended early");
                return Err(AppError::field(
                    "file",
                    "The upload did not finish, so nothing was saved. Choose the file and upload it again.",
                ));
            }
            Err(error) => return Err(AppError::internal(anyhow::anyhow!("storing a document: {error}"))),
        };

        let record = DocumentRecord {
            id: id.clone(),
            owner_id: owner.to_string(),
            kind: input.kind.clone(),
            file_name: clean_file_name(&input.file_name, stored.kind),
            media_type: stored.kind.media_type().to_owned(),
            size_bytes: i64::try_from(stored.size_bytes).unwrap_or(i64::MAX),
            sha256: stored.sha256_hex(),
            object_path: path.clone(),
            uploaded_by: actor.user_id.to_string(),
            uploaded_at: self.now(),
        };
        if let Err(error) = self.store().insert_document(&record).await {
            // The row is what makes the object reachable: without it, remove the object too.
            if let Err(cleanup) = self.files().delete(&path).await {
                tracing::warn!(path = %path, error = %cleanup, "removing a document whose row failed also failed");
            }
            return Err(error.into());
        }
        // Attached after the row exists (the record points at it). A record removed while the
        // file was uploading leaves the document saved, unattached, and says so.
        let mut detail = record.kind.clone();
        let mut attach_error = None;
        if let Some((table, record_id)) = attach {
            match self
                .store()
                .attach_document(table, owner.as_str(), record_id, &record.id)
                .await
            {
                Ok(()) => detail = format!("{detail} {}", table_prefix(table)),
                Err(store::StoreError::NotFound) => {
                    attach_error = Some(AppError::field(
                        "attach_to",
                        "That record was removed while the file was uploading. The document is saved in your list; record it again and attach a new copy there.",
                    ));
                }
                Err(error) => attach_error = Some(error.into()),
            }
        }
        self.record(
            actor,
            AuditEvent::success("document.uploaded")
                .subject("document", &record.id)
                .detail(detail),
            meta,
        )
        .await?;
        if let Some(error) = attach_error {
            return Err(error);
        }
        Ok(record)
    }

    /// The upload form's own fields: the kind, and the record to attach to (the uploader's own,
    /// of a table that takes that kind).
    async fn check_upload_form<'a>(
        &self,
        owner: &UserId,
        input: &'a UploadInput,
    ) -> AppResult<Option<(EvidenceTable, &'a str)>> {
        let lists = self.board_lists().await?;
        let mut errors = domain::FieldErrors::new();
        let kind_ok = lists.has_document_kind(&input.kind);
        if !kind_ok {
            errors.add("kind", "Choose what kind of document this is.");
        }
        let attach_to = input.attach_to.trim();
        let mut attach = None;
        if !attach_to.is_empty() {
            match parse_attach(attach_to) {
                None => errors.add("attach_to", "Choose one of your records, or none."),
                Some((table, wanted_kind, record_id)) => {
                    let store = self.store();
                    let id = owner.as_str();
                    let owned = match table {
                        EvidenceTable::Degrees => store.degrees(id).await?.iter().any(|r| r.id == record_id),
                        EvidenceTable::Licenses => store.licenses(id).await?.iter().any(|r| r.id == record_id),
                        EvidenceTable::Insurance => store.insurance(id).await?.iter().any(|r| r.id == record_id),
                        EvidenceTable::RenewalCredits => store.open_credit_of(id, record_id).await?,
                        _ => false,
                    };
                    if !owned {
                        errors.add("attach_to", "Choose one of your records, or none.");
                    } else if kind_ok && input.kind != wanted_kind {
                        errors.add(
                            "attach_to",
                            format!(
                                "Only a document of the kind \u{201c}{}\u{201d} can be attached to that record. Change the kind, or attach it to nothing.",
                                lists.document_kind_name(wanted_kind)
                            ),
                        );
                    } else {
                        attach = Some((table, record_id));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(attach)
        } else {
            Err(errors.into())
        }
    }

    /// Opens a document for `actor` to download: its description, and its decrypted bytes as a
    /// stream. The download is recorded in the audit log before this returns.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Forbidden` (audited) for anyone
    /// [`Permission::ViewDocument`] does not allow.
    pub async fn open_document(
        &self,
        actor: &Actor,
        id: &str,
        meta: &RequestMeta,
    ) -> AppResult<(DocumentRecord, OpenedFile)> {
        if id.is_empty() || id.len() > 64 {
            return Err(AppError::NotFound);
        }
        let record = self.store().document(id).await?.ok_or(AppError::NotFound)?;
        let owner = UserId::parse(&record.owner_id)
            .map_err(|_| AppError::internal(anyhow::anyhow!("document {id} has an unreadable owner id")))?;
        let shared_by_contract = owner != actor.user_id
            && CONTRACT_SHARED_KINDS.contains(&record.kind.as_str())
            && self.has_contract_with(actor, &owner).await?;
        let reviews_owner = owner != actor.user_id && self.reviews_candidate(actor, &owner).await?;
        self.authorize(
            actor,
            Permission::ViewDocument {
                owner: &owner,
                shared_by_contract,
                reviews_owner,
            },
            meta,
        )
        .await?;
        let key = self.subject_data_key(&Subject::user(&owner)).await?;
        let opened = self
            .files()
            .open_sealed(&record.object_path, &key, &aad(&record.id))
            .await
            .map_err(|error| AppError::internal(anyhow::anyhow!("opening document {id}: {error}")))?;
        self.record(
            actor,
            AuditEvent::success("document.downloaded").subject("document", &record.id),
            meta,
        )
        .await?;
        Ok((record, opened))
    }

    /// `owner`'s documents, newest first, for someone allowed to see their file; only the ones
    /// the viewer may download are listed.
    pub async fn documents(&self, actor: &Actor, owner: &UserId, meta: &RequestMeta) -> AppResult<Vec<DocumentRecord>> {
        self.authorize_view_evidence(actor, owner, meta).await?;
        let documents = self.store().documents_of(owner.as_str()).await?;
        let contract = owner != &actor.user_id && self.has_contract_with(actor, owner).await?;
        Ok(documents
            .into_iter()
            .filter(|document| {
                let shared_by_contract = contract && CONTRACT_SHARED_KINDS.contains(&document.kind.as_str());
                let permission = Permission::ViewDocument {
                    owner,
                    shared_by_contract,
                    reviews_owner: false,
                };
                decide(actor, &permission) == Decision::Allow
            })
            .collect())
    }

    /// The documents each party of a contract shows the other (license, insurance face sheet,
    /// CV, proof of membership, supervisor certificate, the signed contract): the candidate's,
    /// then the supervisor's. Only those the viewer may download are listed.
    pub async fn contract_documents(
        &self,
        actor: &Actor,
        contract_id: &str,
        meta: &RequestMeta,
    ) -> AppResult<(Vec<DocumentRecord>, Vec<DocumentRecord>)> {
        let contract = self.contract_for(actor, contract_id, meta).await?.row;
        let mut sides = Vec::new();
        for party in [Some(contract.candidate_id.as_str()), contract.supervisor_id.as_deref()] {
            let Some(owner) = party.and_then(|id| UserId::parse(id).ok()) else {
                sides.push(Vec::new());
                continue;
            };
            let shared = owner != actor.user_id && self.has_contract_with(actor, &owner).await?;
            let documents = self.store().documents_of(owner.as_str()).await?;
            sides.push(
                documents
                    .into_iter()
                    .filter(|document| CONTRACT_SHARED_KINDS.contains(&document.kind.as_str()))
                    .filter(|document| {
                        let shared_by_contract = shared && CONTRACT_SHARED_KINDS.contains(&document.kind.as_str());
                        decide(
                            actor,
                            &Permission::ViewDocument {
                                owner: &owner,
                                shared_by_contract,
                                reviews_owner: false,
                            },
                        ) == Decision::Allow
                    })
                    .collect(),
            );
        }
        let supervisor = sides.pop().unwrap_or_default();
        let candidate = sides.pop().unwrap_or_default();
        Ok((candidate, supervisor))
    }

    /// Whether `viewer` and `owner` are the two parties of a supervision contract that was not
    /// declined and has not ended: `viewer` supervising `owner` (or invited to), or `owner`
    /// supervising `viewer`.
    async fn has_contract_with(&self, viewer: &Actor, owner: &UserId) -> AppResult<bool> {
        let today = self.today();
        let live = |contract: &store::credentialing::supervision::ContractRow| {
            contract.declined_at.is_none()
                && contract
                    .ends_on
                    .as_deref()
                    .and_then(parse_day)
                    .is_none_or(|ends_on| ends_on >= today)
        };
        let store = self.store();
        let as_supervisor = store
            .contracts_of_supervisor(viewer.user_id.as_str(), viewer.email.as_str())
            .await?
            .iter()
            .any(|contract| contract.candidate_id == owner.as_str() && live(contract));
        if as_supervisor {
            return Ok(true);
        }
        Ok(store
            .contracts_of_candidate(viewer.user_id.as_str())
            .await?
            .iter()
            .any(|contract| contract.supervisor_id.as_deref() == Some(owner.as_str()) && live(contract)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned_and_end_in_their_type() {
        assert_eq!(clean_file_name("license.pdf", FileKind::Pdf), "license.pdf");
        assert_eq!(clean_file_name("C:\\fakepath\\Scan.PDF", FileKind::Pdf), "Scan.PDF");
        assert_eq!(clean_file_name("../../etc/passwd", FileKind::Pdf), "passwd.pdf");
        assert_eq!(clean_file_name("photo.jpeg", FileKind::Png), "photo.jpeg.png");
        assert_eq!(clean_file_name("a\u{0}b\nc.jpg", FileKind::Jpeg), "abc.jpg");
        assert_eq!(clean_file_name("", FileKind::Jpeg), "document.jpg");
        assert_eq!(clean_file_name(" .pdf", FileKind::Pdf), "pdf.pdf");
        assert_eq!(
            clean_file_name(&"x".repeat(500), FileKind::Pdf).chars().count(),
            MAX_FILE_NAME_CHARS + 4
        );
    }

    #[test]
    fn attach_values_round_trip() {
        let value = attach_value(EvidenceTable::Licenses, "abc").unwrap();
        assert_eq!(value, "licenses:abc");
        assert_eq!(parse_attach(&value), Some((EvidenceTable::Licenses, "license", "abc")));
        assert_eq!(parse_attach("hours:abc"), None);
        assert_eq!(parse_attach("degrees:"), None);
        assert_eq!(attach_value(EvidenceTable::Hours, "x"), None);
        assert_eq!(kind_for(EvidenceTable::Insurance), Some("insurance_face_sheet"));
    }
}
