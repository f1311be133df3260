//! Printable documents for a certifying board, rendered to PDF bytes.
//!
//! Two kinds of document: a credential [`Certificate`] (wall size or wallet card) and a [`Letter`].
//! Rendering is pure: no IO, no clock, no randomness, so equal input gives byte-identical output and
//! callers decide where the bytes go.
//!
//! Documents are PDF/A-2u, written with krilla. Text is set in Noto fonts compiled into the crate
//! (Latin with Vietnamese, Greek and Cyrillic; Arabic; Hebrew), embedded as subsets of the glyphs
//! used. Each character is drawn by the first font that has it; lines are ordered with the Unicode
//! bidirectional algorithm and shaped, so Arabic letters join and right-to-left names read right to
//! left, while the text layer keeps each run in typed order for search and copying. A character no
//! shipped font covers (CJK, for one) prints as U+FFFD. Single-line fields shrink to fit instead of
//! being cut; widths are measured from the shaped glyphs that are drawn.

mod certificate;
mod date;
mod doc;
mod fonts;
mod letter;
mod qr;
mod seal;
mod text;

use std::fmt;

/// The facts printed on a certificate. All values are already formatted for display.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    /// e.g. "Sensate Certification Board".
    pub board_name: String,
    /// e.g. "NBSP"; printed in the seal drawn when there is no logo.
    pub board_short_name: String,
    /// The holder's name as it should be printed, in any of the shipped scripts (Latin, Greek,
    /// Cyrillic, Arabic, Hebrew). Shrinks to fit on one line.
    pub holder_name: String,
    /// e.g. "Certified Sex Therapist".
    pub credential_name: String,
    /// e.g. "CST".
    pub credential_short: String,
    /// A sentence saying what the credential means; wrapped to at most three lines on the wall
    /// certificate and two on the wallet card, shrinking if it needs more.
    pub explanation: String,
    /// e.g. "CST-2026-000123-46".
    pub credential_number: String,
    /// e.g. "24 November 2026". Also read as the PDF's document date (see [`certificate_pdf`]).
    pub valid_from: String,
    pub valid_until: String,
    /// Encoded in the QR code and printed beside it.
    pub verification_url: String,
    /// Who signs for the board, e.g. "Dr. Jane Doe"; with an empty name the signatory block is
    /// left out.
    pub signatory_name: String,
    /// e.g. "Chair, Certification Committee".
    pub signatory_title: String,
    /// The board's logo as PNG; without one a seal with [`Certificate::board_short_name`] is drawn.
    pub logo_png: Option<Vec<u8>>,
}

/// Which certificate layout to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateSize {
    /// US Letter landscape, 792 x 612 pt, for framing.
    Wall,
    /// ID-1 card, 3.375 x 2.125 in (243 x 153 pt), to carry.
    Wallet,
}

/// A letter from the board, e.g. a decision on an application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Letter {
    pub board_name: String,
    /// Letterhead lines under the board name.
    pub board_address: Vec<String>,
    /// e.g. "24 November 2026". Also read as the PDF's document date (see [`letter_pdf`]).
    pub date: String,
    pub recipient_name: String,
    /// Further recipient lines, e.g. an e-mail address.
    pub recipient_lines: Vec<String>,
    /// Printed in bold above the body, and used as the document title.
    pub subject: String,
    /// Body paragraphs; wrapped to the text width, continuing onto further pages as needed.
    /// A `\n` inside a paragraph forces a line break.
    pub paragraphs: Vec<String>,
    /// Closing lines, e.g. `["Certification Committee", "Sensate Certification Board"]`; kept on one page.
    pub signature: Vec<String>,
    /// Printed small in every page's footer next to "Page N of M", e.g. an application id.
    pub reference: String,
    /// The board's logo as PNG, printed in the letterhead.
    pub logo_png: Option<Vec<u8>>,
}

/// Why a document could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrintError {
    /// The verification URL could not be encoded as a QR code (in practice: it is too long).
    QrCode(String),
    /// The logo is not a PNG that can be read.
    Logo(String),
    /// The PDF could not be written; a bug rather than a problem with the input.
    Pdf(String),
}

impl fmt::Display for PrintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrintError::QrCode(reason) => write!(f, "cannot encode the verification URL as a QR code: {reason}"),
            PrintError::Logo(reason) => write!(f, "cannot read the logo as PNG: {reason}"),
            PrintError::Pdf(reason) => write!(f, "cannot write the PDF: {reason}"),
        }
    }
}

impl std::error::Error for PrintError {}

/// Renders `certificate` in the given size as a one-page PDF/A-2u document.
///
/// PDF/A requires a document date; it is read from [`Certificate::valid_from`] ("24 November 2026",
/// "November 24, 2026" and "2026-11-24" are understood, a bare year too), never from the clock. A
/// text without a year gives 1970-01-01.
///
/// # Errors
/// [`PrintError::QrCode`] if the verification URL does not fit in a QR code,
/// [`PrintError::Logo`] if the logo is not a readable PNG.
pub fn certificate_pdf(certificate: &Certificate, size: CertificateSize) -> Result<Vec<u8>, PrintError> {
    certificate::render(certificate, size)
}

/// Renders `letter` as a PDF/A-2u document on US Letter portrait with 72 pt margins.
///
/// The document date is read from [`Letter::date`] as for [`certificate_pdf`].
///
/// # Errors
/// [`PrintError::Logo`] if the logo is not a readable PNG.
pub fn letter_pdf(letter: &Letter) -> Result<Vec<u8>, PrintError> {
    letter::render(letter)
}

/// The font size each layout prints `holder_name` at, and the width that size must fit in, as
/// `(size, available)` for [`CertificateSize::Wall`] and then [`CertificateSize::Wallet`].
/// Exposed for tests.
#[doc(hidden)]
pub fn holder_name_fit(holder_name: &str) -> Result<[(f32, f32); 2], PrintError> {
    certificate::name_fit(holder_name)
}

/// Where a certificate's QR code square (quiet zone included) is drawn, as `[x, y, side]` in points
/// from the page's top-left corner. Exposed for tests.
#[doc(hidden)]
pub fn qr_square(size: CertificateSize) -> [f32; 3] {
    certificate::qr_square(size)
}
