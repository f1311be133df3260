#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Checks the generated PDFs by reading their (uncompressed) content streams back.

use print::text::{Font, text_width, wrap};
use print::{Certificate, CertificateSize, Letter, PrintError, certificate_pdf, letter_pdf, wallet_holder_name_fit};
use qrcode::{Color, EcLevel, QrCode};

fn certificate() -> Certificate {
    Certificate {
        board_name: "Sensate Certification Board".into(),
        holder_name: "Zoë Ångström".into(),
        credential_name: "Certified Sex Therapist".into(),
        credential_short: "CST".into(),
        explanation: "Qualified to provide sex therapy under the board’s supervision and ethics rules.".into(),
        credential_number: "CST-2026-000123-46".into(),
        valid_from: "24 November 2026".into(),
        valid_until: "23 November 2029".into(),
        rule_version: "2025.T.1".into(),
        verification_url: "https://verify.sensate.example/c/CST-2026-000123-46".into(),
    }
}

fn letter(paragraphs: Vec<String>) -> Letter {
    Letter {
        board_name: "Sensate Certification Board".into(),
        board_address: vec!["1 Example Street, Springfield".into(), "board@sensate.example".into()],
        date: "24 November 2026".into(),
        recipient_name: "Zoë Ångström".into(),
        recipient_lines: vec!["zoe@example.org".into()],
        subject: "Your application APP-2026-0042".into(),
        paragraphs,
        signature: vec!["Certification Committee".into(), "Sensate Certification Board".into()],
        reference: "APP-2026-0042".into(),
    }
}

/// One text-showing operation: the font resource and size in effect, and the string's bytes.
#[derive(Debug)]
struct Shown {
    font: String,
    size: f32,
    text: Vec<u8>,
}

/// What one content stream draws.
#[derive(Debug, Default)]
struct Page {
    shown: Vec<Shown>,
    /// Rectangles (`re`) painted by a fill operator.
    filled_rects: usize,
}

#[derive(Debug)]
enum Token {
    Number(f32),
    Name(String),
    Str(Vec<u8>),
    Op(String),
}

fn assert_pdf_envelope(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "missing header");
    let trimmed = pdf.strip_suffix(b"\n").unwrap_or(pdf);
    assert!(trimmed.ends_with(b"%%EOF"), "missing %%EOF");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// The bodies of all streams, in file order. The documents only contain page content streams.
fn streams(pdf: &[u8]) -> Vec<&[u8]> {
    let mut result = Vec::new();
    let mut rest = pdf;
    while let Some(start) = find(rest, b"stream\n") {
        let body = &rest[start + b"stream\n".len()..];
        let end = find(body, b"\nendstream").expect("unterminated stream");
        result.push(&body[..end]);
        rest = &body[end + b"\nendstream".len()..];
    }
    result
}

