//! Directory searches: the query string of /directory and /api/v1/directory, decoded into
//! pairs as axum's `Query` does (serde_urlencoded) and read by `SearchQuery::parse`.

use domain::directory::geo::Radius;
use domain::directory::profiles::{MAX_FEE, MAX_PAGE, MAX_QUERY_BYTES, MAX_VALUES_PER_FILTER, SearchQuery};

use crate::Verdict;

/// Reads `data` as a query string. A search that parses keeps every limit (page, values per
/// filter, radius, fee, the place's length), and its shareable link (`to_query_string`, used
/// for the pages and the widening suggestions) asks exactly the same search again.
pub fn directory_query(data: &[u8]) -> Verdict {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return Verdict::Refused;
    };
    let lists = crate::shipped_lists();
    let query = match SearchQuery::parse(&pairs, lists) {
        Ok(query) => query,
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused search must say why");
            return Verdict::Refused;
        }
    };
    let given: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    assert!(given <= MAX_QUERY_BYTES);
    assert!((1..=MAX_PAGE).contains(&query.page));
    let counts = [
        query.concerns.len(),
        query.formats.len(),
        query.languages.len(),
        query.kinds.len(),
        query.populations.len(),
        query.insurers.len(),
    ];
    assert!(counts.iter().all(|count| *count <= MAX_VALUES_PER_FILTER), "{counts:?}");
    if let Some(radius) = query.radius {
        assert!((1..=Radius::MAX_KM).contains(&radius.km()) && query.place.is_some());
    }
    if let Some(place) = &query.place {
        assert!(!place.is_empty() && place.trim() == place && place.chars().count() <= 100);
        assert!(!place.chars().any(char::is_control));
    }
    assert!(query.max_fee.is_none_or(|fee| fee <= MAX_FEE));

    let link = query.to_query_string(query.page);
    let again: Vec<(String, String)> = serde_urlencoded::from_str(&link).expect("a link we write decodes");
    assert_eq!(
        SearchQuery::parse(&again, lists).as_ref(),
        Ok(&query),
        "the link {link:?} asks another search"
    );
    Verdict::Accepted
}
