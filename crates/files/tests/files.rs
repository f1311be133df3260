//! Uploads through the public API: which files are accepted (by content),
//! refusals that leave nothing behind, the size limit without reading the
//! rest, and encrypted round trips through a local directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use files::kind::{JPEG_MAX_PADDING, MAGIC_LEN};
use files::{FileKind, FileRejection, FileStore, Inspector, OpenError, PutError, SetupError, StoredFile, sniff};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use sha2::{Digest as _, Sha256};
use vault::{DataKey, STREAM_CHUNK_LEN, VaultError, sealed_stream_len};

const MB: u64 = 1024 * 1024;
const LIMIT: u64 = 20 * MB;
const AAD: &[u8] = b"file:credential:42";
/// A string that must never appear in a stored (encrypted) object.
const MARKER: &str = "CONFIDENTIAL-TRANSCRIPT-MARKER";

// ---- fixtures, written by hand ----------------------------------------------

/// A small valid PDF: catalog, pages, one page, a content stream of
/// `content`, a cross-reference table with correct offsets, the trailer
/// (with `trailer_extra` added), `startxref` and `%%EOF`.
fn pdf_with(content: &str, trailer_extra: &str, extra_objects: &[&str]) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1),
    ];
    objects.extend(extra_objects.iter().map(|&o| o.to_owned()));
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let size = objects.len() + 1;
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R{trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

fn pdf() -> Vec<u8> {
    pdf_with("BT /F1 12 Tf 72 712 Td (Hello) Tj ET", "", &[])
}

/// A PDF of exactly `len` bytes, its content stream filled with text that
/// includes [`MARKER`].
fn pdf_of_len(len: usize) -> Vec<u8> {
    let base = pdf_with("", "", &[]).len();
    let mut content = String::new();
    while content.len() < len - base {
        content.push_str(MARKER);
        content.push_str(&format!(" line {}\n", content.len()));
    }
    // The stream length's digits change with the content; trim until exact.
    loop {
        let out = pdf_with(&content, "", &[]);
        match out.len().cmp(&len) {
            std::cmp::Ordering::Equal => return out,
            std::cmp::Ordering::Greater => {
                content.pop();
            }
            std::cmp::Ordering::Less => content.push('.'),
        }
    }
}

/// An encrypted PDF as writers make them: an `/Encrypt` entry in the trailer
/// pointing at the encryption dictionary.
fn encrypted_pdf() -> Vec<u8> {
    let dict = "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <00> /U <00> >>";
    pdf_with("", " /Encrypt 5 0 R /ID [<01> <01>]", &[dict])
}

/// CRC-32 (ISO-HDLC, as PNG uses), bit by bit: slow but obviously right.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// A 1x1 grey PNG: signature, IHDR, one IDAT (a zlib stream with one stored
/// block holding the scanline: filter byte 0, pixel 0), IEND.
fn png() -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    // Width 1, height 1, bit depth 8, grey, deflate, no filter, no interlace.
    let ihdr = [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0];
    out.extend(png_chunk(b"IHDR", &ihdr));
    // zlib header 78 01; final stored block of 2 bytes; Adler-32 of [0, 0].
    let idat = [
        0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01,
    ];
    out.extend(png_chunk(b"IDAT", &idat));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// A minimal JPEG: start of image, a JFIF APP0 segment, a comment, end of
/// image. (No image data: only the container is checked.)
fn jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&[
        0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    out.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x07, b'h', b'e', b'l', b'l', b'o']);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

// ---- helpers -----------------------------------------------------------------

