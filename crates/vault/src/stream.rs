//! Chunked streaming encryption for large values such as uploaded files.
//!
//! [`DataKey::seal`] needs the whole plaintext in memory; a sealed stream is
//! encrypted and decrypted one 64 KiB chunk at a time instead. The design is
//! the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, 2015) over
//! XChaCha20-Poly1305: every chunk is its own AEAD message, and its nonce
//! carries the chunk's position and whether it is the last one.
//!
//! Stream layout, version 1:
//!
//! ```text
//! +---------+----------------+---------------+---------------+-----+----------------+
//! | version | nonce prefix   | sealed chunk 0| sealed chunk 1| ... | sealed chunk n |
//! | 1 byte  | 19 bytes       | 65 552 bytes  | 65 552 bytes  |     | 16..=65 552    |
//! | = 0x01  | random/stream  |               |               |     | (the last one) |
//! +---------+----------------+---------------+---------------+-----+----------------+
//!  \______ header: 20 bytes ______/
//!
//! sealed chunk = ciphertext (len(plaintext chunk) bytes) || Poly1305 tag (16 bytes)
//! nonce of chunk i (24 bytes) = nonce prefix (19) || i as u32 big-endian (4) || last (1)
//!                               last = 0x01 for the final chunk, 0x00 for every other
//! associated data of every chunk = header (20 bytes) || caller's AAD
//! ```
//!
//! Every chunk but the last holds exactly [`STREAM_CHUNK_LEN`] bytes of
//! plaintext; the last holds 0 to [`STREAM_CHUNK_LEN`] bytes, and there is
//! always one (an empty stream is a single empty last chunk). So a reader can
//! cut a stored stream into chunks by length alone, and the total length
//! tells which chunk is the last (see [`stream_plaintext_len`]).
//!
//! Why each part is there:
//! - The random prefix makes every stream's nonces distinct under one key
//!   (152 random bits: no realistic chance of a repeat), so one data key can
//!   seal any number of files with no counter kept anywhere.
//! - The counter in the nonce makes reordered, duplicated or removed chunks
//!   fail to authenticate.
//! - The last flag in the nonce makes a stream cut at a chunk boundary fail:
//!   the chunk that ends a truncated stream was sealed as "not last". Appended
//!   chunks fail too, since nothing may follow a chunk sealed as last.
//! - The header in the associated data authenticates the version byte, so a
//!   future format cannot be confused with this one; the caller's AAD binds
//!   the stream to what it is (e.g. `"file:<record id>"`), as for sealed
//!   values.
//!
//! Streams have their own version space, separate from sealed values
//! ([`crate::DataKey::seal`]); the two are never stored in the same place.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{Key, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

use crate::{DataKey, VaultError};

/// Version byte of the only stream format this build reads and writes.
const STREAM_VERSION: u8 = 1;
const PREFIX_LEN: usize = 19;
const NONCE_LEN: usize = 24;
/// Length of the stream header: the version byte and the nonce prefix.
pub const STREAM_HEADER_LEN: usize = 1 + PREFIX_LEN;
/// Bytes each sealed chunk has on top of its plaintext (the Poly1305 tag).
pub const STREAM_TAG_LEN: usize = 16;
/// Plaintext bytes in every chunk but the last (64 KiB). The last chunk holds
/// at most this many.
pub const STREAM_CHUNK_LEN: usize = 64 * 1024;
/// Length of every sealed chunk but the last: a full chunk and its tag.
pub const STREAM_SEALED_CHUNK_LEN: usize = STREAM_CHUNK_LEN + STREAM_TAG_LEN;

/// Where a sealer or opener is in its stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Chunks may still come.
    Open,
    /// The last chunk has been sealed or opened.
    Done,
    /// A call failed; the stream is abandoned, so nothing more is accepted.
    Failed,
}

/// Shared by sealer and opener: the cipher, the nonce prefix, the chunk
/// counter and the associated data, which is the same for every chunk.
struct Chunker {
    cipher: XChaCha20Poly1305,
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    associated_data: Vec<u8>,
    state: State,
}

