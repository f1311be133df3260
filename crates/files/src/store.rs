//! Storing uploads encrypted in an object store, and reading them back.
//!
//! A stored file is exactly one sealed stream (see `vault`'s stream format):
//!
//! ```text
//! header (20 bytes) | sealed chunk 0 | sealed chunk 1 | ... | sealed last chunk
//!                     65 552 bytes     65 552 bytes           16..=65 552 bytes
//! ```
//!
//! No length or chunk table is stored: every chunk but the last is exactly
//! `STREAM_SEALED_CHUNK_LEN` bytes, so the reader frames chunks by length,
//! and the object's total size (from the same `get` that returns its bytes,
//! so it cannot describe another version of the object) says which chunk is
//! the last. A stored object cut short or extended fails to open: its last
//! chunk was either sealed as "not last" or is followed by bytes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt as _};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _, ObjectStoreScheme, WriteMultipart};
use sha2::{Digest as _, Sha256};
use vault::{
    DataKey, STREAM_CHUNK_LEN, STREAM_HEADER_LEN, STREAM_SEALED_CHUNK_LEN, StreamOpener, StreamSealer, VaultError,
    Zeroizing, stream_plaintext_len,
};

use crate::kind::{FileKind, FileRejection, Inspector};

/// Any error from the upload body stream.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Multipart part size for a local directory or memory: one sealed chunk, so
/// an upload buffers no more than that before it goes to disk.
const LOCAL_PART_SIZE: usize = STREAM_SEALED_CHUNK_LEN;
/// Multipart part size for remote stores: S3 refuses parts under 5 MiB
/// (except the last), so this much is buffered there per part.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
const REMOTE_PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts being written at once; bounds the memory an upload uses.
const PARTS_IN_FLIGHT: usize = 2;

/// Where files are stored: any `object_store` backend, holding sealed
/// streams only. Cheap to clone.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    part_size: usize,
}

/// Setting up a [`FileStore`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The local directory could not be created.
    #[error("cannot create the file directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store URL could not be understood. The URL itself is not repeated,
    /// as it may hold credentials.
    #[error("invalid file store URL: {0}")]
    InvalidUrl(String),
    /// The URL names a kind of store this build does not include.
    #[error("file store URLs with scheme {0:?} are not supported by this build (S3 needs the `s3` feature)")]
    UnsupportedScheme(String),
    /// The store refused its configuration.
    #[error("file store: {0}")]
    Store(#[from] object_store::Error),
}

/// An upload was refused or could not be stored. In every case nothing of it
/// remains in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PutError {
    /// The file is not acceptable. Its `Display` is a message for the person
    /// who uploaded it.
    #[error(transparent)]
    Rejected(#[from] FileRejection),
    /// The upload body failed (for example, the client went away).
    #[error("reading the upload failed: {0}")]
    Body(#[source] BoxError),
    /// Encryption failed.
    #[error("encrypting the upload failed: {0}")]
    Vault(#[from] VaultError),
    /// The store failed, or the path is not a valid object path.
    #[error("storing the upload failed: {0}")]
    Storage(#[from] object_store::Error),
}

/// A stored file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// There is no object at the path.
    #[error("the file does not exist")]
    NotFound,
    /// The object is not a sealed stream: wrong length, or fewer or more bytes
    /// than its size said.
    #[error("the stored file is damaged: {0}")]
    Malformed(&'static str),
    /// Decryption failed: a wrong key or AAD, or the object was changed.
    #[error("the stored file cannot be decrypted: {0}")]
    Vault(#[from] VaultError),
    /// The store failed, or the path is not a valid object path.
    #[error("reading the stored file failed: {0}")]
    Storage(object_store::Error),
}

impl From<object_store::Error> for OpenError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => OpenError::NotFound,
            other => OpenError::Storage(other),
        }
    }
}

/// What [`FileStore::put_sealed`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The type the content turned out to be.
    pub kind: FileKind,
    /// Size of the plaintext, in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the plaintext. Anyone with a candidate file can check it
    /// against this, so keep it as private as the file.
    pub sha256: [u8; 32],
}

