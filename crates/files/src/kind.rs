//! Which uploads are accepted: PDF, PNG and JPEG, recognised by content.
//!
//! [`sniff`] names a file's type from its first bytes. The [`Inspector`] is
//! fed every chunk of an upload as it arrives and checks, without keeping the
//! file, that it is a complete file of an accepted type within the size limit:
//!
//! - **Size**: more than `limit_bytes` in total is refused on the chunk that
//!   passes the limit, so the rest is never read. An empty upload is refused.
//! - **PDF**: starts with `%PDF-1.` or `%PDF-2.` and a digit, has `%%EOF` in
//!   its last [`PDF_EOF_WINDOW`] bytes (so it was not cut short), and has no
//!   `/Encrypt` name anywhere. An encrypted PDF has `/Encrypt` in its trailer
//!   (or its cross-reference stream's dictionary, which is never compressed),
//!   and reviewers could not open it. Names are decoded (`/Encr#79pt` is
//!   `/Encrypt` too), and a name is matched whole, so `/EncryptMetadata`
//!   alone does not count. The scan is of the raw bytes, so the rare PDF
//!   whose uncompressed text says `/Encrypt` is refused as well; that errs on
//!   the safe side.
//! - **Active content in a PDF**: the names of script and launch actions,
//!   embedded files and rich media (`/JavaScript`, `/JS`, `/Launch`,
//!   `/EmbeddedFile`, `/EmbeddedFiles`, `/RichMedia`), decoded and matched
//!   whole as above, and HTML markup (`<script`, `<html`, `<iframe`, in any
//!   case) anywhere in the file, which makes a PDF/HTML polyglot. A scanned
//!   certificate or letter needs none of them, and a reviewer opening the file
//!   must not run anything.
//! - **PNG**: the 8-byte signature, then a well-formed chunk sequence (4-byte
//!   length, 4 ASCII letters of type, data, 4-byte CRC) whose first chunk is a
//!   13-byte `IHDR` and whose last is `IEND`, with nothing after it. CRCs are
//!   not checked (only `IEND`'s, which is a constant): the point is the type
//!   and completeness, not decoding.
//! - **JPEG**: starts `FF D8 FF` (start of image, then a marker that is not
//!   end of image) and ends with `FF D9` (end of image). Up to
//!   [`JPEG_MAX_PADDING`] bytes of zeros or ASCII whitespace after it are
//!   allowed, because some scanners and phone apps pad files that way; any
//!   other data after the image (an appended archive or video) is refused, so
//!   a file cannot be two things at once.

use std::fmt;

/// How many of a file's first bytes [`sniff`] needs to tell every accepted
/// type apart.
pub const MAGIC_LEN: usize = 8;
/// A PDF must have `%%EOF` within this many bytes of its end.
pub const PDF_EOF_WINDOW: usize = 1024;
/// The most padding bytes (zeros or ASCII whitespace) allowed after a JPEG's
/// end-of-image marker.
pub const JPEG_MAX_PADDING: usize = 32;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
/// The complete `IEND` chunk: zero length, type, and its (constant) CRC.
const PNG_IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
const JPEG_START: [u8; 3] = [0xFF, 0xD8, 0xFF];
const JPEG_END: [u8; 2] = [0xFF, 0xD9];

/// An accepted file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A PDF document.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
}

impl FileKind {
    /// The media type to serve the file with, e.g. `application/pdf`.
    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
        }
    }

    /// The usual file-name extension, without the dot, e.g. `pdf`.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Pdf => "PDF",
            FileKind::Png => "PNG",
            FileKind::Jpeg => "JPEG",
        })
    }
}

/// The type a file's first bytes announce, if it is an accepted one. Pass
/// at least [`MAGIC_LEN`] bytes when the file has them; a PNG cannot be
/// recognised from fewer. This looks at the start only: use an [`Inspector`]
/// to check the whole file.
pub fn sniff(prefix: &[u8]) -> Option<FileKind> {
    if prefix.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if prefix.starts_with(&PNG_SIGNATURE) {
        Some(FileKind::Png)
    } else if prefix.starts_with(&JPEG_START) {
        Some(FileKind::Jpeg)
    } else {
        None
    }
}