/// `data` as an upload body cut into `frame`-byte pieces.
fn body(data: &[u8], frame: usize) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + use<> {
    let frames: Vec<Result<Bytes, Infallible>> = data
        .chunks(frame.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(frames)
}

/// Runs `data` through an inspector in `frame`-byte pieces.
fn inspect(data: &[u8], frame: usize) -> Result<FileKind, FileRejection> {
    let mut inspector = Inspector::new(LIMIT);
    for chunk in data.chunks(frame.max(1)) {
        inspector.update(chunk)?;
    }
    inspector.finish()
}

async fn put(store: &FileStore, path: &str, key: &DataKey, data: &[u8]) -> Result<StoredFile, PutError> {
    store.put_sealed(path, key, AAD, body(data, 10_000), LIMIT).await
}

async fn read_back(store: &FileStore, path: &str, key: &DataKey, aad: &[u8]) -> Result<Vec<u8>, OpenError> {
    let opened = store.open_sealed(path, key, aad).await?;
    let size = opened.size_bytes();
    let chunks: Vec<Bytes> = opened.try_collect().await?;
    let data = chunks.concat();
    assert_eq!(data.len() as u64, size);
    Ok(data)
}

/// Every file under `dir`, recursively (empty directories do not count).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

async fn listed(store: &FileStore) -> Vec<String> {
    let metas: Vec<_> = store.object_store().list(None).try_collect().await.unwrap();
    metas.into_iter().map(|m| m.location.to_string()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn rejection(result: Result<StoredFile, PutError>) -> FileRejection {
    match result {
        Err(PutError::Rejected(r)) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

// ---- types by content --------------------------------------------------------

#[test]
fn kinds_name_their_media_type_and_extension() {
    assert_eq!(FileKind::Pdf.media_type(), "application/pdf");
    assert_eq!(FileKind::Png.media_type(), "image/png");
    assert_eq!(FileKind::Jpeg.media_type(), "image/jpeg");
    assert_eq!(FileKind::Pdf.extension(), "pdf");
    assert_eq!(FileKind::Png.extension(), "png");
    assert_eq!(FileKind::Jpeg.extension(), "jpg");
}

#[test]
fn sniff_reads_magic_bytes_only() {
    assert_eq!(sniff(&pdf()[..MAGIC_LEN]), Some(FileKind::Pdf));
    assert_eq!(sniff(&png()[..MAGIC_LEN]), Some(FileKind::Png));
    assert_eq!(sniff(&jpeg()[..MAGIC_LEN]), Some(FileKind::Jpeg));
    assert_eq!(sniff(b"Hello, this is text"), None);
    assert_eq!(sniff(b""), None);
    assert_eq!(sniff(&png()[..7]), None, "a PNG needs its whole signature");
    assert_eq!(sniff(b"GIF89a\x01\x00"), None);
}

#[test]
fn fixtures_are_accepted_however_they_are_cut() {
    for (data, kind) in [(pdf(), FileKind::Pdf), (png(), FileKind::Png), (jpeg(), FileKind::Jpeg)] {
        for frame in [1, 2, 3, 7, 8, 9, 13, 64, data.len()] {
            assert_eq!(inspect(&data, frame), Ok(kind), "{kind} in {frame}-byte frames");
        }
    }
}

#[test]
fn messages_are_plain_words() {
    assert_eq!(
        FileRejection::NotAllowedType.to_string(),
        "Only PDF, PNG or JPEG files can be uploaded."
    );
    assert_eq!(
        FileRejection::EncryptedPdf.to_string(),
        "This PDF is password-protected. Remove the password and upload it again."
    );
    assert_eq!(
        FileRejection::TooLarge { limit_bytes: LIMIT }.to_string(),
        "The file is larger than the 20 MB limit."
    );
    // The rejection is what PutError shows, unchanged.
    let err = PutError::Rejected(FileRejection::CorruptPng);
    assert_eq!(err.to_string(), FileRejection::CorruptPng.to_string());
}

#[test]
fn text_named_pdf_is_refused() {
    // Names are never looked at: a text file called "licence.pdf" is text.
    let text = b"This is my licence, honestly.\n%%EOF\n";
    assert_eq!(inspect(text, 5), Err(FileRejection::NotAllowedType));
    // So are other real formats, and files too short to be anything.
    assert_eq!(
        inspect(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 4),
        Err(FileRejection::NotAllowedType)
    );
    assert_eq!(inspect(b"PK\x03\x04zipzipzip", 4), Err(FileRejection::NotAllowedType));
    assert_eq!(inspect(b"ab", 1), Err(FileRejection::NotAllowedType));
    assert_eq!(inspect(b"", 1), Err(FileRejection::Empty));
}

#[test]
fn encrypted_pdf_is_refused() {
    assert_eq!(inspect(&encrypted_pdf(), 1), Err(FileRejection::EncryptedPdf));
    assert_eq!(inspect(&encrypted_pdf(), 4096), Err(FileRejection::EncryptedPdf));
    // Refused as soon as the name is seen, not at the end.
    let data = encrypted_pdf();
    let at = data.windows(9).position(|w| w == b"/Encrypt ").unwrap();
    let mut inspector = Inspector::new(LIMIT);
    assert_eq!(inspector.update(&data[..at + 9]), Err(FileRejection::EncryptedPdf));
    // A name written with an escape is the same name.
    let escaped = pdf_with("", " /Encr#79pt 5 0 R", &["<< /Filter /Standard >>"]);
    assert_eq!(inspect(&escaped, 3), Err(FileRejection::EncryptedPdf));
}

#[test]
fn bad_pdf_versions_are_refused() {
    for start in [&b"%PDF-3.0\n"[..], b"%PDF-1x\n", b"%PDF-"] {
        let mut data = start.to_vec();
        data.extend_from_slice(&pdf()[9..]);
        assert_eq!(
            inspect(&data, 3),
            Err(FileRejection::CorruptPdf),
            "{}",
            String::from_utf8_lossy(start)
        );
    }
}

#[test]
fn truncated_files_are_refused() {
    let pdf = pdf();
    assert_eq!(inspect(&pdf[..pdf.len() - 7], 100), Err(FileRejection::CorruptPdf));
    assert_eq!(inspect(&pdf[..pdf.len() / 2], 100), Err(FileRejection::CorruptPdf));
    // %%EOF too far from the end (an appended body after the last one).
    let mut late_eof = pdf.clone();
    late_eof.extend_from_slice(&[b' '; 1100]);
    assert_eq!(inspect(&late_eof, 100), Err(FileRejection::CorruptPdf));

    let png = png();
    for cut in [png.len() - 1, png.len() - 12, 20, 8, 9] {
        assert_eq!(inspect(&png[..cut], 5), Err(FileRejection::CorruptPng), "cut at {cut}");
    }
    let jpeg = jpeg();
    for cut in [jpeg.len() - 1, jpeg.len() - 2, 4, 3] {
        assert_eq!(
            inspect(&jpeg[..cut], 5),
            Err(FileRejection::CorruptJpeg),
            "cut at {cut}"
        );
    }
}

#[test]
fn png_structure_is_checked() {
    // Data after IEND.
    let mut trailing = png();
    trailing.push(0);
    assert_eq!(inspect(&trailing, 7), Err(FileRejection::CorruptPng));
    // First chunk not IHDR.
    let mut no_ihdr = png()[..8].to_vec();
    no_ihdr.extend(png_chunk(b"tEXt", b"a\0b"));
    no_ihdr.extend_from_slice(&png()[8..]);
    assert_eq!(inspect(&no_ihdr, 7), Err(FileRejection::CorruptPng));
    // A chunk type that is not letters.
    let mut bad_type = png();
    bad_type[8 + 25 + 4] = b'1';
    assert_eq!(inspect(&bad_type, 7), Err(FileRejection::CorruptPng));
}

#[test]
fn jpeg_padding_policy() {
    let mut padded = jpeg();
    padded.extend_from_slice(&[0; JPEG_MAX_PADDING]);
    assert_eq!(inspect(&padded, 3), Ok(FileKind::Jpeg));
    let mut spaced = jpeg();
    spaced.extend_from_slice(b"\r\n");
    assert_eq!(inspect(&spaced, 3), Ok(FileKind::Jpeg));

    let mut too_much = jpeg();
    too_much.extend_from_slice(&[0; JPEG_MAX_PADDING + 1]);
    assert_eq!(inspect(&too_much, 3), Err(FileRejection::CorruptJpeg));
    let mut appended = jpeg();
    appended.extend_from_slice(b"PK\x03\x04 an appended archive");
    assert_eq!(inspect(&appended, 3), Err(FileRejection::CorruptJpeg));
    // Start of image directly followed by end of image is no image.
    assert_eq!(inspect(&[0xFF, 0xD8, 0xFF, 0xD9], 1), Err(FileRejection::CorruptJpeg));
}

#[test]
fn inspector_stops_at_the_limit() {
    let mut inspector = Inspector::new(10);
    inspector.update(b"%PDF-1.7\n").unwrap();
    assert_eq!(
        inspector.update(b"xx"),
        Err(FileRejection::TooLarge { limit_bytes: 10 })
    );
    // The refusal sticks.
    assert_eq!(inspector.update(b""), Err(FileRejection::TooLarge { limit_bytes: 10 }));
    assert_eq!(inspector.finish(), Err(FileRejection::TooLarge { limit_bytes: 10 }));
    // Exactly at the limit is fine.
    let jpeg = jpeg();
    let mut inspector = Inspector::new(jpeg.len() as u64);
    inspector.update(&jpeg).unwrap();
    assert_eq!(inspector.finish(), Ok(FileKind::Jpeg));
}

// ---- storing ------------------------------------------------------------------

#[tokio::test]
async fn fixtures_round_trip_through_a_local_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::local(&dir.path().join("uploads")).unwrap();
    let key = DataKey::generate().unwrap();
    for (name, data, kind) in [
        ("a.pdf", pdf(), FileKind::Pdf),
        ("b.png", png(), FileKind::Png),
        ("c.jpg", jpeg(), FileKind::Jpeg),
    ] {
        let path = format!("credentials/{name}");
        let stored = put(&store, &path, &key, &data).await.unwrap();
        assert_eq!(stored.kind, kind);
        assert_eq!(stored.size_bytes, data.len() as u64);
        assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        assert_eq!(stored.sha256_hex(), hex::encode(Sha256::digest(&data)));
        assert_eq!(read_back(&store, &path, &key, AAD).await.unwrap(), data);
    }
    assert_eq!(listed(&store).await.len(), 3);
}

#[tokio::test]
async fn multi_chunk_file_round_trips_encrypted_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::local(dir.path()).unwrap();
    let key = DataKey::generate().unwrap();
    for (i, len) in [
        STREAM_CHUNK_LEN,
        2 * STREAM_CHUNK_LEN,
        2 * STREAM_CHUNK_LEN + 1,
        300_000,
    ]
    .into_iter()
    .enumerate()
    {
        let data = pdf_of_len(len);
        assert_eq!(data.len(), len);
        let path = format!("t/{i}");
        // Odd frame sizes, so chunks are re-cut across frames.
        let stored = store
            .put_sealed(&path, &key, AAD, body(&data, 7_777), LIMIT)
            .await
            .unwrap();
        assert_eq!((stored.kind, stored.size_bytes), (FileKind::Pdf, len as u64));

        let on_disk = std::fs::read(dir.path().join("t").join(i.to_string())).unwrap();
        assert_eq!(on_disk.len() as u64, sealed_stream_len(len as u64).unwrap());
        assert!(!contains(&on_disk, MARKER.as_bytes()), "plaintext on disk");
        assert!(!contains(&on_disk, b"%PDF"), "plaintext on disk");

        let opened = store.open_sealed(&path, &key, AAD).await.unwrap();
        assert_eq!(opened.size_bytes(), len as u64);
        let chunks: Vec<Bytes> = opened.try_collect().await.unwrap();
        assert!(chunks.iter().all(|c| c.len() <= STREAM_CHUNK_LEN));
        assert_eq!(chunks.len(), len.div_ceil(STREAM_CHUNK_LEN));
        assert_eq!(chunks.concat(), data);
    }
}

#[tokio::test]
async fn wrong_aad_or_key_does_not_open() {
    let store = FileStore::memory();
    let key = DataKey::generate().unwrap();
    put(&store, "f/1", &key, &pdf_of_len(100_000)).await.unwrap();
    let err = store.open_sealed("f/1", &key, b"file:credential:43").await.unwrap_err();
    assert!(matches!(err, OpenError::Vault(VaultError::Decrypt)), "{err}");
    let other = DataKey::generate().unwrap();
    let err = store.open_sealed("f/1", &other, AAD).await.unwrap_err();
    assert!(matches!(err, OpenError::Vault(VaultError::Decrypt)), "{err}");
    // The right pair still opens.
    assert!(read_back(&store, "f/1", &key, AAD).await.is_ok());
}

#[tokio::test]
async fn tampered_objects_do_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::local(dir.path()).unwrap();
    let key = DataKey::generate().unwrap();
    let data = pdf_of_len(3 * STREAM_CHUNK_LEN);
    put(&store, "x", &key, &data).await.unwrap();
    let file = dir.path().join("x");
    let original = std::fs::read(&file).unwrap();

    // Cut off the last chunk exactly: the new last chunk was sealed as not last.
    let chunk = vault::STREAM_SEALED_CHUNK_LEN;
    let cut = &original[..vault::STREAM_HEADER_LEN + 2 * chunk];
    std::fs::write(&file, cut).unwrap();
    let opened = store.open_sealed("x", &key, AAD).await.unwrap();
    let result: Result<Vec<Bytes>, OpenError> = opened.try_collect().await;
    assert!(
        matches!(result, Err(OpenError::Vault(VaultError::Decrypt))),
        "{result:?}"
    );

    // A length no sealed file can have: a last chunk shorter than a tag.
    std::fs::write(&file, &original[..vault::STREAM_HEADER_LEN + 2 * chunk + 5]).unwrap();
    let err = store.open_sealed("x", &key, AAD).await.unwrap_err();
    assert!(matches!(err, OpenError::Malformed(_)), "{err}");

    // A flipped byte in the middle chunk: the first chunk still arrives,
    // then the stream fails.
    let mut flipped = original.clone();
    flipped[vault::STREAM_HEADER_LEN + chunk + 10] ^= 1;
    std::fs::write(&file, &flipped).unwrap();
    let mut opened = store.open_sealed("x", &key, AAD).await.unwrap();
    assert_eq!(opened.next().await.unwrap().unwrap(), &data[..STREAM_CHUNK_LEN]);
    assert!(matches!(
        opened.next().await,
        Some(Err(OpenError::Vault(VaultError::Decrypt)))
    ));

    // Two whole chunks swapped.
    let mut swapped = original.clone();
    let (first, second) = (vault::STREAM_HEADER_LEN, vault::STREAM_HEADER_LEN + chunk);
    let a = original[first..first + chunk].to_vec();
    swapped[first..first + chunk].copy_from_slice(&original[second..second + chunk]);
    swapped[second..second + chunk].copy_from_slice(&a);
    std::fs::write(&file, &swapped).unwrap();
    let err = store.open_sealed("x", &key, AAD).await.unwrap_err();
    assert!(matches!(err, OpenError::Vault(VaultError::Decrypt)), "{err}");
}

#[tokio::test]
async fn refusals_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::local(dir.path()).unwrap();
    let key = DataKey::generate().unwrap();
    let mut truncated_png = png();
    truncated_png.pop();
    let cases: [(&str, Vec<u8>, FileRejection); 4] = [
        (
            "text",
            b"Just text, named licence.pdf".to_vec(),
            FileRejection::NotAllowedType,
        ),
        ("enc", encrypted_pdf(), FileRejection::EncryptedPdf),
        ("cut", truncated_png, FileRejection::CorruptPng),
        ("empty", Vec::new(), FileRejection::Empty),
    ];
    for (path, data, expected) in cases {
        assert_eq!(rejection(put(&store, path, &key, &data).await), expected, "{path}");
    }
    // A big refused file spans several parts before it is refused.
    let mut big_cut = pdf_of_len(400_000);
    big_cut.truncate(399_000);
    assert_eq!(
        rejection(put(&store, "big", &key, &big_cut).await),
        FileRejection::CorruptPdf
    );

    assert_eq!(listed(&store).await, Vec::<String>::new());
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn fifty_megabytes_are_refused_at_the_limit_without_reading_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::local(dir.path()).unwrap();
    let key = DataKey::generate().unwrap();

    // 50 MB made up on the fly: a PDF start, then filler, 64 KiB at a time.
    const FRAME: u64 = 64 * 1024;
    let produced = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&produced);
    let huge = stream::iter(0..(50 * MB / FRAME)).map(move |i| {
        counter.fetch_add(FRAME, Ordering::Relaxed);
        let mut frame = vec![b'0' + (i % 10) as u8; FRAME as usize];
        if i == 0 {
            frame[..9].copy_from_slice(b"%PDF-1.7\n");
        }
        Ok::<_, Infallible>(Bytes::from(frame))
    });

    let result = store.put_sealed("huge", &key, AAD, huge, LIMIT).await;
    assert_eq!(rejection(result), FileRejection::TooLarge { limit_bytes: LIMIT });
    let read = produced.load(Ordering::Relaxed);
    assert!(read <= LIMIT + FRAME, "read {read} bytes of a refused upload");
    assert_eq!(listed(&store).await, Vec::<String>::new());
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn a_failing_body_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::local(dir.path()).unwrap();
    let key = DataKey::generate().unwrap();
    let data = pdf_of_len(200_000);
    let frames = vec![
        Ok(Bytes::copy_from_slice(&data[..150_000])),
        Err(std::io::Error::other("client went away")),
    ];
    let err = store
        .put_sealed("gone", &key, AAD, stream::iter(frames), LIMIT)
        .await
        .unwrap_err();
    assert!(matches!(err, PutError::Body(_)), "{err}");
    assert!(err.to_string().contains("client went away"));
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn delete_is_idempotent_and_final() {
    let store = FileStore::memory();
    let key = DataKey::generate().unwrap();
    put(&store, "d/1", &key, &png()).await.unwrap();
    store.delete("d/1").await.unwrap();
    store.delete("d/1").await.unwrap();
    assert!(matches!(
        store.open_sealed("d/1", &key, AAD).await,
        Err(OpenError::NotFound)
    ));
}

#[tokio::test]
async fn invalid_paths_are_refused() {
    let store = FileStore::memory();
    let key = DataKey::generate().unwrap();
    for path in ["../escape", "a//b", "a/./b"] {
        let err = put(&store, path, &key, &png()).await.unwrap_err();
        assert!(
            matches!(err, PutError::Storage(object_store::Error::InvalidPath { .. })),
            "{path}: {err}"
        );
    }
}

#[tokio::test]
async fn stores_from_urls() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("from-url");
    let url = url::Url::from_directory_path(&nested).unwrap();
    let none = std::iter::empty::<(&str, &str)>();
    let store = FileStore::from_url(url.as_str(), none.clone()).unwrap();
    let key = DataKey::generate().unwrap();
    put(&store, "one", &key, &jpeg()).await.unwrap();
    assert!(nested.join("one").is_file());

    let memory = FileStore::from_url("memory:///", none.clone()).unwrap();
    put(&memory, "one", &key, &jpeg()).await.unwrap();
    assert_eq!(read_back(&memory, "one", &key, AAD).await.unwrap(), jpeg());

    assert!(matches!(
        FileStore::from_url("not a url", none.clone()),
        Err(SetupError::InvalidUrl(_))
    ));
    assert!(matches!(
        FileStore::from_url("gs://bucket/x", none.clone()),
        Err(SetupError::UnsupportedScheme(s)) if s == "gs"
    ));
    #[cfg(not(feature = "s3"))]
    assert!(matches!(
        FileStore::from_url("s3://bucket/x", none),
        Err(SetupError::UnsupportedScheme(s)) if s == "s3"
    ));
    // Building an S3 store makes no request, so this runs offline.
    #[cfg(feature = "s3")]
    FileStore::from_url("s3://bucket/x", [("aws_region", "eu-west-1")]).unwrap();
}
