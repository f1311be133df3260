//! Bitstring Status Lists (W3C): one bit per issued credential telling a verifier whether it is
//! revoked (one list) or suspended (another list), published without saying who is checked.
//!
//! The encoding is the standard's: the bitstring, index 0 being the left-most (most
//! significant) bit of the first byte, compressed with GZIP, then base64url without padding,
//! with the multibase prefix `u`. Lists have at least 131,072 entries, so a list reveals little
//! about how many credentials exist or which one a verifier looked up.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The smallest list the standard allows (16 KiB of bits).
pub const MIN_ENTRIES: usize = 131_072;
/// The largest list this crate reads, so a hostile "compressed" list cannot exhaust memory.
pub const MAX_ENTRIES: usize = 16 * 1024 * 1024 * 8;

/// Why a status list could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    #[error("status list index {index} is out of range: the list has {len} entries")]
    OutOfRange { index: usize, len: usize },
    #[error("a status list must have at least {MIN_ENTRIES} entries, a multiple of 8")]
    TooShort,
    #[error("the encoded list must start with the multibase prefix \"u\" (base64url)")]
    NotMultibase,
    #[error("the encoded list is not valid base64url")]
    NotBase64,
    #[error("the encoded list is not valid GZIP data")]
    NotGzip,
    #[error("the encoded list expands to more than {MAX_ENTRIES} entries")]
    TooLarge,
}

/// A list of status bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: Vec<u8>,
}

impl StatusList {
    /// A list of `entries` bits, all clear. `entries` is at least [`MIN_ENTRIES`] and a
    /// multiple of 8.
    pub fn new(entries: usize) -> Result<StatusList, StatusListError> {
        if entries < MIN_ENTRIES || !entries.is_multiple_of(8) {
            return Err(StatusListError::TooShort);
        }
        if entries > MAX_ENTRIES {
            return Err(StatusListError::TooLarge);
        }
        Ok(StatusList {
            bits: vec![0; entries / 8],
        })
    }

    pub fn len(&self) -> usize {
        self.bits.len() * 8
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    fn locate(&self, index: usize) -> Result<(usize, u8), StatusListError> {
        if index >= self.len() {
            return Err(StatusListError::OutOfRange { index, len: self.len() });
        }
        Ok((index / 8, 0x80 >> (index % 8)))
    }

    pub fn get(&self, index: usize) -> Result<bool, StatusListError> {
        let (byte, mask) = self.locate(index)?;
        Ok(self.bits[byte] & mask != 0)
    }

    pub fn set(&mut self, index: usize, value: bool) -> Result<(), StatusListError> {
        let (byte, mask) = self.locate(index)?;
        if value {
            self.bits[byte] |= mask;
        } else {
            self.bits[byte] &= !mask;
        }
        Ok(())
    }

    /// The `encodedList` value: `u` + base64url(GZIP(bits)).
    pub fn encode(&self) -> String {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let compressed = encoder
            .write_all(&self.bits)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }

    /// Reads an `encodedList` value.
    pub fn decode(encoded: &str) -> Result<StatusList, StatusListError> {
        let body = encoded.strip_prefix('u').ok_or(StatusListError::NotMultibase)?;
        let compressed = URL_SAFE_NO_PAD.decode(body).map_err(|_| StatusListError::NotBase64)?;
        let mut bits = Vec::new();
        let limit = (MAX_ENTRIES / 8) as u64;
        flate2::read::GzDecoder::new(compressed.as_slice())
            .take(limit + 1)
            .read_to_end(&mut bits)
            .map_err(|_| StatusListError::NotGzip)?;
        if bits.len() as u64 > limit {
            return Err(StatusListError::TooLarge);
        }
        if bits.len() * 8 < MIN_ENTRIES {
            return Err(StatusListError::TooShort);
        }
        Ok(StatusList { bits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn index_zero_is_the_leftmost_bit() {
        let mut list = StatusList::new(MIN_ENTRIES).unwrap();
        list.set(0, true).unwrap();
        list.set(9, true).unwrap();
        assert_eq!(list.bits[0], 0b1000_0000);
        assert_eq!(list.bits[1], 0b0100_0000);
        assert!(list.get(0).unwrap() && list.get(9).unwrap() && !list.get(1).unwrap());
        list.set(0, false).unwrap();
        assert!(!list.get(0).unwrap());
    }

    #[test]
    fn encoding_is_gzip_base64url_with_the_multibase_prefix() {
        let mut list = StatusList::new(MIN_ENTRIES).unwrap();
        list.set(94_567, true).unwrap();
        let encoded = list.encode();
        assert!(encoded.starts_with('u'));
        assert!(!encoded.contains(['+', '/', '=']), "base64url without padding");
        // An all-but-one-zero list compresses to very little.
        assert!(encoded.len() < 200, "{}", encoded.len());
        let compressed = URL_SAFE_NO_PAD.decode(&encoded[1..]).unwrap();
        assert_eq!(&compressed[..2], &[0x1f, 0x8b], "GZIP magic");
        let back = StatusList::decode(&encoded).unwrap();
        assert_eq!(back, list);
        assert!(back.get(94_567).unwrap());
    }

    #[test]
    fn bad_lists_and_indexes_are_refused_plainly() {
        assert_eq!(StatusList::new(1024), Err(StatusListError::TooShort));
        let list = StatusList::new(MIN_ENTRIES).unwrap();
        assert_eq!(
            list.get(MIN_ENTRIES),
            Err(StatusListError::OutOfRange {
                index: MIN_ENTRIES,
                len: MIN_ENTRIES
            })
        );
        assert_eq!(StatusList::decode("zABC"), Err(StatusListError::NotMultibase));
        assert_eq!(StatusList::decode("u!!!"), Err(StatusListError::NotBase64));
        assert_eq!(StatusList::decode("uAAAA"), Err(StatusListError::NotGzip));
        // A valid GZIP of too few bits.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&[0u8; 100]).unwrap();
        let short = format!("u{}", URL_SAFE_NO_PAD.encode(encoder.finish().unwrap()));
        assert_eq!(StatusList::decode(&short), Err(StatusListError::TooShort));
        // A "zip bomb" larger than any list is stopped without expanding it all.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&vec![0u8; MAX_ENTRIES / 8 + 1]).unwrap();
        let bomb = format!("u{}", URL_SAFE_NO_PAD.encode(encoder.finish().unwrap()));
        assert_eq!(StatusList::decode(&bomb), Err(StatusListError::TooLarge));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn set_bits_survive_encoding(indexes in proptest::collection::vec(0usize..MIN_ENTRIES, 0..50)) {
            let mut list = StatusList::new(MIN_ENTRIES).unwrap();
            for index in &indexes {
                list.set(*index, true).unwrap();
            }
            let back = StatusList::decode(&list.encode()).unwrap();
            prop_assert_eq!(&back, &list);
            let set: usize = back.bits.iter().map(|byte| byte.count_ones() as usize).sum();
            let mut distinct = indexes.clone();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(set, distinct.len());
            for index in &indexes {
                prop_assert!(back.get(*index).unwrap());
            }
        }
    }
}
