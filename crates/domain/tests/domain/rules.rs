//! The rule engine, rule by rule: a worked example for every rule of the shipped programs,
//! with the exact words a candidate reads, then property tests of the engine's promises
//! (adding evidence never undoes a met requirement, caps are never exceeded, the order of
//! the evidence does not matter).

use std::sync::LazyLock;

use domain::credentialing::evidence::{
    ContractRecord, DegreeRecord, Evidence, HeldCredential, HourEntry, InsuranceRecord, LicenseRecord,
    MembershipRecord, Period, SignOff, SupervisionEntry, SupervisionFormat,
};
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::{
    BoardLists, DegreeLevel, LogKind, Program, ProgramCode, add_months, parse_lists, parse_program,
};
use domain::credentialing::requirement::{
    Assessment, Progress, RequirementResult, Status, assess, why_hours_would_not_count,
};
use proptest::prelude::*;
use time::Date;
use time::macros::date;

// ---------------------------------------------------------------------------------------------
// Programs

const LISTS_TOML: &str = include_str!("../../../../programs/lists.toml");
const CST_TOML: &str = include_str!("../../../../programs/cst.toml");
const CSC_TOML: &str = include_str!("../../../../programs/csc.toml");
const CSE_TOML: &str = include_str!("../../../../programs/cse.toml");
const CST_S_TOML: &str = include_str!("../../../../programs/cst-s.toml");

static LISTS: LazyLock<BoardLists> = LazyLock::new(|| parse_lists(LISTS_TOML).unwrap());
static CST: LazyLock<Program> = LazyLock::new(|| parse_program(CST_TOML, &LISTS, &[]).unwrap());
static CSC: LazyLock<Program> = LazyLock::new(|| parse_program(CSC_TOML, &LISTS, &[]).unwrap());
static CSE: LazyLock<Program> = LazyLock::new(|| parse_program(CSE_TOML, &LISTS, &[]).unwrap());
static CST_S: LazyLock<Program> =
    LazyLock::new(|| parse_program(CST_S_TOML, &LISTS, &[ProgramCode::parse("CST").unwrap()]).unwrap());