fn tokenize(content: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < content.len() {
        let c = content[i];
        match c {
            b' ' | b'\n' | b'\r' | b'\t' => i += 1,
            b'(' => {
                let mut text = Vec::new();
                let mut depth = 1;
                i += 1;
                loop {
                    let c = content[i];
                    i += 1;
                    match c {
                        b'\\' => {
                            let e = content[i];
                            i += 1;
                            match e {
                                b'n' => text.push(b'\n'),
                                b'r' => text.push(b'\r'),
                                b't' => text.push(b'\t'),
                                b'b' => text.push(8),
                                b'f' => text.push(12),
                                b'0'..=b'7' => {
                                    let mut value = u32::from(e - b'0');
                                    for _ in 0..2 {
                                        if matches!(content[i], b'0'..=b'7') {
                                            value = value * 8 + u32::from(content[i] - b'0');
                                            i += 1;
                                        }
                                    }
                                    text.push(u8::try_from(value).unwrap());
                                }
                                other => text.push(other),
                            }
                        }
                        b'(' => {
                            depth += 1;
                            text.push(c);
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            text.push(c);
                        }
                        _ => text.push(c),
                    }
                }
                tokens.push(Token::Str(text));
            }
            b'<' => {
                let end = i + content[i..].iter().position(|b| *b == b'>').unwrap();
                let hex: Vec<u8> = content[i + 1..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                let bytes = hex
                    .chunks(2)
                    .map(|pair| {
                        let pair = if pair.len() == 2 {
                            pair.to_vec()
                        } else {
                            vec![pair[0], b'0']
                        };
                        u8::from_str_radix(std::str::from_utf8(&pair).unwrap(), 16).unwrap()
                    })
                    .collect();
                tokens.push(Token::Str(bytes));
                i = end + 1;
            }
            b'/' => {
                let start = i + 1;
                i = start;
                while i < content.len() && !b" \n\r\t/[]()<>".contains(&content[i]) {
                    i += 1;
                }
                tokens.push(Token::Name(String::from_utf8(content[start..i].to_vec()).unwrap()));
            }
            b'[' | b']' => i += 1,
            b'0'..=b'9' | b'.' | b'-' | b'+' => {
                let start = i;
                while i < content.len() && matches!(content[i], b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E') {
                    i += 1;
                }
                let number = std::str::from_utf8(&content[start..i]).unwrap().parse().unwrap();
                tokens.push(Token::Number(number));
            }
            _ => {
                let start = i;
                while i < content.len() && !b" \n\r\t/[]()<>".contains(&content[i]) {
                    i += 1;
                }
                tokens.push(Token::Op(String::from_utf8(content[start..i].to_vec()).unwrap()));
            }
        }
    }
    tokens
}

/// Interprets the few operators the documents use.
fn read_page(content: &[u8]) -> Page {
    let mut page = Page::default();
    let mut operands: Vec<Token> = Vec::new();
    let mut font = String::new();
    let mut size = 0.0;
    let mut pending_rects = 0;
    for token in tokenize(content) {
        let Token::Op(op) = token else {
            operands.push(token);
            continue;
        };
        match op.as_str() {
            "Tf" => {
                if let [Token::Name(name), Token::Number(value)] = operands.as_slice() {
                    font.clone_from(name);
                    size = *value;
                }
            }
            "Tj" => {
                if let [Token::Str(text)] = operands.as_slice() {
                    page.shown.push(Shown {
                        font: font.clone(),
                        size,
                        text: text.clone(),
                    });
                }
            }
            "re" => pending_rects += 1,
            "f" | "f*" | "F" | "b" | "b*" | "B" | "B*" => page.filled_rects += std::mem::take(&mut pending_rects),
            "S" | "s" | "n" => pending_rects = 0,
            _ => {}
        }
        operands.clear();
    }
    page
}

fn pages(pdf: &[u8]) -> Vec<Page> {
    streams(pdf).into_iter().map(read_page).collect()
}

fn shows(page: &Page, text: &[u8]) -> bool {
    page.shown.iter().any(|shown| shown.text == text)
}

fn page_objects(pdf: &[u8]) -> usize {
    count(pdf, b"/Type /Page") - count(pdf, b"/Type /Pages")
}

fn dark_modules(data: &str) -> usize {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).unwrap();
    code.to_colors()
        .into_iter()
        .filter(|color| *color == Color::Dark)
        .count()
}

#[test]
fn certificates_are_complete_pdfs_with_the_right_page_size() {
    for (size, media_box) in [
        (CertificateSize::Wall, &b"/MediaBox [0 0 792 612]"[..]),
        (CertificateSize::Wallet, b"/MediaBox [0 0 243 153]"),
    ] {
        let pdf = certificate_pdf(&certificate(), size).unwrap();
        assert_pdf_envelope(&pdf);
        assert_eq!(count(&pdf, media_box), 1, "{size:?}");
        assert_eq!(page_objects(&pdf), 1);
        assert!(find(&pdf, b"/Creator (Sensate)").is_some());
        assert!(find(&pdf, b"/Title").is_some());
        assert!(find(&pdf, b"/Encoding /WinAnsiEncoding").is_some());
        // Base-14 fonts only: nothing embedded.
        assert!(find(&pdf, b"/FontFile").is_none());
    }
}

