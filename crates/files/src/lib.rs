#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Uploaded documents: transcripts, licences, insurance face sheets,
//! certificates.
//!
//! An upload is accepted only if its *content* is a complete PDF, PNG or
//! JPEG within a size limit ([`Inspector`], see the [`kind`] rules), and is
//! then stored only encrypted: each 64 KiB chunk is sealed with the owner's
//! [`vault::DataKey`] as it arrives ([`vault::StreamSealer`]), and the sealed
//! chunks are written to an object store ([`FileStore`]). By default that is a
//! directory on local disk; other stores (S3 with the `s3` feature) are a
//! matter of configuration, through the `object_store` crate.
//!
//! Nothing is ever held whole in memory: uploads and downloads are streams,
//! and at most a few chunks are buffered at a time. A refused or failed
//! upload leaves nothing behind.
//!
//! This crate does not decide who may upload or read a file: that is the
//! caller's job, done before calling it. Crypto-shredding a file's data key
//! makes the stored object unreadable even before it is deleted.

pub mod kind;
mod store;

pub use kind::{FileKind, FileRejection, Inspector, sniff};
pub use object_store;
pub use store::{BoxError, FileStore, OpenError, OpenedFile, PutError, SetupError, StoredFile};
