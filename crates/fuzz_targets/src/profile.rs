//! Directory profiles: the profile form a professional posts at /portal/profile, read into a
//! `ProfileInput` by `web::profile_input` and checked by `domain::directory::profiles::ProfileDraft::parse`.

use domain::EmailAddress;
use domain::directory::profiles::{MAX_FEE, MAX_LOCATIONS, ProfileDraft};

use crate::Verdict;

/// Reads `data` as the form's URL-encoded body. A profile that passes keeps the rules the
/// public pages rely on: a listed profile can be found (a location or telehealth) and says
/// what it offers; at most five locations; fees in order and in range; an https website; an
/// e-mail address in its normal form; one-line texts trimmed, short and free of control
/// characters; every list value on the board's lists.
pub fn directory_profile(data: &[u8]) -> Verdict {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return Verdict::Refused;
    };
    let lists = crate::shipped_lists();
    let input = web::profile_input(&pairs);
    let draft = match ProfileDraft::parse(&input, lists) {
        Ok(draft) => draft,
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused profile must say why");
            return Verdict::Refused;
        }
    };
    if draft.listed {
        assert!(
            !draft.locations.is_empty() || draft.telehealth,
            "a listed profile no one can find"
        );
        assert!(!draft.formats.is_empty() && !draft.concerns.is_empty() && !draft.languages.is_empty());
    }
    assert!(draft.locations.len() <= MAX_LOCATIONS);
    assert!(draft.fee_min.is_none_or(|fee| fee <= MAX_FEE) && draft.fee_max.is_none_or(|fee| fee <= MAX_FEE));
    if let (Some(min), Some(max)) = (draft.fee_min, draft.fee_max) {
        assert!(min <= max);
    }
    if let Some(website) = &draft.website {
        assert!(website.starts_with("https://") && !website.chars().any(|c| c.is_whitespace() || c.is_control()));
    }
    if let Some(email) = &draft.contact_email {
        assert_eq!(
            EmailAddress::parse(email).map(|e| e.as_str().to_owned()).as_ref(),
            Ok(email)
        );
    }
    for (text, max) in [(&draft.pronouns, 40), (&draft.practice_name, 120)] {
        assert!(text.trim() == text && text.chars().count() <= max && !text.chars().any(char::is_control));
    }
    assert!(draft.statement.chars().count() <= 1_500 && draft.tips.chars().count() <= 4_000);
    let on =
        |list: &[domain::credentialing::programs::ListItem], key: &String| list.iter().any(|item| &item.key == key);
    assert!(draft.concerns.iter().all(|key| on(&lists.concerns, key)));
    assert!(draft.populations.iter().all(|key| on(&lists.populations, key)));
    assert!(draft.approaches.iter().all(|key| on(&lists.approaches, key)));
    assert!(draft.insurers.iter().all(|key| on(&lists.insurers, key)));
    Verdict::Accepted
}
