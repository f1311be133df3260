//! The shipped program files, and the refusals of files that do not make sense.

use domain::credentialing::programs::{
    BoardLists, CredentialKind, Definition, LogKind, MonthCounting, ProgramCode, Rule, SigningDays, VERSION_RULE,
    VersionStart, parse_definition, parse_lists, parse_program, version_on,
};

const LISTS: &str = include_str!("../../../../programs/lists.toml");
const CST: &str = include_str!("../../../../programs/cst.toml");
const CSC: &str = include_str!("../../../../programs/csc.toml");
const CSE: &str = include_str!("../../../../programs/cse.toml");
const CST_S: &str = include_str!("../../../../programs/cst-s.toml");

fn lists() -> BoardLists {
    parse_lists(LISTS).unwrap()
}

fn code(text: &str) -> ProgramCode {
    ProgramCode::parse(text).unwrap()
}

#[test]
fn the_shipped_lists_have_the_board_vocabularies() {
    let lists = lists();
    assert_eq!(lists.version, "2026.L.3");
    // The directory's vocabularies: the concerns people bring (clinical taxonomy), the
    // populations served and the approaches.
    assert_eq!(lists.concerns.len(), 16);
    assert!(
        lists
            .concerns
            .iter()
            .any(|c| c.key == "desire_discrepancy" && c.name == "Desire discrepancy in a couple")
    );
    assert_eq!(lists.populations.len(), 8);
    assert!(lists.insurers.iter().any(|i| i.key == "superbill"));
    assert_eq!(lists.approaches.len(), 8);
    assert_eq!(lists.core_areas.len(), 15);
    assert_eq!(lists.disciplines.len(), 7);
    assert_eq!(lists.professions.len(), 11);
    assert!(lists.has_mode("elearning"));
    assert!(lists.has_membership_type("emeritus"));
    assert_eq!(lists.core_areas[3].name, "Sexual orientation and gender identity");
}

#[test]
fn the_four_shipped_programs_load() {
    let lists = lists();
    let cst = parse_program(CST, &lists, &[]).unwrap();
    assert_eq!(cst.code.as_str(), "CST");
    assert_eq!(cst.version, "2025.T.1");
    assert_eq!(cst.kind, CredentialKind::Therapist);
    assert_eq!(cst.fee.display(), "300.00 USD");
    let core = cst.hours_rule(LogKind::CoreKnowledge).unwrap();
    assert_eq!(core.total.to_string(), "90");
    assert_eq!(core.caps[0].max.to_string(), "75");
    let clinical = cst.hours_rule(LogKind::Clinical).unwrap();
    assert!(clinical.under_contract);
    assert_eq!(clinical.caps[0].modes, ["telehealth_video", "telehealth_phone"]);
    let supervision = cst.supervision_rule().unwrap();
    assert_eq!(supervision.group_cap().to_string(), "25");
    assert_eq!(supervision.span.unwrap().min_months, 18);
    assert!(cst.requires_license());

    let csc = parse_program(CSC, &lists, &[]).unwrap();
    assert_eq!(csc.kind, CredentialKind::Counselor);
    assert!(!csc.requires_license(), "counselors need no license");
    assert_eq!(
        csc.hours_rule(LogKind::Counseling).unwrap().span.unwrap().max_months,
        60
    );
    let cse = parse_program(CSE, &lists, &[]).unwrap();
    assert_eq!(cse.kind, CredentialKind::Educator);

    let supervisor = parse_program(CST_S, &lists, &[code("CST")]).unwrap();
    assert!(matches!(
        &supervisor.requirement("cst").unwrap().rule,
        Rule::Credential { held_years: 2, .. }
    ));
}

#[test]
fn definition_kind_is_told_apart() {
    let lists = lists();
    assert!(matches!(
        parse_definition(LISTS, &BoardLists::default(), &[]),
        Ok(Definition::Lists(_))
    ));
    assert!(matches!(parse_definition(CST, &lists, &[]), Ok(Definition::Program(_))));
    assert!(parse_lists(CST).is_err());
    assert!(parse_program(LISTS, &lists, &[]).is_err());
}