/// Why an upload was refused. `Display` is a message for the person who
/// uploaded the file, in plain words, saying what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileRejection {
    /// The upload had no bytes.
    #[error("The file is empty. Choose the file again and upload it.")]
    Empty,
    /// The upload passed the size limit.
    #[error("The file is larger than the {} limit.", describe_size(*limit_bytes))]
    TooLarge {
        /// The limit that was passed.
        limit_bytes: u64,
    },
    /// The content is not a PDF, PNG or JPEG, whatever the file is called.
    #[error("Only PDF, PNG or JPEG files can be uploaded.")]
    NotAllowedType,
    /// The PDF is encrypted (password-protected).
    #[error("This PDF is password-protected. Remove the password and upload it again.")]
    EncryptedPdf,
    /// The PDF holds scripts, launch actions, embedded files or web markup.
    #[error(
        "This PDF contains active content (scripts, embedded files or web page code), which reviewers' computers would run. Print it to a new PDF (or scan the paper copy) and upload that."
    )]
    ActivePdf,
    /// The file starts like a PDF but is incomplete or damaged.
    #[error("This PDF is damaged or incomplete. Save or export it again and upload the new copy.")]
    CorruptPdf,
    /// The file starts like a PNG but is incomplete or damaged.
    #[error("This PNG image is damaged or incomplete. Save it again and upload the new copy.")]
    CorruptPng,
    /// The file starts like a JPEG but is incomplete, damaged or has other
    /// data appended.
    #[error("This JPEG image is damaged or incomplete. Save it again and upload the new copy.")]
    CorruptJpeg,
}

/// A size for people: "20 MB", "1.5 MB", "512 KB" (binary units, as file
/// managers show them), rounded down so "larger than" stays true.
fn describe_size(bytes: u64) -> String {
    const KB: u128 = 1024;
    const MB: u128 = 1024 * 1024;
    let bytes_wide = u128::from(bytes);
    let (unit, name) = match bytes_wide {
        b if b >= MB => (MB, "MB"),
        b if b >= KB => (KB, "KB"),
        _ => return format!("{bytes} bytes"),
    };
    let tenths = bytes_wide * 10 / unit;
    match tenths % 10 {
        0 => format!("{} {name}", tenths / 10),
        frac => format!("{}.{frac} {name}", tenths / 10),
    }
}

/// Checks an upload chunk by chunk; see the module docs for the rules.
///
/// Call [`update`](Inspector::update) with every chunk in order, then
/// [`finish`](Inspector::finish). An error from `update` is final: stop
/// reading the upload. Only a few bytes are kept (the first
/// [`MAGIC_LEN`] and the last [`PDF_EOF_WINDOW`]), whatever the file's size.
#[derive(Debug)]
pub struct Inspector {
    limit_bytes: u64,
    total: u64,
    head: [u8; MAGIC_LEN],
    head_len: usize,
    kind: Option<FileKind>,
    tail: Tail,
    pdf_names: NameScan,
    pdf_markup: MarkupScan,
    png_chunks: PngWalk,
    failed: Option<FileRejection>,
}

impl Inspector {
    /// An inspector for an upload of at most `limit_bytes` bytes.
    pub fn new(limit_bytes: u64) -> Inspector {
        Inspector {
            limit_bytes,
            total: 0,
            head: [0; MAGIC_LEN],
            head_len: 0,
            kind: None,
            tail: Tail::default(),
            pdf_names: NameScan::default(),
            pdf_markup: MarkupScan::default(),
            png_chunks: PngWalk::Signature(PNG_SIGNATURE.len()),
            failed: None,
        }
    }

