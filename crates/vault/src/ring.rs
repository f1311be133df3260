//! The key ring: key-encryption keys, and wrapping of data keys with them.

use std::fmt;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::data_key::{KEY_LEN, open_with, seal_with};
use crate::{DataKey, KeyId, VaultError};

/// Domain-separation prefix of the associated data used when wrapping.
const WRAP_AAD_PREFIX: &[u8] = b"sensate-vault:wrapped-dek:v1\0";

/// A data key encrypted ("wrapped") under a key-encryption key.
///
/// The caller stores both fields next to the subject they belong to;
/// deleting them makes everything sealed with that data key unreadable.
///
/// `bytes` uses the sealed layout of [`DataKey::seal`]:
/// `0x01 || 24-byte nonce || 32-byte encrypted key || 16-byte tag`
/// (73 bytes), sealed under the KEK named by `kek_id` with associated data
/// that binds both the KEK id and the subject.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// Which key-encryption key wrapped the data key.
    pub kek_id: KeyId,
    /// The sealed data key.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    // The bytes are ciphertext, not secret, but are noise in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey")
            .field("kek_id", &self.kek_id)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One key-encryption key.
pub(crate) struct Kek {
    pub(crate) id: KeyId,
    /// When the key was made; unknown for keys given in the environment.
    pub(crate) created: Option<OffsetDateTime>,
    pub(crate) material: Zeroizing<[u8; KEY_LEN]>,
}

/// The set of key-encryption keys (KEKs), exactly one of them active.
///
/// New data keys are always wrapped with the active KEK; older KEKs stay in
/// the ring so data keys wrapped before a rotation can still be unwrapped
/// until they have been rewrapped and the old KEK retired.
///
/// Invariants (upheld by every constructor and method): at least one key,
/// ids unique, and the active id is one of them.
pub struct KeyRing {
    /// In the order the keys were added (oldest first).
    pub(crate) keys: Vec<Kek>,
    pub(crate) active: KeyId,
}

impl KeyRing {
    /// A ring holding one new, active key.
    ///
    /// # Errors
    /// [`VaultError::Random`] if the OS random number generator fails.
    pub fn generate() -> Result<KeyRing, VaultError> {
        let kek = new_kek(&[])?;
        Ok(KeyRing {
            active: kek.id.clone(),
            keys: vec![kek],
        })
    }

    /// Adds a fresh key and makes it active. Older keys are kept so existing
    /// wrapped keys still unwrap; rewrap them, then [`retire`](Self::retire)
    /// the old keys.
    ///
    /// # Errors
    /// [`VaultError::Random`] if the OS random number generator fails.
    pub fn rotate(&mut self) -> Result<KeyId, VaultError> {
        let kek = new_kek(&self.keys)?;
        let id = kek.id.clone();
        self.keys.push(kek);
        self.active = id.clone();
        Ok(id)
    }

    /// Id of the key used for wrapping.
    pub fn active_id(&self) -> &KeyId {
        &self.active
    }

    /// Ids of all keys, oldest first.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    /// Whether the ring holds a key with this id.
    pub fn contains(&self, id: &KeyId) -> bool {
        self.find(id).is_some()
    }

    /// Removes a key that is no longer needed. Anything still wrapped with
    /// it will fail with [`VaultError::UnknownKey`] afterwards.
    ///
    /// # Errors
    /// [`VaultError::ActiveKey`] for the active key (rotate first), and
    /// [`VaultError::UnknownKey`] if no key has this id.
    pub fn retire(&mut self, id: &KeyId) -> Result<(), VaultError> {
        if *id == self.active {
            return Err(VaultError::ActiveKey(id.clone()));
        }
        let before = self.keys.len();
        self.keys.retain(|k| k.id != *id);
        if self.keys.len() == before {
            return Err(VaultError::UnknownKey(id.clone()));
        }
        Ok(())
    }

    /// Wraps `dek` for `subject` (e.g. `"client:1234"`) with the active key.
    ///
    /// The associated data binds the KEK id and the subject, so a wrapped key
    /// copied to another subject's row, or relabelled with another KEK id,
    /// fails to unwrap instead of silently serving the wrong key.
    ///
    /// # Errors
    /// [`VaultError::Random`] if no nonce can be drawn.
    pub fn wrap(&self, dek: &DataKey, subject: &str) -> Result<WrappedKey, VaultError> {
        let kek = self
            .find(&self.active)
            .ok_or_else(|| VaultError::UnknownKey(self.active.clone()))?;
        let bytes = seal_with(&kek.material, &wrap_aad(&kek.id, subject), dek.bytes())?;
        Ok(WrappedKey {
            kek_id: kek.id.clone(),
            bytes,
        })
    }

    /// Unwraps a data key wrapped for `subject` by any key in the ring.
    ///
    /// # Errors
    /// [`VaultError::UnknownKey`] if the ring lacks `wrapped.kek_id` (the key
    /// file may have been rotated by another process: reload and retry);
    /// [`VaultError::Decrypt`] if the subject does not match or the bytes
    /// were altered; [`VaultError::Malformed`] or
    /// [`VaultError::UnsupportedVersion`] for structurally bad bytes.
    pub fn unwrap(&self, wrapped: &WrappedKey, subject: &str) -> Result<DataKey, VaultError> {
        let kek = self
            .find(&wrapped.kek_id)
            .ok_or_else(|| VaultError::UnknownKey(wrapped.kek_id.clone()))?;
        let plain = open_with(&kek.material, &wrap_aad(&kek.id, subject), &wrapped.bytes)?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if plain.len() != KEY_LEN {
            return Err(VaultError::Malformed("wrapped data key is not 32 bytes"));
        }
        key.copy_from_slice(&plain);
        Ok(DataKey::from_bytes(key))
    }