impl StoredFile {
    /// [`sha256`](StoredFile::sha256) as 64 lower-case hex digits.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

impl FileStore {
    /// A store over any `object_store` backend. `part_size` is the multipart
    /// part size: an upload holds at most about three parts in memory (one
    /// filling, two being written), and the backend may impose a minimum
    /// (5 MiB for S3).
    pub fn new(store: Arc<dyn ObjectStore>, part_size: usize) -> FileStore {
        FileStore {
            store,
            // A zero part size would never fill a part.
            part_size: part_size.max(1),
        }
    }

    /// Files under the local directory `dir`, created if missing. Completed
    /// uploads are flushed to disk (fsync) before `put_sealed` returns, as a
    /// remote store would guarantee.
    ///
    /// # Errors
    /// [`SetupError::CreateDir`] if the directory cannot be created;
    /// [`SetupError::Store`] if it cannot be resolved.
    pub fn local(dir: &Path) -> Result<FileStore, SetupError> {
        std::fs::create_dir_all(dir).map_err(|source| SetupError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
        let store = LocalFileSystem::new_with_prefix(dir)?.with_fsync(true);
        Ok(FileStore::new(Arc::new(store), LOCAL_PART_SIZE))
    }

    /// Files in memory, lost when the process ends (tests and demos).
    pub fn memory() -> FileStore {
        FileStore::new(Arc::new(InMemory::new()), LOCAL_PART_SIZE)
    }

    /// A store from a URL: `file:///absolute/dir` (as [`FileStore::local`]),
    /// `memory:///`, or with the `s3` feature `s3://bucket/optional/prefix`,
    /// configured by `options` (`object_store`'s S3 keys such as
    /// `aws_region`, `aws_endpoint`; credentials are best left to the
    /// environment). Paths given to this store are under the URL's path.
    ///
    /// # Errors
    /// [`SetupError::InvalidUrl`], [`SetupError::UnsupportedScheme`] for other
    /// stores (or S3 without the feature), and the errors of [`FileStore::local`].
    pub fn from_url<I, K, V>(url: &str, options: I) -> Result<FileStore, SetupError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let url = url::Url::parse(url).map_err(|e| SetupError::InvalidUrl(e.to_string()))?;
        let (scheme, _) =
            ObjectStoreScheme::parse(&url).map_err(|_| SetupError::UnsupportedScheme(url.scheme().to_owned()))?;
        match scheme {
            ObjectStoreScheme::Local => {
                let dir = url
                    .to_file_path()
                    .map_err(|()| SetupError::InvalidUrl("a file: URL must name an absolute local directory".into()))?;
                FileStore::local(&dir)
            }
            ObjectStoreScheme::Memory => Ok(FileStore::memory()),
            #[cfg(feature = "s3")]
            ObjectStoreScheme::AmazonS3 => {
                let (store, prefix) = object_store::parse_url_opts(&url, options)?;
                let store: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
                    Arc::from(store)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
                };
                Ok(FileStore::new(store, REMOTE_PART_SIZE))
            }
            _ => {
                // Options only matter to remote stores.
                drop(options);
                Err(SetupError::UnsupportedScheme(url.scheme().to_owned()))
            }
        }
    }

