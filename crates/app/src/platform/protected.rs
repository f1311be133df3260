//! Protected data: sealed with the subject's data key on the way in, opened on the way out,
//! and every read or write recorded in the audit log. Nothing else in Sensate touches the
//! vault.

use vault::{DataKey, KeyRing, VaultError, WrappedKey, Zeroizing};

use crate::platform::audit::{AuditActor, AuditEvent};
use crate::{App, AppError, AppResult, RequestMeta};

/// Whose data key protects a value: one key per person or file, so destroying it erases
/// exactly that subject's protected data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    pub fn user(id: &domain::UserId) -> Subject {
        Subject(format!("user:{id}"))
    }
    /// The board as issuer: its signing keys.
    pub fn issuer() -> Subject {
        Subject("issuer".to_owned())
    }
    /// One ethics case: the complaint, the reporter's contact details, the reply, evidence
    /// notes, the decision and the case's documents. A key of its own, not the respondent's
    /// or the reporter's, so the case file can be kept or erased on the board's schedule
    /// for case files, apart from either person's other data.
    pub fn ethics_case(id: &str) -> Subject {
        Subject(format!("ethics-case:{id}"))
    }
    /// One referral: the client's details, the reason, the notes and the answer, under a key
    /// of its own (the client is not a person with an account yet).
    pub fn referral(id: &str) -> Subject {
        Subject(format!("referral:{id}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which value is sealed: the field's name and the record's id become the associated data,
/// so a sealed value copied into another field or record fails to open.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub name: &'static str,
    pub record_id: &'a str,
}

impl Field<'_> {
    fn aad(&self) -> Vec<u8> {
        format!("{}:{}", self.name, self.record_id).into_bytes()
    }
}

fn vault_fault(error: VaultError) -> AppError {
    AppError::internal(anyhow::anyhow!("vault: {error}"))
}

impl App {
    fn with_keys<T>(&self, f: impl FnOnce(&KeyRing) -> Result<T, VaultError>) -> AppResult<T> {
        let keys = self
            .inner
            .keys
            .read()
            .map_err(|_| AppError::internal(anyhow::anyhow!("key ring lock poisoned")))?;
        f(&keys).map_err(vault_fault)
    }

    /// Another node may have rotated the keys: reread the key file once and try again.
    fn reload_keys(&self) -> AppResult<()> {
        if let crate::platform::keys::KeySource::File(path) = &self.config().key_source {
            let fresh = vault::load_key_file(path).map_err(vault_fault)?;
            let mut keys = self
                .inner
                .keys
                .write()
                .map_err(|_| AppError::internal(anyhow::anyhow!("key ring lock poisoned")))?;
            *keys = fresh;
        }
        Ok(())
    }

    fn unwrap_key(&self, wrapped: &WrappedKey, subject: &Subject) -> AppResult<DataKey> {
        let first = {
            let keys = self
                .inner
                .keys
                .read()
                .map_err(|_| AppError::internal(anyhow::anyhow!("key ring lock poisoned")))?;
            keys.unwrap(wrapped, subject.as_str())
        };
        match first {
            Ok(key) => Ok(key),
            Err(VaultError::UnknownKey(_)) => {
                self.reload_keys()?;
                self.with_keys(|keys| keys.unwrap(wrapped, subject.as_str()))
            }
            Err(other) => Err(vault_fault(other)),
        }
    }

    /// The subject's data key, created on first use.
    async fn data_key(&self, subject: &Subject) -> AppResult<DataKey> {
        for _ in 0..2 {
            match self.store().data_key(subject.as_str()).await? {
                Some(stored) => {
                    let (Some(kek_id), Some(bytes)) = (stored.kek_id, stored.wrapped) else {
                        return Err(AppError::Refused(
                            "This protected data was erased and cannot be read.".into(),
                        ));
                    };
                    let kek_id = vault::KeyId::parse(&kek_id).map_err(vault_fault)?;
                    return self.unwrap_key(&WrappedKey { kek_id, bytes }, subject);
                }
                None => {
                    let key = DataKey::generate().map_err(vault_fault)?;
                    let wrapped = self.with_keys(|keys| keys.wrap(&key, subject.as_str()))?;
                    match self
                        .store()
                        .insert_data_key(subject.as_str(), wrapped.kek_id.as_str(), &wrapped.bytes, self.now())
                        .await
                    {
                        Ok(()) => return Ok(key),
                        // Another request created it first: loop and use theirs.
                        Err(store::StoreError::Conflict) => continue,
                        Err(other) => return Err(other.into()),
                    }
                }
            }
        }
        Err(AppError::internal(anyhow::anyhow!(
            "data key for {} could not be created",
            subject.as_str()
        )))
    }

    /// The subject's data key (created on first use, like [`App::seal`] does), for the one
    /// caller that encrypts with it outside this module: `documents`, which streams uploads
    /// through the vault's stream format and audits each upload and download itself. An
    /// erased subject gives the same `Refused` as [`App::open`].
    pub(crate) async fn subject_data_key(&self, subject: &Subject) -> AppResult<DataKey> {
        self.data_key(subject).await
    }

    /// Seals `plaintext` under the subject's key and records the write.
    pub async fn seal(
        &self,
        who: impl Into<AuditActor>,
        subject: &Subject,
        field: Field<'_>,
        plaintext: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<Vec<u8>> {
        let key = self.data_key(subject).await?;
        let sealed = key.seal(&field.aad(), plaintext).map_err(vault_fault)?;
        let event = AuditEvent::success("protected.write")
            .subject(field.name, field.record_id)
            .detail(subject.as_str().to_owned());
        self.record(who, event, meta).await?;
        Ok(sealed)
    }

    /// Opens a sealed value. The read is recorded before the value is returned: if the record
    /// cannot be written, the value is not shown.
    pub async fn open(
        &self,
        who: impl Into<AuditActor>,
        subject: &Subject,
        field: Field<'_>,
        sealed: &[u8],
        meta: &RequestMeta,
    ) -> AppResult<Zeroizing<Vec<u8>>> {
        let key = self.data_key(subject).await?;
        let plaintext = key.open(&field.aad(), sealed).map_err(vault_fault)?;
        let event = AuditEvent::success("protected.read")
            .subject(field.name, field.record_id)
            .detail(subject.as_str().to_owned());
        self.record(who, event, meta).await?;
        Ok(plaintext)
    }

    /// Crypto-shredding: destroys the subject's data key, making all its sealed data unreadable.
    pub async fn shred(&self, who: impl Into<AuditActor>, subject: &Subject, meta: &RequestMeta) -> AppResult<bool> {
        let destroyed = self.store().destroy_data_key(subject.as_str(), self.now()).await?;
        let event = AuditEvent::success("protected.shredded").subject("data_key", subject.as_str());
        self.record(who, event, meta).await?;
        Ok(destroyed)
    }
}