impl Chunker {
    fn new(key: &DataKey, header: &[u8; STREAM_HEADER_LEN], aad: &[u8]) -> Chunker {
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&header[1..]);
        let mut associated_data = Vec::with_capacity(STREAM_HEADER_LEN.saturating_add(aad.len()));
        associated_data.extend_from_slice(header);
        associated_data.extend_from_slice(aad);
        Chunker {
            // The cipher keeps its own copy of the key and wipes it on drop.
            cipher: XChaCha20Poly1305::new(<&Key>::from(key.bytes())),
            prefix,
            counter: 0,
            associated_data,
            state: State::Open,
        }
    }

    /// Refuses calls once the stream is finished or has failed, and refuses a
    /// non-final chunk when the counter could not number the one after it.
    fn check_can_take(&self, last: bool) -> Result<(), VaultError> {
        match self.state {
            State::Open => {}
            State::Done => return Err(VaultError::Stream("no chunk may follow the last chunk")),
            State::Failed => return Err(VaultError::Stream("an earlier chunk failed")),
        }
        if !last && self.counter == u32::MAX {
            return Err(VaultError::Stream("too many chunks (the limit is 2^32)"));
        }
        Ok(())
    }

    fn nonce(&self, last: bool) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..PREFIX_LEN].copy_from_slice(&self.prefix);
        nonce[PREFIX_LEN..NONCE_LEN - 1].copy_from_slice(&self.counter.to_be_bytes());
        nonce[NONCE_LEN - 1] = u8::from(last);
        nonce
    }

    /// Moves on after a chunk succeeded. `check_can_take` has made sure the
    /// counter cannot overflow here.
    fn advance(&mut self, last: bool) {
        if last {
            self.state = State::Done;
        } else {
            self.counter = self.counter.saturating_add(1);
        }
    }
}

/// Encrypts a stream chunk by chunk. See the module docs for the format.
///
/// Created with [`StreamSealer::new`], which also returns the header to store
/// in front of the sealed chunks. Every chunk but the last must hold exactly
/// [`STREAM_CHUNK_LEN`] bytes; the last one may hold fewer (even none), and
/// must be marked `last`, or the stream will not open.
pub struct StreamSealer {
    chunker: Chunker,
}

impl StreamSealer {
    /// Starts a stream sealed under `key` and bound to `aad`, which must be
    /// passed again to [`StreamOpener::new`]. Returns the sealer and the
    /// [`STREAM_HEADER_LEN`]-byte header, which goes first in the output.
    ///
    /// # Errors
    /// [`VaultError::Random`] if no nonce prefix can be drawn.
    pub fn new(key: &DataKey, aad: &[u8]) -> Result<(StreamSealer, Vec<u8>), VaultError> {
        let mut header = [0u8; STREAM_HEADER_LEN];
        header[0] = STREAM_VERSION;
        getrandom::fill(&mut header[1..])?;
        let sealer = StreamSealer {
            chunker: Chunker::new(key, &header, aad),
        };
        Ok((sealer, header.to_vec()))
    }

    /// Encrypts the next chunk. The result is `plaintext.len()` +
    /// [`STREAM_TAG_LEN`] bytes long and follows the previous chunk in the
    /// output.
    ///
    /// # Errors
    /// [`VaultError::Stream`] if a chunk that is not `last` is not exactly
    /// [`STREAM_CHUNK_LEN`] bytes, if a last chunk is longer, if the last
    /// chunk was already sealed, or after an earlier failure;
    /// [`VaultError::Encrypt`] if the cipher refuses.
    pub fn seal_chunk(&mut self, plaintext: &[u8], last: bool) -> Result<Vec<u8>, VaultError> {
        self.chunker.check_can_take(last)?;
        if !last && plaintext.len() != STREAM_CHUNK_LEN {
            // Readers frame chunks by length, so a short chunk in the middle
            // would make the stream unreadable.
            return Err(VaultError::Stream("every chunk but the last must hold exactly 64 KiB"));
        }
        if plaintext.len() > STREAM_CHUNK_LEN {
            return Err(VaultError::Stream("a chunk may hold at most 64 KiB"));
        }
        let nonce = self.chunker.nonce(last);

        // Encrypt in place inside the output buffer, sized exactly so it never
        // reallocates and leaves a stray copy of the plaintext behind.
        let mut out = Vec::with_capacity(plaintext.len().saturating_add(STREAM_TAG_LEN));
        out.extend_from_slice(plaintext);
        let result = self.chunker.cipher.encrypt_inout_detached(
            <&XNonce>::from(&nonce),
            &self.chunker.associated_data,
            out.as_mut_slice().into(),
        );
        match result {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                self.chunker.advance(last);
                Ok(out)
            }
            Err(_) => {
                // The buffer may still hold plaintext.
                out.zeroize();
                self.chunker.state = State::Failed;
                Err(VaultError::Encrypt)
            }
        }
    }

    /// True once the last chunk has been sealed.
    pub fn is_finished(&self) -> bool {
        self.chunker.state == State::Done
    }
}