    /// The underlying store, e.g. to list objects. It holds sealed streams
    /// only.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Checks, encrypts and stores an upload at `path` (a `/`-separated
    /// object key such as `credentials/<id>`; `..` and empty segments are
    /// refused). Each chunk of `body` is inspected, hashed and sealed as it
    /// arrives, re-cut to 64 KiB plaintext chunks, and written through a
    /// multipart upload; the body is read no further once it is refused.
    ///
    /// `aad` should name the file (e.g. `"file:<record id>"`) so that an
    /// object copied to another path does not open there. The object appears
    /// at `path` only when the whole upload succeeded (replacing any object
    /// already there, so use fresh paths). On any error the upload is
    /// aborted and nothing remains; if the future is dropped midway, the
    /// local store removes its staging file too, while S3 needs a bucket
    /// lifecycle rule to expire incomplete multipart uploads.
    ///
    /// Needs a Tokio runtime: parts are written by spawned tasks.
    ///
    /// # Errors
    /// [`PutError::Rejected`] with a message for the person uploading;
    /// otherwise [`PutError::Body`], [`PutError::Vault`] or [`PutError::Storage`].
    pub async fn put_sealed<S, E>(
        &self,
        path: &str,
        key: &DataKey,
        aad: &[u8],
        body: S,
        limit_bytes: u64,
    ) -> Result<StoredFile, PutError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: Into<BoxError>,
    {
        let location = object_path(path)?;
        let (sealer, header) = StreamSealer::new(key, aad)?;
        let upload = self.store.put_multipart(&location).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        writer.put(Bytes::from(header));
        match write_sealed(&mut writer, sealer, body, limit_bytes).await {
            // `finish` aborts the upload itself if completing fails.
            Ok(stored) => writer.finish().await.map(|_| stored).map_err(PutError::from),
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    // The upload's own error is what the caller needs; this
                    // one is for the operator, as a part may have been left.
                    tracing::warn!(path, error = %abort, "aborting a failed upload failed");
                }
                Err(e)
            }
        }
    }

    /// Opens a file stored by [`put_sealed`](FileStore::put_sealed) with the
    /// same key and `aad`, as a stream of decrypted chunks.
    ///
    /// The header and the first chunk are read and authenticated before this
    /// returns, so a missing file, a wrong key or `aad`, or a damaged start is
    /// an error here, before any response has begun. A later chunk that fails
    /// ends the stream with an error (the caller must then abandon what it
    /// sent). The stream yields its last chunk only after checking that the
    /// object ends there.
    ///
    /// # Errors
    /// [`OpenError::NotFound`], [`OpenError::Malformed`], [`OpenError::Vault`]
    /// (decryption failed) or [`OpenError::Storage`].
    pub async fn open_sealed(&self, path: &str, key: &DataKey, aad: &[u8]) -> Result<OpenedFile, OpenError> {
        let location = object_path(path)?;
        let result = self.store.get(&location).await?;
        let sealed_len = result.meta.size;
        let size_bytes =
            stream_plaintext_len(sealed_len).ok_or(OpenError::Malformed("its length is not a sealed file's"))?;
        let mut framer = Framer {
            inner: result.into_stream(),
            carry: Bytes::new(),
            remaining: sealed_len,
        };
        let header = framer.read_exact(STREAM_HEADER_LEN).await?;
        let mut reader = SealedReader {
            opener: StreamOpener::new(key, aad, &header)?,
            framer,
        };
        let first = reader.next_chunk().await?;
        let rest = stream::try_unfold(reader, |mut reader| async move {
            Ok(reader.next_chunk().await?.map(|chunk| (chunk, reader)))
        });
        Ok(OpenedFile {
            size_bytes,
            chunks: stream::iter(first.map(Ok)).chain(rest).boxed(),
        })
    }

    /// Deletes the object at `path`. Deleting a missing object succeeds, so a
    /// retried deletion does not fail.
    ///
    /// # Errors
    /// The store's error, or an invalid path.
    pub async fn delete(&self, path: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&object_path(path)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("store", &format_args!("{}", self.store))
            .field("part_size", &self.part_size)
            .finish()
    }
}

fn object_path(path: &str) -> Result<ObjectPath, object_store::Error> {
    ObjectPath::parse(path).map_err(|source| object_store::Error::InvalidPath { source })
}