/// The CST program with one piece of its text replaced (an older or stricter rule version).
fn cst_variant(find: &str, replace: &str) -> Program {
    assert!(CST_TOML.contains(find), "fixture drifted: {find}");
    parse_program(&CST_TOML.replacen(find, replace, 1), &LISTS, &[]).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Evidence helpers

/// The day every example is judged on.
const ON: Date = date!(2027 - 03 - 01);
const SUPERVISOR: &str = "Dr Ada Ruiz";

fn h(hours: u32) -> Hours {
    Hours::whole(hours)
}

fn centi(centi: u32) -> Hours {
    Hours::from_centi(centi)
}

fn months(from: Date, count: i32) -> Date {
    add_months(from, count)
}

fn period(from: Date, until: Date) -> Period {
    Period::new(from, Some(until))
}

fn open(from: Date) -> Period {
    Period::new(from, None)
}

fn membership(kind: &str, valid: Period) -> MembershipRecord {
    MembershipRecord {
        kind: kind.to_owned(),
        valid,
    }
}

fn degree(level: DegreeLevel, awarded_on: Date) -> DegreeRecord {
    DegreeRecord {
        level,
        institution: "State University".to_owned(),
        accredited: true,
        awarded_on,
        documented: true,
    }
}

fn license(profession: &str, valid: Period) -> LicenseRecord {
    LicenseRecord {
        profession: profession.to_owned(),
        jurisdiction: "California".to_owned(),
        valid,
        documented: true,
    }
}

fn insurance(valid: Period) -> InsuranceRecord {
    InsuranceRecord {
        carrier: "Hartline Mutual".to_owned(),
        valid,
        documented: true,
    }
}

/// An entry in a log that is not split across a list.
fn logged(log: LogKind, date: Date, hours: Hours, mode: &str) -> HourEntry {
    HourEntry {
        log,
        date,
        hours,
        mode: mode.to_owned(),
        split: Vec::new(),
    }
}

/// An entry split across list items; its hours are the sum of the split.
fn split(log: LogKind, date: Date, mode: &str, parts: &[(&str, u32)]) -> HourEntry {
    let split: Vec<(String, Hours)> = parts
        .iter()
        .map(|(key, hours)| ((*key).to_owned(), h(*hours)))
        .collect();
    HourEntry {
        log,
        date,
        hours: split.iter().map(|(_, hours)| *hours).sum(),
        mode: mode.to_owned(),
        split,
    }
}

/// A core-knowledge entry with the same hours in every core area.
fn core_everywhere(date: Date, mode: &str, per_area: u32) -> HourEntry {
    let parts: Vec<(&str, u32)> = LISTS
        .core_areas
        .iter()
        .map(|area| (area.key.as_str(), per_area))
        .collect();
    split(LogKind::CoreKnowledge, date, mode, &parts)
}

/// A training entry split across the seven disciplines.
fn training(date: Date, mode: &str, per_discipline: [u32; 7]) -> HourEntry {
    let parts: Vec<(&str, u32)> = LISTS
        .disciplines
        .iter()
        .zip(per_discipline)
        .map(|(discipline, hours)| (discipline.key.as_str(), hours))
        .collect();
    split(LogKind::Training, date, mode, &parts)
}

/// A signed, running, primary contract with a supervisor whose credentials never lapse.
fn contract(id: &str, starts_on: Date, signed_on: Date) -> ContractRecord {
    ContractRecord {
        id: id.to_owned(),
        supervisor_name: SUPERVISOR.to_owned(),
        starts_on,
        signed_on: Some(signed_on),
        ends_on: None,
        primary: true,
        supervisor_credential: vec![open(date!(2020 - 01 - 01))],
        supervisor_license: vec![open(date!(2020 - 01 - 01))],
        supervisor_insurance: vec![open(date!(2020 - 01 - 01))],
    }
}

/// A countersigned individual session under contract "c1".
fn session(date: Date, hours: Hours) -> SupervisionEntry {
    SupervisionEntry {
        contract_id: "c1".to_owned(),
        date,
        hours,
        format: SupervisionFormat::Individual,
        sign_off: SignOff::Countersigned,
        counts_as_training: false,
    }
}

/// A countersigned session of an approved group.
fn group(date: Date, hours: Hours, size: u32) -> SupervisionEntry {
    SupervisionEntry {
        format: SupervisionFormat::Group { approved: true, size },
        ..session(date, hours)
    }
}

/// A countersigned session of training taught by the supervisor.
fn taught(date: Date, hours: Hours) -> SupervisionEntry {
    SupervisionEntry {
        counts_as_training: true,
        ..session(date, hours)
    }
}

fn documents(kinds: &[&str]) -> Vec<String> {
    kinds.iter().map(|kind| (*kind).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Ready candidates, one per program: every requirement met on `ON`.

/// Supervision for the ready CST candidate: 2 hours individually on the 15th of 19 months
/// (January 2025 to July 2026, 18 months apart) and 1 hour in a group of 3 on the 20th of the
/// first 12: 50 hours, 12 of them group, at most 3 in a month.
fn cst_supervision() -> Vec<SupervisionEntry> {
    let mut sessions: Vec<SupervisionEntry> = (0..19)
        .map(|i| session(months(date!(2025 - 01 - 15), i), h(2)))
        .collect();
    sessions.extend((0..12).map(|i| group(months(date!(2025 - 01 - 20), i), h(1), 3)));
    sessions
}

/// Clinical work for the ready CST candidate: 12.5 hours on the 5th of 24 months from
/// February 2025, every other month by video: 300 hours, 150 of them telehealth.
fn cst_clinical() -> Vec<HourEntry> {
    (0..24)
        .map(|i| {
            let mode = if i % 2 == 0 { "telehealth_video" } else { "in_person" };
            logged(LogKind::Clinical, months(date!(2025 - 02 - 05), i), centi(1250), mode)
        })
        .collect()
}

fn ready_cst() -> Evidence {
    let mut hours = vec![
        logged(LogKind::Sar, date!(2024 - 09 - 01), h(10), "in_person"),
        // 75 of 90 core hours by eLearning: exactly the cap.
        core_everywhere(date!(2024 - 10 - 01), "elearning", 5),
        core_everywhere(date!(2024 - 11 - 01), "in_person", 1),
        // 30 of 60 training hours by eLearning (the cap), 26 in person, 4 taught by the supervisor.
        training(date!(2024 - 12 - 01), "elearning", [5, 5, 4, 4, 4, 4, 4]),
        training(date!(2025 - 02 - 01), "in_person", [4, 4, 4, 4, 4, 3, 3]),
    ];
    hours.extend(cst_clinical());
    let mut supervision = cst_supervision();
    supervision.push(taught(date!(2026 - 02 - 10), h(4)));
    Evidence {
        memberships: vec![membership("professional", open(date!(2024 - 01 - 01)))],
        ethics_attested_on: Some(date!(2024 - 06 - 01)),
        degrees: vec![degree(DegreeLevel::Master, date!(2020 - 06 - 01))],
        licenses: vec![license(
            "psychology",
            period(date!(2020 - 01 - 01), date!(2028 - 12 - 31)),
        )],
        insurance: vec![insurance(period(date!(2024 - 01 - 01), date!(2027 - 12 - 31)))],
        hours,
        contracts: vec![contract("c1", date!(2025 - 01 - 01), date!(2024 - 12 - 15))],
        supervision,
        credentials: Vec::new(),
        supervisees: 0,
        documents: documents(&["transcript", "cv", "reference_letter", "reference_letter"]),
    }
}

/// 25 hours of supervision: 2 hours on the 15th of 12 months from January 2025 and 1 hour on
/// 2026-01-15 (12 months after the first).
fn supervision_25() -> Vec<SupervisionEntry> {
    let mut sessions: Vec<SupervisionEntry> = (0..12)
        .map(|i| session(months(date!(2025 - 01 - 15), i), h(2)))
        .collect();
    sessions.push(session(date!(2026 - 01 - 15), h(1)));
    sessions
}

/// 1,000 counseling hours: 40 hours on the 10th of 26 months from January 2024 (24 months
/// from first to last).
fn csc_counseling() -> Vec<HourEntry> {
    (0..25)
        .map(|i| {
            logged(
                LogKind::Counseling,
                months(date!(2024 - 01 - 10), i),
                h(40),
                "in_person",
            )
        })
        .collect()
}

fn ready_csc() -> Evidence {
    let mut hours = vec![
        logged(LogKind::Sar, date!(2024 - 09 - 01), h(10), "in_person"),
        core_everywhere(date!(2024 - 10 - 01), "in_person", 6),
    ];
    hours.extend(csc_counseling());
    Evidence {
        memberships: vec![membership("early_career", open(date!(2023 - 01 - 01)))],
        ethics_attested_on: Some(date!(2024 - 06 - 01)),
        degrees: vec![degree(DegreeLevel::Bachelor, date!(2019 - 06 - 01))],
        hours,
        contracts: vec![contract("c1", date!(2025 - 01 - 01), date!(2024 - 12 - 15))],
        supervision: supervision_25(),
        documents: documents(&["transcript", "cv", "reference_letter", "reference_letter"]),
        ..Evidence::default()
    }
}

/// 100 teaching hours: 10 on the 10th of 10 months from February 2025.
fn cse_teaching() -> Vec<HourEntry> {
    (0..10)
        .map(|i| logged(LogKind::Teaching, months(date!(2025 - 02 - 10), i), h(10), "in_person"))
        .collect()
}

fn ready_cse() -> Evidence {
    let mut hours = vec![
        logged(LogKind::Sar, date!(2024 - 09 - 01), h(10), "in_person"),
        core_everywhere(date!(2024 - 10 - 01), "live_online", 6),
    ];
    hours.extend(cse_teaching());
    Evidence {
        memberships: vec![membership("professional", open(date!(2023 - 01 - 01)))],
        ethics_attested_on: Some(date!(2024 - 06 - 01)),
        degrees: vec![degree(DegreeLevel::Bachelor, date!(2022 - 06 - 01))],
        hours,
        contracts: vec![contract("c1", date!(2025 - 01 - 01), date!(2024 - 12 - 15))],
        supervision: supervision_25(),
        documents: documents(&["transcript", "cv", "reference_letter", "reference_letter"]),
        ..Evidence::default()
    }
}

fn cst_credential(from: Date) -> HeldCredential {
    HeldCredential {
        program: "CST".to_owned(),
        valid: period(from, months(from, 36) - time::Duration::days(1)),
        in_good_standing: true,
    }
}

fn ready_cst_s() -> Evidence {
    Evidence {
        memberships: vec![membership("professional", open(date!(2020 - 01 - 01)))],
        ethics_attested_on: Some(date!(2024 - 06 - 01)),
        licenses: vec![license("social_work", open(date!(2015 - 01 - 01)))],
        insurance: vec![insurance(period(date!(2024 - 01 - 01), date!(2027 - 12 - 31)))],
        credentials: vec![cst_credential(date!(2024 - 07 - 01))],
        contracts: vec![contract("c1", date!(2025 - 06 - 01), date!(2025 - 05 - 20))],
        // 30 hours over 12 months, no more than 3 a month.
        supervision: (0..13)
            .map(|i| session(months(date!(2025 - 06 - 15), i), if i < 4 { h(3) } else { h(2) }))
            .collect(),
        supervisees: 2,
        documents: documents(&["colleague_letter", "colleague_letter", "supervisor_letter"]),
        ..Evidence::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Assertions

fn result<'a>(assessment: &'a Assessment, key: &str) -> &'a RequirementResult {
    assessment.result(key).unwrap_or_else(|| panic!("no requirement {key}"))
}

/// Asserts a requirement's status and its exact shortfalls.
#[track_caller]
fn expect(assessment: &Assessment, key: &str, status: Status, shortfalls: &[&str]) {
    let result = result(assessment, key);
    assert_eq!(
        (result.status, result.shortfalls.as_slice()),
        (
            status,
            shortfalls
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .as_slice()
        ),
        "{key}: {result:#?}"
    );
}

#[track_caller]
fn expect_met(assessment: &Assessment, key: &str) {
    expect(assessment, key, Status::Met, &[]);
}

#[track_caller]
fn expect_progress(assessment: &Assessment, key: &str, counted: Hours, pending: Hours, needed: Hours) {
    assert_eq!(
        result(assessment, key).progress,
        Progress::Hours {
            counted,
            pending,
            needed
        },
        "{key}"
    );
}

fn notices<'a>(assessment: &'a Assessment, key: &str) -> &'a [String] {
    &result(assessment, key).notices
}

fn cst(evidence: &Evidence) -> Assessment {
    assess(&CST, evidence, ON)
}

fn open_keys(assessment: &Assessment) -> Vec<&str> {
    assessment.open().map(|result| result.key.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Ready candidates

#[test]
fn a_ready_cst_candidate_may_submit() {
    let assessment = cst(&ready_cst());
    assert!(assessment.complete(), "{:#?}", assessment.open().collect::<Vec<_>>());
    assert_eq!(assessment.met_count(), CST.requirements.len());
    assert_eq!(assessment.version, "2025.T.1");
    for result in &assessment.results {
        assert!(result.notices.is_empty(), "{result:#?}");
        assert_eq!(result.progress.fraction(), 1.0, "{result:#?}");
    }
    expect_progress(&assessment, "supervision", h(50), Hours::ZERO, h(50));
    expect_progress(&assessment, "training", h(60), Hours::ZERO, h(60));
    assert_eq!(
        result(&assessment, "documents").progress,
        Progress::Count { have: 4, needed: 4 }
    );
}

#[test]
fn the_other_ready_candidates_may_submit() {
    for (program, evidence) in [(&*CSC, ready_csc()), (&*CSE, ready_cse()), (&*CST_S, ready_cst_s())] {
        let assessment = assess(program, &evidence, ON);
        assert!(
            assessment.complete(),
            "{}: {:#?}",
            program.code,
            assessment.open().collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_candidate_with_several_gaps_reads_exactly_what_is_missing() {
    let mut evidence = ready_cst();
    // The in-person core course is not logged yet.
    evidence
        .hours
        .retain(|entry| !(entry.log == LogKind::CoreKnowledge && entry.mode == "in_person"));
    // The last four months of clinical work are not logged yet.
    evidence
        .hours
        .retain(|entry| !(entry.log == LogKind::Clinical && entry.date > date!(2026 - 09 - 30)));
    // The last three individual sessions await the supervisor's countersignature.
    for entry in &mut evidence.supervision {
        if entry.date >= date!(2026 - 05 - 15) && entry.format == SupervisionFormat::Individual {
            entry.sign_off = SignOff::Pending;
        }
    }
    evidence.insurance[0].valid.until = Some(date!(2027 - 01 - 31));
    evidence.documents.pop();

    let assessment = cst(&evidence);
    assert!(!assessment.complete());
    assert_eq!(
        open_keys(&assessment),
        ["insurance", "core", "clinical", "supervision", "documents"]
    );
    expect(
        &assessment,
        "insurance",
        Status::NotMet,
        &["insurance with Hartline Mutual expired on 2027-01-31"],
    );
    expect(
        &assessment,
        "core",
        Status::NotMet,
        &["75 of 90 hours counted, 15 to go"],
    );
    expect(
        &assessment,
        "clinical",
        Status::NotMet,
        &["250 of 300 hours counted, 50 to go"],
    );
    expect(
        &assessment,
        "supervision",
        Status::Pending,
        &[
            "44 of 50 hours counted, 6 to go",
            "supervision spans 15 months (2025-01-15 to 2026-04-15); it must span at least 18 months (until 2026-07-15 or later)",
        ],
    );
    expect_progress(&assessment, "supervision", h(44), h(6), h(50));
    expect(
        &assessment,
        "documents",
        Status::NotMet,
        &["Professional reference letter: 1 of 2 on file"],
    );
    assert_eq!(
        result(&assessment, "documents").progress,
        Progress::Count { have: 3, needed: 4 }
    );
}

// ---------------------------------------------------------------------------------------------
// Membership

#[test]
fn membership_must_be_held_today() {
    let mut evidence = ready_cst();
    evidence.memberships = vec![membership(
        "professional",
        period(date!(2024 - 01 - 01), date!(2027 - 01 - 31)),
    )];
    // One lapse, told once: the end of the membership is also the gap in supervision.
    expect(
        &cst(&evidence),
        "membership",
        Status::NotMet,
        &["your membership ended on 2027-01-31; renew it to stay in good standing"],
    );

    evidence.memberships = vec![membership("student", open(date!(2024 - 01 - 01)))];
    expect(
        &cst(&evidence),
        "membership",
        Status::NotMet,
        &["no membership valid on 2027-03-01 (Early Career Professional, Professional, Retired, Emeritus accepted)"],
    );

    // Any accepted type will do, and a renewal that follows without a gap keeps it unbroken.
    evidence.memberships = vec![
        membership("early_career", period(date!(2024 - 01 - 01), date!(2025 - 12 - 31))),
        membership("professional", open(date!(2026 - 01 - 01))),
    ];
    expect_met(&cst(&evidence), "membership");
}

#[test]
fn membership_must_be_held_through_supervision() {
    let mut evidence = ready_cst();
    evidence.memberships = vec![
        membership("professional", period(date!(2024 - 01 - 01), date!(2025 - 06 - 30))),
        membership("professional", open(date!(2025 - 09 - 01))),
    ];
    let message = "your membership lapsed on 2025-07-01; it must be held without a gap from the start of supervision (2025-01-01) until today";
    expect(&cst(&evidence), "membership", Status::NotMet, &[message]);

    // Expired today and a gap before: both are told.
    evidence.memberships[1].valid.until = Some(date!(2027 - 01 - 31));
    expect(
        &cst(&evidence),
        "membership",
        Status::NotMet,
        &[
            "your membership ended on 2027-01-31; renew it to stay in good standing",
            message,
        ],
    );

    // A gap before supervision started does not matter.
    evidence.memberships = vec![
        membership("professional", period(date!(2023 - 01 - 01), date!(2023 - 12 - 31))),
        membership("professional", open(date!(2024 - 12 - 01))),
    ];
    expect_met(&cst(&evidence), "membership");
}

// ---------------------------------------------------------------------------------------------
// Ethics

#[test]
fn the_ethics_attestation_must_be_signed() {
    let mut evidence = ready_cst();
    evidence.ethics_attested_on = None;
    expect(
        &cst(&evidence),
        "ethics",
        Status::NotMet,
        &["sign the code of ethics attestation"],
    );
    evidence.ethics_attested_on = Some(date!(2027 - 03 - 02));
    expect(
        &cst(&evidence),
        "ethics",
        Status::NotMet,
        &["sign the code of ethics attestation"],
    );
    evidence.ethics_attested_on = Some(ON);
    expect_met(&cst(&evidence), "ethics");
    assert_eq!(
        result(&cst(&evidence), "ethics").progress,
        Progress::Check { done: true }
    );
}

// ---------------------------------------------------------------------------------------------
// Degree

#[test]
fn a_masters_degree_needs_two_years_after_it() {
    let mut evidence = ready_cst();
    evidence.degrees = vec![degree(DegreeLevel::Master, date!(2025 - 03 - 01))];
    expect_met(&cst(&evidence), "degree");
    evidence.degrees = vec![degree(DegreeLevel::Master, date!(2025 - 06 - 01))];
    expect(
        &cst(&evidence),
        "degree",
        Status::NotMet,
        &["Master's degree from State University (2025-06-01): the 2 years after the degree are reached on 2027-06-01"],
    );
}

#[test]
fn a_doctorate_needs_one_year_after_it() {
    let mut evidence = ready_cst();
    evidence.degrees = vec![degree(DegreeLevel::Doctorate, date!(2026 - 01 - 15))];
    expect_met(&cst(&evidence), "degree");
    // Only the option reached soonest is told.
    evidence.degrees = vec![degree(DegreeLevel::Doctorate, date!(2026 - 06 - 01))];
    expect(
        &cst(&evidence),
        "degree",
        Status::NotMet,
        &["Doctorate from State University (2026-06-01): the 1 year after the degree is reached on 2027-06-01"],
    );
}

#[test]
fn a_degree_must_be_accepted_accredited_and_documented() {
    let mut evidence = ready_cst();
    evidence.degrees = Vec::new();
    expect(
        &cst(&evidence),
        "degree",
        Status::NotMet,
        &["record your degree (Master's degree + 2 years or Doctorate + 1 year)"],
    );

    evidence.degrees = vec![degree(DegreeLevel::Bachelor, date!(2010 - 06 - 01))];
    expect(
        &cst(&evidence),
        "degree",
        Status::NotMet,
        &[
            "Bachelor's degree from State University is not one of the accepted degrees (Master's degree + 2 years or Doctorate + 1 year)",
        ],
    );

    evidence.degrees = vec![DegreeRecord {
        accredited: false,
        ..degree(DegreeLevel::Master, date!(2015 - 06 - 01))
    }];
    expect(
        &cst(&evidence),
        "degree",
        Status::NotMet,
        &["Master's degree from State University is not from an accredited school or board-approved program"],
    );

    // The transcript is missing: met once it is attached.
    evidence.degrees = vec![DegreeRecord {
        documented: false,
        ..degree(DegreeLevel::Doctorate, date!(2026 - 01 - 15))
    }];
    expect(
        &cst(&evidence),
        "degree",
        Status::Pending,
        &["Doctorate from State University: attach the transcript"],
    );

    // One good degree is enough, whatever else is on file.
    evidence
        .degrees
        .push(degree(DegreeLevel::Master, date!(2015 - 06 - 01)));
    expect_met(&cst(&evidence), "degree");

    evidence.degrees = vec![degree(DegreeLevel::Master, date!(2027 - 06 - 01))];
    expect(
        &cst(&evidence),
        "degree",
        Status::NotMet,
        &["Master's degree from State University is dated in the future (2027-06-01)"],
    );
}

#[test]
fn a_bachelors_degree_is_enough_for_educators() {
    let mut evidence = ready_cse();
    evidence.degrees = vec![degree(DegreeLevel::Bachelor, date!(2027 - 02 - 28))];
    expect_met(&assess(&CSE, &evidence, ON), "degree");
    // Counselors need 3 years after a bachelor's.
    let mut evidence = ready_csc();
    evidence.degrees = vec![degree(DegreeLevel::Bachelor, date!(2024 - 06 - 01))];
    expect(
        &assess(&CSC, &evidence, ON),
        "degree",
        Status::NotMet,
        &[
            "Bachelor's degree from State University (2024-06-01): the 3 years after the degree are reached on 2027-06-01",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// License and insurance

#[test]
fn a_license_must_be_valid_today_and_documented() {
    let mut evidence = ready_cst();
    evidence.licenses[0].documented = false;
    expect(
        &cst(&evidence),
        "license",
        Status::Pending,
        &["Psychology license (California): attach a copy of the license"],
    );

    evidence.licenses = vec![license(
        "psychology",
        period(date!(2020 - 01 - 01), date!(2027 - 02 - 28)),
    )];
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "license",
        Status::NotMet,
        &["Psychology license (California) expired on 2027-02-28"],
    );

    evidence.licenses = vec![license("medicine", open(date!(2027 - 04 - 01)))];
    expect(
        &cst(&evidence),
        "license",
        Status::NotMet,
        &["Medicine license (California) is valid only from 2027-04-01"],
    );

    evidence.licenses = Vec::new();
    expect(
        &cst(&evidence),
        "license",
        Status::NotMet,
        &["record your license to practise"],
    );

    // An expired license beside a valid one does not matter.
    evidence.licenses = vec![
        license("nursing", period(date!(2010 - 01 - 01), date!(2019 - 12 - 31))),
        license("psychology", open(date!(2020 - 01 - 01))),
    ];
    expect_met(&cst(&evidence), "license");
}

#[test]
fn a_license_must_be_in_an_accepted_profession() {
    let program = cst_variant(
        r#"professions = ["psychology", "medicine", "social_work", "counseling", "nursing", "marriage_family_therapy"]"#,
        r#"professions = ["psychology", "medicine"]"#,
    );
    let mut evidence = ready_cst();
    evidence.licenses = vec![LicenseRecord {
        jurisdiction: "Ohio".to_owned(),
        ..license("nursing", open(date!(2015 - 01 - 01)))
    }];
    let assessment = assess(&program, &evidence, ON);
    expect(
        &assessment,
        "license",
        Status::NotMet,
        &["Nursing license (Ohio) is not among the accepted professions (Psychology, Medicine)"],
    );
    // Without an accepted license, no clinical or supervision hour counts.
    expect_progress(&assessment, "clinical", Hours::ZERO, Hours::ZERO, h(300));
    expect_progress(&assessment, "supervision", Hours::ZERO, Hours::ZERO, h(50));
    // The notice names the license and why it does not count, not "no valid license".
    assert_eq!(
        notices(&assessment, "clinical")[0],
        "2025-02-05: 12.5 hours do not count because your Nursing license (Ohio) is not among the accepted professions"
    );
    assert!(
        notices(&assessment, "supervision")[0]
            .ends_with("because your Nursing license (Ohio) is not among the accepted professions"),
        "{:?}",
        notices(&assessment, "supervision")
    );
}

#[test]
fn a_license_the_board_does_not_accept_is_judged_by_name() {
    // Chiropractic is in the board's lists (so it can be recorded) but no program accepts it.
    assert!(LISTS.has_profession("chiropractic"));
    let mut evidence = ready_cst();
    evidence.licenses = vec![LicenseRecord {
        jurisdiction: "Oregon".to_owned(),
        ..license("chiropractic", open(date!(2015 - 01 - 01)))
    }];
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "license",
        Status::NotMet,
        &[
            "Chiropractic license (Oregon) is not among the accepted professions (Psychology, Medicine, Social work, Counseling, Nursing, Marriage and family therapy)",
        ],
    );
    assert!(
        notices(&assessment, "clinical")[0]
            .ends_with("do not count because your Chiropractic license (Oregon) is not among the accepted professions"),
        "{:?}",
        notices(&assessment, "clinical")
    );
    // With no license at all that day, that is what is said.
    evidence.licenses.clear();
    assert!(
        notices(&cst(&evidence), "clinical")[0].ends_with("do not count because you held no valid license that day")
    );
    // Why clinical hours on a day would not count, as told when they are logged.
    let mut evidence = ready_cst();
    evidence.licenses[0].profession = "chiropractic".to_owned();
    assert_eq!(
        why_hours_would_not_count(&CST, &evidence, LogKind::Clinical, date!(2026 - 03 - 02), ON).as_deref(),
        Some("your Chiropractic license (California) is not among the accepted professions")
    );
    assert_eq!(
        why_hours_would_not_count(&CST, &ready_cst(), LogKind::Clinical, date!(2026 - 03 - 02), ON),
        None
    );
    assert_eq!(
        why_hours_would_not_count(&CST, &ready_cst(), LogKind::Clinical, date!(2024 - 12 - 01), ON).as_deref(),
        Some("no signed supervision contract was running that day")
    );
    assert_eq!(
        why_hours_would_not_count(&CST, &ready_cst(), LogKind::CoreKnowledge, date!(2024 - 12 - 01), ON),
        None,
        "courses need no contract"
    );
}

#[test]
fn insurance_must_be_valid_today_and_documented() {
    let mut evidence = ready_cst();
    evidence.insurance[0].documented = false;
    expect(
        &cst(&evidence),
        "insurance",
        Status::Pending,
        &["insurance with Hartline Mutual: attach the face sheet"],
    );
    evidence.insurance = vec![insurance(period(date!(2026 - 01 - 01), date!(2027 - 02 - 28)))];
    expect(
        &cst(&evidence),
        "insurance",
        Status::NotMet,
        &["insurance with Hartline Mutual expired on 2027-02-28"],
    );
    evidence.insurance = vec![insurance(open(date!(2027 - 03 - 02)))];
    expect(
        &cst(&evidence),
        "insurance",
        Status::NotMet,
        &["insurance with Hartline Mutual starts on 2027-03-02"],
    );
    evidence.insurance = Vec::new();
    expect(
        &cst(&evidence),
        "insurance",
        Status::NotMet,
        &["record your professional liability insurance"],
    );
    evidence.insurance = vec![insurance(period(ON, ON))];
    expect_met(&cst(&evidence), "insurance");
}

// ---------------------------------------------------------------------------------------------
// Hours

#[test]
fn hours_add_up_to_the_total() {
    let mut evidence = ready_cst();
    evidence.hours.retain(|entry| entry.log != LogKind::Sar);
    evidence
        .hours
        .push(logged(LogKind::Sar, date!(2024 - 09 - 01), centi(750), "in_person"));
    evidence
        .hours
        .push(logged(LogKind::Sar, date!(2024 - 09 - 02), centi(150), "live_online"));
    let assessment = cst(&evidence);
    expect(&assessment, "sar", Status::NotMet, &["9 of 10 hours counted, 1 to go"]);
    expect_progress(&assessment, "sar", h(9), Hours::ZERO, h(10));

    // Entries after the day of judgement wait for their date.
    evidence
        .hours
        .push(logged(LogKind::Sar, date!(2027 - 03 - 02), h(1), "in_person"));
    let assessment = cst(&evidence);
    expect(&assessment, "sar", Status::NotMet, &["9 of 10 hours counted, 1 to go"]);
    assert_eq!(
        notices(&assessment, "sar"),
        ["1 entry dated after 2027-03-01 does not count yet"]
    );
    assert_eq!(
        assess(&CST, &evidence, date!(2027 - 03 - 02))
            .result("sar")
            .unwrap()
            .status,
        Status::Met
    );
}

#[test]
fn an_older_rule_asks_three_hours_in_every_core_area() {
    let program = cst_variant("total = 90\n", "total = 90\nmin_each = 3\n");
    // The ready candidate has 6 hours in every area.
    expect_met(&assess(&program, &ready_cst(), ON), "core");

    let mut evidence = ready_cst();
    evidence.hours.retain(|entry| entry.log != LogKind::CoreKnowledge);
    // 96 hours, none of them in orientation and identity, 2 in cyber sexuality.
    let parts: Vec<(&str, u32)> = LISTS
        .core_areas
        .iter()
        .filter(|area| area.key != "orientation_identity")
        .map(|area| (area.key.as_str(), if area.key == "cyber_sexuality" { 2 } else { 7 }))
        .collect();
    evidence.hours.push(split(
        LogKind::CoreKnowledge,
        date!(2024 - 10 - 01),
        "in_person",
        &parts,
    ));
    evidence.hours.push(split(
        LogKind::CoreKnowledge,
        date!(2024 - 10 - 02),
        "in_person",
        &[("ethics", 3)],
    ));
    let assessment = assess(&program, &evidence, ON);
    expect(
        &assessment,
        "core",
        Status::NotMet,
        &[
            "3 hours short in Sexual orientation and gender identity (needs 3, has 0)",
            "1 hour short in Cyber sexuality and social media (needs 3, has 2)",
        ],
    );
    expect_progress(&assessment, "core", h(90), Hours::ZERO, h(90));
}

#[test]
fn at_most_75_of_90_core_hours_are_elearning() {
    let mut evidence = ready_cst();
    evidence.hours.retain(|entry| entry.log != LogKind::CoreKnowledge);
    evidence.hours.push(split(
        LogKind::CoreKnowledge,
        date!(2024 - 10 - 01),
        "elearning",
        &[("ethics", 80)],
    ));
    evidence.hours.push(split(
        LogKind::CoreKnowledge,
        date!(2024 - 10 - 02),
        "in_person",
        &[("ethics", 10)],
    ));
    let cap = "eLearning (self-paced): 80 hours logged, at most 75 of the 90 count (the other 5 do not)";
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "core",
        Status::NotMet,
        &["85 of 90 hours counted, 5 to go", cap],
    );
    expect_progress(&assessment, "core", h(85), Hours::ZERO, h(90));

    // Met once enough other hours are in; the cap is then only a notice.
    evidence.hours.push(split(
        LogKind::CoreKnowledge,
        date!(2024 - 10 - 03),
        "live_online",
        &[("ethics", 5)],
    ));
    let assessment = cst(&evidence);
    expect_met(&assessment, "core");
    assert_eq!(notices(&assessment, "core"), [cap]);
}

#[test]
fn at_most_30_of_60_training_hours_are_elearning() {
    let mut evidence = ready_cst();
    evidence.hours.retain(|entry| entry.log != LogKind::Training);
    evidence
        .hours
        .push(training(date!(2024 - 12 - 01), "elearning", [6, 6, 6, 6, 6, 5, 5]));
    evidence
        .hours
        .push(training(date!(2025 - 02 - 01), "in_person", [3, 3, 3, 3, 3, 3, 2]));
    // 30 of 40 eLearning hours, 20 in person and 4 taught by the supervisor.
    expect(
        &cst(&evidence),
        "training",
        Status::NotMet,
        &[
            "54 of 60 hours counted, 6 to go",
            "eLearning (self-paced): 40 hours logged, at most 30 of the 60 count (the other 10 do not)",
        ],
    );
}

#[test]
fn at_most_150_of_300_clinical_hours_are_telehealth() {
    let mut evidence = ready_cst();
    evidence.hours.retain(|entry| entry.log != LogKind::Clinical);
    for i in 0..20 {
        evidence.hours.push(logged(
            LogKind::Clinical,
            months(date!(2025 - 02 - 05), i),
            h(10),
            "telehealth_video",
        ));
    }
    for i in 0..10 {
        evidence.hours.push(logged(
            LogKind::Clinical,
            months(date!(2025 - 02 - 06), i),
            h(5),
            "telehealth_phone",
        ));
        evidence.hours.push(logged(
            LogKind::Clinical,
            months(date!(2025 - 02 - 07), i),
            h(10),
            "in_person",
        ));
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "clinical",
        Status::NotMet,
        &[
            "250 of 300 hours counted, 50 to go",
            "Telehealth by video or Telehealth by phone: 250 hours logged, at most 150 of the 300 count (the other 100 do not)",
        ],
    );
    expect_progress(&assessment, "clinical", h(250), Hours::ZERO, h(300));
}

#[test]
fn up_to_5_hours_taught_by_the_supervisor_count_as_training() {
    let mut evidence = ready_cst();
    evidence.supervision.push(taught(date!(2026 - 03 - 10), h(4)));
    let assessment = cst(&evidence);
    // 56 hours of courses and 5 of the 8 taught hours.
    expect_met(&assessment, "training");
    assert_eq!(
        notices(&assessment, "training"),
        [
            "you logged 8 hours taught by your supervisor; at most 5 count as training, and none of them count as supervision"
        ]
    );
    expect_progress(&assessment, "supervision", h(50), Hours::ZERO, h(50));
}

#[test]
fn hours_taught_by_the_supervisor_count_as_training_or_as_supervision_not_both() {
    let mut evidence = ready_cst();
    evidence.supervision.retain(|entry| entry.date != date!(2026 - 06 - 15));
    let assessment = cst(&evidence);
    expect_met(&assessment, "training");
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &["48 of 50 hours counted, 2 to go"],
    );

    // Logged as ordinary supervision, the same 4 hours count there instead.
    for entry in &mut evidence.supervision {
        entry.counts_as_training = false;
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "training",
        Status::NotMet,
        &["56 of 60 hours counted, 4 to go"],
    );
    expect_met(&assessment, "supervision");

    // Without a training rule (counselors), taught hours are supervision.
    let mut evidence = ready_csc();
    evidence.supervision[0].counts_as_training = true;
    expect_met(&assess(&CSC, &evidence, ON), "supervision");
}

#[test]
fn taught_hours_awaiting_countersignature_are_pending() {
    let mut evidence = ready_cst();
    for entry in &mut evidence.supervision {
        if entry.counts_as_training {
            entry.sign_off = SignOff::Pending;
        }
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "training",
        Status::Pending,
        &["56 of 60 hours counted, 4 to go"],
    );
    expect_progress(&assessment, "training", h(56), h(4), h(60));
}

// ---------------------------------------------------------------------------------------------
// Supervision

#[test]
fn supervision_needs_its_total() {
    let mut evidence = ready_cst();
    evidence.supervision.retain(|entry| entry.counts_as_training);
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &["no supervision counts yet: 50 hours needed"],
    );
    expect_progress(&assessment, "supervision", Hours::ZERO, Hours::ZERO, h(50));
}

#[test]
fn group_supervision_is_at_most_half() {
    let mut evidence = ready_cst();
    evidence.supervision.retain(|entry| entry.counts_as_training);
    for i in 0..19 {
        let individual = if i < 4 { h(2) } else { h(1) };
        let in_group = if i < 8 { h(2) } else { h(1) };
        evidence
            .supervision
            .push(session(months(date!(2025 - 01 - 15), i), individual));
        evidence
            .supervision
            .push(group(months(date!(2025 - 01 - 20), i), in_group, 4));
    }
    // 23 individual hours and 27 in groups, of which 25 count.
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "48 of 50 hours counted, 2 to go",
            "group supervision: 27 hours logged, at most 25 of the 50 count (the 50% group share); the other 2 hours do not count",
        ],
    );
    expect_progress(&assessment, "supervision", h(48), Hours::ZERO, h(50));

    // Two more individual hours make it: the group excess is then only a notice.
    evidence.supervision.push(session(date!(2026 - 07 - 01), h(2)));
    let assessment = cst(&evidence);
    expect_met(&assessment, "supervision");
    assert_eq!(
        notices(&assessment, "supervision"),
        [
            "group supervision: 27 hours logged, at most 25 of the 50 count (the 50% group share); the other 2 hours do not count"
        ]
    );
}

#[test]
fn a_group_hour_cut_by_the_monthly_cap_is_not_counted_as_lost_twice() {
    let mut evidence = ready_cst();
    evidence.supervision.retain(|entry| entry.counts_as_training);
    // January 2025: 2 individual and 6 group hours, 8 in a month where 6 count.
    evidence.supervision.push(session(date!(2025 - 01 - 15), h(2)));
    evidence.supervision.push(group(date!(2025 - 01 - 20), h(6), 4));
    // Then 18 months of 1 or 2 hours each way: 21 individual and 21 group hours.
    for i in 1..=18 {
        let hours = if i <= 3 { h(2) } else { h(1) };
        evidence
            .supervision
            .push(session(months(date!(2025 - 01 - 15), i), hours));
        evidence
            .supervision
            .push(group(months(date!(2025 - 01 - 20), i), hours, 4));
    }
    // 23 individual + 27 group hours logged; 2 group hours lost to the monthly cap leave 25,
    // exactly the 50% group share: 48 count and 2 are lost, told once.
    let month = "January 2025: 8 hours logged, only 6 count in a calendar month";
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &["48 of 50 hours counted, 2 to go", month],
    );
    expect_progress(&assessment, "supervision", h(48), Hours::ZERO, h(50));

    // Two more group hours: now the share cuts too, and only the hours the months left.
    evidence.supervision.push(group(date!(2026 - 05 - 25), h(2), 4));
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "48 of 50 hours counted, 2 to go",
            month,
            "group supervision: 27 hours left after the monthly limit, at most 25 of the 50 count (the 50% group share); the other 2 hours do not count",
        ],
    );
    // 52 logged, 48 counted: the 2 + 2 hours the two messages name.
    expect_progress(&assessment, "supervision", h(48), Hours::ZERO, h(50));
}

