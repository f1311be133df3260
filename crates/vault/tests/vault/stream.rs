//! The streaming format through the public API: round trips at the chunk
//! boundaries, property tests, and every kind of tampering a stored stream
//! can suffer (changed bytes, dropped, swapped or added chunks, a wrong
//! context or key, a cut header).

use proptest::prelude::*;
use vault::{
    DataKey, STREAM_CHUNK_LEN, STREAM_HEADER_LEN, STREAM_SEALED_CHUNK_LEN, STREAM_TAG_LEN, StreamOpener, StreamSealer,
    VaultError, sealed_stream_len, stream_plaintext_len,
};

const AAD: &[u8] = b"file:transcript:7";

/// A sealed stream kept as its header and its sealed chunks, so tests can
/// tamper with single chunks.
struct Sealed {
    header: Vec<u8>,
    chunks: Vec<Vec<u8>>,
}

impl Sealed {
    fn total_len(&self) -> usize {
        self.header.len() + self.chunks.iter().map(Vec::len).sum::<usize>()
    }
}

/// Seals `plaintext` the way a writer does: full chunks, then one last chunk.
fn seal(key: &DataKey, aad: &[u8], plaintext: &[u8]) -> Sealed {
    let (mut sealer, header) = StreamSealer::new(key, aad).unwrap();
    let mut chunks = Vec::new();
    let mut rest = plaintext;
    while rest.len() > STREAM_CHUNK_LEN {
        let (chunk, tail) = rest.split_at(STREAM_CHUNK_LEN);
        chunks.push(sealer.seal_chunk(chunk, false).unwrap());
        rest = tail;
    }
    chunks.push(sealer.seal_chunk(rest, true).unwrap());
    assert!(sealer.is_finished());
    Sealed { header, chunks }
}

/// Opens chunks in the given order, marking the final one as last, the way a
/// reader that frames by length does.
fn open(key: &DataKey, aad: &[u8], header: &[u8], chunks: &[Vec<u8>]) -> Result<Vec<u8>, VaultError> {
    let mut opener = StreamOpener::new(key, aad, header)?;
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let plain = opener.open_chunk(chunk, i + 1 == chunks.len())?;
        out.extend_from_slice(&plain);
    }
    assert!(opener.is_finished() || chunks.is_empty());
    Ok(out)
}

/// Deterministic, non-repeating test data.
fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

#[test]
fn round_trips_at_chunk_boundaries() {
    let key = DataKey::generate().unwrap();
    let sizes = [
        0,
        1,
        STREAM_CHUNK_LEN - 1,
        STREAM_CHUNK_LEN,
        STREAM_CHUNK_LEN + 1,
        3 * STREAM_CHUNK_LEN,
        2 * STREAM_CHUNK_LEN + 12_345,
    ];
    for size in sizes {
        let plaintext = data(size);
        let sealed = seal(&key, AAD, &plaintext);
        assert_eq!(sealed.header.len(), STREAM_HEADER_LEN);
        assert_eq!(sealed.header[0], 1, "version byte");
        assert_eq!(
            sealed.chunks.len(),
            size.div_ceil(STREAM_CHUNK_LEN).max(1),
            "size {size}"
        );
        for chunk in &sealed.chunks[..sealed.chunks.len() - 1] {
            assert_eq!(chunk.len(), STREAM_SEALED_CHUNK_LEN);
        }
        let total = sealed.total_len() as u64;
        assert_eq!(sealed_stream_len(size as u64), Some(total));
        assert_eq!(stream_plaintext_len(total), Some(size as u64));
        assert_eq!(
            open(&key, AAD, &sealed.header, &sealed.chunks).unwrap(),
            plaintext,
            "size {size}"
        );
    }
}

#[test]
fn ciphertext_hides_the_plaintext_and_differs_per_stream() {
    let key = DataKey::generate().unwrap();
    let plaintext = b"licence number 123456 ".repeat(100);
    let a = seal(&key, AAD, &plaintext);
    let b = seal(&key, AAD, &plaintext);
    assert!(!a.chunks[0].windows(22).any(|w| w == b"licence number 123456 "));
    assert_ne!(a.header, b.header, "nonce prefix reused");
    assert_ne!(a.chunks, b.chunks);
}