/// The body of `put_sealed`: inspect, hash, re-chunk, seal, write. Returns
/// before the last write is completed; the caller finishes or aborts.
async fn write_sealed<S, E>(
    writer: &mut WriteMultipart,
    mut sealer: StreamSealer,
    body: S,
    limit_bytes: u64,
) -> Result<StoredFile, PutError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    let mut body = pin!(body);
    let mut inspector = Inspector::new(limit_bytes);
    let mut hasher = Sha256::new();
    // One plaintext chunk, wiped when dropped. A full chunk is sealed only
    // once more data arrives, because only then is it known not to be last.
    let mut pending = Zeroizing::new(Vec::with_capacity(STREAM_CHUNK_LEN));
    while let Some(frame) = body.next().await {
        let frame = frame.map_err(|e| PutError::Body(e.into()))?;
        inspector.update(&frame)?;
        hasher.update(&frame);
        let mut rest: &[u8] = &frame;
        while !rest.is_empty() {
            if pending.len() == STREAM_CHUNK_LEN {
                let sealed = sealer.seal_chunk(&pending, false)?;
                pending.clear();
                // Back-pressure: wait for earlier parts before buffering more.
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.put(Bytes::from(sealed));
            }
            let take = (STREAM_CHUNK_LEN - pending.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            pending.extend_from_slice(now);
            rest = later;
        }
    }
    // Refuse before the last chunk is written, so a rejected file is never
    // completed.
    let size_bytes = inspector.bytes_seen();
    let kind = inspector.finish()?;
    let sealed = sealer.seal_chunk(&pending, true)?;
    writer.put(Bytes::from(sealed));
    Ok(StoredFile {
        kind,
        size_bytes,
        sha256: hasher.finalize().into(),
    })
}

/// Cuts a stored object's byte stream into pieces of exact lengths, and
/// notices when it is shorter or longer than its recorded size.
struct Framer {
    inner: BoxStream<'static, object_store::Result<Bytes>>,
    /// Bytes received but not yet handed out.
    carry: Bytes,
    /// Bytes of the object not yet handed out, going by its size.
    remaining: u64,
}

impl Framer {
    /// The next `n` bytes of the object; `n` is at most one sealed chunk.
    async fn read_exact(&mut self, n: usize) -> Result<Bytes, OpenError> {
        let too_short = || OpenError::Malformed("it is shorter than its recorded size");
        let wanted = u64::try_from(n).map_err(|_| too_short())?;
        self.remaining = self.remaining.checked_sub(wanted).ok_or_else(too_short)?;
        if self.carry.len() >= n {
            return Ok(self.carry.split_to(n));
        }
        let mut buf = BytesMut::with_capacity(n);
        loop {
            let missing = n - buf.len();
            if self.carry.len() >= missing {
                buf.extend_from_slice(&self.carry.split_to(missing));
                return Ok(buf.freeze());
            }
            buf.extend_from_slice(&self.carry);
            self.carry = self.inner.next().await.ok_or_else(too_short)??;
        }
    }

    /// Checks that the object has no bytes left.
    async fn expect_end(&mut self) -> Result<(), OpenError> {
        let too_long = || OpenError::Malformed("it is longer than its recorded size");
        if !self.carry.is_empty() {
            return Err(too_long());
        }
        while let Some(frame) = self.inner.next().await {
            if !frame?.is_empty() {
                return Err(too_long());
            }
        }
        Ok(())
    }
}

/// Frames and opens sealed chunks one at a time.
struct SealedReader {
    framer: Framer,
    opener: StreamOpener,
}

impl SealedReader {
    /// The next decrypted chunk, or `None` after the last.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, OpenError> {
        if self.opener.is_finished() {
            return Ok(None);
        }
        let sealed_chunk = STREAM_SEALED_CHUNK_LEN as u64;
        let last = self.framer.remaining <= sealed_chunk;
        let len = usize::try_from(self.framer.remaining.min(sealed_chunk)).unwrap_or(STREAM_SEALED_CHUNK_LEN);
        let sealed = self.framer.read_exact(len).await?;
        let mut plain = self.opener.open_chunk(&sealed, last)?;
        if last {
            self.framer.expect_end().await?;
        }
        // Handed on without copying. `Bytes` is not wiped when dropped: from
        // here the plaintext is the caller's to send and let go.
        Ok(Some(Bytes::from(std::mem::take(&mut *plain))))
    }
}

/// A stored file being read: a stream of decrypted chunks (at most 64 KiB
/// each) that also knows the file's size, e.g. for `Content-Length`.
pub struct OpenedFile {
    size_bytes: u64,
    chunks: BoxStream<'static, Result<Bytes, OpenError>>,
}

impl OpenedFile {
    /// Size of the decrypted file, in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }
}

impl Stream for OpenedFile {
    type Item = Result<Bytes, OpenError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for OpenedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedFile")
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}