    /// Takes the next chunk of the upload.
    ///
    /// # Errors
    /// As soon as the upload is known to be unacceptable: past the size
    /// limit, not an accepted type, an encrypted PDF or a malformed PNG chunk
    /// sequence. Every later call returns the same rejection.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), FileRejection> {
        if let Some(rejection) = self.failed {
            return Err(rejection);
        }
        let result = self.take(chunk);
        if let Err(rejection) = result {
            self.failed = Some(rejection);
        }
        result
    }

    /// Bytes taken so far.
    pub fn bytes_seen(&self) -> u64 {
        self.total
    }

    /// Ends the upload and gives its type if the whole file was acceptable.
    ///
    /// # Errors
    /// The first rejection from [`update`](Inspector::update), or what the
    /// end of the file shows: [`FileRejection::Empty`], a file cut short or
    /// with data after its end (`Corrupt…`), or a short file of another type.
    pub fn finish(mut self) -> Result<FileKind, FileRejection> {
        if let Some(rejection) = self.failed {
            return Err(rejection);
        }
        if self.total == 0 {
            return Err(FileRejection::Empty);
        }
        let kind = match self.kind {
            Some(kind) => kind,
            // Shorter than MAGIC_LEN: decide on what there is.
            None => self.decide()?,
        };
        match kind {
            FileKind::Pdf => {
                if let Some(name) = self.pdf_names.finish() {
                    return Err(name.rejection());
                }
                if !self.tail.bytes().windows(5).any(|w| w == b"%%EOF") {
                    return Err(FileRejection::CorruptPdf);
                }
            }
            FileKind::Png => {
                if !matches!(self.png_chunks, PngWalk::End) || !self.tail.bytes().ends_with(&PNG_IEND) {
                    return Err(FileRejection::CorruptPng);
                }
            }
            FileKind::Jpeg => {
                let bytes = self.tail.bytes();
                let padding = bytes
                    .iter()
                    .rev()
                    .take(JPEG_MAX_PADDING)
                    .take_while(|&&b| matches!(b, 0 | b' ' | b'\t' | b'\r' | b'\n'))
                    .count();
                let content = bytes.get(..bytes.len() - padding).unwrap_or_default();
                if !content.ends_with(&JPEG_END) {
                    return Err(FileRejection::CorruptJpeg);
                }
            }
        }
        Ok(kind)
    }

    fn take(&mut self, chunk: &[u8]) -> Result<(), FileRejection> {
        let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        self.total = self.total.saturating_add(len);
        if self.total > self.limit_bytes {
            return Err(FileRejection::TooLarge {
                limit_bytes: self.limit_bytes,
            });
        }
        self.tail.push(chunk);
        let mut rest = chunk;
        if self.kind.is_none() {
            let wanted = MAGIC_LEN - self.head_len;
            let (start, after) = rest.split_at(wanted.min(rest.len()));
            self.head[self.head_len..self.head_len + start.len()].copy_from_slice(start);
            self.head_len += start.len();
            rest = after;
            if self.head_len < MAGIC_LEN {
                return Ok(());
            }
            self.decide()?;
        }
        self.scan(rest)
    }

    /// Names the type from the first bytes, checks the start, and runs the
    /// type's scanner over those bytes so it sees the whole file.
    fn decide(&mut self) -> Result<FileKind, FileRejection> {
        let head = &self.head[..self.head_len];
        let kind = sniff(head).ok_or(FileRejection::NotAllowedType)?;
        let start_ok = match kind {
            FileKind::Pdf => matches!(head, [b'%', b'P', b'D', b'F', b'-', b'1' | b'2', b'.', b'0'..=b'9', ..]),
            FileKind::Png => true,
            // A marker must follow the start of image, and the image cannot end there.
            FileKind::Jpeg => head.get(3).is_some_and(|&marker| marker != 0xD9),
        };
        if !start_ok {
            return Err(corrupt(kind));
        }
        self.kind = Some(kind);
        let head = self.head;
        self.scan(&head[..self.head_len])?;
        Ok(kind)
    }

    fn scan(&mut self, bytes: &[u8]) -> Result<(), FileRejection> {
        match self.kind {
            Some(FileKind::Pdf) => match self.pdf_names.feed(bytes) {
                Some(name) => Err(name.rejection()),
                None if self.pdf_markup.feed(bytes) => Err(FileRejection::ActivePdf),
                None => Ok(()),
            },
            Some(FileKind::Png) if !self.png_chunks.feed(bytes) => Err(FileRejection::CorruptPng),
            _ => Ok(()),
        }
    }
}

