//! Certificate layouts: a wall certificate and a wallet card carrying the same facts.
//!
//! Every single-line field shrinks to fit its space instead of being cut, because a certificate
//! that drops part of a name or number is worse than one with smaller type.

use crate::date::document_date;
use crate::doc::{ACCENT, GOLD, INK, Meta, Painter, SECONDARY, Style, document, finish, page_settings, png};
use crate::fonts::{Face, Fonts};
use crate::seal::{self, Anchor};
use crate::text::{fit_size, shape, wrap};
use crate::{Certificate, CertificateSize, PrintError, qr};

/// US Letter landscape.
const WALL: (f32, f32) = (792.0, 612.0);
const WALL_NAME: Style = Style::new(Face::Serif, 40.0);
/// The width the wall certificate's centred lines may take.
const WALL_TEXT_WIDTH: f32 = 600.0;

/// ISO/IEC 7810 ID-1, the size of a bank card: 3.375 in x 2.125 in.
const WALLET: (f32, f32) = (243.0, 153.0);
/// Left and right margin of the wallet card's text.
const WALLET_MARGIN: f32 = 14.0;
const WALLET_NAME: Style = Style::new(Face::Serif, 14.0);
const WALLET_TEXT_WIDTH: f32 = WALLET.0 - 2.0 * WALLET_MARGIN;

pub(crate) fn render(certificate: &Certificate, size: CertificateSize) -> Result<Vec<u8>, PrintError> {
    let fonts = Fonts::get()?;
    // Inputs that can fail are checked before any drawing.
    let code = qr::encode(&certificate.verification_url)?;
    let logo = certificate.logo_png.as_deref().map(png).transpose()?;

    let (width, height) = match size {
        CertificateSize::Wall => WALL,
        CertificateSize::Wallet => WALLET,
    };
    let mut document = document(Meta {
        title: format!("{}: {}", certificate.credential_name, certificate.holder_name),
        author: certificate.board_name.clone(),
        date: document_date(&certificate.valid_from),
        id: Some(format!("{} {size:?}", certificate.credential_number)),
    })?;
    {
        let mut page = document.start_page_with(page_settings(width, height)?);
        let mut surface = page.surface();
        let mut painter = Painter::new(&mut surface, fonts);
        let card = Card {
            certificate,
            code: &code,
            logo,
        };
        match size {
            CertificateSize::Wall => card.wall(&mut painter),
            CertificateSize::Wallet => card.wallet(&mut painter),
        }
    }
    finish(document)
}

const WALL_QR_SIZE: f32 = 100.0;
const WALLET_QR_SIZE: f32 = 54.0;

/// The top-left corner of the wall certificate's QR code square (quiet zone included).
fn wall_qr() -> (f32, f32) {
    (WALL.0 - 50.0 - WALL_QR_SIZE, WALL.1 - 44.0 - WALL_QR_SIZE)
}

/// The top-left corner of the wallet card's QR code square (quiet zone included).
fn wallet_qr() -> (f32, f32) {
    (WALLET.0 - 9.0 - WALLET_QR_SIZE, WALLET.1 - 9.0 - WALLET_QR_SIZE)
}

/// Where the QR code's square (quiet zone included) is drawn: `[x, y, side]` from the top-left.
pub(crate) fn qr_square(size: CertificateSize) -> [f32; 3] {
    match size {
        CertificateSize::Wall => {
            let (x, y) = wall_qr();
            [x, y, WALL_QR_SIZE]
        }
        CertificateSize::Wallet => {
            let (x, y) = wallet_qr();
            [x, y, WALLET_QR_SIZE]
        }
    }
}

