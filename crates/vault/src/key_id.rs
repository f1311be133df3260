//! Identifiers of key-encryption keys.

use std::fmt;
use std::str::FromStr;

use crate::VaultError;

/// Identifier of a key-encryption key (KEK), stored next to every wrapped
/// data key so the right KEK can be found after rotations.
///
/// Valid ids are 1–64 characters of `A-Z a-z 0-9 . _ -`. The restricted
/// alphabet keeps ids safe to print, to put in file names and to use as an
/// unambiguous, NUL-free component of associated data.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

/// Longest id quoted verbatim in error messages. Longer "ids" are suspicious:
/// 32 bytes of base64url is 43 characters, so an id field that actually holds
/// pasted key material must not be echoed.
const MAX_QUOTED_LEN: usize = 32;

impl KeyId {
    /// Maximum length of an id, in characters.
    pub const MAX_LEN: usize = 64;

    /// Validates `s` as a key id.
    ///
    /// # Errors
    /// [`VaultError::InvalidKeyId`] if `s` is empty, longer than 64
    /// characters or contains a character outside `A-Z a-z 0-9 . _ -`.
    pub fn parse(s: &str) -> Result<KeyId, VaultError> {
        let valid = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(KeyId(s.to_owned()))
        } else {
            Err(VaultError::InvalidKeyId)
        }
    }

    /// A fresh id of the form `k-YYYYMMDD-xxxxxxxx`: today's UTC date, so an
    /// operator can tell keys apart by age, and 32 random bits, so two keys
    /// made the same day (or on two hosts) do not collide in practice.
    pub(crate) fn generate() -> Result<KeyId, VaultError> {
        let today = time::OffsetDateTime::now_utc().date();
        let mut random = [0u8; 4];
        getrandom::fill(&mut random)?;
        Ok(KeyId(format!(
            "k-{:04}{:02}{:02}-{}",
            today.year(),
            u8::from(today.month()),
            today.day(),
            hex(&random)
        )))
    }

    /// Id derived from key material, for keys given without an id (the bare
    /// environment form): `env-` and the first 8 hex digits of SHA-256 of the
    /// key. A hash prefix reveals nothing usable about the key, and the same
    /// key always gets the same id, so wrapped keys keep finding it.
    pub(crate) fn for_material(material: &[u8; 32]) -> KeyId {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(material);
        KeyId(format!("env-{}", hex(&digest[..4])))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How to refer to this id in an error message: quoted when short, not
    /// shown at all when long enough to be misplaced key material.
    pub(crate) fn for_message(&self) -> String {
        if self.0.len() <= MAX_QUOTED_LEN {
            format!("'{}'", self.0)
        } else {
            format!("<id of {} characters, not shown>", self.0.len())
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:?})", self.0)
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyId {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn accepts_valid_ids() {
        for ok in ["a", "k-20261124-3f9a1c2e", "A.b_c-9", &"x".repeat(64)] {
            assert_eq!(KeyId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_invalid_ids() {
        for bad in ["", " a", "a b", "a/b", "a:b", "é", "a\0", &"x".repeat(65)] {
            assert!(
                matches!(KeyId::parse(bad), Err(VaultError::InvalidKeyId)),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn generated_ids_have_the_documented_shape() {
        let id = KeyId::generate().unwrap();
        let s = id.as_str();
        let parts: Vec<&str> = s.split('-').collect();
        assert_eq!(parts.len(), 3, "{s}");
        assert_eq!(parts[0], "k");
        assert_eq!(parts[1].len(), 8);
        assert!(parts[1].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(parts[2].len(), 8);
        assert!(parts[2].bytes().all(|b| b.is_ascii_hexdigit()));
        // A generated id must pass its own validation.
        assert_eq!(KeyId::parse(s).unwrap(), id);
        assert_ne!(KeyId::generate().unwrap(), id);
    }

    #[test]
    fn long_ids_are_not_quoted_in_messages() {
        let short = KeyId::parse("k-1").unwrap();
        assert_eq!(short.for_message(), "'k-1'");
        let long = KeyId::parse(&"Q".repeat(43)).unwrap();
        assert!(!long.for_message().contains("QQQQ"));
    }
}
