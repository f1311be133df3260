//! Short text fields typed by anyone: e-mail addresses, credential numbers (the verification
//! search and /verify/{number}), person names, hours, the search radius, the directory's place
//! box (postal codes and city names) and the folding and spelling distance behind its
//! suggestions, program codes, user ids and role names.

use domain::credentialing::credential_number::CredentialNumber;
use domain::credentialing::hours::Hours;
use domain::credentialing::programs::ProgramCode;
use domain::directory::gazetteer::{PlaceQuery, edit_distance, fold_name, fold_postal_code};
use domain::directory::geo::Radius;
use domain::{EmailAddress, PersonName, Role, UserId};

use crate::Verdict;

/// Reads the whole of `data` with every field parser, and its first two lines as a pair of
/// names for the spelling distance. A value that parses is in its normal form: parsing what
/// it writes gives it back.
pub fn text_fields(data: &[u8]) -> Verdict {
    let mut accepted = false;
    let text = String::from_utf8_lossy(data);

    if let Ok(email) = EmailAddress::parse(&text) {
        accepted = true;
        assert_eq!(EmailAddress::parse(email.as_str()).as_ref(), Ok(&email));
        assert_eq!(format!("{}@{}", email.local_part(), email.domain()), email.as_str());
    }
    if let Ok(number) = CredentialNumber::parse(&text) {
        accepted = true;
        assert_eq!(CredentialNumber::parse(number.as_str()).as_ref(), Ok(&number));
        assert!(ProgramCode::parse(number.program()).is_ok());
    }
    if let Ok(name) = PersonName::parse(&text) {
        accepted = true;
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
        assert!(name.as_str().chars().count() <= 100);
    }
    if let Ok(hours) = Hours::parse(&text) {
        accepted = true;
        assert_eq!(Hours::parse(&hours.to_string()), Ok(hours));
    }
    if let Ok(radius) = Radius::parse(&text) {
        accepted = true;
        assert!((1..=Radius::MAX_KM).contains(&radius.km()));
        assert_eq!(Radius::parse(&radius.km().to_string()).ok(), Some(radius));
    }
    if let Ok(code) = ProgramCode::parse(&text) {
        accepted = true;
        assert_eq!(ProgramCode::parse(code.as_str()).as_ref(), Ok(&code));
    }
    if let Ok(id) = UserId::parse(&text) {
        accepted = true;
        assert_eq!(UserId::parse(id.as_str()).as_ref(), Ok(&id));
    }
    if let Ok(role) = Role::parse(&text) {
        accepted = true;
        assert_eq!(Role::parse(role.as_str()).ok(), Some(role));
    }

    match PlaceQuery::parse(&text) {
        Some(PlaceQuery::Postal { code, .. }) => {
            assert!(
                !code.is_empty() && fold_postal_code(&code) == code,
                "postal code {code:?}"
            );
        }
        Some(PlaceQuery::Name { name, region }) => {
            assert_folded(&name);
            assert!(region.is_none_or(|region| !region.is_empty() && region.trim() == region));
        }
        None => {}
    }
    let code = fold_postal_code(&text);
    assert_eq!(fold_postal_code(&code), code);
    assert_folded(&fold_name(&text));

    let mut lines = text.lines();
    let (a, b) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    // The distance is quadratic: the place box takes 100 characters at most.
    let (a, b): (String, String) = (a.chars().take(100).collect(), b.chars().take(100).collect());
    let distance = edit_distance(&a, &b);
    assert_eq!(distance, edit_distance(&b, &a), "the distance is not symmetric");
    assert!(distance <= a.chars().count().max(b.chars().count()));
    assert_eq!(distance == 0, a == b);
    Verdict::of(accepted)
}

/// A folded name: lower-case ASCII letters and digits in words separated by single spaces.
fn assert_folded(name: &str) {
    assert!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' ')
            && !name.starts_with(' ')
            && !name.ends_with(' ')
            && !name.contains("  "),
        "not a folded name: {name:?}"
    );
}
