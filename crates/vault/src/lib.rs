#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Envelope encryption for Sensate's protected fields and files.
//!
//! Every subject (a client, a candidate file, a user account) gets its own
//! random 256-bit data key ([`DataKey`]). Data is sealed with the data key
//! using XChaCha20-Poly1305 and a random 24-byte nonce, with associated data
//! naming what the value is (e.g. `"user:TOTP:<record id>"`), so a sealed
//! value moved to another record does not open.
//!
//! The data key is stored only wrapped ([`WrappedKey`]): sealed under a
//! key-encryption key (KEK) from the [`KeyRing`], whose id is kept with it.
//! KEKs live outside the database, in a key file or the environment, so a
//! stolen database alone is useless, and KEKs can be rotated by rewrapping
//! the small wrapped keys instead of re-encrypting all data.
//!
//! Deleting a subject's wrapped key (the caller's job, in the database)
//! makes all of the subject's data unreadable: crypto-shredding.
//!
//! This crate does no database work; storing wrapped keys is the caller's.

mod data_key;
mod error;
mod file;
mod key_id;
mod ring;
mod signing;
mod stream;
mod text;

pub use data_key::{DataKey, SEAL_OVERHEAD};
pub use error::VaultError;
pub use file::{create_key_file, load_key_file, load_or_create_key_file, save_key_file};
pub use key_id::KeyId;
pub use ring::{KeyRing, WrappedKey};
pub use signing::{JwsError, PublicJwk, SigningKey, VerifiedJws, jwk_public_key, verify_jws};
pub use stream::{
    STREAM_CHUNK_LEN, STREAM_HEADER_LEN, STREAM_SEALED_CHUNK_LEN, STREAM_TAG_LEN, StreamOpener, StreamSealer,
    sealed_stream_len, stream_plaintext_len,
};
pub use zeroize::Zeroizing;