#[test]
fn groups_must_be_approved_and_small() {
    let mut evidence = ready_cst();
    for entry in &mut evidence.supervision {
        if let SupervisionFormat::Group { approved, size } = &mut entry.format {
            if entry.date == date!(2025 - 01 - 20) {
                *approved = false;
            }
            if entry.date == date!(2025 - 02 - 20) {
                *size = 5;
            }
            if entry.date == date!(2025 - 03 - 20) {
                *size = 4;
            }
        }
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &["48 of 50 hours counted, 2 to go"],
    );
    assert_eq!(
        notices(&assessment, "supervision"),
        [
            "2025-01-20: 1 hour of group supervision does not count because the group was not approved by the board",
            "2025-02-20: 1 hour of group supervision does not count because the group had 5 supervisees (at most 4)",
        ]
    );
}

#[test]
fn at_most_6_supervision_hours_count_in_a_month() {
    let mut evidence = ready_cst();
    evidence.supervision.push(session(date!(2025 - 03 - 25), h(4)));
    let month = "March 2025: 7 hours logged, only 6 count in a calendar month";
    let assessment = cst(&evidence);
    expect_met(&assessment, "supervision");
    assert_eq!(notices(&assessment, "supervision"), [month]);

    evidence
        .supervision
        .retain(|entry| entry.date != date!(2026 - 05 - 15) && entry.date != date!(2026 - 06 - 15));
    // 46 hours elsewhere and 6 of the 7 in March 2025.
    expect(
        &cst(&evidence),
        "supervision",
        Status::NotMet,
        &["49 of 50 hours counted, 1 to go", month],
    );
}