#[test]
fn every_flipped_byte_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(STREAM_CHUNK_LEN + 40));
    // Header bytes: the version byte is reported as such, the prefix breaks
    // the first chunk.
    for i in 0..STREAM_HEADER_LEN {
        let mut header = sealed.header.clone();
        header[i] ^= 0x01;
        let err = open(&key, AAD, &header, &sealed.chunks).unwrap_err();
        if i == 0 {
            assert!(matches!(err, VaultError::UnsupportedVersion(0)), "{err}");
        } else {
            assert!(matches!(err, VaultError::Decrypt), "header byte {i}: {err}");
        }
    }
    // A sample of chunk bytes, including both tags and the chunk edges.
    for (c, chunk) in sealed.chunks.iter().enumerate() {
        let middle = chunk.len() / 2;
        for i in [
            0,
            1,
            middle,
            chunk.len() - STREAM_TAG_LEN - 1,
            chunk.len() - STREAM_TAG_LEN,
            chunk.len() - 1,
        ] {
            let mut chunks = sealed.chunks.clone();
            chunks[c][i] ^= 0x80;
            let err = open(&key, AAD, &sealed.header, &chunks).unwrap_err();
            assert!(matches!(err, VaultError::Decrypt), "chunk {c} byte {i}: {err}");
        }
    }
}

#[test]
fn dropping_the_last_chunk_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(3 * STREAM_CHUNK_LEN));
    assert_eq!(sealed.chunks.len(), 3);
    // The stream now ends on a chunk sealed as "not last".
    let cut = &sealed.chunks[..2];
    assert!(matches!(open(&key, AAD, &sealed.header, cut), Err(VaultError::Decrypt)));
    // Cut to the header alone: a reader opening nothing never finishes.
    let opener = StreamOpener::new(&key, AAD, &sealed.header).unwrap();
    assert!(!opener.is_finished());
}

#[test]
fn dropping_a_middle_chunk_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(3 * STREAM_CHUNK_LEN));
    let chunks = vec![sealed.chunks[0].clone(), sealed.chunks[2].clone()];
    assert!(matches!(
        open(&key, AAD, &sealed.header, &chunks),
        Err(VaultError::Decrypt)
    ));
}

#[test]
fn swapping_or_repeating_chunks_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(3 * STREAM_CHUNK_LEN));
    let c = &sealed.chunks;
    let swapped = vec![c[1].clone(), c[0].clone(), c[2].clone()];
    let repeated = vec![c[0].clone(), c[0].clone(), c[2].clone()];
    for chunks in [swapped, repeated] {
        assert!(matches!(
            open(&key, AAD, &sealed.header, &chunks),
            Err(VaultError::Decrypt)
        ));
    }
}

#[test]
fn chunks_from_another_stream_fail() {
    let key = DataKey::generate().unwrap();
    let plaintext = data(2 * STREAM_CHUNK_LEN);
    let a = seal(&key, AAD, &plaintext);
    let b = seal(&key, AAD, &plaintext);
    let mixed = vec![a.chunks[0].clone(), b.chunks[1].clone()];
    assert!(matches!(open(&key, AAD, &a.header, &mixed), Err(VaultError::Decrypt)));
}

#[test]
fn appending_after_the_last_chunk_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, b"short");
    let mut opener = StreamOpener::new(&key, AAD, &sealed.header).unwrap();
    assert_eq!(opener.open_chunk(&sealed.chunks[0], true).unwrap().as_slice(), b"short");
    assert!(opener.is_finished());
    assert!(matches!(
        opener.open_chunk(&sealed.chunks[0], true),
        Err(VaultError::Stream(_))
    ));
}

#[test]
fn a_wrong_last_flag_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(2 * STREAM_CHUNK_LEN));
    // The first chunk claimed as last: right length, wrong nonce.
    let mut opener = StreamOpener::new(&key, AAD, &sealed.header).unwrap();
    assert!(matches!(
        opener.open_chunk(&sealed.chunks[0], true),
        Err(VaultError::Decrypt)
    ));
    // After a failure the opener refuses even the right input.
    assert!(matches!(
        opener.open_chunk(&sealed.chunks[0], false),
        Err(VaultError::Stream(_))
    ));
}

#[test]
fn wrong_aad_fails() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(100));
    for aad in [&b"file:transcript:8"[..], b"", b"file:transcript:7 "] {
        assert!(matches!(
            open(&key, aad, &sealed.header, &sealed.chunks),
            Err(VaultError::Decrypt)
        ));
    }
}

#[test]
fn wrong_key_fails() {
    let sealed = seal(&DataKey::generate().unwrap(), AAD, &data(100));
    let other = DataKey::generate().unwrap();
    assert!(matches!(
        open(&other, AAD, &sealed.header, &sealed.chunks),
        Err(VaultError::Decrypt)
    ));
}