impl fmt::Debug for StreamSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSealer")
            .field("next_chunk", &self.chunker.counter)
            .finish_non_exhaustive()
    }
}

/// Decrypts a stream made by [`StreamSealer`], chunk by chunk.
///
/// The caller frames the chunks: every one but the last is
/// [`STREAM_SEALED_CHUNK_LEN`] bytes, and it must say which one is the last,
/// which it knows from the total length (see [`stream_plaintext_len`]). A
/// stream whose input ends before [`is_finished`](StreamOpener::is_finished)
/// is true was truncated. After any failure the opener refuses everything.
pub struct StreamOpener {
    chunker: Chunker,
}

impl StreamOpener {
    /// Starts opening a stream with its `header` (the first
    /// [`STREAM_HEADER_LEN`] bytes), the key and the `aad` it was sealed with.
    /// A wrong key or `aad` is only noticed by [`open_chunk`](StreamOpener::open_chunk).
    ///
    /// # Errors
    /// [`VaultError::Malformed`] if `header` has the wrong length;
    /// [`VaultError::UnsupportedVersion`] for an unknown version byte.
    pub fn new(key: &DataKey, aad: &[u8], header: &[u8]) -> Result<StreamOpener, VaultError> {
        let header: &[u8; STREAM_HEADER_LEN] = header
            .try_into()
            .map_err(|_| VaultError::Malformed("a stream header is 20 bytes"))?;
        if header[0] != STREAM_VERSION {
            return Err(VaultError::UnsupportedVersion(header[0]));
        }
        Ok(StreamOpener {
            chunker: Chunker::new(key, header, aad),
        })
    }

    /// Decrypts the next sealed chunk; `last` says whether it ends the stream.
    /// The plaintext is wiped from memory when dropped.
    ///
    /// # Errors
    /// [`VaultError::Malformed`] if a chunk that is not `last` is not exactly
    /// [`STREAM_SEALED_CHUNK_LEN`] bytes, or a last chunk is shorter than a tag
    /// or longer than a full chunk; [`VaultError::Decrypt`] for a wrong key or
    /// `aad`, a changed, moved, missing or extra chunk, or a wrong `last`;
    /// [`VaultError::Stream`] after the last chunk or an earlier failure.
    pub fn open_chunk(&mut self, sealed: &[u8], last: bool) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.chunker.check_can_take(last)?;
        let length_ok = if last {
            (STREAM_TAG_LEN..=STREAM_SEALED_CHUNK_LEN).contains(&sealed.len())
        } else {
            sealed.len() == STREAM_SEALED_CHUNK_LEN
        };
        if !length_ok {
            self.chunker.state = State::Failed;
            return Err(VaultError::Malformed("a sealed chunk has the wrong length"));
        }
        let malformed = || VaultError::Malformed("bad length");
        let (ciphertext, tag) = sealed
            .split_at_checked(sealed.len() - STREAM_TAG_LEN)
            .ok_or_else(malformed)?;
        let tag = <&Tag>::try_from(tag).map_err(|_| malformed())?;
        let nonce = self.chunker.nonce(last);