#[test]
fn supervision_spans_at_least_18_months() {
    let mut evidence = ready_cst();
    evidence.supervision.retain(|entry| entry.counts_as_training);
    for i in 0..13 {
        let hours = if i < 12 { h(4) } else { h(2) };
        evidence
            .supervision
            .push(session(months(date!(2025 - 01 - 15), i), hours));
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "supervision spans 12 months (2025-01-15 to 2026-01-15); it must span at least 18 months (until 2026-07-15 or later)",
        ],
    );
    expect_progress(&assessment, "supervision", h(50), Hours::ZERO, h(50));
}

#[test]
fn supervision_beyond_24_months_does_not_count() {
    let mut evidence = ready_cst();
    evidence.contracts = vec![contract("c1", date!(2024 - 06 - 01), date!(2024 - 05 - 20))];
    evidence.supervision.retain(|entry| entry.counts_as_training);
    let taught_only = evidence.supervision.clone();
    // 1.5 hours a month for 31 months: 25 sessions fall within any 24 months.
    for i in 0..31 {
        evidence
            .supervision
            .push(session(months(date!(2024 - 06 - 15), i), centi(150)));
    }
    let outside = "6 sessions outside the 24-month span from 2024-06-15 to 2026-06-15 do not count";
    expect(
        &cst(&evidence),
        "supervision",
        Status::NotMet,
        &["37.5 of 50 hours counted, 12.5 to go", outside],
    );

    // 2.5 hours a month: the best 24 months hold 62.5 hours, and the rest is only a notice.
    evidence.supervision = taught_only;
    for i in 0..31 {
        evidence
            .supervision
            .push(session(months(date!(2024 - 06 - 15), i), centi(250)));
    }
    let assessment = cst(&evidence);
    expect_met(&assessment, "supervision");
    assert_eq!(notices(&assessment, "supervision"), [outside]);
}