    /// Unwraps with whichever key `wrapped` names and wraps again with the
    /// active key. Always produces a fresh wrapping, even when `wrapped`
    /// already uses the active key. Used when rotating keys.
    ///
    /// # Errors
    /// As for [`unwrap`](Self::unwrap) and [`wrap`](Self::wrap).
    pub fn rewrap(&self, wrapped: &WrappedKey, subject: &str) -> Result<WrappedKey, VaultError> {
        let dek = self.unwrap(wrapped, subject)?;
        self.wrap(&dek, subject)
    }

    fn find(&self, id: &KeyId) -> Option<&Kek> {
        self.keys.iter().find(|k| k.id == *id)
    }
}

impl fmt::Debug for KeyRing {
    // Ids only: key material must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("keys", &self.keys.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

/// `prefix || kek id || NUL || subject`. Key ids cannot contain NUL, so the
/// split between id and subject is unambiguous whatever the subject holds.
fn wrap_aad(kek_id: &KeyId, subject: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_AAD_PREFIX.len() + kek_id.as_str().len() + 1 + subject.len());
    aad.extend_from_slice(WRAP_AAD_PREFIX);
    aad.extend_from_slice(kek_id.as_str().as_bytes());
    aad.push(0);
    aad.extend_from_slice(subject.as_bytes());
    aad
}

/// A new random key whose id differs from all of `existing`.
fn new_kek(existing: &[Kek]) -> Result<Kek, VaultError> {
    let mut material = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(material.as_mut_slice())?;
    let created = OffsetDateTime::now_utc().truncate_to_second();
    // Ids carry 32 random bits, so a clash with a key made the same day is
    // already improbable; repeated clashes mean the RNG is broken.
    for _ in 0..16 {
        let id = KeyId::generate()?;
        if existing.iter().all(|k| k.id != id) {
            return Ok(Kek {
                id,
                created: Some(created),
                material,
            });
        }
    }
    Err(VaultError::Random(getrandom::Error::UNEXPECTED))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn wrap_unwrap_round_trip() {
        let ring = KeyRing::generate().unwrap();
        let dek = DataKey::generate().unwrap();
        let wrapped = ring.wrap(&dek, "client:1").unwrap();
        assert_eq!(&wrapped.kek_id, ring.active_id());
        assert_eq!(wrapped.bytes.len(), 73);
        let back = ring.unwrap(&wrapped, "client:1").unwrap();
        assert_eq!(back.bytes(), dek.bytes());
    }

    #[test]
    fn wrapped_key_is_bound_to_subject() {
        let ring = KeyRing::generate().unwrap();
        let wrapped = ring.wrap(&DataKey::generate().unwrap(), "client:1").unwrap();
        for other in ["client:2", "client:1 ", "", "client:"] {
            assert!(matches!(ring.unwrap(&wrapped, other), Err(VaultError::Decrypt)));
        }
    }

    #[test]
    fn wrapped_key_is_bound_to_kek_id() {
        // Relabelling a wrapped key with another id of the same material
        // must not work: the id is part of the associated data.
        let mut ring = KeyRing::generate().unwrap();
        let old = ring.active_id().clone();
        let wrapped = ring.wrap(&DataKey::generate().unwrap(), "s").unwrap();
        let new = ring.rotate().unwrap();
        let material = *ring.find(&old).unwrap().material;
        *ring.keys[1].material = material;
        assert_eq!(ring.keys[1].id, new);
        let relabelled = WrappedKey {
            kek_id: new,
            bytes: wrapped.bytes.clone(),
        };
        assert!(ring.unwrap(&wrapped, "s").is_ok());
        assert!(matches!(ring.unwrap(&relabelled, "s"), Err(VaultError::Decrypt)));
    }

    #[test]
    fn rotate_adds_an_active_key_and_keeps_the_old() {
        let mut ring = KeyRing::generate().unwrap();
        let first = ring.active_id().clone();
        let second = ring.rotate().unwrap();
        assert_ne!(first, second);
        assert_eq!(ring.active_id(), &second);
        assert_eq!(ring.ids().cloned().collect::<Vec<_>>(), vec![first.clone(), second]);
        assert!(ring.contains(&first));
    }

    #[test]
    fn retire_rules() {
        let mut ring = KeyRing::generate().unwrap();
        let first = ring.active_id().clone();
        assert!(matches!(ring.retire(&first), Err(VaultError::ActiveKey(_))));
        ring.rotate().unwrap();
        let stranger = KeyId::parse("nope").unwrap();
        assert!(matches!(ring.retire(&stranger), Err(VaultError::UnknownKey(_))));
        ring.retire(&first).unwrap();
        assert!(!ring.contains(&first));
        assert_eq!(ring.ids().count(), 1);
    }

    #[test]
    fn debug_shows_ids_only() {
        let ring = KeyRing::generate().unwrap();
        let shown = format!("{ring:?}");
        assert!(shown.contains(ring.active_id().as_str()));
        assert!(!shown.contains("material"));
    }
}