        // Zeroizing from the start: after decryption this buffer is plaintext,
        // and on failure nothing of it must linger either.
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let result = self.chunker.cipher.decrypt_inout_detached(
            <&XNonce>::from(&nonce),
            &self.chunker.associated_data,
            buf.as_mut_slice().into(),
            tag,
        );
        if result.is_err() {
            self.chunker.state = State::Failed;
            return Err(VaultError::Decrypt);
        }
        self.chunker.advance(last);
        Ok(buf)
    }

    /// True once the last chunk has been opened: the whole stream was read
    /// and authenticated.
    pub fn is_finished(&self) -> bool {
        self.chunker.state == State::Done
    }
}

impl fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamOpener")
            .field("next_chunk", &self.chunker.counter)
            .finish_non_exhaustive()
    }
}

/// Length of the sealed stream (header included) for `plaintext_len` bytes,
/// or `None` if that does not fit in a `u64`.
pub fn sealed_stream_len(plaintext_len: u64) -> Option<u64> {
    const CHUNK: u64 = STREAM_CHUNK_LEN as u64;
    // An empty stream still has its one (empty) last chunk.
    let chunks = plaintext_len.div_ceil(CHUNK).max(1);
    chunks
        .checked_mul(STREAM_TAG_LEN as u64)?
        .checked_add(plaintext_len)?
        .checked_add(STREAM_HEADER_LEN as u64)
}

/// The plaintext length of a sealed stream that is `sealed_len` bytes long
/// (header included), or `None` if no stream has that length.
///
/// Because every chunk but the last is full, the length alone fixes where
/// each chunk starts: chunk `i` is at `STREAM_HEADER_LEN + i *
/// STREAM_SEALED_CHUNK_LEN`, and the one that reaches the end is the last.
pub fn stream_plaintext_len(sealed_len: u64) -> Option<u64> {
    const SEALED_CHUNK: u64 = STREAM_SEALED_CHUNK_LEN as u64;
    const TAG: u64 = STREAM_TAG_LEN as u64;
    let body = sealed_len.checked_sub(STREAM_HEADER_LEN as u64)?;
    let chunks = body.div_ceil(SEALED_CHUNK);
    let last = body.checked_sub(chunks.checked_sub(1)?.checked_mul(SEALED_CHUNK)?)?;
    if last < TAG {
        return None;
    }
    body.checked_sub(chunks.checked_mul(TAG)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn lengths_agree_with_each_other() {
        let chunk = STREAM_CHUNK_LEN as u64;
        for plain in [0, 1, 15, 16, 17, chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 5] {
            let sealed = sealed_stream_len(plain).unwrap();
            assert_eq!(stream_plaintext_len(sealed), Some(plain), "plaintext {plain}");
        }
        // Too short for a header and a tag, or a last chunk shorter than a tag.
        for sealed in [0, 19, 20, 35] {
            assert_eq!(stream_plaintext_len(sealed), None, "sealed {sealed}");
        }
        let after_one_chunk = (STREAM_HEADER_LEN + STREAM_SEALED_CHUNK_LEN) as u64;
        for extra in 1..16 {
            assert_eq!(stream_plaintext_len(after_one_chunk + extra), None);
        }
        assert_eq!(stream_plaintext_len(after_one_chunk + 16), Some(chunk));
        assert_eq!(sealed_stream_len(u64::MAX), None);
    }

    #[test]
    fn nonce_carries_counter_and_flag() {
        let key = DataKey::generate().unwrap();
        let (mut sealer, header) = StreamSealer::new(&key, b"a").unwrap();
        sealer.chunker.counter = 0x0102_0304;
        let nonce = sealer.chunker.nonce(true);
        assert_eq!(&nonce[..PREFIX_LEN], &header[1..]);
        assert_eq!(&nonce[PREFIX_LEN..], &[1, 2, 3, 4, 1]);
        assert_eq!(sealer.chunker.nonce(false)[NONCE_LEN - 1], 0);
    }

    #[test]
    fn counter_exhaustion_is_refused() {
        let key = DataKey::generate().unwrap();
        let (mut sealer, _) = StreamSealer::new(&key, b"a").unwrap();
        sealer.chunker.counter = u32::MAX;
        let full = vec![0u8; STREAM_CHUNK_LEN];
        assert!(matches!(sealer.seal_chunk(&full, false), Err(VaultError::Stream(_))));
        // The last chunk may still take the final counter value.
        assert!(sealer.seal_chunk(b"end", true).is_ok());
    }
}
