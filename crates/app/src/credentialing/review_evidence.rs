//! The evidence behind each requirement of a review packet: the frozen snapshot's records,
//! grouped as reviewers look them up (memberships, degrees, licenses, hours by log, supervision,
//! documents), and for each requirement the links to the records that decide it.

use domain::credentialing::evidence::{SignOff, SupervisionFormat};
use domain::credentialing::programs::{BoardLists, LogKind, Program, Rule};
use store::credentialing::evidence::DocumentRecord;

use crate::credentialing::applications::Snapshot;

/// One group of records, shown under its own heading with an anchor (`#evidence-…`).
#[derive(Debug, Clone)]
pub struct EvidenceSection {
    /// The anchor, without `#`: `evidence-licenses`, `evidence-hours-clinical`, …
    pub id: String,
    pub title: String,
    /// A line that sums the section up ("12 entries, 310 hours, 2023-02-01 to 2025-06-30").
    pub summary: String,
    /// One line per record.
    pub lines: Vec<String>,
}

/// A link from a requirement to what meets it: a section of the packet or a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceLink {
    pub label: String,
    pub href: String,
}

/// A document frozen in the snapshot, with the id of the stored file when it is still on file.
#[derive(Debug, Clone)]
pub struct SnapshotDocument {
    pub id: Option<String>,
    pub kind: String,
    pub kind_name: String,
    pub file_name: String,
}

/// The packet's evidence: the sections, the frozen documents, and each requirement's links
/// (by requirement key).
#[derive(Debug, Clone, Default)]
pub struct PacketEvidence {
    pub sections: Vec<EvidenceSection>,
    pub documents: Vec<SnapshotDocument>,
    pub links: Vec<(String, Vec<EvidenceLink>)>,
}

impl PacketEvidence {
    /// The links of one requirement.
    pub fn links_of(&self, key: &str) -> &[EvidenceLink] {
        self.links
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&[], |(_, links)| links.as_slice())
    }
}

