//! Writes sample certificates and letters to a directory, for looking at the layouts:
//! `cargo run -p print --example samples -- /tmp/samples [logo.png]`, then e.g.
//! `pdftoppm -png -r 60`. With a logo, the certificates and the letter are written a second time
//! with it.

use std::error::Error;
use std::path::PathBuf;

use print::{Certificate, CertificateSize, Letter, certificate_pdf, letter_pdf};

fn certificate(holder_name: &str) -> Certificate {
    Certificate {
        board_name: "National Board of Sex Therapy Practitioners".into(),
        board_short_name: "NBSP".into(),
        holder_name: holder_name.into(),
        credential_name: "Certified Sex Therapist".into(),
        credential_short: "CST".into(),
        explanation: "Qualified to provide sex therapy to individuals and couples under the board’s ethics rules \
                      and continuing education requirements."
            .into(),
        credential_number: "CST-2026-000123-46".into(),
        valid_from: "24 November 2026".into(),
        valid_until: "23 November 2029".into(),
        verification_url: "https://verify.sensate.example/c/CST-2026-000123-46".into(),
        signatory_name: "Dr. Amara Okonkwo-Lindqvist".into(),
        signatory_title: "Chair, Certification Committee".into(),
        logo_png: None,
    }
}

fn letter() -> Letter {
    let paragraph = "We have reviewed your application for certification as a sex therapist, including the \
                     documentation of your supervised clinical hours, your continuing education record, and the \
                     letters of reference provided by your supervisors.";
    Letter {
        board_name: "National Board of Sex Therapy Practitioners".into(),
        board_address: vec!["1 Example Street, Springfield".into(), "board@sensate.example".into()],
        date: "24 November 2026".into(),
        recipient_name: "سارة المنصوري".into(),
        recipient_lines: vec!["sara@example.org".into()],
        subject: "Your application for Certified Sex Therapist: approved".into(),
        paragraphs: (1..=12)
            .map(|i| format!("{i}. {paragraph} Dear Nguyễn Thị Minh, Ольга Иванова and שרה כהן."))
            .collect(),
        signature: vec![
            "Certification Committee".into(),
            "National Board of Sex Therapy Practitioners".into(),
        ],
        reference: "CST application, decided 24 November 2026".into(),
        logo_png: None,
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "samples".into()));
    std::fs::create_dir_all(&dir)?;
    let logo = std::env::args().nth(2).map(std::fs::read).transpose()?;
    let names = [
        ("latin", "Zoë Ågren-Müller"),
        ("vietnamese", "Nguyễn Thị Minh"),
        ("greek", "Δημήτρης Παπαδόπουλος"),
        ("cyrillic", "Ольга Иванова"),
        ("arabic", "سارة المنصوري"),
        ("hebrew", "שרה כהן"),
        (
            "long",
            "Maria Fernanda de los Ángeles Villaseñor-Montenegro y Castellanos-Oyarzábal",
        ),
    ];
    for (key, name) in names {
        for (size, suffix) in [(CertificateSize::Wall, "wall"), (CertificateSize::Wallet, "wallet")] {
            std::fs::write(
                dir.join(format!("{key}-{suffix}.pdf")),
                certificate_pdf(&certificate(name), size)?,
            )?;
        }
    }
    // Every field long, to see the shrinking and wrapping.
    let stress = Certificate {
        board_name: "The International Federation of Certifying Boards for Sexual Health Therapy and Counselling"
            .into(),
        board_short_name: "IFCBSHTC".into(),
        credential_name: "Advanced Certified Sex Therapist and Clinical Supervisor in Couples Therapy".into(),
        credential_short: "ACST-CS".into(),
        explanation: "Qualified to provide sex therapy to individuals, couples and families, to supervise \
                      therapists in training, and to teach accredited courses under the board’s ethics rules, \
                      its continuing education requirements and the laws of the holder’s jurisdiction."
            .into(),
        credential_number: "ACST-CS-2026-000000123456-46".into(),
        valid_from: "30 September 2026".into(),
        valid_until: "29 September 2029".into(),
        verification_url:
            "https://verification.international-federation.example/credentials/ACST-CS-2026-000000123456-46".into(),
        signatory_title: "Chair of the Certification and Professional Standards Committee".into(),
        ..certificate("Maria Fernanda de los Ángeles Villaseñor-Montenegro y Castellanos-Oyarzábal")
    };
    for (size, suffix) in [(CertificateSize::Wall, "wall"), (CertificateSize::Wallet, "wallet")] {
        std::fs::write(
            dir.join(format!("stress-{suffix}.pdf")),
            certificate_pdf(&stress, size)?,
        )?;
    }
    std::fs::write(dir.join("letter.pdf"), letter_pdf(&letter())?)?;
    if let Some(logo) = logo {
        let with_logo = Certificate {
            logo_png: Some(logo.clone()),
            ..certificate("Zoë Ågren-Müller")
        };
        for (size, suffix) in [(CertificateSize::Wall, "wall"), (CertificateSize::Wallet, "wallet")] {
            std::fs::write(
                dir.join(format!("logo-{suffix}.pdf")),
                certificate_pdf(&with_logo, size)?,
            )?;
        }
        let letter = Letter {
            logo_png: Some(logo),
            ..letter()
        };
        std::fs::write(dir.join("logo-letter.pdf"), letter_pdf(&letter)?)?;
    }
    Ok(())
}
