//! A person's name as they want it shown.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter your name.")]
    Empty,
    #[error("This name is too long (100 characters at most).")]
    TooLong,
    #[error("This name contains characters that cannot be shown.")]
    ControlCharacters,
}

/// A display name. Names are not split into given/family parts: people's names do not follow
/// one pattern, so the person writes it the way they want it shown.
/// Rules: trimmed; 1 to 100 characters; no control characters (they corrupt pages and logs);
/// inner runs of whitespace collapse to one space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(NameError::Empty);
        }
        if collapsed.chars().any(char::is_control) {
            return Err(NameError::ControlCharacters);
        }
        if collapsed.chars().count() > 100 {
            return Err(NameError::TooLong);
        }
        Ok(Self(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = NameError;
    fn try_from(text: String) -> Result<Self, NameError> {
        Self::parse(&text)
    }
}

impl From<PersonName> for String {
    fn from(name: PersonName) -> String {
        name.0
    }
}

impl std::fmt::Display for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_collapses() {
        assert_eq!(
            PersonName::parse("  Dr.  Amara   Osei ").unwrap().as_str(),
            "Dr. Amara Osei"
        );
        assert_eq!(PersonName::parse("Zoë Ó Briain").unwrap().as_str(), "Zoë Ó Briain");
    }

    #[test]
    fn refuses_empty_long_and_control() {
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        assert_eq!(PersonName::parse(&"x".repeat(101)), Err(NameError::TooLong));
        assert_eq!(PersonName::parse("a\u{0}b"), Err(NameError::ControlCharacters));
    }
}