#[test]
fn truncated_or_long_header_is_malformed() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, b"x");
    for len in 0..STREAM_HEADER_LEN {
        let err = StreamOpener::new(&key, AAD, &sealed.header[..len]).unwrap_err();
        assert!(matches!(err, VaultError::Malformed(_)), "length {len}: {err}");
    }
    let mut long = sealed.header.clone();
    long.push(0);
    assert!(matches!(
        StreamOpener::new(&key, AAD, &long),
        Err(VaultError::Malformed(_))
    ));
}

#[test]
fn chunk_lengths_are_checked() {
    let key = DataKey::generate().unwrap();
    let sealed = seal(&key, AAD, &data(2 * STREAM_CHUNK_LEN));
    let mut opener = StreamOpener::new(&key, AAD, &sealed.header).unwrap();
    // A middle chunk must be exactly full size.
    let err = opener
        .open_chunk(&sealed.chunks[0][..STREAM_SEALED_CHUNK_LEN - 1], false)
        .unwrap_err();
    assert!(matches!(err, VaultError::Malformed(_)), "{err}");

    // A last chunk must hold at least a tag.
    let sealed = seal(&key, AAD, b"");
    assert_eq!(sealed.chunks[0].len(), STREAM_TAG_LEN);
    let mut opener = StreamOpener::new(&key, AAD, &sealed.header).unwrap();
    let err = opener
        .open_chunk(&sealed.chunks[0][..STREAM_TAG_LEN - 1], true)
        .unwrap_err();
    assert!(matches!(err, VaultError::Malformed(_)), "{err}");
}

#[test]
fn sealer_refuses_misuse() {
    let key = DataKey::generate().unwrap();
    let (mut sealer, _) = StreamSealer::new(&key, AAD).unwrap();
    // A short chunk that is not last would break framing by length.
    assert!(matches!(sealer.seal_chunk(b"short", false), Err(VaultError::Stream(_))));
    let (mut sealer, _) = StreamSealer::new(&key, AAD).unwrap();
    let too_long = vec![0u8; STREAM_CHUNK_LEN + 1];
    assert!(matches!(sealer.seal_chunk(&too_long, true), Err(VaultError::Stream(_))));
    assert!(matches!(
        sealer.seal_chunk(&too_long, false),
        Err(VaultError::Stream(_))
    ));
    sealer.seal_chunk(b"end", true).unwrap();
    assert!(matches!(sealer.seal_chunk(b"more", true), Err(VaultError::Stream(_))));
}

#[test]
fn debug_shows_no_key_material() {
    let key = DataKey::generate().unwrap();
    let (sealer, header) = StreamSealer::new(&key, AAD).unwrap();
    let opener = StreamOpener::new(&key, AAD, &header).unwrap();
    assert_eq!(format!("{sealer:?}"), "StreamSealer { next_chunk: 0, .. }");
    assert_eq!(format!("{opener:?}"), "StreamOpener { next_chunk: 0, .. }");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn prop_round_trip(
        // Up to a little over three chunks, so multi-chunk streams are common.
        len in 0usize..(3 * STREAM_CHUNK_LEN + 100),
        seed in any::<u8>(),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let key = DataKey::generate().unwrap();
        let plaintext: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed)).collect();
        let sealed = seal(&key, &aad, &plaintext);
        prop_assert_eq!(sealed.total_len() as u64, sealed_stream_len(len as u64).unwrap());
        prop_assert_eq!(open(&key, &aad, &sealed.header, &sealed.chunks).unwrap(), plaintext);
    }

    #[test]
    fn prop_any_byte_mutation_fails(
        len in 0usize..(STREAM_CHUNK_LEN + 100),
        pick in any::<proptest::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let key = DataKey::generate().unwrap();
        let sealed = seal(&key, AAD, &data(len));
        let mut all: Vec<u8> = sealed.header.clone();
        for chunk in &sealed.chunks {
            all.extend_from_slice(chunk);
        }
        let i = pick.index(all.len());
        all[i] ^= flip;
        // Reframe by length, as a reader does.
        let (header, body) = all.split_at(STREAM_HEADER_LEN);
        let chunks: Vec<Vec<u8>> = body.chunks(STREAM_SEALED_CHUNK_LEN).map(<[u8]>::to_vec).collect();
        prop_assert!(open(&key, AAD, header, &chunks).is_err());
    }
}