fn corrupt(kind: FileKind) -> FileRejection {
    match kind {
        FileKind::Pdf => FileRejection::CorruptPdf,
        FileKind::Png => FileRejection::CorruptPng,
        FileKind::Jpeg => FileRejection::CorruptJpeg,
    }
}

/// The last [`PDF_EOF_WINDOW`] bytes seen.
#[derive(Debug, Default)]
struct Tail {
    buf: Vec<u8>,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        if bytes.len() >= PDF_EOF_WINDOW {
            self.buf.clear();
            self.buf.extend_from_slice(&bytes[bytes.len() - PDF_EOF_WINDOW..]);
        } else {
            self.buf.extend_from_slice(bytes);
            let excess = self.buf.len().saturating_sub(PDF_EOF_WINDOW);
            self.buf.drain(..excess);
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// A PDF name that makes an upload unacceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefusedName {
    Encrypt,
    Active,
}

impl RefusedName {
    fn rejection(self) -> FileRejection {
        match self {
            RefusedName::Encrypt => FileRejection::EncryptedPdf,
            RefusedName::Active => FileRejection::ActivePdf,
        }
    }
}

/// The names refused, as they are after decoding.
const REFUSED_NAMES: [(&[u8], RefusedName); 7] = [
    (b"Encrypt", RefusedName::Encrypt),
    (b"JavaScript", RefusedName::Active),
    (b"JS", RefusedName::Active),
    (b"Launch", RefusedName::Active),
    (b"EmbeddedFile", RefusedName::Active),
    (b"EmbeddedFiles", RefusedName::Active),
    (b"RichMedia", RefusedName::Active),
];

/// The longest refused name, plus one: a name this long is longer than any.
const NAME_BUF: usize = 14;

/// Finds the refused PDF names in a byte stream cut anywhere, decoding `#xx`
/// escapes. Only the first [`NAME_BUF`] decoded bytes of a name are kept: any
/// longer name is none of them.
#[derive(Debug, Default)]
struct NameScan {
    in_name: bool,
    name: [u8; NAME_BUF],
    /// Decoded length, capped at NAME_BUF (meaning "too long, or a bad escape").
    len: usize,
    escape: Escape,
}

#[derive(Debug, Default, Clone, Copy)]
enum Escape {
    #[default]
    None,
    /// After `#`.
    Hash,
    /// After `#` and one hex digit.
    Digit(u8),
}

impl NameScan {
    /// The first refused name seen whole, if any.
    fn feed(&mut self, bytes: &[u8]) -> Option<RefusedName> {
        bytes.iter().find_map(|&b| self.feed_byte(b))
    }

    /// The refused name the input ended inside, if any.
    fn finish(&self) -> Option<RefusedName> {
        if self.in_name && matches!(self.escape, Escape::None) {
            self.refused()
        } else {
            None
        }
    }

    fn feed_byte(&mut self, b: u8) -> Option<RefusedName> {
        if !self.in_name {
            if b == b'/' {
                self.start();
            }
            return None;
        }
        match self.escape {
            Escape::None => {}
            Escape::Hash => {
                self.escape = Escape::None;
                if let Some(high) = hex_value(b) {
                    self.escape = Escape::Digit(high);
                    return None;
                }
                // Not an escape: readers differ on what this means, but it
                // cannot be a plain `Encrypt`, so mark the name as no match.
                self.len = self.name.len();
            }
            Escape::Digit(high) => {
                self.escape = Escape::None;
                if let Some(low) = hex_value(b) {
                    self.push((high << 4) | low);
                    return None;
                }
                self.len = self.name.len();
            }
        }
        if is_whitespace(b) || is_delimiter(b) {
            let found = self.refused();
            self.in_name = false;
            if b == b'/' {
                self.start();
            }
            return found;
        }
        if b == b'#' {
            self.escape = Escape::Hash;
        } else {
            self.push(b);
        }
        None
    }

    fn start(&mut self) {
        self.in_name = true;
        self.len = 0;
        self.escape = Escape::None;
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.name.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
        // A full buffer means a name longer than any refused one, and `len`
        // stays capped to say so.
    }