#[test]
fn certificate_shows_the_facts_in_win_ansi() {
    let cert = certificate();
    for size in [CertificateSize::Wall, CertificateSize::Wallet] {
        let pdf = certificate_pdf(&cert, size).unwrap();
        let pages = pages(&pdf);
        assert_eq!(pages.len(), 1);
        let page = &pages[0];
        // "Zoë Ångström": ë is 0xEB, Å 0xC5, ö 0xF6 in WinAnsi.
        assert!(shows(page, b"Zo\xEB \xC5ngstr\xF6m"), "{size:?}: {page:?}");
        assert!(shows(page, cert.credential_number.as_bytes()));
        assert!(shows(page, cert.verification_url.as_bytes()));
        assert!(shows(page, cert.rule_version.as_bytes()));
        assert!(shows(page, cert.valid_from.as_bytes()));
        assert!(shows(page, cert.valid_until.as_bytes()));
        assert!(shows(page, b"Certified Sex Therapist (CST)"));
        assert!(shows(page, b"Check this credential at"));
        // The typographic apostrophe maps to WinAnsi 0x92.
        assert!(page.shown.iter().any(|s| find(&s.text, b"board\x92s").is_some()));
    }
}

#[test]
fn characters_outside_win_ansi_become_question_marks() {
    let cert = Certificate {
        holder_name: "Łukasz 李 Öz€".into(),
        ..certificate()
    };
    let pdf = certificate_pdf(&cert, CertificateSize::Wall).unwrap();
    assert!(shows(&pages(&pdf)[0], b"?ukasz ? \xD6z\x80"));
}

#[test]
fn qr_code_draws_one_filled_rectangle_per_dark_module() {
    for url in [
        "https://verify.sensate.example/c/CST-2026-000123-46",
        "https://s.example/x",
    ] {
        let cert = Certificate {
            verification_url: url.into(),
            ..certificate()
        };
        let expected = dark_modules(url);
        assert!(expected > 100);
        for size in [CertificateSize::Wall, CertificateSize::Wallet] {
            let pdf = certificate_pdf(&cert, size).unwrap();
            assert_eq!(pages(&pdf)[0].filled_rects, expected, "{url} {size:?}");
        }
    }
}

#[test]
fn unencodable_url_is_an_error() {
    let cert = Certificate {
        verification_url: format!("https://verify.example/{}", "x".repeat(5000)),
        ..certificate()
    };
    let error = certificate_pdf(&cert, CertificateSize::Wallet).unwrap_err();
    assert!(matches!(error, PrintError::QrCode(_)));
    assert!(error.to_string().contains("QR code"));
}

#[test]
fn output_is_deterministic() {
    let a = certificate_pdf(&certificate(), CertificateSize::Wall).unwrap();
    let b = certificate_pdf(&certificate(), CertificateSize::Wall).unwrap();
    assert_eq!(a, b);
}

#[test]
fn wallet_card_shrinks_a_long_name_to_fit() {
    let name = "Maria Fernanda de los Ángeles Villaseñor-Montenegro y Castellanos-Oyarzábal";
    let (size, available) = wallet_holder_name_fit(name);
    assert!(size < 13.0, "a name this long should shrink, got {size}");
    assert!(size > 4.0);
    assert!(text_width(name, Font::HelveticaBold, size) <= available);
    assert!(available <= 243.0 - 2.0 * 5.0, "must stay inside the card's frame");

    let (short_size, _) = wallet_holder_name_fit("Zoë Ångström");
    assert!(
        (short_size - 13.0).abs() < f32::EPSILON,
        "short names keep the full size"
    );

    // The card really uses that size for the name.
    let cert = Certificate {
        holder_name: name.into(),
        ..certificate()
    };
    let pdf = certificate_pdf(&cert, CertificateSize::Wallet).unwrap();
    let encoded = print::text::encode_win_ansi(name);
    let shown = pages(&pdf)[0]
        .shown
        .iter()
        .find(|s| s.text == encoded)
        .map(|s| (s.font.clone(), s.size))
        .unwrap();
    assert_eq!(shown.0, "F2");
    assert!((shown.1 - size).abs() < 1e-4);
}