/// CST with 4 hours of supervision (so two sessions of 2 hours can meet it, at most 2 a month)
/// and months counted
/// as `counting` says.
fn cst_spanning(counting: &str) -> Program {
    let text = CST_TOML
        .replacen("total = 50\n", "total = 4\n", 1)
        .replacen("month_max = 6\n", "month_max = 2\n", 1)
        .replacen(r#"counting = "elapsed""#, &format!("counting = \"{counting}\""), 1);
    assert_ne!(text, CST_TOML, "fixture drifted");
    parse_program(&text, &LISTS, &[]).unwrap()
}

/// Two 2-hour sessions, on 15 January 2025 and on `last`, judged by `program`.
fn two_sessions(program: &Program, last: Date) -> RequirementResult {
    let mut evidence = ready_cst();
    evidence.supervision = vec![session(date!(2025 - 01 - 15), h(2)), session(last, h(2))];
    result(&assess(program, &evidence, ON), "supervision").clone()
}

#[test]
fn elapsed_months_at_the_18_and_24_month_boundaries() {
    let program = cst_spanning("elapsed");
    // 18 months after 15 January 2025 is 15 July 2026; the day before is 17 months.
    let short = two_sessions(&program, date!(2026 - 07 - 14));
    assert_eq!(short.status, Status::NotMet);
    assert_eq!(
        short.shortfalls,
        [
            "supervision spans 17 months (2025-01-15 to 2026-07-14); it must span at least 18 months (until 2026-07-15 or later)"
        ]
    );
    assert_eq!(two_sessions(&program, date!(2026 - 07 - 15)).status, Status::Met);
    // The 24 months end on 15 January 2027: that day is inside, the next outside.
    assert_eq!(two_sessions(&program, date!(2027 - 01 - 15)).status, Status::Met);
    let late = two_sessions(&program, date!(2027 - 01 - 16));
    assert_eq!(late.status, Status::NotMet);
    assert!(
        late.shortfalls
            .contains(&"1 session outside the 24-month span from 2025-01-15 to 2027-01-15 does not count".to_owned()),
        "{:?}",
        late.shortfalls
    );
    // 1 June 2026 would be the 18th calendar month, but only 16 months have elapsed.
    assert_eq!(two_sessions(&program, date!(2026 - 06 - 01)).status, Status::NotMet);
}

#[test]
fn calendar_months_at_the_18_and_24_month_boundaries() {
    let program = cst_spanning("calendar");
    // January 2025 to May 2026 is 17 calendar months; any day of June 2026 makes 18.
    let short = two_sessions(&program, date!(2026 - 05 - 31));
    assert_eq!(short.status, Status::NotMet);
    assert_eq!(
        short.shortfalls,
        [
            "supervision spans 17 calendar months (2025-01-15 to 2026-05-31); it must span at least 18 calendar months (until 2026-06-01 or later)"
        ]
    );
    assert_eq!(two_sessions(&program, date!(2026 - 06 - 01)).status, Status::Met);
    // The 24th calendar month is December 2026: its last day is inside, 1 January 2027 outside.
    assert_eq!(two_sessions(&program, date!(2026 - 12 - 31)).status, Status::Met);
    let late = two_sessions(&program, date!(2027 - 01 - 01));
    assert_eq!(late.status, Status::NotMet);
    assert!(
        late.shortfalls
            .contains(&"1 session outside the 24-month span from 2025-01-15 to 2026-12-31 does not count".to_owned()),
        "{:?}",
        late.shortfalls
    );
    // And 16 January 2027, still inside 24 elapsed months, is outside 24 calendar months.
    assert_eq!(two_sessions(&program, date!(2027 - 01 - 16)).status, Status::NotMet);
    assert_eq!(
        two_sessions(&cst_spanning("elapsed"), date!(2027 - 01 - 15)).status,
        Status::Met
    );
}

#[test]
fn supervision_counts_only_under_a_signed_contract() {
    let mut evidence = ready_cst();
    evidence.contracts[0].signed_on = None;
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "no supervision counts yet: 50 hours needed",
            "no signed contract names a primary supervisor",
        ],
    );
    let told = notices(&assessment, "supervision");
    assert_eq!(told.len(), 9, "{told:?}");
    assert_eq!(
        told[0],
        "2025-01-15: 2 hours do not count because the contract with Dr Ada Ruiz was not yet signed by both of you"
    );
    assert_eq!(told[8], "… and 24 more like these");
    assert_eq!(
        notices(&assessment, "clinical")[0],
        "2025-02-05: 12.5 hours do not count because no signed supervision contract was running that day"
    );

    // Signed after supervision started: the sessions before do not count.
    evidence.contracts[0].signed_on = Some(date!(2025 - 02 - 01));
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "47 of 50 hours counted, 3 to go",
            "supervision spans 17 months (2025-02-15 to 2026-07-15); it must span at least 18 months (until 2026-08-15 or later)",
        ],
    );
    assert_eq!(
        notices(&assessment, "supervision"),
        [
            "2025-01-15: 2 hours do not count because the contract with Dr Ada Ruiz was not yet signed by both of you",
            "2025-01-20: 1 hour does not count because the contract with Dr Ada Ruiz was not yet signed by both of you",
        ]
    );

    // Ended: later sessions do not count.
    let mut evidence = ready_cst();
    evidence.contracts[0].ends_on = Some(date!(2026 - 06 - 30));
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "48 of 50 hours counted, 2 to go",
            "supervision spans 17 months (2025-01-15 to 2026-06-15); it must span at least 18 months (until 2026-07-15 or later)",
        ],
    );
    assert_eq!(
        notices(&assessment, "supervision"),
        ["2026-07-15: 2 hours do not count because the contract with Dr Ada Ruiz ended on 2026-06-30"]
    );

    // A session under a contract that is not on file.
    let mut evidence = ready_cst();
    evidence.supervision[0].contract_id = "c9".to_owned();
    assert_eq!(
        notices(&cst(&evidence), "supervision"),
        ["2025-01-15: 2 hours do not count because the session is not under any of your supervision contracts"]
    );
}

