//! Printable documents for a certifying board, rendered to PDF bytes.
//!
//! Two kinds of document: a credential [`Certificate`] (wall size or wallet card) and a [`Letter`].
//! Rendering is pure: no IO, no clock, no randomness, so equal input gives byte-identical output and
//! callers decide where the bytes go.
//!
//! Only the PDF base-14 fonts are used (Helvetica, Helvetica-Bold, Times-Roman) with
//! WinAnsiEncoding. Nothing is embedded, which keeps files a few kilobytes; the price is that text
//! is limited to WinAnsi (ASCII, Latin-1 and common typographic marks), and any other character is
//! printed as `?`. Decomposed accents (a letter followed by a combining mark) are not composed, so
//! callers should pass NFC text.
//!
//! Content streams are left uncompressed so the text stays inspectable and testable.

mod certificate;
mod doc;
mod letter;
mod metrics;
mod qr;
#[doc(hidden)]
pub mod text;

use std::fmt;

/// The facts printed on a certificate. All values are already formatted for display.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    /// e.g. "Sensate Certification Board".
    pub board_name: String,
    /// The holder's name as it should be printed; may contain non-ASCII.
    pub holder_name: String,
    /// e.g. "Certified Sex Therapist".
    pub credential_name: String,
    /// e.g. "CST".
    pub credential_short: String,
    /// One line saying what the credential means.
    pub explanation: String,
    /// e.g. "CST-2026-000123-46".
    pub credential_number: String,
    /// e.g. "24 November 2026".
    pub valid_from: String,
    pub valid_until: String,
    /// The rule set the credential was granted under, e.g. "2025.T.1".
    pub rule_version: String,
    /// Encoded in the QR code and printed beside it.
    pub verification_url: String,
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
}

/// Why a document could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrintError {
    /// The verification URL could not be encoded as a QR code (in practice: it is too long).
    QrCode(String),
}

impl fmt::Display for PrintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrintError::QrCode(reason) => write!(f, "cannot encode the verification URL as a QR code: {reason}"),
        }
    }
}

impl std::error::Error for PrintError {}

/// Renders `certificate` in the given size as a one-page PDF.
///
/// # Errors
/// [`PrintError::QrCode`] if the verification URL does not fit in a QR code.
pub fn certificate_pdf(certificate: &Certificate, size: CertificateSize) -> Result<Vec<u8>, PrintError> {
    certificate::render(certificate, size)
}

/// Renders `letter` as a PDF on US Letter portrait with 72 pt margins.
///
/// # Errors
/// None at present; the `Result` leaves room for failures without breaking callers.
pub fn letter_pdf(letter: &Letter) -> Result<Vec<u8>, PrintError> {
    Ok(letter::render(letter))
}

/// The font size the wallet card prints `holder_name` at, and the width that size must fit in.
/// Exposed for tests.
#[doc(hidden)]
pub fn wallet_holder_name_fit(holder_name: &str) -> (f32, f32) {
    certificate::wallet_name_fit(holder_name)
}
