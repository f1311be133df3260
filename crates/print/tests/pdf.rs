#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Checks the generated PDFs the way a reader's software sees them: text, fonts, metadata and
//! rendering through poppler's command-line tools (Debian's `poppler-utils`).
//!
//! Fonts are embedded as subsets and content streams are compressed, so the raw bytes say little;
//! poppler reads them as a viewer would. A missing poppler fails the tests rather than skipping
//! them, so a machine without it cannot pass by testing nothing.

use std::io::Write;
use std::process::{Command, Stdio};

use print::{
    Certificate, CertificateSize, Letter, PrintError, certificate_pdf, holder_name_fit, letter_pdf, qr_square,
};
use qrcode::{Color, EcLevel, QrCode};

/// The names every document must print and give back unchanged: Vietnamese (stacked diacritics),
/// Greek, Cyrillic, Arabic (joined, right to left), Hebrew (right to left) and accented Latin.
const NAMES: [&str; 6] = [
    "Nguyễn Thị Minh",
    "Δημήτρης Παπαδόπουλος",
    "Ольга Иванова",
    "سارة المنصوري",
    "שרה כהן",
    "Zoë Ågren-Müller",
];

const SIZES: [CertificateSize; 2] = [CertificateSize::Wall, CertificateSize::Wallet];

fn certificate() -> Certificate {
    Certificate {
        board_name: "Sensate Certification Board".into(),
        board_short_name: "SCB".into(),
        holder_name: "Zoë Ågren-Müller".into(),
        credential_name: "Certified Sex Therapist".into(),
        credential_short: "CST".into(),
        explanation: "Qualified to provide sex therapy under the board’s supervision and ethics rules.".into(),
        credential_number: "CST-2026-000123-46".into(),
        valid_from: "24 November 2026".into(),
        valid_until: "23 November 2029".into(),
        verification_url: "https://verify.sensate.example/c/CST-2026-000123-46".into(),
        signatory_name: "Dr. Amara Okonkwo".into(),
        signatory_title: "Chair, Certification Committee".into(),
        logo_png: None,
    }
}

fn letter(paragraphs: Vec<String>) -> Letter {
    Letter {
        board_name: "Sensate Certification Board".into(),
        board_address: vec!["1 Example Street, Springfield".into(), "board@sensate.example".into()],
        date: "24 November 2026".into(),
        recipient_name: "Zoë Ågren-Müller".into(),
        recipient_lines: vec!["zoe@example.org".into()],
        subject: "Your application APP-2026-0042".into(),
        paragraphs,
        signature: vec!["Certification Committee".into(), "Sensate Certification Board".into()],
        reference: "APP-2026-0042".into(),
        logo_png: None,
    }
}

/// Runs a poppler tool on `pdf` (given on standard input) and returns what it printed.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot run {tool} ({error}): install poppler-utils (apt-get install -y poppler-utils)")
        });
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The text of `pdf` (or of one page), as poppler's `pdftotext` extracts it.
///
/// Poppler wraps a right-to-left run in the directional formatting characters U+202B and U+202C
/// (embedding marks it adds for display; it returns the characters themselves in typed order).
/// Only those invisible marks are removed, so a missing, extra or misordered letter still fails.
fn text(pdf: &[u8], page: Option<usize>) -> String {
    let page = page.map(|page| page.to_string());
    let mut args = Vec::new();
    if let Some(page) = &page {
        args.extend(["-f", page.as_str(), "-l", page.as_str()]);
    }
    args.extend(["-", "-"]);
    poppler("pdftotext", &args, pdf)
        .chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

/// A field of `pdfinfo`'s report, e.g. "Pages".
fn info(pdf: &[u8], field: &str) -> String {
    poppler("pdfinfo", &["-"], pdf)
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("pdfinfo reports no {field}"))
        .trim()
        .to_owned()
}

fn assert_contains(haystack: &str, needle: &str, context: &str) {
    assert!(
        haystack.contains(needle),
        "{context}: {needle:?} not found in extracted text:\n{haystack}"
    );
}

