//! Credential numbers: what a holder prints on a letterhead and the public types into the
//! verification page.
//!
//! Format: `<PROGRAM>-<YEAR>-<SEQUENCE>-<CHECK>`, for example `CST-2026-000123-46`.
//! - PROGRAM: the program's code (`CST`, `CSC`, `CSE`, `CST-S`), so the number says what it is;
//! - YEAR: the year of first issue, four digits;
//! - SEQUENCE: six digits, counting issues of that program in that year from 1;
//! - CHECK: two digits by ISO 7064 MOD 97-10 (the scheme IBANs use) over the characters
//!   before it, letters counting A = 10 … Z = 35 and hyphens ignored. It catches every single
//!   mistyped character and every swap of two neighbours, so a typo is reported as a typo
//!   instead of "no such credential".
//!
//! Numbers are read case-insensitively and with surrounding spaces, and always shown in
//! capitals.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::credentialing::programs::ProgramCode;

/// A well-formed credential number whose check digits match.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CredentialNumber(String);

/// Why a text is not a credential number, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialNumberError {
    #[error(
        "A credential number looks like CST-2026-000123-46: the program, the year, six digits and two check digits."
    )]
    Malformed,
    #[error("The check digits do not match the rest of the number: it was probably mistyped. Check each character.")]
    CheckDigits,
}

/// The MOD 97-10 value of the characters (digits and letters; others skipped).
fn mod97(text: &str) -> Option<u32> {
    let mut remainder: u32 = 0;
    for c in text.chars().filter(|c| *c != '-') {
        let value = c.to_digit(36)?;
        // Letters are two decimal digits (10..=35), digits one.
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

/// The two check digits for `body` (the number without its check part).
fn check_digits(body: &str) -> Option<u32> {
    // Appending "00" and taking 98 minus the remainder makes the whole number ≡ 1 (mod 97).
    let remainder = mod97(&format!("{body}00"))?;
    Some(98 - remainder)
}

impl CredentialNumber {
    /// Builds the number of the `sequence`-th credential of `program` first issued in `year`.
    pub fn new(program: &ProgramCode, year: i32, sequence: u32) -> Option<CredentialNumber> {
        if !(1000..=9999).contains(&year) || !(1..=999_999).contains(&sequence) {
            return None;
        }
        let body = format!("{program}-{year}-{sequence:06}");
        let check = check_digits(&body)?;
        Some(CredentialNumber(format!("{body}-{check:02}")))
    }

    /// Reads a number as typed.
    pub fn parse(text: &str) -> Result<CredentialNumber, CredentialNumberError> {
        let text = text.trim().to_ascii_uppercase();
        // Program codes may contain hyphens (CST-S), so read the fixed parts from the right.
        let mut parts = text.rsplitn(4, '-');
        let (Some(check), Some(sequence), Some(year), Some(program)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CredentialNumberError::Malformed);
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(check, 2) || !digits(sequence, 6) || !digits(year, 4) || ProgramCode::parse(program).is_err() {
            return Err(CredentialNumberError::Malformed);
        }
        let body = format!("{program}-{year}-{sequence}");
        let expected = check_digits(&body).ok_or(CredentialNumberError::Malformed)?;
        if check.parse::<u32>().ok() != Some(expected) {
            return Err(CredentialNumberError::CheckDigits);
        }
        Ok(CredentialNumber(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The program code the number starts with.
    pub fn program(&self) -> &str {
        self.0.rsplitn(4, '-').nth(3).unwrap_or_default()
    }
}

impl fmt::Display for CredentialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CredentialNumber {
    type Error = CredentialNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CredentialNumber::parse(&value)
    }
}

impl From<CredentialNumber> for String {
    fn from(number: CredentialNumber) -> String {
        number.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(text: &str) -> ProgramCode {
        ProgramCode::parse(text).unwrap()
    }

    #[test]
    fn numbers_carry_their_program_year_sequence_and_check() {
        let number = CredentialNumber::new(&code("CST"), 2026, 123).unwrap();
        assert_eq!(number.as_str(), "CST-2026-000123-46", "the documented example");
        assert_eq!(number.program(), "CST");
        assert_eq!(CredentialNumber::parse(number.as_str()), Ok(number.clone()));
        let supervisor = CredentialNumber::new(&code("CST-S"), 2025, 7).unwrap();
        assert_eq!(supervisor.program(), "CST-S");
        assert_eq!(
            CredentialNumber::parse(&format!("  {}  ", supervisor.as_str().to_lowercase())),
            Ok(supervisor)
        );
        // The whole number satisfies ISO 7064 MOD 97-10.
        assert_eq!(mod97(number.as_str()), Some(1));
    }

    #[test]
    fn typos_are_told_apart_from_nonsense() {
        let number = CredentialNumber::new(&code("CSE"), 2024, 4711).unwrap();
        let text = number.as_str();
        let typo = text.replacen("4711", "4712", 1);
        assert_eq!(CredentialNumber::parse(&typo), Err(CredentialNumberError::CheckDigits));
        for nonsense in [
            "",
            "CST",
            "CST-2026-123-00",
            "CST-26-000123-00",
            "cst 2026 000123 00",
            "C-2026-000123-00",
            "CST-2026-000123-5",
        ] {
            assert_eq!(
                CredentialNumber::parse(nonsense),
                Err(CredentialNumberError::Malformed),
                "{nonsense}"
            );
        }
        assert!(CredentialNumber::new(&code("CST"), 2026, 0).is_none());
        assert!(CredentialNumber::new(&code("CST"), 2026, 1_000_000).is_none());
    }

    proptest! {
        /// Any single changed digit in the year or sequence is caught.
        #[test]
        fn single_digit_errors_are_caught(year in 1990i32..2100, sequence in 1u32..999_999, position in 0usize..10, delta in 1u32..10) {
            let number = CredentialNumber::new(&code("CST"), year, sequence).unwrap();
            let digits: Vec<(usize, char)> = number.as_str().char_indices().filter(|(i, c)| *i >= 4 && *i < 15 && c.is_ascii_digit()).collect();
            let (index, digit) = digits[position % digits.len()];
            let changed = char::from_digit((digit.to_digit(10).unwrap() + delta) % 10, 10).unwrap();
            let mut typo = number.as_str().to_owned();
            typo.replace_range(index..index + 1, &changed.to_string());
            prop_assert_eq!(CredentialNumber::parse(&typo), Err(CredentialNumberError::CheckDigits));
        }

        /// Swapping two different neighbouring digits is caught.
        #[test]
        fn swaps_are_caught(year in 1990i32..2100, sequence in 1u32..999_999, position in 0usize..9) {
            let number = CredentialNumber::new(&code("CSC"), year, sequence).unwrap();
            let mut chars: Vec<char> = number.as_str().chars().collect();
            let digits: Vec<usize> = (4..chars.len() - 3).filter(|i| chars[*i].is_ascii_digit() && chars[*i + 1].is_ascii_digit()).collect();
            let i = digits[position % digits.len()];
            prop_assume!(chars[i] != chars[i + 1]);
            chars.swap(i, i + 1);
            let swapped: String = chars.into_iter().collect();
            prop_assert_eq!(CredentialNumber::parse(&swapped), Err(CredentialNumberError::CheckDigits));
        }
    }
}