/// The CST file with one line replaced, and the errors it gets.
fn refused(find: &str, replace: &str) -> Vec<String> {
    assert!(CST.contains(find), "test fixture drifted: {find}");
    let text = CST.replacen(find, replace, 1);
    let errors = parse_program(&text, &lists(), &[]).unwrap_err();
    errors.0.iter().map(ToString::to_string).collect()
}

fn line_of(text: &str) -> usize {
    CST.lines().position(|line| line.contains(text)).unwrap() + 1
}

#[test]
fn an_unknown_area_is_refused_at_its_line() {
    let errors = refused("total = 90\n", "total = 90\nminimums = { astrology = 3 }\n");
    let line = line_of("total = 90") + 1;
    assert_eq!(
        errors,
        [format!(
            "line {line}, requirement.core.minimums.astrology: \"astrology\" is not an item of the list this log is split across"
        )]
    );
}

#[test]
fn negative_hours_are_refused() {
    let errors = refused("total = 60", "total = -60");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!("line {}, requirement.training.total:", line_of("total = 60"))),
        "{errors:?}"
    );
    assert!(errors[0].contains("cannot be negative"), "{errors:?}");
}

#[test]
fn a_cap_above_its_total_is_refused() {
    let errors = refused("max = 75", "max = 95");
    assert_eq!(
        errors,
        [format!(
            "line {}, requirement.core.caps[0].max: the cap (95 hours) is above the requirement's total (90 hours)",
            line_of("max = 75")
        )]
    );
}

#[test]
fn a_dependency_on_a_missing_program_is_refused() {
    let errors = parse_program(CST_S, &lists(), &[]).unwrap_err().to_string();
    assert!(
        errors.contains("requirement.cst.program: this depends on the program \"CST\", which does not exist"),
        "{errors}"
    );
}

#[test]
fn misspelt_fields_and_kinds_are_refused() {
    let errors = refused("group_share_percent = 50", "group_share_prcent = 50");
    assert!(
        errors[0].contains("requirement.supervision.group_share_prcent: a supervision requirement has no field"),
        "{errors:?}"
    );
    let errors = refused("kind = \"insurance\"", "kind = \"insurence\"");
    assert!(
        errors[0].contains("\"insurence\" is not a kind of requirement"),
        "{errors:?}"
    );
    let errors = refused("modes = [\"elearning\"]", "modes = [\"carrier_pigeon\"]");
    assert!(
        errors[0].contains("\"carrier_pigeon\" is not a delivery mode in the board lists"),
        "{errors:?}"
    );
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let text = CST
        .replacen("total = 10", "total = 0", 1)
        .replacen("validity_years = 3", "validity_years = 0", 1);
    let errors = parse_program(&text, &lists(), &[]).unwrap_err();
    assert_eq!(errors.0.len(), 2, "{errors}");
    assert!(
        errors.0[0].field == "validity_years" && errors.0[1].field == "requirement.sar.total",
        "{errors}"
    );
    assert!(errors.0[0].line < errors.0[1].line);
}

#[test]
fn syntax_errors_name_the_line() {
    let text = CST.replacen("total = 90", "total = = 90", 1);
    let errors = parse_program(&text, &lists(), &[]).unwrap_err();
    assert_eq!(errors.0[0].line, Some(line_of("total = 90")));
    assert!(errors.0[0].message.starts_with("this is not valid TOML"), "{errors}");
}

#[test]
fn duplicate_keys_and_missing_fields_are_refused() {
    let errors = refused("key = \"insurance\"", "key = \"license\"");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("the key \"license\" is used by two requirements")),
        "{errors:?}"
    );
    let errors = refused("title = \"Code of ethics attestation\"\n", "");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("requirement.ethics.title: \"title\" is required here")),
        "{errors:?}"
    );
}

