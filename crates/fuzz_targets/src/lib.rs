//! The bodies of Sensate's parser fuzz targets: one function per parser of outside input.
//!
//! Each function takes the fuzzer's bytes, feeds them to the product's own parsing code, and
//! asserts what must hold for every input: no panic, and where it means something, a round
//! trip or an invariant (a parsed program stored as JSON reads back the same, a directory
//! search's link asks the same search again, a file's verdict does not depend on how its
//! upload was cut into chunks). A failed assertion is a panic, which the fuzzer reports as a
//! crash.
//!
//! The same functions run in two places: `fuzz/` (cargo-fuzz, coverage-guided, `scripts/fuzz`)
//! and `tests/smoke.rs` (the seeds and a few thousand fixed mutations of them, in the normal
//! test run). SECURITY.md ("Parser fuzzing") lists the parsers and what each target covers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod directory;
mod fields;
mod gazetteer;
mod hours_csv;
mod multipart;
mod profile;
mod program;
mod status_list;
mod upload;
mod vc_jwt;

pub use directory::directory_query;
pub use fields::text_fields;
pub use gazetteer::gazetteer;
pub use hours_csv::hours_csv;
pub use multipart::multipart_form;
pub use profile::directory_profile;
pub use program::program_definition;
pub use status_list::status_list;
pub use upload::upload_inspector;
pub use vc_jwt::vc_jwt;

/// A target's body: the fuzzer's bytes in, what the parser made of them out.
pub type Target = fn(&[u8]) -> Verdict;

/// Every target by name: the name of its cargo-fuzz target and of its seed folder
/// `fuzz/seeds/<name>/`.
pub const TARGETS: [(&str, Target); 10] = [
    ("program_definition", program_definition),
    ("hours_csv", hours_csv),
    ("vc_jwt", vc_jwt),
    ("status_list", status_list),
    ("directory_query", directory_query),
    ("directory_profile", directory_profile),
    ("multipart_form", multipart_form),
    ("upload_inspector", upload_inspector),
    ("gazetteer", gazetteer),
    ("text_fields", text_fields),
];

/// What a parser made of an input: the smoke test checks that each target's seeds reach both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Refused,
}

impl Verdict {
    fn of(accepted: bool) -> Verdict {
        if accepted { Verdict::Accepted } else { Verdict::Refused }
    }
}

/// The board lists that ship with Sensate (`programs/lists.toml`): what definition files,
/// imported hours and directory searches are checked against.
fn shipped_lists() -> &'static domain::credentialing::programs::BoardLists {
    static LISTS: std::sync::OnceLock<domain::credentialing::programs::BoardLists> = std::sync::OnceLock::new();
    LISTS.get_or_init(|| {
        let (_, text) = app::credentialing::programs::SHIPPED[0];
        domain::credentialing::programs::parse_lists(text).expect("the shipped lists parse")
    })
}

/// Splits `data` at NUL bytes into at most `N` parts (missing parts are empty): how a target
/// that reads several inputs gets them from one fuzzer input.
fn parts<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&[][..]; N];
    let mut rest = data;
    for (index, slot) in out.iter_mut().enumerate() {
        if index + 1 == N {
            *slot = rest;
            break;
        }
        match rest.iter().position(|&b| b == 0) {
            Some(at) => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *slot = rest;
                rest = &[];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn parts_split_at_nul_and_keep_the_rest_in_the_last() {
        let [a, b, c] = parts::<3>(b"one\0two\0three\0four");
        assert_eq!((a, b, c), (&b"one"[..], &b"two"[..], &b"three\0four"[..]));
        let [a, b] = parts::<2>(b"alone");
        assert_eq!((a, b), (&b"alone"[..], &b""[..]));
    }
}