/// A PNG of `width` x `height` pixels, RGBA, encoded by hand: stored (uncompressed) deflate blocks
/// need no compressor, and the CRC-32 and Adler-32 checksums are a few lines each.
fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0_u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
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
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }

    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend(pixel(x, y));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (index, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(index + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap();
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend(*block);
    }
    let (mut a, mut b) = (1_u32, 0_u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());

    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A round, transparent-cornered logo: a blue disc with a white ring.
fn logo() -> Vec<u8> {
    png(48, 48, |x, y| {
        let (dx, dy) = (x as f32 - 23.5, y as f32 - 23.5);
        let r = (dx * dx + dy * dy).sqrt();
        match r {
            r if r > 23.5 => [0, 0, 0, 0],
            r if (15.0..18.0).contains(&r) => [255, 255, 255, 255],
            _ => [31, 58, 95, 255],
        }
    })
}

#[test]
fn names_in_every_script_are_extracted_unchanged() {
    for name in NAMES {
        let cert = Certificate {
            holder_name: name.into(),
            ..certificate()
        };
        for size in SIZES {
            let pdf = certificate_pdf(&cert, size).unwrap();
            assert_contains(&text(&pdf, None), name, &format!("{size:?} certificate"));
        }
        let letter = Letter {
            recipient_name: name.into(),
            paragraphs: vec![format!("Dear {name},"), "Thank you for your application.".into()],
            ..letter(Vec::new())
        };
        let extracted = text(&letter_pdf(&letter).unwrap(), None);
        assert_contains(&extracted, name, "letter recipient");
        assert_contains(&extracted, &format!("Dear {name},"), "letter body");
    }
}

#[test]
fn certificate_shows_the_board_the_facts_and_the_signatory() {
    let cert = certificate();
    for size in SIZES {
        let extracted = text(&certificate_pdf(&cert, size).unwrap(), None);
        let context = format!("{size:?}");
        for expected in [
            "Sensate Certification Board",
            "This certifies that",
            "Certified Sex Therapist (CST)",
            "Qualified to provide sex therapy",
            "CST-2026-000123-46",
            "24 November 2026",
            "23 November 2029",
            "https://verify.sensate.example/c/CST-2026-000123-46",
            "Dr. Amara Okonkwo",
            "Chair, Certification Committee",
            // The seal drawn when there is no logo carries the short name.
            "SCB",
        ] {
            assert_contains(&extracted, expected, &context);
        }
        // The rule version stays on the record and the verification page.
        assert!(!extracted.contains("Rule version"), "{context}: {extracted}");
    }
}

#[test]
fn signatory_block_is_left_out_without_a_name() {
    let cert = Certificate {
        signatory_name: String::new(),
        ..certificate()
    };
    for size in SIZES {
        let extracted = text(&certificate_pdf(&cert, size).unwrap(), None);
        assert!(
            !extracted.contains("Chair, Certification Committee"),
            "{size:?}: {extracted}"
        );
    }
}

#[test]
fn certificates_are_single_page_pdf_a_2u_with_metadata() {
    for (size, page_size) in [
        (CertificateSize::Wall, "792 x 612 pts"),
        (CertificateSize::Wallet, "243 x 153 pts"),
    ] {
        let pdf = certificate_pdf(&certificate(), size).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"), "{size:?}");
        assert_eq!(info(&pdf, "Pages"), "1", "{size:?}");
        assert!(info(&pdf, "Page size").starts_with(page_size), "{size:?}");
        assert_eq!(info(&pdf, "Title"), "Certified Sex Therapist: Zoë Ågren-Müller");
        assert_eq!(info(&pdf, "Creator"), "Sensate");
        assert_eq!(info(&pdf, "Author"), "Sensate Certification Board");

        let xmp = poppler("pdfinfo", &["-meta", "-"], &pdf);
        for expected in [
            "<pdfaid:part>2</pdfaid:part>",
            "<pdfaid:conformance>U</pdfaid:conformance>",
            "<xmp:CreatorTool>Sensate</xmp:CreatorTool>",
            "<rdf:li>en</rdf:li>",
            // The document date comes from the input (valid from), not the clock.
            "<xmp:CreateDate>2026-11-24T00:00:00Z</xmp:CreateDate>",
        ] {
            assert_contains(&xmp, expected, &format!("{size:?} XMP"));
        }
    }
}

#[test]
fn letters_are_pdf_a_2u_too() {
    let pdf = letter_pdf(&letter(vec!["Thank you for your application.".into()])).unwrap();
    let xmp = poppler("pdfinfo", &["-meta", "-"], &pdf);
    assert_contains(&xmp, "<pdfaid:part>2</pdfaid:part>", "letter XMP");
    assert_contains(&xmp, "<pdfaid:conformance>U</pdfaid:conformance>", "letter XMP");
    assert_eq!(info(&pdf, "Title"), "Your application APP-2026-0042");
    assert_eq!(info(&pdf, "Creator"), "Sensate");
    assert!(info(&pdf, "Page size").starts_with("612 x 792 pts"));
}

#[test]
fn fonts_are_embedded_subsetted_and_mapped_to_unicode() {
    let cert = Certificate {
        holder_name: "سارة المنصوري".into(),
        signatory_name: "שרה כהן".into(),
        ..certificate()
    };
    let report = poppler(
        "pdffonts",
        &["-"],
        &certificate_pdf(&cert, CertificateSize::Wall).unwrap(),
    );
    // Skip the two header lines; every font row must say emb, sub and uni "yes".
    let rows: Vec<&str> = report.lines().skip(2).collect();
    for family in [
        "NotoSerif",
        "NotoSans-Regular",
        "NotoSans-Bold",
        "NotoSansArabic",
        "NotoSansHebrew",
    ] {
        assert!(
            rows.iter().any(|row| row.contains(family)),
            "{family} not used:\n{report}"
        );
    }
    for row in rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        let flags = &columns[columns.len() - 5..columns.len() - 2];
        assert_eq!(
            flags,
            ["yes", "yes", "yes"],
            "not embedded, subsetted and mapped: {row}"
        );
    }
}