/// The holder name's size and available width on the wall certificate and on the wallet card.
pub(crate) fn name_fit(holder_name: &str) -> Result<[(f32, f32); 2], PrintError> {
    let shaped = shape(Fonts::get()?, WALL_NAME.face, holder_name);
    let wall = (fit_size(&shaped, WALL_NAME.size, WALL_TEXT_WIDTH), WALL_TEXT_WIDTH);
    let shaped = shape(Fonts::get()?, WALLET_NAME.face, holder_name);
    let wallet = (
        fit_size(&shaped, WALLET_NAME.size, WALLET_TEXT_WIDTH),
        WALLET_TEXT_WIDTH,
    );
    Ok([wall, wallet])
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

/// The facts under the credential, as (label, value) pairs.
fn details(certificate: &Certificate) -> [(&'static str, &str); 3] {
    [
        ("Credential number", &certificate.credential_number),
        ("Valid from", &certificate.valid_from),
        ("Valid until", &certificate.valid_until),
    ]
}

/// Lines of `text` wrapped to `max_width`, shrinking the type until they take at most `max_lines`.
/// Past 70 % of the size, whatever is left goes on the last line and every line shrinks to let
/// that one fit: smaller type, but nothing cut.
fn wrap_within(
    painter: &Painter<'_, '_>,
    style: Style,
    max_width: f32,
    max_lines: usize,
    text: &str,
) -> (Style, Vec<String>) {
    let smallest = style.size * 0.7;
    let mut style = style;
    loop {
        let lines = wrap(painter.fonts, style.face, style.size, max_width, text);
        if lines.len() <= max_lines {
            return (style, lines);
        }
        if style.size * 0.95 < smallest {
            // Still too long: put everything left on the last line, shrunk to fit.
            let (kept, rest) = lines.split_at(max_lines.saturating_sub(1));
            let mut lines = kept.to_vec();
            lines.push(rest.join(" "));
            let last = lines.last().map(String::as_str).unwrap_or_default();
            let style = painter.fitted(style, last, max_width);
            return (style, lines);
        }
        style = style.size(style.size * 0.95);
    }
}

struct Card<'a> {
    certificate: &'a Certificate,
    code: &'a qrcode::QrCode,
    logo: Option<krilla::image::Image>,
}

impl Card<'_> {
    fn wall(self, painter: &mut Painter<'_, '_>) {
        let certificate = self.certificate;
        let (width, height) = WALL;
        let center = width / 2.0;

        // A heavy outer and a fine gold inner frame, with small squares where the inner one turns.
        painter.frame(20.0, 20.0, width - 40.0, height - 40.0, 2.5, ACCENT);
        painter.frame(28.0, 28.0, width - 56.0, height - 56.0, 0.75, GOLD);
        for (x, y) in [
            (28.0, 28.0),
            (width - 28.0, 28.0),
            (28.0, height - 28.0),
            (width - 28.0, height - 28.0),
        ] {
            diamond(painter, x, y, 4.0);
        }

        seal::draw(
            painter,
            self.logo,
            &certificate.board_short_name,
            Anchor::Center(center),
            86.0,
            (240.0, 72.0),
        );

        let board = painter.fitted(
            Style::new(Face::Serif, 24.0).color(ACCENT),
            &certificate.board_name,
            WALL_TEXT_WIDTH,
        );
        painter.text_centered(center, 158.0, board, &certificate.board_name);
        painter.line((center - 48.0, 172.0), (center + 48.0, 172.0), 0.75, GOLD);

        let connective = Style::new(Face::Sans, 12.0).color(SECONDARY);
        painter.text_centered(center, 204.0, connective, "This certifies that");

        let name = painter.fitted(WALL_NAME, &certificate.holder_name, WALL_TEXT_WIDTH);
        painter.text_centered(center, 256.0, name, &certificate.holder_name);
        painter.line((center - 230.0, 277.0), (center + 230.0, 277.0), 0.5, GOLD);

        painter.text_centered(center, 302.0, connective, "holds the credential");
        let heading = credential_heading(certificate);
        let credential = painter.fitted(Style::new(Face::Serif, 22.0).color(ACCENT), &heading, WALL_TEXT_WIDTH);
        painter.text_centered(center, 332.0, credential, &heading);

        let explanation = Style::new(Face::Sans, 11.0).color(SECONDARY);
        let (explanation, lines) = wrap_within(painter, explanation, 520.0, 3, &certificate.explanation);
        for (index, line) in lines.iter().enumerate() {
            painter.text_centered(center, 356.0 + index as f32 * 15.0, explanation, line);
        }

        // Number and dates in three centred columns.
        let column = 180.0;
        let label = Style::new(Face::Sans, 8.0).color(SECONDARY);
        let value = Style::new(Face::SansBold, 12.0);
        for (index, (caption, text)) in details(certificate).iter().enumerate() {
            let x = center + (index as f32 - 1.0) * column;
            painter.text_centered(x, 418.0, label, caption);
            painter.text_centered(x, 434.0, painter.fitted(value, text, column - 12.0), text);
        }

        // Bottom band: the signatory on the left, the QR code with its URL on the right, the last
        // lines of both on one baseline.
        let (qr_x, qr_y) = wall_qr();
        let inset = qr::draw(painter, self.code, qr_x, qr_y, WALL_QR_SIZE);
        let baseline = qr_y + WALL_QR_SIZE - inset - 1.0;
        painter.text_right(qr_x, baseline - 13.0, label, "Verify this credential at");
        let url = painter.fitted(Style::new(Face::Sans, 9.0), &certificate.verification_url, qr_x - 320.0);
        painter.text_right(qr_x, baseline, url, &certificate.verification_url);

        if !certificate.signatory_name.trim().is_empty() {
            let (left, right) = (72.0, 292.0);
            let rule = baseline - 28.0;
            painter.line((left, rule), (right, rule), 0.75, INK);
            let name = painter.fitted(
                Style::new(Face::SansBold, 11.0),
                &certificate.signatory_name,
                right - left,
            );
            painter.text(left, rule + 15.0, name, &certificate.signatory_name);
            let title = painter.fitted(
                Style::new(Face::Sans, 9.0).color(SECONDARY),
                &certificate.signatory_title,
                right - left,
            );
            painter.text(left, baseline, title, &certificate.signatory_title);
        }
    }

    fn wallet(self, painter: &mut Painter<'_, '_>) {
        let certificate = self.certificate;
        let (width, height) = WALLET;
        let left = WALLET_MARGIN;

        painter.frame(4.0, 4.0, width - 8.0, height - 8.0, 1.2, ACCENT);
        painter.frame(7.0, 7.0, width - 14.0, height - 14.0, 0.4, GOLD);

        // Header: the mark, with the board's name and the connective beside it.
        let mark_width = seal::draw(
            painter,
            self.logo,
            &certificate.board_short_name,
            Anchor::Left(left),
            29.0,
            (72.0, 28.0),
        );
        let header_x = left + mark_width + 7.0;
        let header_width = width - WALLET_MARGIN - header_x;
        let board = painter.fitted(
            Style::new(Face::SansBold, 8.0).color(ACCENT),
            &certificate.board_name,
            header_width,
        );
        painter.text(header_x, 27.0, board, &certificate.board_name);
        painter.text(
            header_x,
            37.0,
            Style::new(Face::Sans, 5.5).color(SECONDARY),
            "This certifies that",
        );

        let name = painter.fitted(WALLET_NAME, &certificate.holder_name, WALLET_TEXT_WIDTH);
        painter.text(left, 62.0, name, &certificate.holder_name);
        painter.line((left, 68.5), (width - WALLET_MARGIN, 68.5), 0.3, GOLD);

        let heading = credential_heading(certificate);
        let credential = painter.fitted(
            Style::new(Face::SansBold, 7.0).color(ACCENT),
            &heading,
            WALLET_TEXT_WIDTH,
        );
        painter.text(left, 77.5, credential, &heading);
        let explanation = Style::new(Face::Sans, 5.2).color(SECONDARY);
        let (explanation, lines) = wrap_within(painter, explanation, WALLET_TEXT_WIDTH, 2, &certificate.explanation);
        for (index, line) in lines.iter().enumerate() {
            painter.text(left, 85.0 + index as f32 * 6.5, explanation, line);
        }

        // The QR code takes the lower right; details and the check line sit to its left.
        let (qr_x, qr_y) = wallet_qr();
        let inset = qr::draw(painter, self.code, qr_x, qr_y, WALLET_QR_SIZE);
        let text_right = qr_x + inset - 4.0;

        let label = Style::new(Face::Sans, 4.6).color(SECONDARY);
        let value = Style::new(Face::SansBold, 6.3);
        let [number, from, until] = details(certificate);
        let column = (text_right - left) / 2.0;
        let rows: [&[(&str, &str)]; 2] = [&[number], &[from, until]];
        for (row, facts) in rows.iter().enumerate() {
            let y = 103.0 + row as f32 * 15.0;
            for (index, (caption, text)) in facts.iter().enumerate() {
                let x = left + index as f32 * column;
                let room = if facts.len() == 1 {
                    text_right - left
                } else {
                    column - 4.0
                };
                painter.text(x, y, label, caption);
                painter.text(x, y + 7.0, painter.fitted(value, text, room), text);
            }
        }

        let room = text_right - left;
        if !certificate.signatory_name.trim().is_empty() {
            let signed = if certificate.signatory_title.trim().is_empty() {
                certificate.signatory_name.clone()
            } else {
                format!("{}, {}", certificate.signatory_name, certificate.signatory_title)
            };
            let style = painter.fitted(Style::new(Face::Sans, 5.0), &signed, room);
            painter.text(left, 133.0, style, &signed);
        }
        let verify = format!("Verify at {}", certificate.verification_url);
        let style = painter.fitted(Style::new(Face::Sans, 5.0).color(SECONDARY), &verify, room);
        painter.text(left, height - 13.0, style, &verify);
    }
}

/// A small filled square standing on its corner, centred on (`x`, `y`).
fn diamond(painter: &mut Painter<'_, '_>, x: f32, y: f32, radius: f32) {
    painter.polygon(
        &[(x, y - radius), (x + radius, y), (x, y + radius), (x - radius, y)],
        GOLD,
    );
}