fn period(from: time::Date, until: Option<time::Date>) -> String {
    match until {
        Some(until) => format!("{from} to {until}"),
        None => format!("from {from}, no end date"),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn hours_section_id(log: LogKind) -> String {
    format!("evidence-hours-{}", log.as_str().replace('_', "-"))
}

/// Reads the snapshot into sections and links. `documents` are the candidate's stored files,
/// matched to the frozen ones by content hash (a file deleted since stays listed, unlinked).
pub fn packet_evidence(
    snapshot: &Snapshot,
    program: Option<&Program>,
    lists: &BoardLists,
    documents: &[DocumentRecord],
) -> PacketEvidence {
    let evidence = &snapshot.evidence;
    let mut sections = Vec::new();
    let mut section = |id: &str, title: &str, summary: String, lines: Vec<String>| {
        sections.push(EvidenceSection {
            id: id.to_owned(),
            title: title.to_owned(),
            summary,
            lines,
        });
    };

    section(
        "evidence-memberships",
        "Memberships",
        plural(evidence.memberships.len(), "membership", "memberships"),
        evidence
            .memberships
            .iter()
            .map(|m| {
                format!(
                    "{}, {}",
                    lists.membership_type_name(&m.kind),
                    period(m.valid.from, m.valid.until)
                )
            })
            .collect(),
    );
    section(
        "evidence-ethics",
        "Code of ethics",
        match evidence.ethics_attested_on {
            Some(day) => format!("Attested on {day}"),
            None => "Not attested".to_owned(),
        },
        Vec::new(),
    );
    section(
        "evidence-degrees",
        "Degrees",
        plural(evidence.degrees.len(), "degree", "degrees"),
        evidence
            .degrees
            .iter()
            .map(|d| {
                format!(
                    "{} from {}, awarded {}{}{}",
                    d.level.label(),
                    d.institution,
                    d.awarded_on,
                    if d.accredited { ", accredited" } else { "" },
                    if d.documented {
                        "; transcript attached"
                    } else {
                        "; no transcript"
                    }
                )
            })
            .collect(),
    );
    section(
        "evidence-licenses",
        "Licenses",
        plural(evidence.licenses.len(), "license", "licenses"),
        evidence
            .licenses
            .iter()
            .map(|l| {
                format!(
                    "{}, {}, {}{}",
                    lists.profession_name(&l.profession),
                    l.jurisdiction,
                    period(l.valid.from, l.valid.until),
                    if l.documented { "; copy attached" } else { "; no copy" }
                )
            })
            .collect(),
    );
    section(
        "evidence-insurance",
        "Insurance",
        plural(evidence.insurance.len(), "policy", "policies"),
        evidence
            .insurance
            .iter()
            .map(|i| {
                format!(
                    "{}, {}{}",
                    i.carrier,
                    period(i.valid.from, i.valid.until),
                    if i.documented {
                        "; face sheet attached"
                    } else {
                        "; no face sheet"
                    }
                )
            })
            .collect(),
    );
    for log in LogKind::ALL {
        let entries: Vec<_> = evidence.hours.iter().filter(|h| h.log == log).collect();
        if entries.is_empty() {
            continue;
        }
        let total: domain::credentialing::hours::Hours = entries.iter().map(|h| h.hours).sum();
        let first = entries.iter().map(|h| h.date).min();
        let last = entries.iter().map(|h| h.date).max();
        let summary = match (first, last) {
            (Some(first), Some(last)) => format!(
                "{}, {}, {first} to {last}",
                plural(entries.len(), "entry", "entries"),
                total.phrase()
            ),
            _ => plural(entries.len(), "entry", "entries"),
        };
        let title = format!("Hours: {}", log.words());
        section(
            &hours_section_id(log),
            &title,
            summary,
            entries
                .iter()
                .map(|h| format!("{}: {} ({})", h.date, h.hours.phrase(), lists.mode_name(&h.mode)))
                .collect(),
        );
    }
    let mut supervision_lines: Vec<String> = evidence
        .contracts
        .iter()
        .map(|c| {
            format!(
                "Contract with {}{}: from {}{}{}",
                c.supervisor_name,
                if c.primary { " (primary)" } else { "" },
                c.starts_on,
                c.signed_on
                    .map(|d| format!(", signed by both on {d}"))
                    .unwrap_or_default(),
                c.ends_on.map(|d| format!(", last day {d}")).unwrap_or_default()
            )
        })
        .collect();
    supervision_lines.extend(evidence.supervision.iter().map(|s| {
        let supervisor = evidence
            .contracts
            .iter()
            .find(|c| c.id == s.contract_id)
            .map_or("", |c| c.supervisor_name.as_str());
        let format = match s.format {
            SupervisionFormat::Individual => "individual".to_owned(),
            SupervisionFormat::Group { size, .. } => format!("group of {size}"),
        };
        let sign_off = match s.sign_off {
            SignOff::Countersigned => "countersigned",
            SignOff::Pending => "not countersigned",
            SignOff::Rejected => "rejected by the supervisor",
        };
        format!(
            "{}: {} with {supervisor}, {format}{}, {sign_off}",
            s.date,
            s.hours.phrase(),
            if s.counts_as_training { ", as training" } else { "" }
        )
    }));
    let countersigned: domain::credentialing::hours::Hours = evidence
        .supervision
        .iter()
        .filter(|s| s.sign_off == SignOff::Countersigned)
        .map(|s| s.hours)
        .sum();
    section(
        "evidence-supervision",
        "Supervision",
        format!(
            "{}, {}; {} countersigned",
            plural(evidence.contracts.len(), "contract", "contracts"),
            plural(evidence.supervision.len(), "session", "sessions"),
            countersigned.phrase()
        ),
        supervision_lines,
    );
    section(
        "evidence-credentials",
        "Credentials held",
        plural(evidence.credentials.len(), "credential", "credentials"),
        evidence
            .credentials
            .iter()
            .map(|c| {
                format!(
                    "{}, {}{}",
                    c.program,
                    period(c.valid.from, c.valid.until),
                    if c.in_good_standing {
                        ", in good standing"
                    } else {
                        ", not in good standing"
                    }
                )
            })
            .collect(),
    );
    section(
        "evidence-supervisees",
        "Supervisees",
        format!(
            "{} under signed contracts",
            plural(evidence.supervisees as usize, "supervisee", "supervisees")
        ),
        Vec::new(),
    );

    let frozen: Vec<SnapshotDocument> = snapshot
        .documents
        .iter()
        .map(|(kind, file_name, sha256)| SnapshotDocument {
            id: documents
                .iter()
                .find(|d| &d.sha256 == sha256 && &d.kind == kind)
                .map(|d| d.id.clone()),
            kind_name: lists.document_kind_name(kind).to_owned(),
            kind: kind.clone(),
            file_name: file_name.clone(),
        })
        .collect();

    let links = program
        .map(|program| {
            program
                .requirements
                .iter()
                .map(|requirement| {
                    (
                        requirement.key.clone(),
                        links_for(&requirement.rule, &sections, &frozen),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    PacketEvidence {
        sections,
        documents: frozen,
        links,
    }
}

/// The links for one rule: the section its records are in, and the documents of the kinds
/// that prove them.
fn links_for(rule: &Rule, sections: &[EvidenceSection], documents: &[SnapshotDocument]) -> Vec<EvidenceLink> {
    let to_section = |id: &str| {
        sections.iter().find(|s| s.id == id).map(|s| EvidenceLink {
            label: format!("{}: {}", s.title, s.summary),
            href: format!("#{id}"),
        })
    };
    let to_documents = |kinds: &[&str]| -> Vec<EvidenceLink> {
        documents
            .iter()
            .filter(|d| kinds.contains(&d.kind.as_str()))
            .map(|d| EvidenceLink {
                label: format!("{}: {}", d.kind_name, d.file_name),
                href: d
                    .id
                    .as_ref()
                    .map_or_else(|| "#evidence-documents".to_owned(), |id| format!("/documents/{id}")),
            })
            .collect()
    };
    let mut links: Vec<EvidenceLink> = Vec::new();
    let (section, kinds): (Option<String>, Vec<&str>) = match rule {
        Rule::Membership { .. } => (Some("evidence-memberships".into()), vec!["membership_proof"]),
        Rule::Attestation => (Some("evidence-ethics".into()), Vec::new()),
        Rule::Degree { .. } => (Some("evidence-degrees".into()), vec!["transcript"]),
        Rule::License { .. } => (Some("evidence-licenses".into()), vec!["license"]),
        Rule::Insurance => (Some("evidence-insurance".into()), vec!["insurance_face_sheet"]),
        Rule::Hours(rule) => (Some(hours_section_id(rule.log)), Vec::new()),
        Rule::Supervision(_) => (Some("evidence-supervision".into()), vec!["supervision_contract"]),
        Rule::Credential { .. } => (Some("evidence-credentials".into()), Vec::new()),
        Rule::Supervisees { .. } => (Some("evidence-supervisees".into()), Vec::new()),
        Rule::Documents { required } => (
            Some("evidence-documents".into()),
            required.iter().map(|need| need.kind.as_str()).collect(),
        ),
    };
    if let Some(id) = section {
        if id == "evidence-documents" {
            links.push(EvidenceLink {
                label: format!("Documents at submission: {}", plural(documents.len(), "file", "files")),
                href: "#evidence-documents".into(),
            });
        } else if let Some(link) = to_section(&id) {
            links.push(link);
        } else {
            // An hours log with no entries has no section: say so instead of a dead link.
            links.push(EvidenceLink {
                label: "No entries".into(),
                href: String::new(),
            });
        }
    }
    links.extend(to_documents(&kinds));
    links
}
