//! The CSV import of past course records (/portal/import): the uploaded bytes as
//! `app::credentialing::hours_import` decodes and checks them for the preview and again at the commit.

use std::collections::HashMap;

use app::credentialing::hours_import::{MAX_IMPORT_ROWS, check_file, decode, normalise, token_for};
use time::macros::date;

use crate::Verdict;

/// Decodes and checks `data` as an uploaded file. What must hold: decoding refuses exactly
/// the bytes that are not UTF-8 and normalises once and for all; a preview counts its rows
/// within the limit, never lists a row both as ready and as having a problem, names only
/// lines of the file, is the same when checked again (the commit checks again); and once the
/// ready rows are on file, the same file has nothing left to import.
pub fn hours_csv(data: &[u8]) -> Verdict {
    let text = match decode(data) {
        Ok(text) => text,
        Err(message) => {
            assert!(std::str::from_utf8(data).is_err(), "UTF-8 refused: {message}");
            return Verdict::Refused;
        }
    };
    assert!(!text.contains('\r') && !text.starts_with('\u{feff}'));
    assert_eq!(normalise(&text), text, "normalising twice changed the text");
    let lists = crate::shipped_lists();
    let today = date!(2026 - 11 - 24);
    let preview = match check_file(&text, lists, today, &HashMap::new()) {
        Ok(preview) => preview,
        Err(message) => {
            assert!(!message.is_empty());
            return Verdict::Refused;
        }
    };
    assert_eq!(preview.token, token_for(&text));
    assert_eq!(preview.text, text);
    assert!((1..=MAX_IMPORT_ROWS).contains(&preview.total_rows));
    assert!(preview.ready.len() <= preview.total_rows);
    assert_eq!(
        preview.can_commit(),
        preview.errors.is_empty() && !preview.ready.is_empty()
    );
    let lines = text.split('\n').count();
    let mut previous = 0;
    for ready in &preview.ready {
        assert!(
            ready.row > previous && ready.row <= lines,
            "ready row {} of {lines} lines",
            ready.row
        );
        previous = ready.row;
        assert!(
            preview.errors.iter().all(|error| error.row != ready.row),
            "row {} is both ready and refused",
            ready.row
        );
        assert!(ready.entry.date <= today && !ready.entry.hours.is_zero());
    }
    for pair in preview.errors.windows(2) {
        assert!(pair[0].row <= pair[1].row, "problems out of row order");
    }
    for error in &preview.errors {
        assert!(
            (1..=lines).contains(&error.row) && !error.message.is_empty(),
            "{error:?}"
        );
    }

    let again = check_file(&text, lists, today, &HashMap::new()).expect("the same file checks the same");
    let rows = |p: &app::credentialing::hours_import::ImportPreview| p.ready.iter().map(|r| r.row).collect::<Vec<_>>();
    assert_eq!(rows(&again), rows(&preview));
    assert_eq!(again.errors, preview.errors);

    let on_file: HashMap<String, String> = preview
        .ready
        .iter()
        .map(|ready| (ready.entry.fingerprint(), "2026-11-24".to_owned()))
        .collect();
    let after = check_file(&text, lists, today, &on_file).expect("the same file checks the same");
    assert!(after.ready.is_empty(), "rows already on file would be imported twice");
    Verdict::of(!preview.ready.is_empty())
}
