//! Problems with user input, named per field so a form can show each one next to its cause.

use std::collections::BTreeMap;

/// Field name → human-readable problem. Empty means the input was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem for `field`; the first problem named for a field wins, because one
    /// clear message beats a list of consequences.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| message.into());
    }

    /// Runs a parse and records its error under `field`, returning the value when it parsed.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `Ok(())` when nothing was recorded, otherwise the collected problems.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_problem_per_field_is_kept() {
        let mut errors = FieldErrors::new();
        errors.add("email", "is required");
        errors.add("email", "is not an address");
        assert_eq!(errors.get("email"), Some("is required"));
        assert_eq!(errors.len(), 1);
        assert!(errors.into_result().is_err());
    }

    #[test]
    fn check_returns_value_and_records_errors() {
        let mut errors = FieldErrors::new();
        let ok: Option<u8> = errors.check("a", Ok::<u8, String>(3));
        let bad: Option<u8> = errors.check("b", Err::<u8, String>("too big".into()));
        assert_eq!(ok, Some(3));
        assert_eq!(bad, None);
        assert_eq!(errors.get("b"), Some("too big"));
        assert_eq!(errors.to_string(), "b: too big");
    }
}
