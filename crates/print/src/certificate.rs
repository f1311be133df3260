//! Certificate layouts: a wall certificate and a wallet card carrying the same facts.
//!
//! Every single-line field shrinks to fit its space instead of being cut, because a certificate
//! that drops part of a name or number is worse than one with smaller type.

use crate::doc::{Canvas, Style, assemble};
use crate::qr;
use crate::text::Font;
use crate::{Certificate, CertificateSize, PrintError};

/// US Letter landscape.
const WALL: (f32, f32) = (792.0, 612.0);
/// ISO/IEC 7810 ID-1, the size of a bank card: 3.375 in x 2.125 in.
const WALLET: (f32, f32) = (243.0, 153.0);

/// Left and right margin of the wallet card's text.
const WALLET_MARGIN: f32 = 12.0;
const WALLET_NAME: Style = Style::new(Font::HelveticaBold, 13.0);

pub(crate) fn render(certificate: &Certificate, size: CertificateSize) -> Result<Vec<u8>, PrintError> {
    let mut canvas = Canvas::new();
    let (width, height) = match size {
        CertificateSize::Wall => {
            wall(&mut canvas, certificate)?;
            WALL
        }
        CertificateSize::Wallet => {
            wallet(&mut canvas, certificate)?;
            WALLET
        }
    };
    let title = format!("{}: {}", certificate.credential_name, certificate.holder_name);
    Ok(assemble(&title, width, height, vec![canvas]))
}

/// The font size the wallet card uses for `holder_name`, and the width it must fit in.
pub(crate) fn wallet_name_fit(holder_name: &str) -> (f32, f32) {
    let available = WALLET.0 - 2.0 * WALLET_MARGIN;
    (WALLET_NAME.fitted(holder_name, available).size, available)
}

/// "Certified Sex Therapist (CST)", without the parentheses when there is no distinct short form.
fn credential_heading(certificate: &Certificate) -> String {
    let short = certificate.credential_short.trim();
    if short.is_empty() || short == certificate.credential_name.trim() {
        certificate.credential_name.clone()
    } else {
        format!("{} ({short})", certificate.credential_name)
    }
}

