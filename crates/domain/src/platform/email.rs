//! E-mail addresses as accounts know them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter your e-mail address.")]
    Empty,
    #[error("Enter an e-mail address like name@example.org.")]
    Malformed,
    #[error("This e-mail address is too long (254 characters at most).")]
    TooLong,
}

/// A syntactically plausible e-mail address, trimmed and lower-cased.
///
/// Rules, and why:
/// - Surrounding spaces are removed: they are always typing accidents.
/// - The whole address is lower-cased: providers treat the local part case-insensitively in
///   practice, and one person must not be able to hold two accounts as `A@x` and `a@x`.
/// - At most 254 characters (the SMTP path limit), local part at most 64.
/// - Exactly one `@`, a non-empty local part, a domain with a dot and no empty labels.
/// - No whitespace or control characters anywhere: they break headers and logs.
///
/// Deliverability is proven by the verification e-mail, not by this parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let text = input.trim().to_lowercase();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Malformed);
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(EmailError::Malformed);
        };
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.chars().count() > 64 || !domain_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map(|(l, _)| l).unwrap_or_default()
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(text: String) -> Result<Self, EmailError> {
        Self::parse(&text)
    }
}

impl From<EmailAddress> for String {
    fn from(email: EmailAddress) -> String {
        email.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        let email = EmailAddress::parse("  Dana.Reyes@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "dana.reyes@example.org");
        assert_eq!(email.domain(), "example.org");
        assert_eq!(email.local_part(), "dana.reyes");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "   ",
            "dana",
            "dana@",
            "@example.org",
            "dana@example",
            "da na@example.org",
            "dana@@example.org",
            "dana@example..org",
            "dana@-example.org",
            "dana@exa\u{7}mple.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(EmailAddress::parse(""), Err(EmailError::Empty));
    }

    #[test]
    fn refuses_overlong_addresses() {
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
        let long_local = format!("{}@example.org", "a".repeat(65));
        assert_eq!(EmailAddress::parse(&long_local), Err(EmailError::Malformed));
    }
}