#[test]
fn a_supervisor_whose_license_lapses_stops_later_hours_counting() {
    let mut evidence = ready_cst();
    evidence.contracts[0].supervisor_license = vec![period(date!(2020 - 01 - 01), date!(2026 - 03 - 31))];
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "42 of 50 hours counted, 8 to go",
            "supervision spans 14 months (2025-01-15 to 2026-03-15); it must span at least 18 months (until 2026-07-15 or later)",
        ],
    );
    assert_eq!(
        notices(&assessment, "supervision"),
        ["2026-04-15", "2026-05-15", "2026-06-15", "2026-07-15"]
            .map(|day| format!("{day}: 2 hours do not count because Dr Ada Ruiz's license was not valid that day"))
    );
    // Clinical work under the contract stops counting too.
    expect(
        &assessment,
        "clinical",
        Status::NotMet,
        &["175 of 300 hours counted, 125 to go"],
    );
    let clinical = notices(&assessment, "clinical");
    assert_eq!(
        clinical[0],
        "2026-04-05: 12.5 hours do not count because Dr Ada Ruiz's license was not valid that day"
    );
    assert_eq!(clinical.last().unwrap(), "… and 2 more like these");

    // Renewed without a gap, nothing is lost.
    evidence.contracts[0]
        .supervisor_license
        .push(open(date!(2026 - 04 - 01)));
    assert!(cst(&evidence).complete());

    // The supervisor's insurance and credential count the same way.
    let mut evidence = ready_cst();
    evidence.contracts[0].supervisor_insurance = vec![period(date!(2020 - 01 - 01), date!(2026 - 07 - 01))];
    assert_eq!(
        notices(&cst(&evidence), "supervision"),
        ["2026-07-15: 2 hours do not count because Dr Ada Ruiz's insurance was not valid that day"]
    );
    evidence.contracts[0].supervisor_credential = vec![open(date!(2025 - 01 - 16))];
    assert_eq!(
        notices(&cst(&evidence), "supervision")[0],
        "2025-01-15: 2 hours do not count because Dr Ada Ruiz's supervisor credential was not valid that day"
    );
}

#[test]
fn a_candidate_license_expiring_stops_clinical_and_supervision_hours() {
    let mut evidence = ready_cst();
    evidence.licenses = vec![license(
        "psychology",
        period(date!(2020 - 01 - 01), date!(2026 - 06 - 30)),
    )];
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "license",
        Status::NotMet,
        &["Psychology license (California) expired on 2026-06-30"],
    );
    expect(
        &assessment,
        "clinical",
        Status::NotMet,
        &["212.5 of 300 hours counted, 87.5 to go"],
    );
    assert_eq!(
        notices(&assessment, "clinical")[0],
        "2026-07-05: 12.5 hours do not count because you held no valid license that day"
    );
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &[
            "48 of 50 hours counted, 2 to go",
            "supervision spans 17 months (2025-01-15 to 2026-06-15); it must span at least 18 months (until 2026-07-15 or later)",
        ],
    );
    assert_eq!(
        notices(&assessment, "supervision"),
        ["2026-07-15: 2 hours do not count because you held no valid license that day"]
    );
    // Other logs do not need a license.
    expect_met(&assessment, "core");

    // Renewed the next day: everything counts again.
    evidence
        .licenses
        .push(license("psychology", open(date!(2026 - 07 - 01))));
    assert!(cst(&evidence).complete());
}

#[test]
fn sessions_awaiting_countersignature_are_pending_and_rejected_ones_never_count() {
    let mut evidence = ready_cst();
    for entry in &mut evidence.supervision {
        if matches!(entry.format, SupervisionFormat::Group { .. }) && entry.date >= date!(2025 - 09 - 01) {
            entry.sign_off = SignOff::Pending;
        }
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::Pending,
        &["46 of 50 hours counted, 4 to go"],
    );
    expect_progress(&assessment, "supervision", h(46), h(4), h(50));

    for entry in &mut evidence.supervision {
        if entry.sign_off == SignOff::Pending {
            entry.sign_off = SignOff::Rejected;
        }
    }
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "supervision",
        Status::NotMet,
        &["46 of 50 hours counted, 4 to go"],
    );
    expect_progress(&assessment, "supervision", h(46), Hours::ZERO, h(50));
}

#[test]
fn a_primary_supervisor_is_required() {
    let mut evidence = ready_cst();
    evidence.contracts[0].primary = false;
    expect(
        &cst(&evidence),
        "supervision",
        Status::NotMet,
        &["no signed contract names a primary supervisor"],
    );
    // A second, primary contract signed later is enough.
    let mut second = contract("c2", date!(2026 - 01 - 01), date!(2025 - 12 - 20));
    second.supervisor_name = "Dr Ben Ode".to_owned();
    evidence.contracts.push(second);
    expect_met(&cst(&evidence), "supervision");
}

#[test]
fn sessions_after_the_day_of_judgement_wait() {
    let mut evidence = ready_cst();
    evidence.supervision.push(session(date!(2027 - 04 - 15), h(2)));
    evidence.supervision.push(session(date!(2027 - 05 - 15), h(2)));
    let assessment = cst(&evidence);
    expect_met(&assessment, "supervision");
    assert_eq!(
        notices(&assessment, "supervision"),
        ["2 sessions dated after 2027-03-01 do not count yet"]
    );
}

// ---------------------------------------------------------------------------------------------
// Other credentials, supervisees, documents

#[test]
fn the_supervisor_credential_needs_cst_for_two_years() {
    let judge = |evidence: &Evidence| assess(&CST_S, evidence, ON);
    let mut evidence = ready_cst_s();
    expect_met(&judge(&evidence), "cst");

    evidence.credentials = vec![cst_credential(date!(2025 - 06 - 01))];
    expect(
        &judge(&evidence),
        "cst",
        Status::NotMet,
        &["CST held since 2025-06-01; 2 years are reached on 2027-06-01"],
    );

    evidence.credentials = Vec::new();
    expect(
        &judge(&evidence),
        "cst",
        Status::NotMet,
        &["this credential requires holding CST for 2 years"],
    );

    evidence.credentials = vec![HeldCredential {
        in_good_standing: false,
        ..cst_credential(date!(2020 - 01 - 01))
    }];
    expect(
        &judge(&evidence),
        "cst",
        Status::NotMet,
        &["your CST credential is not in good standing on 2027-03-01"],
    );

    // Another program's credential does not count.
    evidence.credentials = vec![HeldCredential {
        program: "CSE".to_owned(),
        ..cst_credential(date!(2020 - 01 - 01))
    }];
    expect(
        &judge(&evidence),
        "cst",
        Status::NotMet,
        &["this credential requires holding CST for 2 years"],
    );

    // Renewed without a gap, the years add up.
    evidence.credentials = vec![
        cst_credential(date!(2023 - 01 - 01)),
        cst_credential(date!(2026 - 01 - 01)),
    ];
    expect_met(&judge(&evidence), "cst");
}

#[test]
fn the_supervisor_credential_needs_two_supervisees_and_supervision_of_supervision() {
    let mut evidence = ready_cst_s();
    evidence.supervisees = 1;
    let assessment = assess(&CST_S, &evidence, ON);
    expect(
        &assessment,
        "supervisees",
        Status::NotMet,
        &["you have supervised 1 of the 2 supervisees needed"],
    );
    assert_eq!(
        result(&assessment, "supervisees").progress,
        Progress::Count { have: 1, needed: 2 }
    );

    // No monthly cap for supervision of supervision.
    let mut evidence = ready_cst_s();
    evidence.supervision.push(session(date!(2025 - 06 - 20), h(10)));
    let assessment = assess(&CST_S, &evidence, ON);
    expect_met(&assessment, "supervision");
    assert!(notices(&assessment, "supervision").is_empty());

    // Span 12 to 18 months.
    let mut evidence = ready_cst_s();
    evidence.supervision.pop();
    expect(
        &assess(&CST_S, &evidence, ON),
        "supervision",
        Status::NotMet,
        &[
            "28 of 30 hours counted, 2 to go",
            "supervision spans 11 months (2025-06-15 to 2026-05-15); it must span at least 12 months (until 2026-06-15 or later)",
        ],
    );
}