#[test]
fn output_is_deterministic() {
    for size in SIZES {
        let a = certificate_pdf(&certificate(), size).unwrap();
        let b = certificate_pdf(&certificate(), size).unwrap();
        assert!(a == b, "{size:?} differs between two renders");
    }
    let with_logo = Certificate {
        logo_png: Some(logo()),
        ..certificate()
    };
    assert!(
        certificate_pdf(&with_logo, CertificateSize::Wall).unwrap()
            == certificate_pdf(&with_logo, CertificateSize::Wall).unwrap()
    );
    let long = letter(
        (0..30)
            .map(|i| format!("Paragraph {i}. {}", "Text. ".repeat(40)))
            .collect(),
    );
    assert!(letter_pdf(&long).unwrap() == letter_pdf(&long).unwrap());

    // And the output does depend on the input.
    let other = Certificate {
        holder_name: "Ольга Иванова".into(),
        ..certificate()
    };
    assert!(
        certificate_pdf(&other, CertificateSize::Wall).unwrap()
            != certificate_pdf(&certificate(), CertificateSize::Wall).unwrap()
    );
}

/// The words poppler finds on page 1 with their boxes, as (word, [x_min, y_min, x_max, y_max]).
fn word_boxes(pdf: &[u8]) -> Vec<(String, [f32; 4])> {
    let html = poppler("pdftotext", &["-bbox", "-", "-"], pdf);
    let attribute = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + line[start..].find('"').unwrap();
        line[start..end].parse().unwrap()
    };
    html.lines()
        .filter(|line| line.trim_start().starts_with("<word "))
        .map(|line| {
            let word_start = line.find('>').unwrap() + 1;
            let word_end = line.rfind("</word>").unwrap();
            let edges = ["xMin", "yMin", "xMax", "yMax"].map(|name| attribute(line, name));
            (line[word_start..word_end].to_owned(), edges)
        })
        .collect()
}

