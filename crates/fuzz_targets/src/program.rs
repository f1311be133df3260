//! Definition files (TOML): the board lists and the programs, as a board administrator uploads
//! them at /admin/programs or with `sensate programs import`.

use crate::Verdict;
use domain::credentialing::programs::{BoardLists, Definition, Program, ProgramCode, parse_definition};

/// The codes of the shipped programs, which an uploaded program may depend on.
fn known_programs() -> &'static [ProgramCode] {
    static CODES: std::sync::OnceLock<Vec<ProgramCode>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        ["CST", "CSC", "CSE", "CST-S"]
            .into_iter()
            .map(|code| ProgramCode::parse(code).expect("a shipped program code"))
            .collect()
    })
}

/// Parses `data` as a definition file. A definition that parses is stored as JSON, so it
/// must read back from JSON as the same value; a refusal names at least one problem, and
/// every line it names is a line of the file.
pub fn program_definition(data: &[u8]) -> Verdict {
    let text = String::from_utf8_lossy(data);
    match parse_definition(&text, crate::shipped_lists(), known_programs()) {
        Ok(Definition::Program(program)) => {
            let json = serde_json::to_string(&program).expect("a program encodes as JSON");
            let back: Program = serde_json::from_str(&json).expect("a stored program decodes");
            assert_eq!(back, *program, "a program changed on its way through JSON");
            Verdict::Accepted
        }
        Ok(Definition::Lists(lists)) => {
            let json = serde_json::to_string(&lists).expect("lists encode as JSON");
            let back: BoardLists = serde_json::from_str(&json).expect("stored lists decode");
            assert_eq!(back, *lists, "board lists changed on their way through JSON");
            Verdict::Accepted
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "a refused file must say why");
            // `str::lines` does not count a last empty line; a problem at the very end may be there.
            let last_line = text.lines().count() + 1;
            for error in &errors.0 {
                assert!(!error.message.is_empty(), "an empty message for {error:?}");
                if let Some(line) = error.line {
                    assert!(
                        (1..=last_line).contains(&line),
                        "{error} names line {line} of {last_line}"
                    );
                }
            }
            Verdict::Refused
        }
    }
}
