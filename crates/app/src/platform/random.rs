//! Random ids, tokens and codes from the operating system's generator.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

pub fn bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut buffer = [0u8; N];
    getrandom::fill(&mut buffer).map_err(|e| AppError::internal(anyhow::anyhow!("random generator failed: {e}")))?;
    Ok(buffer)
}

/// A record id: 128 random bits as 32 lowercase hex characters.
pub fn id() -> AppResult<String> {
    Ok(hex::encode(bytes::<16>()?))
}

/// A random number for a stable, fair order (the directory's tie-break).
pub fn sort_key() -> AppResult<i64> {
    Ok(i64::from_be_bytes(bytes::<8>()?))
}

/// A fresh id of any id type (they all accept the generator's shape).
pub fn new_id<T: TryFrom<String>>() -> AppResult<T> {
    T::try_from(id()?).map_err(|_| AppError::internal(anyhow::anyhow!("generated id refused by its type")))
}

/// A secret token for a cookie or an e-mailed link: 256 random bits, URL-safe.
pub fn token() -> AppResult<String> {
    Ok(URL_SAFE_NO_PAD.encode(bytes::<32>()?))
}

/// How a token is stored: its SHA-256, hex. Tokens are 256-bit random values, so a fast hash
/// is enough (nothing to brute-force), and the database never holds a usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A recovery code: 10 characters from an alphabet without look-alikes, shown as `xxxxx-xxxxx`
/// (about 50 bits; single use, and sign-in attempts are throttled).
pub fn recovery_code() -> AppResult<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let raw = bytes::<10>()?;
    let chars: String = raw
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("{}-{}", &chars[..5], &chars[5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(id().unwrap().len(), 32);
        assert_eq!(token().unwrap().len(), 43);
        assert_ne!(token().unwrap(), token().unwrap());
        let code = recovery_code().unwrap();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_eq!(token_hash("abc").len(), 64);
    }
}
