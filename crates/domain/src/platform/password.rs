//! Rules for choosing a password (NIST SP 800-63B style: length over composition rules).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Choose a password of at least {0} characters.")]
    TooShort(usize),
    #[error("This password is too long ({0} characters at most).")]
    TooLong(usize),
    #[error("This password is too easy to guess; try a few unrelated words.")]
    TooPredictable,
    #[error("Your password must not contain your e-mail address or name.")]
    ContainsIdentity,
}

/// Minimum length. Long passphrases resist guessing far better than character-class rules,
/// which mostly produce `Password1!`.
pub const MIN_LENGTH: usize = 12;
/// Maximum length, to bound hashing work per request (argon2 input is otherwise unbounded).
pub const MAX_LENGTH: usize = 256;

/// A password someone is choosing, accepted by the rules below. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    /// `identity` holds what an attacker would try first for this person (their e-mail's local
    /// part, their name's words); a password containing any of them is refused.
    pub fn parse(input: &str, identity: &[&str]) -> Result<Self, PasswordError> {
        let length = input.chars().count();
        if length < MIN_LENGTH {
            return Err(PasswordError::TooShort(MIN_LENGTH));
        }
        if length > MAX_LENGTH {
            return Err(PasswordError::TooLong(MAX_LENGTH));
        }
        // Few distinct characters ("aaaaaaaaaaaa", "abababababab") or a run straight along
        // the keyboard or alphabet is guessed at once, however long.
        let distinct: std::collections::BTreeSet<char> = input.to_lowercase().chars().collect();
        if distinct.len() < 4 || is_sequence(input) || is_common(input) {
            return Err(PasswordError::TooPredictable);
        }
        let lowered = input.to_lowercase();
        let contains_identity = identity
            .iter()
            .map(|part| part.trim().to_lowercase())
            .filter(|part| part.chars().count() >= 4)
            .any(|part| lowered.contains(&part));
        if contains_identity {
            return Err(PasswordError::ContainsIdentity);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// True when every character follows the previous one by +1 or -1 (e.g. "abcdefghijkl"),
/// counting digits round the keypad ring ("789012345678").
fn is_sequence(input: &str) -> bool {
    let chars: Vec<char> = input.to_lowercase().chars().collect();
    let step = |a: char, b: char| -> i64 {
        match (a.to_digit(10), b.to_digit(10)) {
            (Some(x), Some(y)) => match (i64::from(y) - i64::from(x)).rem_euclid(10) {
                9 => -1,
                d => d,
            },
            _ => i64::from(u32::from(b)) - i64::from(u32::from(a)),
        }
    };
    let steps: Vec<i64> = chars.windows(2).map(|w| step(w[0], w[1])).collect();
    steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}

/// The passwords that lead every breach list, padded with digits and symbols to reach our
/// minimum length the way people pad them. A short list written for this product; the length
/// rule does most of the work.
fn is_common(input: &str) -> bool {
    const STEMS: [&str; 11] = [
        "password", "passwrd", "qwerty", "letmein", "welcome", "iloveyou", "admin", "sensate", "abc", "monkey",
        "dragon",
    ];
    let letters: String = input.to_lowercase().chars().filter(char::is_ascii_alphabetic).collect();
    STEMS.contains(&letters.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_passphrases() {
        assert!(NewPassword::parse("correct horse battery", &[]).is_ok());
        assert!(NewPassword::parse("Tïdal-moon-42-lantern", &["dana"]).is_ok());
    }

    #[test]
    fn refuses_short_long_and_predictable() {
        assert_eq!(NewPassword::parse("short", &[]), Err(PasswordError::TooShort(12)));
        assert_eq!(
            NewPassword::parse(&"ab1!".repeat(70), &[]),
            Err(PasswordError::TooLong(256))
        );
        assert_eq!(
            NewPassword::parse("aaaaaaaaaaaaaaa", &[]),
            Err(PasswordError::TooPredictable)
        );
        assert_eq!(
            NewPassword::parse("abcdefghijklmn", &[]),
            Err(PasswordError::TooPredictable)
        );
        assert_eq!(
            NewPassword::parse("123456789012", &[]),
            Err(PasswordError::TooPredictable)
        );
        assert_eq!(
            NewPassword::parse("Password1234!", &[]),
            Err(PasswordError::TooPredictable)
        );
    }

    #[test]
    fn refuses_identity() {
        assert_eq!(
            NewPassword::parse("my name is Amara osei!", &["amara", "osei"]),
            Err(PasswordError::ContainsIdentity)
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let password = NewPassword::parse("correct horse battery", &[]).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
