//! Bitstring status lists (the `encodedList` of a status-list credential), as a verifier reads
//! them with `domain::credentialing::status_list::StatusList::decode`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::credentialing::status_list::{MAX_ENTRIES, MIN_ENTRIES, StatusList};

use crate::Verdict;

/// Odd first byte: the rest is taken as the encoded text. Even: the rest is the compressed
/// bytes, sent with the prefix and base64url the decoder expects, so that the fuzzer works
/// on the GZIP layer directly. A list that decodes has a size within the bounds, and
/// encoding it decodes to the same list.
pub fn status_list(data: &[u8]) -> Verdict {
    let Some((&mode, rest)) = data.split_first() else {
        return Verdict::Refused;
    };
    let encoded = if mode % 2 == 1 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        format!("u{}", URL_SAFE_NO_PAD.encode(rest))
    };
    let Ok(list) = StatusList::decode(&encoded) else {
        return Verdict::Refused;
    };
    assert!((MIN_ENTRIES..=MAX_ENTRIES).contains(&list.len()) && list.len().is_multiple_of(8));
    assert!(list.get(list.len() - 1).is_ok() && list.get(list.len()).is_err());
    let again = StatusList::decode(&list.encode()).expect("an encoded list decodes");
    assert_eq!(again, list);
    Verdict::Accepted
}
