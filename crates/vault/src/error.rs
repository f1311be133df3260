//! The one error type of this crate.
//!
//! Messages are written for an operator reading a log or a terminal. None of
//! them ever contains key material: values from key files and environment
//! variables are described by position, and only short, well-formed key ids
//! are quoted (see `KeyId::for_message`).

use std::io;
use std::path::PathBuf;

use crate::KeyId;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The key file's content is not a valid key ring. The message names the
    /// problem without repeating secret values.
    #[error("key file: {0}")]
    KeyFile(String),

    /// The key environment value is malformed. The value itself is never
    /// repeated.
    #[error("key environment value: {0}")]
    EnvValue(String),

    /// The key file can be accessed by users other than its owner.
    #[error("key file {} is accessible by group or others (mode {mode:04o}); run: chmod 600 {}", path.display(), path.display())]
    Permissions {
        /// The offending file.
        path: PathBuf,
        /// Its permission bits (`mode & 0o7777`).
        mode: u32,
    },

    /// `create_key_file` found something already at the path and refused
    /// to overwrite it.
    #[error("key file {} already exists; refusing to overwrite it", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },

    /// Reading or writing a key file failed.
    #[error("key file {}: {source}", path.display())]
    Io {
        /// The file (or directory) the operation was on.
        path: PathBuf,
        /// The underlying error; `source.kind()` tells e.g. `NotFound`.
        #[source]
        source: io::Error,
    },

    /// A string is not a valid [`KeyId`]. The string is not repeated.
    #[error("invalid key id (expected 1-64 characters of A-Z a-z 0-9 . _ -)")]
    InvalidKeyId,

    /// A wrapped key names a key-encryption key that is not in the ring.
    /// Kept distinct so callers can reload the key file and retry.
    #[error("unknown key-encryption key {}", .0.for_message())]
    UnknownKey(KeyId),

    /// `retire` was asked to remove the active key.
    #[error("key {} is the active key and cannot be retired; rotate first", .0.for_message())]
    ActiveKey(KeyId),

    /// Authentication failed. Deliberately does not say whether the key, the
    /// associated data or the ciphertext was wrong.
    #[error("decryption failed: wrong key or context, or the data was modified")]
    Decrypt,

    /// Sealed data is structurally invalid (for example, too short).
    #[error("malformed sealed data: {0}")]
    Malformed(&'static str),

    /// Sealed data starts with a format version this build does not know.
    #[error("unsupported sealed-data version {0}")]
    UnsupportedVersion(u8),

    /// A streaming sealer or opener was used out of order: a chunk after the
    /// last one, a chunk after a failure, a chunk of the wrong size, or more
    /// chunks than the counter can number.
    #[error("sealed stream: {0}")]
    Stream(&'static str),

    /// The input was too large for the cipher to encrypt.
    #[error("encryption failed: input too large")]
    Encrypt,

    /// The operating system's random number generator failed.
    #[error("operating system random number generator failed: {0}")]
    Random(getrandom::Error),
}

impl From<getrandom::Error> for VaultError {
    fn from(e: getrandom::Error) -> Self {
        VaultError::Random(e)
    }
}