#[test]
fn a_very_long_name_shrinks_to_fit_and_extracts_whole() {
    let name = "Maria Fernanda de los Ángeles Villaseñor-Montenegro y Castellanos-Oyarzábal da Silva Pereira";
    let [(wall_size, wall_room), (wallet_size, wallet_room)] = holder_name_fit(name).unwrap();
    assert!(wall_size < 40.0 && wall_size > 8.0, "wall name size {wall_size}");
    assert!(
        wallet_size < 14.0 && wallet_size > 3.0,
        "wallet name size {wallet_size}"
    );
    assert!(wall_room <= 792.0 - 2.0 * 40.0 && wallet_room <= 243.0 - 2.0 * 10.0);

    let [(short_size, _), (short_wallet_size, _)] = holder_name_fit("Zoë Ågren-Müller").unwrap();
    assert!(
        (short_size - 40.0).abs() < f32::EPSILON,
        "short names keep the full size"
    );
    assert!((short_wallet_size - 14.0).abs() < f32::EPSILON);

    let cert = Certificate {
        holder_name: name.into(),
        ..certificate()
    };
    for (size, [page_width, page_height], border) in [
        (CertificateSize::Wall, [792.0, 612.0], 28.0),
        (CertificateSize::Wallet, [243.0, 153.0], 7.0),
    ] {
        let pdf = certificate_pdf(&cert, size).unwrap();
        assert_contains(&text(&pdf, None), name, &format!("{size:?}"));
        // Nothing is drawn over the frames: every word stays inside the inner border.
        let words = word_boxes(&pdf);
        assert!(
            words.iter().any(|(word, _)| word == "Castellanos-Oyarzábal"),
            "{words:?}"
        );
        for (word, [x_min, y_min, x_max, y_max]) in words {
            assert!(
                x_min >= border && x_max <= page_width - border && y_min >= border && y_max <= page_height - border,
                "{size:?}: {word:?} spans {x_min}..{x_max} x {y_min}..{y_max}"
            );
        }
    }
}

#[test]
fn right_to_left_names_are_laid_out_right_to_left() {
    // `pdftotext -bbox` gives each word's glyphs left to right as drawn, so a right-to-left word
    // appears reversed, and the name's first word must be the one further right.
    for (name, first, second) in [("שרה כהן", "שרה", "כהן"), ("سارة المنصوري", "سارة", "المنصوري")]
    {
        let cert = Certificate {
            holder_name: name.into(),
            ..certificate()
        };
        let words = word_boxes(&certificate_pdf(&cert, CertificateSize::Wall).unwrap());
        let x_of = |word: &str| {
            let drawn: String = word.chars().rev().collect();
            words
                .iter()
                .find(|(found, _)| *found == drawn)
                .map(|(_, [x_min, ..])| *x_min)
                .unwrap_or_else(|| panic!("{word:?} not drawn as {drawn:?}: {words:?}"))
        };
        assert!(x_of(first) > x_of(second), "{name}: {words:?}");
    }
}

#[test]
fn long_letter_runs_over_several_pages_with_numbered_footers() {
    let paragraph = "We have reviewed your application for certification as a sex therapist, including the \
                     documentation of your supervised clinical hours, your continuing education record, and the \
                     letters of reference provided by your supervisors. ";
    let paragraphs: Vec<String> = (0..40).map(|i| format!("{i}. {}", paragraph.repeat(2))).collect();
    let pdf = letter_pdf(&letter(paragraphs)).unwrap();

    let total: usize = info(&pdf, "Pages").parse().unwrap();
    assert!(total >= 3, "only {total} pages");
    for page in 1..=total {
        let extracted = text(&pdf, Some(page));
        assert_contains(&extracted, &format!("Page {page} of {total}"), &format!("page {page}"));
        assert_contains(&extracted, "APP-2026-0042", &format!("page {page}"));
    }
    let first = text(&pdf, Some(1));
    assert_contains(&first, "Sensate Certification Board", "page 1");
    assert_contains(&first, "Zoë Ågren-Müller", "page 1");
    assert_contains(&first, "Your application APP-2026-0042", "page 1");
    let last = text(&pdf, Some(total));
    assert_contains(&last, "Certification Committee", "last page");
    assert_contains(&text(&pdf, None), "39. We have", "body");
}

#[test]
fn short_letter_is_one_page() {
    let pdf = letter_pdf(&letter(vec!["Thank you for your application.".into()])).unwrap();
    assert_eq!(info(&pdf, "Pages"), "1");
    let extracted = text(&pdf, None);
    assert_contains(&extracted, "Page 1 of 1", "footer");
    assert_contains(&extracted, "Thank you for your application.", "body");
}