#[test]
fn a_very_long_word_is_broken_within_the_text_width() {
    let word: String = "Sensate".chars().cycle().take(300).collect();
    let max_width = 468.0;
    for font in [Font::Helvetica, Font::HelveticaBold] {
        let lines = wrap(&word, font, 11.0, max_width);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(text_width(line, font, 11.0) <= max_width, "{line}");
        }
        assert_eq!(lines.concat(), word);
    }
    // Text after the long word continues on its last line when it fits.
    let lines = wrap(&format!("{word} end"), Font::Helvetica, 11.0, max_width);
    assert!(lines.last().unwrap().ends_with(" end"));
}

#[test]
fn wrapped_lines_never_exceed_the_width() {
    let text = "The board reviewed your supervised hours, your continuing education record and the two \
                references you supplied. Everything was in order – “complete”, as the committee put it — and \
                no further documents are needed.";
    for width in [80.0, 150.0, 200.0, 468.0] {
        let lines = wrap(text, Font::Helvetica, 11.0, width);
        for line in &lines {
            assert!(text_width(line, Font::Helvetica, 11.0) <= width, "{width}: {line}");
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let rewrapped: Vec<String> = lines.iter().flat_map(|l| l.split(' ').map(String::from)).collect();
        assert_eq!(rewrapped, words);
    }
}

#[test]
fn long_letter_runs_over_several_pages_with_numbered_footers() {
    let paragraph = "We have reviewed your application for certification as a sex therapist, including the \
                     documentation of your supervised clinical hours, your continuing education record, and the \
                     letters of reference provided by your supervisors. ";
    let paragraphs: Vec<String> = (0..40).map(|i| format!("{i}. {}", paragraph.repeat(2))).collect();
    let pdf = letter_pdf(&letter(paragraphs)).unwrap();
    assert_pdf_envelope(&pdf);
    assert!(find(&pdf, b"/MediaBox [0 0 612 792]").is_some());

    let pages = pages(&pdf);
    let total = pages.len();
    assert!(total >= 3, "only {total} pages");
    assert_eq!(page_objects(&pdf), total);
    for (index, page) in pages.iter().enumerate() {
        let footer = format!("Page {} of {total}", index + 1);
        assert!(shows(page, footer.as_bytes()), "page {} lacks {footer:?}", index + 1);
        assert!(shows(page, b"APP-2026-0042"));
    }
    assert!(shows(&pages[0], b"Sensate Certification Board"));
    assert!(shows(&pages[0], b"Zo\xEB \xC5ngstr\xF6m"));
    assert!(
        pages[0]
            .shown
            .iter()
            .any(|s| s.text == b"Your application APP-2026-0042" && s.font == "F2")
    );
    let last = &pages[total - 1];
    assert!(shows(last, b"Certification Committee"));
    assert!(
        pages
            .iter()
            .any(|page| page.shown.iter().any(|s| s.text.starts_with(b"39. We have")))
    );
}

#[test]
fn short_letter_is_one_page() {
    let pdf = letter_pdf(&letter(vec!["Thank you for your application.".into()])).unwrap();
    let pages = pages(&pdf);
    assert_eq!(pages.len(), 1);
    assert!(shows(&pages[0], b"Page 1 of 1"));
    assert!(shows(&pages[0], b"Thank you for your application."));
}