    fn refused(&self) -> Option<RefusedName> {
        let name = self.name.get(..self.len)?;
        REFUSED_NAMES
            .iter()
            .find(|(refused, _)| *refused == name)
            .map(|(_, kind)| *kind)
    }
}

/// Finds HTML markup (`<script`, `<html`, `<iframe`, any case) in a byte
/// stream cut anywhere, keeping only the bytes since the last `<`.
#[derive(Debug, Default)]
struct MarkupScan {
    /// Lower-cased bytes after a `<`, up to the longest tag's length.
    open: Option<Vec<u8>>,
}

impl MarkupScan {
    const TAGS: [&'static [u8]; 3] = [b"script", b"html", b"iframe"];

    /// True once one of the tags has been seen.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        bytes.iter().any(|&b| self.feed_byte(b))
    }

    fn feed_byte(&mut self, b: u8) -> bool {
        if b == b'<' {
            self.open = Some(Vec::with_capacity(6));
            return false;
        }
        let Some(open) = self.open.as_mut() else {
            return false;
        };
        open.push(b.to_ascii_lowercase());
        if Self::TAGS.iter().any(|tag| tag == &open.as_slice()) {
            self.open = None;
            return true;
        }
        if !Self::TAGS.iter().any(|tag| tag.starts_with(open)) {
            self.open = None;
        }
        false
    }
}

/// PDF white-space characters (ISO 32000, table 1).
fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

/// PDF delimiter characters (ISO 32000, table 2).
fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Walks a PNG's chunk sequence by lengths alone, without keeping any data.
#[derive(Debug, Clone, Copy)]
enum PngWalk {
    /// Skipping the signature (already checked by `sniff`): this many bytes
    /// of it are left.
    Signature(usize),
    /// Reading a chunk's 4-byte length and 4-byte type.
    Header { buf: [u8; 8], filled: usize, first: bool },
    /// Skipping a chunk's data and CRC.
    Body { remaining: u64, iend: bool },
    /// `IEND` is complete: nothing may follow.
    End,
}

impl PngWalk {
    /// Returns false as soon as the sequence is malformed.
    fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            let (next, used) = match *self {
                PngWalk::Signature(left) => {
                    let used = left.min(bytes.len());
                    let next = match left - used {
                        0 => PngWalk::Header {
                            buf: [0; 8],
                            filled: 0,
                            first: true,
                        },
                        left => PngWalk::Signature(left),
                    };
                    (next, used)
                }
                PngWalk::Header { mut buf, filled, first } => {
                    let used = (buf.len() - filled).min(bytes.len());
                    buf[filled..filled + used].copy_from_slice(&bytes[..used]);
                    let filled = filled + used;
                    if filled < buf.len() {
                        (PngWalk::Header { buf, filled, first }, used)
                    } else {
                        match Self::chunk_body(buf, first) {
                            Some(body) => (body, used),
                            None => return false,
                        }
                    }
                }
                PngWalk::Body { remaining, iend } => {
                    let available = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                    let skip = remaining.min(available);
                    let used = usize::try_from(skip).unwrap_or(bytes.len());
                    let remaining = remaining - skip;
                    let next = match (remaining, iend) {
                        (0, true) => PngWalk::End,
                        (0, false) => PngWalk::Header {
                            buf: [0; 8],
                            filled: 0,
                            first: false,
                        },
                        _ => PngWalk::Body { remaining, iend },
                    };
                    (next, used)
                }
                PngWalk::End => return false,
            };
            *self = next;
            bytes = &bytes[used..];
        }
        true
    }

    /// Checks a chunk header and returns the state that skips its body.
    fn chunk_body(header: [u8; 8], first: bool) -> Option<PngWalk> {
        let [l0, l1, l2, l3, t0, t1, t2, t3] = header;
        let length = u32::from_be_bytes([l0, l1, l2, l3]);
        let kind = [t0, t1, t2, t3];
        // The PNG specification caps chunk lengths at 2^31 - 1.
        let well_formed = length <= 0x7FFF_FFFF && kind.iter().all(u8::is_ascii_alphabetic);
        let first_ok = !first || (&kind == b"IHDR" && length == 13);
        let iend = &kind == b"IEND";
        if !well_formed || !first_ok || (iend && length != 0) {
            return None;
        }
        Some(PngWalk::Body {
            remaining: u64::from(length) + 4,
            iend,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn encrypt_found(pieces: &[&[u8]]) -> bool {
        refused_name(pieces) == Some(RefusedName::Encrypt)
    }

    fn refused_name(pieces: &[&[u8]]) -> Option<RefusedName> {
        let mut scan = NameScan::default();
        pieces.iter().find_map(|p| scan.feed(p)).or_else(|| scan.finish())
    }

    #[test]
    fn encrypt_name_is_found_across_any_cut() {
        let text: &[u8] = b"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R >>\n";
        for cut in 0..=text.len() {
            let (a, b) = text.split_at(cut);
            assert!(encrypt_found(&[a, b]), "cut at {cut}");
        }
        // Byte by byte.
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert!(encrypt_found(&bytes));
    }

    #[test]
    fn encrypt_name_forms() {
        for yes in [
            &b"/Encrypt 4 0 R"[..],
            b"/Encrypt<<",
            b"/Encr#79pt 4",
            b"/Encr#79#70t/",
            b"x/Encrypt",
        ] {
            assert!(encrypt_found(&[yes]), "{}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b"/EncryptMetadata false"[..],
            b"/Encryp t",
            b"Encrypt",
            b"/encrypt ",
            b"/Encr#7",
            b"/Encr#7zpt ",
        ] {
            assert!(!encrypt_found(&[no]), "{}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn sizes_are_described_for_people() {
        assert_eq!(describe_size(20 * 1024 * 1024), "20 MB");
        assert_eq!(describe_size(1536 * 1024), "1.5 MB");
        assert_eq!(describe_size(512 * 1024), "512 KB");
        assert_eq!(describe_size(100), "100 bytes");
        assert_eq!(describe_size(u64::MAX), "17592186044415.9 MB");
        assert_eq!(
            FileRejection::TooLarge {
                limit_bytes: 20 * 1024 * 1024
            }
            .to_string(),
            "The file is larger than the 20 MB limit."
        );
    }

    #[test]
    fn tail_keeps_the_last_window() {
        let mut tail = Tail::default();
        for i in 0..3000u32 {
            tail.push(&[(i % 251) as u8]);
        }
        assert_eq!(tail.bytes().len(), PDF_EOF_WINDOW);
        assert_eq!(tail.bytes()[PDF_EOF_WINDOW - 1], (2999 % 251) as u8);
        tail.push(&[7; 5000]);
        assert_eq!(tail.bytes(), &[7; PDF_EOF_WINDOW][..]);
    }

    #[test]
    fn script_launch_and_embedded_names_are_active_content_across_any_cut() {
        for text in [
            &b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"[..],
            b"<< /S /Launch /F (cmd.exe) >>",
            b"<< /Names << /EmbeddedFiles 5 0 R >> >>",
            b"<< /Type /Annot /Subtype /RichMedia >>",
            b"<< /S /Java#53cript >>",
        ] {
            for cut in 0..=text.len() {
                let (a, b) = text.split_at(cut);
                assert_eq!(
                    refused_name(&[a, b]),
                    Some(RefusedName::Active),
                    "{:?} cut at {cut}",
                    String::from_utf8_lossy(text)
                );
            }
        }
        // Ordinary names, and names that only start like a refused one, pass.
        for text in [
            &b"<< /Type /Page /JSX 1 /Launcher 2 /OpenAction [3 0 R /Fit] >>"[..],
            b"/JavaScripts",
        ] {
            assert_eq!(refused_name(&[text, b" "]), None, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn html_markup_makes_a_polyglot_across_any_cut() {
        let text = b"%PDF-1.4\n1 0 obj << >> endobj\n<!-- --><HTML><body><ScRiPt>alert(1)</script>";
        for cut in 0..=text.len() {
            let (a, b) = text.split_at(cut);
            let mut scan = MarkupScan::default();
            assert!(scan.feed(a) || scan.feed(b), "cut at {cut}");
        }
        let mut scan = MarkupScan::default();
        assert!(
            !scan.feed(b"<< /Type /Page >> <48656C6C6F> <</Length 5>> <h1"),
            "dictionaries and hex strings are not markup"
        );
    }
}
