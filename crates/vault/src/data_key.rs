//! Data keys and the sealed-data format.
//!
//! Sealed layout, version 1 (41 bytes of overhead):
//!
//! ```text
//! +---------+----------------+----------------------+-----------------+
//! | version | nonce          | ciphertext           | tag             |
//! | 1 byte  | 24 bytes       | len(plaintext) bytes | 16 bytes        |
//! | = 0x01  | random per seal|                      | Poly1305        |
//! +---------+----------------+----------------------+-----------------+
//! ```
//!
//! The cipher is XChaCha20-Poly1305. Its 192-bit nonce is large enough to be
//! drawn at random for every seal with no realistic chance of reuse, so no
//! counter state has to be kept anywhere. The AEAD's associated data is the
//! version byte followed by the caller's AAD, so the header is authenticated
//! too and a future format cannot be confused with this one.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{Key, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

use crate::VaultError;

/// Version byte of the only sealed format this build reads and writes.
pub(crate) const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + NONCE_LEN;
/// Bytes a sealed value has on top of its plaintext.
pub const SEAL_OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// Length of data keys and key-encryption keys, in bytes.
pub(crate) const KEY_LEN: usize = 32;

/// A 256-bit data-encryption key (DEK) for one subject.
///
/// The key bytes are wiped from memory when the value is dropped, are never
/// printed by `Debug`, and cannot be read out: a data key leaves the process
/// only wrapped by a key-encryption key ([`crate::KeyRing::wrap`]).
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh random data key.
    ///
    /// # Errors
    /// [`VaultError::Random`] if the OS random number generator fails.
    pub fn generate() -> Result<DataKey, VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(key.as_mut_slice())?;
        Ok(DataKey(key))
    }

    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> DataKey {
        DataKey(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Encrypts `plaintext`, binding it to `aad` (for example
    /// `"user:TOTP:<record id>"`), which must be passed again to [`open`].
    /// Every call uses a fresh random nonce, so sealing the same plaintext
    /// twice gives different outputs. See the module docs for the layout.
    ///
    /// # Errors
    /// [`VaultError::Random`] if no nonce can be drawn;
    /// [`VaultError::Encrypt`] if the plaintext is too large for the cipher.
    ///
    /// [`open`]: DataKey::open
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        seal_with(&self.0, aad, plaintext)
    }

    /// Decrypts a value made by [`seal`](DataKey::seal) with this key and
    /// the same `aad`. The plaintext is wiped from memory when dropped.
    ///
    /// # Errors
    /// [`VaultError::Malformed`] if `sealed` is too short,
    /// [`VaultError::UnsupportedVersion`] for an unknown version byte, and
    /// [`VaultError::Decrypt`] for a wrong key, wrong `aad` or any change to
    /// the sealed bytes.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        open_with(&self.0, aad, sealed)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// The AEAD's associated data: the version byte, then the caller's AAD.
fn associated_data(aad: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(1 + aad.len());
    ad.push(VERSION);
    ad.extend_from_slice(aad);
    ad
}

/// Seals `plaintext` under a raw 32-byte key; shared by data keys and KEKs.
pub(crate) fn seal_with(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new(<&Key>::from(key));

    // Encrypt in place inside the output buffer. It is sized exactly so it
    // never reallocates and leaves a stray copy of the plaintext behind.
    let mut out = Vec::with_capacity(plaintext.len().saturating_add(SEAL_OVERHEAD));
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let result = cipher.encrypt_inout_detached(
        <&XNonce>::from(&nonce),
        &associated_data(aad),
        (&mut out[HEADER_LEN..]).into(),
    );
    match result {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            // The buffer may still hold plaintext.
            out.zeroize();
            Err(VaultError::Encrypt)
        }
    }
}

/// Opens a value sealed by [`seal_with`] under the same key and AAD.
pub(crate) fn open_with(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let (&version, rest) = sealed.split_first().ok_or(VaultError::Malformed("empty input"))?;
    if version != VERSION {
        return Err(VaultError::UnsupportedVersion(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(VaultError::Malformed("too short to hold a nonce and a tag"));
    }
    let malformed = || VaultError::Malformed("bad length");
    let (nonce, rest) = rest.split_at_checked(NONCE_LEN).ok_or_else(malformed)?;
    let (ciphertext, tag) = rest.split_at_checked(rest.len() - TAG_LEN).ok_or_else(malformed)?;
    let nonce = <&XNonce>::try_from(nonce).map_err(|_| malformed())?;
    let tag = <&Tag>::try_from(tag).map_err(|_| malformed())?;

    // Zeroizing from the start: after decryption this buffer is plaintext,
    // and on failure nothing of it must linger either.
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let cipher = XChaCha20Poly1305::new(<&Key>::from(key));
    cipher
        .decrypt_inout_detached(nonce, &associated_data(aad), buf.as_mut_slice().into(), tag)
        .map_err(|_| VaultError::Decrypt)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const AAD: &[u8] = b"user:TOTP:42";

    #[test]
    fn round_trip_and_layout() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(AAD, b"secret").unwrap();
        assert_eq!(sealed.len(), 6 + SEAL_OVERHEAD);
        assert_eq!(sealed[0], 1);
        // The plaintext must not appear in clear.
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(key.open(AAD, &sealed).unwrap().as_slice(), b"secret");
    }

    #[test]
    fn empty_plaintext_and_empty_aad_round_trip() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(b"", b"").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD);
        assert!(key.open(b"", &sealed).unwrap().is_empty());
    }

    #[test]
    fn wrong_aad_fails() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(AAD, b"secret").unwrap();
        for aad in [&b"user:TOTP:43"[..], b"", b"user:TOTP:42 "] {
            assert!(matches!(key.open(aad, &sealed), Err(VaultError::Decrypt)));
        }
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = DataKey::generate().unwrap().seal(AAD, b"secret").unwrap();
        let other = DataKey::generate().unwrap();
        assert!(matches!(other.open(AAD, &sealed), Err(VaultError::Decrypt)));
    }

    #[test]
    fn every_flipped_bit_fails() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(AAD, b"a short secret").unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad[i] ^= 1 << bit;
                let err = key.open(AAD, &bad).unwrap_err();
                if i == 0 {
                    assert!(matches!(err, VaultError::UnsupportedVersion(_)), "{err}");
                } else {
                    assert!(matches!(err, VaultError::Decrypt), "byte {i}: {err}");
                }
            }
        }
    }

    #[test]
    fn every_truncation_fails() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(AAD, b"secret").unwrap();
        for len in 0..sealed.len() {
            let err = key.open(AAD, &sealed[..len]).unwrap_err();
            let expected_kind = match len {
                0..SEAL_OVERHEAD => matches!(err, VaultError::Malformed(_)),
                _ => matches!(err, VaultError::Decrypt),
            };
            assert!(expected_kind, "length {len}: {err}");
        }
        // Appending is tampering too.
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(matches!(key.open(AAD, &longer), Err(VaultError::Decrypt)));
    }

    #[test]
    fn unknown_version_is_reported() {
        let key = DataKey::generate().unwrap();
        let mut sealed = key.seal(AAD, b"secret").unwrap();
        sealed[0] = 2;
        assert!(matches!(key.open(AAD, &sealed), Err(VaultError::UnsupportedVersion(2))));
    }

    #[test]
    fn nonces_are_fresh_per_seal() {
        let key = DataKey::generate().unwrap();
        let a = key.seal(AAD, b"same").unwrap();
        let b = key.seal(AAD, b"same").unwrap();
        assert_ne!(a[1..HEADER_LEN], b[1..HEADER_LEN], "nonce reused");
        assert_ne!(a, b);
    }

    #[test]
    fn debug_is_redacted() {
        let key = DataKey::from_bytes(Zeroizing::new([0xAB; KEY_LEN]));
        let shown = format!("{key:?} {key:#?}");
        assert_eq!(format!("{key:?}"), "DataKey(<redacted>)");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab"));
    }
}