#[test]
fn required_documents_are_counted() {
    let mut evidence = ready_cst();
    evidence.documents = documents(&["reference_letter", "license", "cv"]);
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "documents",
        Status::NotMet,
        &[
            "Academic transcript: 0 of 1 on file",
            "Professional reference letter: 1 of 2 on file",
        ],
    );
    assert_eq!(
        result(&assessment, "documents").progress,
        Progress::Count { have: 2, needed: 4 }
    );

    // Extra copies do not make up for a missing kind.
    evidence.documents = documents(&["reference_letter", "reference_letter", "reference_letter", "cv"]);
    let assessment = cst(&evidence);
    expect(
        &assessment,
        "documents",
        Status::NotMet,
        &["Academic transcript: 0 of 1 on file"],
    );
    assert_eq!(
        result(&assessment, "documents").progress,
        Progress::Count { have: 3, needed: 4 }
    );

    let mut evidence = ready_cst_s();
    evidence.documents = documents(&["colleague_letter"]);
    expect(
        &assess(&CST_S, &evidence, ON),
        "documents",
        Status::NotMet,
        &[
            "Colleague letter: 1 of 2 on file",
            "Supervisor's letter: 0 of 1 on file",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Counselors and educators

#[test]
fn counseling_hours_span_two_to_five_years() {
    let judge = |evidence: &Evidence| assess(&CSC, evidence, ON);
    let mut evidence = ready_csc();
    evidence.hours.retain(|entry| entry.log != LogKind::Counseling);
    let others = evidence.hours.clone();
    for i in 0..20 {
        evidence.hours.push(logged(
            LogKind::Counseling,
            months(date!(2024 - 01 - 10), i),
            h(50),
            "in_person",
        ));
    }
    expect(
        &judge(&evidence),
        "counseling",
        Status::NotMet,
        &[
            "sexuality counseling spans 19 months (2024-01-10 to 2025-08-10); it must span at least 24 months (until 2026-01-10 or later)",
        ],
    );

    // Spread over 6 years: only 5 years' worth counts.
    evidence.hours = others.clone();
    for i in 0..25 {
        evidence.hours.push(logged(
            LogKind::Counseling,
            months(date!(2020 - 01 - 10), i * 3),
            h(40),
            "in_person",
        ));
    }
    expect(
        &judge(&evidence),
        "counseling",
        Status::NotMet,
        &[
            "840 of 1000 hours counted, 160 to go",
            "4 entries outside the 60-month span from 2020-01-10 to 2025-01-10 do not count",
        ],
    );

    // Old hours beside a full, recent stretch: met, and the old hours are only a notice.
    evidence.hours = others;
    evidence.hours.extend(csc_counseling());
    for i in 0..10 {
        evidence.hours.push(logged(
            LogKind::Counseling,
            months(date!(2018 - 01 - 10), i),
            h(40),
            "in_person",
        ));
    }
    let assessment = judge(&evidence);
    expect_met(&assessment, "counseling");
    assert_eq!(
        notices(&assessment, "counseling"),
        ["10 entries outside the 60-month span from 2024-01-10 to 2029-01-10 do not count"]
    );

    // Counselors need no license, so no hour waits for one.
    assert!(assessment.result("license").is_none());
    assert!(assess(&CSC, &ready_csc(), ON).complete());
}

#[test]
fn teaching_hours_count_only_under_contract() {
    let mut evidence = ready_cse();
    evidence
        .hours
        .retain(|entry| entry.date < date!(2025 - 10 - 01) || entry.log != LogKind::Teaching);
    evidence
        .hours
        .push(logged(LogKind::Teaching, date!(2024 - 10 - 10), h(10), "in_person"));
    evidence
        .hours
        .push(logged(LogKind::Teaching, date!(2024 - 11 - 10), h(10), "in_person"));
    let assessment = assess(&CSE, &evidence, ON);
    expect(
        &assessment,
        "teaching",
        Status::NotMet,
        &["80 of 100 hours counted, 20 to go"],
    );
    assert_eq!(
        notices(&assessment, "teaching"),
        [
            "2024-10-10: 10 hours do not count because no signed supervision contract was running that day",
            "2024-11-10: 10 hours do not count because no signed supervision contract was running that day",
        ]
    );

    // Teaching while the supervisor's insurance had lapsed does not count either.
    let mut evidence = ready_cse();
    evidence.contracts[0].supervisor_insurance = vec![
        period(date!(2020 - 01 - 01), date!(2025 - 10 - 31)),
        open(date!(2025 - 12 - 01)),
    ];
    let assessment = assess(&CSE, &evidence, ON);
    expect(
        &assessment,
        "teaching",
        Status::NotMet,
        &["90 of 100 hours counted, 10 to go"],
    );
    assert_eq!(
        notices(&assessment, "teaching"),
        ["2025-11-10: 10 hours do not count because Dr Ada Ruiz's insurance was not valid that day"]
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

const MODES: [&str; 5] = [
    "in_person",
    "live_online",
    "elearning",
    "telehealth_video",
    "telehealth_phone",
];

fn ready(which: usize) -> (&'static Program, Evidence) {
    match which % 4 {
        0 => (&CST, ready_cst()),
        1 => (&CSC, ready_csc()),
        2 => (&CSE, ready_cse()),
        _ => (&CST_S, ready_cst_s()),
    }
}

fn day_between(from: Date, to: Date) -> impl Strategy<Value = Date> {
    (0..=(to - from).whole_days()).prop_map(move |days| from + time::Duration::days(days))
}

/// Whole weeks from `from`, so that entries often share a day.
fn week_between(from: Date, weeks: i64) -> impl Strategy<Value = Date> {
    (0..=weeks).prop_map(move |week| from + time::Duration::weeks(week))
}

/// Quarter hours, from 0.25 to `max` hours.
fn quarter_hours(max: u32) -> impl Strategy<Value = Hours> {
    (1..=max * 4).prop_map(|quarters| centi(quarters * 25))
}

/// The split of `hours` a valid entry in `log` has: for split logs, between two items
/// (perhaps the same) of the log's list; otherwise none.
fn split_of(log: LogKind, hours: Hours, first: usize, second: usize, quarter: u32) -> Vec<(String, Hours)> {
    let items = match log {
        LogKind::CoreKnowledge => &LISTS.core_areas,
        LogKind::Training => &LISTS.disciplines,
        _ => return Vec::new(),
    };
    let one = centi(hours.centi() * quarter / 4);
    let parts = [
        (items[first % items.len()].key.clone(), one),
        (items[second % items.len()].key.clone(), hours - one),
    ];
    parts.into_iter().filter(|(_, hours)| !hours.is_zero()).collect()
}

/// A valid hour entry in any log, in any mode, on any day up to `to`.
fn hour_entry(
    logs: &'static [LogKind],
    modes: &'static [&'static str],
    from: Date,
    to: Date,
) -> impl Strategy<Value = HourEntry> {
    (
        prop::sample::select(logs),
        prop::sample::select(modes),
        day_between(from, to),
        quarter_hours(40),
        (any::<usize>(), any::<usize>(), 0..=4u32),
    )
        .prop_map(|(log, mode, date, hours, (first, second, quarter))| HourEntry {
            log,
            date,
            hours,
            mode: mode.to_owned(),
            split: split_of(log, hours, first, second, quarter),
        })
}

fn valid_hour_entry() -> impl Strategy<Value = HourEntry> {
    hour_entry(&LogKind::ALL, &MODES, date!(2018 - 01 - 01), ON)
}

fn valid_format() -> impl Strategy<Value = SupervisionFormat> {
    prop_oneof![
        Just(SupervisionFormat::Individual),
        (1..=4u32).prop_map(|size| SupervisionFormat::Group { approved: true, size }),
    ]
}

/// A valid, countersigned session under the ready candidates' contract (which starts on
/// 2025-01-01 or, for supervisors, 2025-06-01).
fn valid_session() -> impl Strategy<Value = SupervisionEntry> {
    (
        day_between(date!(2025 - 06 - 01), ON),
        quarter_hours(4),
        valid_format(),
        any::<bool>(),
    )
        .prop_map(|(date, hours, format, counts_as_training)| SupervisionEntry {
            format,
            counts_as_training,
            ..session(date, hours)
        })
}

/// Keeps the hour entries and sessions whose place in `keep` (cycled) is true.
fn thin(evidence: &mut Evidence, keep: &[bool]) {
    let mut flags = keep.iter().cycle();
    evidence.hours.retain(|_| *flags.next().unwrap());
    evidence.supervision.retain(|_| *flags.next().unwrap());
}

/// Which entries of a ready candidate to keep: often all (so that there is much to undo),
/// otherwise most.
fn keep_mask() -> impl Strategy<Value = Vec<bool>> {
    prop_oneof![Just(vec![true]), prop::collection::vec(prop::bool::weighted(0.9), 64)]
}

fn never_undone(before: &Assessment, after: &Assessment) -> Result<(), TestCaseError> {
    for (was, is) in before.results.iter().zip(&after.results) {
        if was.status == Status::Met {
            prop_assert_eq!(
                is.status,
                Status::Met,
                "{} was met and is not after adding evidence: {:#?}",
                &was.key,
                is
            );
        }
    }
    Ok(())
}

/// Randomly chosen evidence of every kind, with dates often on the same day.
fn any_evidence() -> impl Strategy<Value = Evidence> {
    let start = date!(2023 - 01 - 02);
    let date = move || week_between(start, 230);
    let period = move || {
        (date(), prop::option::of(0..200i64))
            .prop_map(|(from, weeks)| Period::new(from, weeks.map(|weeks| from + time::Duration::weeks(weeks))))
    };
    let membership = (
        prop::sample::select(vec!["professional", "student", "emeritus"]),
        period(),
    )
        .prop_map(|(kind, valid)| membership(kind, valid));
    let degree = (
        prop::sample::select(DegreeLevel::ALL.to_vec()),
        date(),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["State University", "Open College"]),
    )
        .prop_map(
            |(level, awarded_on, accredited, documented, institution)| DegreeRecord {
                level,
                institution: institution.to_owned(),
                accredited,
                awarded_on,
                documented,
            },
        );
    let license = (
        prop::sample::select(vec!["psychology", "nursing", "chiropractic"]),
        period(),
        any::<bool>(),
    )
        .prop_map(|(profession, valid, documented)| LicenseRecord {
            documented,
            ..license(profession, valid)
        });
    let policy = (period(), any::<bool>()).prop_map(|(valid, documented)| InsuranceRecord {
        documented,
        ..insurance(valid)
    });
    let hours = hour_entry(&LogKind::ALL, &MODES, start, date!(2027 - 06 - 01));
    let contract = (
        date(),
        prop::option::of(date()),
        prop::option::of(date()),
        any::<bool>(),
        prop::collection::vec(period(), 0..3),
        prop::collection::vec(period(), 0..3),
    )
        .prop_map(
            move |(starts_on, signed_on, ends_on, primary, license, insurance)| ContractRecord {
                id: String::new(),
                supervisor_name: SUPERVISOR.to_owned(),
                starts_on,
                signed_on,
                ends_on,
                primary,
                supervisor_credential: vec![open(start)],
                supervisor_license: license,
                supervisor_insurance: insurance,
            },
        );
    let sign_off = prop::sample::select(vec![
        SignOff::Pending,
        SignOff::Countersigned,
        SignOff::Countersigned,
        SignOff::Rejected,
    ]);
    let format = prop_oneof![
        Just(SupervisionFormat::Individual),
        (any::<bool>(), 1..=6u32).prop_map(|(approved, size)| SupervisionFormat::Group { approved, size }),
    ];
    let session = (0..3usize, date(), quarter_hours(8), format, sign_off, any::<bool>()).prop_map(
        |(contract, date, hours, format, sign_off, counts_as_training)| SupervisionEntry {
            contract_id: format!("c{contract}"),
            date,
            hours,
            format,
            sign_off,
            counts_as_training,
        },
    );
    let credential = (prop::sample::select(vec!["CST", "CSE"]), period(), any::<bool>()).prop_map(
        |(program, valid, in_good_standing)| HeldCredential {
            program: program.to_owned(),
            valid,
            in_good_standing,
        },
    );
    let document = prop::sample::select(vec![
        "transcript",
        "cv",
        "reference_letter",
        "colleague_letter",
        "supervisor_letter",
    ]);
    use prop::collection::vec;
    (
        vec(membership, 0..3),
        prop::option::of(date()),
        vec(degree, 0..3),
        vec(license, 0..3),
        vec(policy, 0..3),
        vec(hours, 0..40),
        vec(contract, 0..3),
        vec(session, 0..40),
        vec(credential, 0..3),
        0..4u32,
        vec(document, 0..8),
    )
        .prop_map(
            |(
                memberships,
                ethics_attested_on,
                degrees,
                licenses,
                insurance,
                hours,
                mut contracts,
                supervision,
                credentials,
                supervisees,
                documents,
            )| {
                // Contract ids are unique, as in the store.
                for (index, contract) in contracts.iter_mut().enumerate() {
                    contract.id = format!("c{index}");
                }
                Evidence {
                    memberships,
                    ethics_attested_on,
                    degrees,
                    licenses,
                    insurance,
                    hours,
                    contracts,
                    supervision,
                    credentials,
                    supervisees,
                    documents: documents.into_iter().map(str::to_owned).collect(),
                }
            },
        )
}

/// A Fisher–Yates shuffle driven by a xorshift generator.
fn shuffle<T>(items: &mut [T], state: &mut u64) {
    for i in (1..items.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        items.swap(i, (*state % (i as u64 + 1)) as usize);
    }
}

fn shuffled(evidence: &Evidence, seed: u64) -> Evidence {
    let mut state = seed | 1;
    let mut evidence = evidence.clone();
    shuffle(&mut evidence.memberships, &mut state);
    shuffle(&mut evidence.degrees, &mut state);
    shuffle(&mut evidence.licenses, &mut state);
    shuffle(&mut evidence.insurance, &mut state);
    shuffle(&mut evidence.hours, &mut state);
    shuffle(&mut evidence.contracts, &mut state);
    shuffle(&mut evidence.supervision, &mut state);
    shuffle(&mut evidence.credentials, &mut state);
    shuffle(&mut evidence.documents, &mut state);
    evidence
}

fn counted(assessment: &Assessment, key: &str) -> Hours {
    match result(assessment, key).progress {
        Progress::Hours { counted, .. } => counted,
        other => panic!("{key} is not measured in hours: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn adding_a_valid_hour_entry_never_undoes_a_met_requirement(
        which in 0..4usize,
        keep in keep_mask(),
        extra in prop::collection::vec(valid_hour_entry(), 0..4),
        added in valid_hour_entry(),
    ) {
        let (program, mut evidence) = ready(which);
        thin(&mut evidence, &keep);
        evidence.hours.extend(extra);
        let before = assess(program, &evidence, ON);
        evidence.hours.push(added);
        never_undone(&before, &assess(program, &evidence, ON))?;
    }

    #[test]
    fn adding_a_valid_countersigned_session_never_undoes_a_met_requirement(
        which in 0..4usize,
        keep in keep_mask(),
        extra in prop::collection::vec(valid_session(), 0..4),
        added in valid_session(),
    ) {
        let (program, mut evidence) = ready(which);
        thin(&mut evidence, &keep);
        evidence.supervision.extend(extra);
        let before = assess(program, &evidence, ON);
        evidence.supervision.push(added);
        never_undone(&before, &assess(program, &evidence, ON))?;
    }

    #[test]
    fn capped_modes_never_count_beyond_their_cap(
        case in 0..3usize,
        entries in prop::collection::vec(
            (day_between(date!(2025 - 01 - 01), ON), quarter_hours(60), any::<bool>(), (any::<usize>(), any::<usize>(), 0..=4u32)),
            0..20,
        ),
    ) {
        let (log, cap) = [(LogKind::CoreKnowledge, h(75)), (LogKind::Training, h(30)), (LogKind::Clinical, h(150))][case];
        let mut evidence = ready_cst();
        evidence.hours.retain(|entry| entry.log != log);
        evidence.supervision.retain(|entry| !entry.counts_as_training);
        let mut logged_hours = Hours::ZERO;
        for (date, hours, video, (first, second, quarter)) in entries {
            let mode = match log {
                LogKind::Clinical if video => "telehealth_video",
                LogKind::Clinical => "telehealth_phone",
                _ => "elearning",
            };
            logged_hours += hours;
            evidence.hours.push(HourEntry { log, date, hours, mode: mode.to_owned(), split: split_of(log, hours, first, second, quarter) });
        }
        let key = ["core", "training", "clinical"][case];
        let assessment = cst(&evidence);
        prop_assert!(counted(&assessment, key) <= cap);
        prop_assert_eq!(counted(&assessment, key), logged_hours.min(cap));
        prop_assert_ne!(result(&assessment, key).status, Status::Met);
    }

    #[test]
    fn supervision_never_counts_beyond_its_caps(
        sessions in prop::collection::vec((day_between(date!(2025 - 01 - 01), ON), quarter_hours(8), prop::option::of(1..=4u32)), 0..40),
        one_month in any::<bool>(),
    ) {
        let mut evidence = ready_cst();
        evidence.supervision.clear();
        let (mut individual, mut in_groups) = (Hours::ZERO, Hours::ZERO);
        let mut months_used = std::collections::BTreeSet::new();
        for (date, hours, size) in sessions {
            // All in March 2026, or spread.
            let date = if one_month { date!(2026 - 03 - 01) + time::Duration::days(i64::from(date.day()) % 31) } else { date };
            months_used.insert((date.year(), date.month()));
            match size {
                None => {
                    individual += hours;
                    evidence.supervision.push(session(date, hours));
                }
                Some(size) => {
                    in_groups += hours;
                    evidence.supervision.push(group(date, hours, size));
                }
            }
        }
        let assessment = cst(&evidence);
        let counted = counted(&assessment, "supervision");
        prop_assert!(counted <= individual + in_groups.min(h(25)));
        prop_assert!(counted <= h(50));
        prop_assert!(counted <= h(6 * months_used.len() as u32));
        if individual.is_zero() {
            prop_assert!(counted <= h(25));
        }
    }

    #[test]
    fn assessment_is_deterministic_and_ignores_the_order_of_evidence(
        which in 0..4usize,
        evidence in any_evidence(),
        seed in any::<u64>(),
    ) {
        let program: &Program = [&*CST, &*CSC, &*CSE, &*CST_S][which];
        let assessment = assess(program, &evidence, ON);
        prop_assert_eq!(&assessment, &assess(program, &evidence, ON));
        prop_assert_eq!(&assessment, &assess(program, &shuffled(&evidence, seed), ON));
        for result in &assessment.results {
            match result.progress {
                Progress::Hours { counted, pending, needed } => prop_assert!(counted + pending <= needed, "{:?}", result),
                Progress::Count { have, needed } => prop_assert!(have <= needed, "{:?}", result),
                Progress::Check { .. } => {}
            }
            prop_assert_eq!(result.shortfalls.is_empty(), result.status == Status::Met, "{:?}", result);
        }
    }
}