#[test]
fn lists_refuse_duplicates_and_bad_keys() {
    let text = LISTS.replacen("key = \"development\"", "key = \"ethics\"", 1);
    let errors = parse_lists(&text).unwrap_err().to_string();
    assert!(
        errors.contains("core_area[1].key: the core knowledge area \"ethics\" is listed twice"),
        "{errors}"
    );
    let text = LISTS.replacen("key = \"development\"", "key = \"Development Stuff\"", 1);
    assert!(parse_lists(&text).unwrap_err().to_string().contains("is not a key"));
}

#[test]
fn lists_can_grow_beyond_fifteen_areas() {
    let text = format!(
        "{LISTS}\n[[core_area]]\nkey = \"history\"\nname = \"History of sex research and therapy\"\n[[core_area]]\nkey = \"research\"\nname = \"Research principles and methods\"\n"
    );
    let lists = parse_lists(&text).unwrap();
    assert_eq!(lists.core_areas.len(), 17);
    let program = parse_program(
        &CST.replacen("total = 90\n", "total = 90\nmin_each = 3\n", 1),
        &lists,
        &[],
    )
    .unwrap();
    assert_eq!(
        program
            .hours_rule(LogKind::CoreKnowledge)
            .unwrap()
            .minimum_for("research")
            .unwrap()
            .to_string(),
        "3"
    );
}

#[test]
fn renewal_rules_are_data_too() {
    let cst = parse_program(CST, &lists(), &[]).unwrap();
    let renewal = cst.renewal.expect("the shipped CST file has renewal rules");
    assert_eq!(renewal.credits.to_string(), "20");
    assert_eq!(renewal.approved_min.to_string(), "5");
    assert_eq!(renewal.methods.len(), 4);
    assert_eq!(renewal.methods[0].rate_percent, 50);
    let errors = refused("approved_min = 5", "approved_min = 25");
    assert!(
        errors[0].contains("renewal.approved_min: the approved minimum (25) is above the credits needed (20)"),
        "{errors:?}"
    );
    let errors = refused("rate_percent = 100, cap = 15", "rate_percent = 100, cap = 25");
    assert!(
        errors[0].contains("renewal.methods[3].cap: the cap (25 credits) is above the credits needed (20)"),
        "{errors:?}"
    );
    // A definition without renewal rules (written before them) still loads.
    let start = CST.find("[renewal]").unwrap();
    let end = start + CST[start..].find("\n]\n").unwrap() + 3;
    let without = format!("{}{}", &CST[..start], &CST[end..]);
    assert_eq!(parse_program(&without, &lists(), &[]).unwrap().renewal, None);
}

#[test]
fn a_lists_file_written_before_the_directory_lists_still_loads() {
    let older: String = LISTS
        .split("\n# Concerns people bring")
        .next()
        .unwrap()
        .replace("2026.L.3", "2025.L.1");
    let lists = parse_lists(&older).unwrap();
    assert!(lists.concerns.is_empty() && lists.populations.is_empty() && lists.approaches.is_empty());
    assert_eq!(lists.core_areas.len(), 15);
}

#[test]
fn a_concern_listed_twice_is_refused_with_its_line() {
    let doubled = format!("{LISTS}\n[[concern]]\nkey = \"orgasm\"\nname = \"Orgasm, again\"\n");
    let errors = parse_lists(&doubled).unwrap_err();
    assert!(
        errors.0.iter().any(|e| e
            .message
            .contains("the concern people bring \"orgasm\" is listed twice")),
        "{errors:?}"
    );
}

fn start(version: &str, effective_from: time::Date) -> VersionStart {
    VersionStart {
        version: version.to_owned(),
        effective_from,
    }
}

