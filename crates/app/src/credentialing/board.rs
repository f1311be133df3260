//! The board's identity: its name, short name, address, logo and signatory. One value, set by
//! the operator (`sensate.toml` or the environment; the demo sets its own), read by every page,
//! document, credential and e-mail, so none of them can name the board differently.

/// Who issues the credentials. The public address people reach the board at is
/// `AppConfig::public_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardIdentity {
    /// "Northbridge Board of Sexuality Professionals".
    pub name: String,
    /// "NBSP": the seal, the wallet card and e-mail subjects.
    pub short_name: String,
    /// Postal address lines, for letterheads.
    pub address: Vec<String>,
    /// The board's logo as PNG bytes (certificates and letterheads); a drawn seal otherwise.
    pub logo_png: Option<Vec<u8>>,
    /// Who signs certificates and letters ("Dr. Miriam Osei"); no signature line when empty.
    pub signatory_name: String,
    /// "Chair, Certification Committee".
    pub signatory_title: String,
}

impl BoardIdentity {
    /// A board known only by its name: the short name is its initials.
    pub fn named(name: &str) -> BoardIdentity {
        BoardIdentity {
            name: name.trim().to_owned(),
            short_name: initials(name),
            address: Vec::new(),
            logo_png: None,
            signatory_name: String::new(),
            signatory_title: String::new(),
        }
    }
}

impl Default for BoardIdentity {
    fn default() -> BoardIdentity {
        BoardIdentity::named("Certification Board")
    }
}

/// "Northbridge Board of Sexuality Professionals" gives "NBSP": the first letter of each word
/// that starts with a capital (so "of", "and", "the" drop out).
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_uppercase())
        .collect();
    if letters.is_empty() {
        name.chars().take(4).collect::<String>().to_uppercase()
    } else {
        letters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_name_is_the_capitals_initials() {
        assert_eq!(initials("Northbridge Board of Sexuality Professionals"), "NBSP");
        assert_eq!(initials("Certification Board"), "CB");
        assert_eq!(initials("board"), "BOAR");
        assert_eq!(
            BoardIdentity::named("  Ordre des Sexologues du Québec ").short_name,
            "OSQ"
        );
    }
}