#[test]
fn a_logo_png_replaces_the_seal_and_heads_the_letter() {
    let cert = Certificate {
        logo_png: Some(logo()),
        ..certificate()
    };
    for size in SIZES {
        let pdf = certificate_pdf(&cert, size).unwrap();
        let images = poppler("pdfimages", &["-list", "-"], &pdf);
        // Header, rule, then one row for the image and one for its alpha mask.
        assert_eq!(images.lines().count(), 4, "{size:?}:\n{images}");
        assert!(images.contains("48    48"), "{size:?}:\n{images}");
        let extracted = text(&pdf, None);
        assert!(
            !extracted.contains("SCB"),
            "{size:?}: the seal is drawn despite the logo"
        );
        assert_contains(&extracted, "Zoë Ågren-Müller", &format!("{size:?}"));
    }

    let letter = Letter {
        logo_png: Some(logo()),
        ..letter(vec!["Thank you for your application.".into()])
    };
    let pdf = letter_pdf(&letter).unwrap();
    assert_eq!(poppler("pdfimages", &["-list", "-"], &pdf).lines().count(), 4);
    assert_contains(&text(&pdf, None), "Sensate Certification Board", "letterhead");
}

#[test]
fn a_logo_that_is_not_a_png_is_an_error() {
    let cert = Certificate {
        logo_png: Some(b"GIF89a not a png".to_vec()),
        ..certificate()
    };
    let error = certificate_pdf(&cert, CertificateSize::Wall).unwrap_err();
    assert!(matches!(error, PrintError::Logo(_)), "{error:?}");
    let letter = Letter {
        logo_png: Some(Vec::new()),
        ..letter(Vec::new())
    };
    assert!(matches!(letter_pdf(&letter), Err(PrintError::Logo(_))));
}

#[test]
fn characters_no_font_covers_print_as_replacement_characters() {
    // No shipped font has CJK; the PDF must stay valid PDF/A (no .notdef glyph) and say so.
    let cert = Certificate {
        holder_name: "李 Li".into(),
        ..certificate()
    };
    let extracted = text(&certificate_pdf(&cert, CertificateSize::Wall).unwrap(), None);
    assert_contains(&extracted, "\u{FFFD} Li", "wall");
}

/// The page rendered by `pdftoppm` in gray at `dpi`, as (width, height, pixels).
fn render_gray(pdf: &[u8], dpi: u32) -> (usize, usize, Vec<u8>) {
    let dpi = dpi.to_string();
    let mut child = Command::new("pdftoppm")
        .args(["-gray", "-r", &dpi, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run pdftoppm: install poppler-utils (apt-get install -y poppler-utils)");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    // A binary PGM: "P5", width, height, maximum value, each followed by one whitespace byte.
    let bytes = output.stdout;
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8(bytes[start..at].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (width, height, bytes[at + 1..].to_vec())
}

#[test]
fn qr_code_renders_module_for_module() {
    let url = "https://verify.sensate.example/c/CST-2026-000123-46";
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).unwrap();
    let modules = code.width() + 8;
    let colors = code.to_colors();
    for size in SIZES {
        let pdf = certificate_pdf(&certificate(), size).unwrap();
        let dpi = 600;
        let (width, _, pixels) = render_gray(&pdf, dpi);
        let scale = dpi as f32 / 72.0;
        let [x, y, side] = qr_square(size);
        let module = side / modules as f32;
        // Sample each module's centre, quiet zone included (which must be light).
        for row in 0..modules {
            for column in 0..modules {
                let px = ((x + (column as f32 + 0.5) * module) * scale) as usize;
                let py = ((y + (row as f32 + 0.5) * module) * scale) as usize;
                let dark = pixels[py * width + px] < 128;
                let expected = (4..modules - 4).contains(&row)
                    && (4..modules - 4).contains(&column)
                    && colors[(row - 4) * code.width() + column - 4] == Color::Dark;
                assert_eq!(dark, expected, "{size:?}: module at row {row}, column {column}");
            }
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