#[test]
fn the_version_is_the_one_in_force_on_the_signing_day_and_both_pages_say_so() {
    use time::macros::date;
    // Newest first, as the store lists them.
    let versions = [
        start("2026.T.1", date!(2026 - 01 - 01)),
        start("2025.T.1", date!(2025 - 01 - 01)),
    ];
    let on = |day| version_on(&versions, day).map(|v| v.version.as_str());
    // The boundary: the day before the new version, and its first day.
    assert_eq!(on(date!(2025 - 12 - 31)), Some("2025.T.1"));
    assert_eq!(on(date!(2026 - 01 - 01)), Some("2026.T.1"));
    // Signed before the earliest version took effect: judged by the earliest.
    assert_eq!(on(date!(2024 - 12 - 30)), Some("2025.T.1"));

    // What the program page and the progress page say about each version is the same rule.
    let older = SigningDays::of(&versions, "2025.T.1").unwrap();
    let newer = SigningDays::of(&versions, "2026.T.1").unwrap();
    assert_eq!(
        older.phrase(),
        "candidates whose first supervision contract was signed on or before 2025-12-31"
    );
    assert_eq!(
        newer.phrase(),
        "candidates whose first supervision contract was signed on or after 2026-01-01"
    );
    // The only version judges everyone, whenever they signed (so 2024-12-30 is no contradiction).
    let only = [start("2025.T.1", date!(2025 - 01 - 01))];
    assert_eq!(version_on(&only, date!(2024 - 12 - 30)).unwrap().version, "2025.T.1");
    assert_eq!(
        SigningDays::of(&only, "2025.T.1").unwrap().phrase(),
        "candidates whose first supervision contract was signed on any day (it is the only version)"
    );
    // A middle version, and one replaced by a later import with the same date.
    let three = [
        start("2027.T.1", date!(2027 - 01 - 01)),
        start("2026.T.2", date!(2026 - 01 - 01)),
        start("2026.T.1", date!(2026 - 01 - 01)),
        start("2025.T.1", date!(2025 - 01 - 01)),
    ];
    assert_eq!(
        SigningDays::of(&three, "2026.T.2").unwrap().phrase(),
        "candidates whose first supervision contract was signed from 2026-01-01 to 2026-12-31"
    );
    assert_eq!(SigningDays::of(&three, "2026.T.1"), Some(SigningDays::Replaced));
    assert_eq!(version_on(&three, date!(2026 - 06 - 01)).unwrap().version, "2026.T.2");
    assert_eq!(SigningDays::of(&three, "1999.X.1"), None);
    assert!(VERSION_RULE.contains("judged by the earliest version"));
}

#[test]
fn a_span_must_say_how_its_months_are_counted() {
    let without = CST.replace(r#", counting = "elapsed""#, "");
    let errors = parse_program(&without, &lists(), &[]).unwrap_err();
    assert!(
        errors
            .to_string()
            .contains("say how months are counted: counting = \"elapsed\""),
        "{errors}"
    );
    let wrong = CST.replace(r#"counting = "elapsed""#, r#"counting = "lunar""#);
    let errors = parse_program(&wrong, &lists(), &[]).unwrap_err();
    assert!(
        errors.to_string().contains("\"lunar\" is not a way of counting months"),
        "{errors}"
    );
    let calendar = CST.replace(r#"counting = "elapsed""#, r#"counting = "calendar""#);
    let program = parse_program(&calendar, &lists(), &[]).unwrap();
    assert_eq!(
        program.supervision_rule().unwrap().span.unwrap().counting,
        MonthCounting::Calendar
    );
    // The program page states the reading, with the span's own boundaries.
    let lines = program.requirement("supervision").unwrap().describe(&program.lists);
    assert!(
        lines.contains(&"Months are counted as calendar months, the first and the last both included, whatever the day: supervision from January 2025 spans 18 months in June 2026, and its 24 months end on 31 December 2026.".to_owned()),
        "{lines:?}"
    );
    let elapsed = parse_program(CST, &lists(), &[]).unwrap();
    let lines = elapsed.requirement("supervision").unwrap().describe(&elapsed.lists);
    assert!(
        lines.contains(&"Months are counted as whole months elapsed: supervision from 15 January 2025 spans 18 months on 15 July 2026, and its 24 months end on 15 January 2027.".to_owned()),
        "{lines:?}"
    );
}