/// The facts shown in the details grid, row by row, as (label, value) pairs.
fn details(certificate: &Certificate) -> [[(&'static str, &str); 2]; 2] {
    [
        [
            ("Credential number", &certificate.credential_number),
            ("Rule version", &certificate.rule_version),
        ],
        [
            ("Valid from", &certificate.valid_from),
            ("Valid until", &certificate.valid_until),
        ],
    ]
}

fn wall(canvas: &mut Canvas, certificate: &Certificate) -> Result<(), PrintError> {
    let (width, height) = WALL;
    let center = width / 2.0;
    let margin = 90.0;
    let text_width = width - 2.0 * margin;

    // A heavier outer and a hairline inner frame: reads as a certificate without any artwork.
    canvas.frame(28.0, 28.0, width - 56.0, height - 56.0, 1.5);
    canvas.frame(34.0, 34.0, width - 68.0, height - 68.0, 0.5);

    let board = Style::new(Font::TimesRoman, 26.0);
    canvas.text_centered(
        center,
        508.0,
        board.fitted(&certificate.board_name, text_width),
        &certificate.board_name,
    );
    canvas.rule(center - 40.0, center + 40.0, 492.0, 0.75, 0.0);

    let connective = Style::new(Font::Helvetica, 12.0).secondary();
    canvas.text_centered(center, 456.0, connective, "certifies that");

    let name = Style::new(Font::TimesRoman, 42.0).fitted(&certificate.holder_name, text_width);
    canvas.text_centered(center, 404.0, name, &certificate.holder_name);
    canvas.rule(center - 190.0, center + 190.0, 390.0, 0.5, 0.35);

    canvas.text_centered(center, 362.0, connective, "holds the credential");
    let heading = credential_heading(certificate);
    let credential = Style::new(Font::HelveticaBold, 22.0).fitted(&heading, text_width);
    canvas.text_centered(center, 330.0, credential, &heading);
    let explanation = Style::new(Font::Helvetica, 12.0).fitted(&certificate.explanation, text_width);
    canvas.text_centered(center, 306.0, explanation, &certificate.explanation);

    // Details on the left, QR code on the right, sharing the bottom band.
    let label = Style::new(Font::Helvetica, 8.5).secondary();
    let value = Style::new(Font::HelveticaBold, 12.0);
    let column_width = 165.0;
    for (row, pairs) in details(certificate).iter().enumerate() {
        let y = 196.0 - row as f32 * 44.0;
        for (column, (caption, text)) in pairs.iter().enumerate() {
            let x = margin + column as f32 * (column_width + 10.0);
            canvas.text(x, y, label, caption);
            canvas.text(x, y - 15.0, value.fitted(text, column_width), text);
        }
    }

    let qr_size = 132.0;
    let qr_bottom = 100.0;
    let ink_right = qr::draw(
        canvas,
        width - margin + 10.0 - qr_size,
        qr_bottom,
        qr_size,
        &certificate.verification_url,
    )?;
    let caption = Style::new(Font::Helvetica, 8.0);
    let caption_width = ink_right - (margin + 2.0 * column_width + 30.0);
    canvas.text_right(
        ink_right,
        qr_bottom - 8.0,
        caption.secondary(),
        "Check this credential at",
    );
    let url = caption.fitted(&certificate.verification_url, caption_width);
    canvas.text_right(ink_right, qr_bottom - 19.0, url, &certificate.verification_url);
    Ok(())
}

fn wallet(canvas: &mut Canvas, certificate: &Certificate) -> Result<(), PrintError> {
    let (width, _) = WALLET;
    let left = WALLET_MARGIN;
    let full_width = width - 2.0 * WALLET_MARGIN;

    canvas.frame(5.0, 5.0, width - 10.0, WALLET.1 - 10.0, 0.75);

    let board = Style::new(Font::HelveticaBold, 7.5).fitted(&certificate.board_name, full_width);
    canvas.text(left, 136.0, board, &certificate.board_name);
    canvas.text(
        left,
        126.0,
        Style::new(Font::Helvetica, 5.5).secondary(),
        "certifies that",
    );
    let (name_size, _) = wallet_name_fit(&certificate.holder_name);
    canvas.text(
        left,
        112.0,
        Style {
            size: name_size,
            ..WALLET_NAME
        },
        &certificate.holder_name,
    );
    let heading = credential_heading(certificate);
    canvas.text(
        left,
        100.0,
        Style::new(Font::HelveticaBold, 7.5).fitted(&heading, full_width),
        &heading,
    );
    let explanation = Style::new(Font::Helvetica, 5.5).fitted(&certificate.explanation, full_width);
    canvas.text(left, 91.0, explanation, &certificate.explanation);

    // The QR code takes the lower right; details and the check line sit to its left.
    let qr_size = 66.0;
    let qr_x = width - 7.0 - qr_size;
    qr::draw(canvas, qr_x, 12.0, qr_size, &certificate.verification_url)?;

    let label = Style::new(Font::Helvetica, 5.0).secondary();
    let value = Style::new(Font::HelveticaBold, 6.5);
    let column_width = 74.0;
    for (row, pairs) in details(certificate).iter().enumerate() {
        let y = 76.0 - row as f32 * 19.0;
        for (column, (caption, text)) in pairs.iter().enumerate() {
            let x = left + column as f32 * (column_width + 4.0);
            canvas.text(x, y, label, caption);
            canvas.text(x, y - 7.5, value.fitted(text, column_width), text);
        }
    }

    let check_width = qr_x - left - 2.0;
    canvas.text(left, 28.0, label, "Check this credential at");
    let url = Style::new(Font::Helvetica, 5.5).fitted(&certificate.verification_url, check_width);
    canvas.text(left, 20.5, url, &certificate.verification_url);
    Ok(())
}
