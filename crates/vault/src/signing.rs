//! Ed25519 signing keys and compact JWS (RFC 7515) with `alg: EdDSA` (RFC 8037): what the
//! board signs verifiable credentials and status lists with.
//!
//! The private key never leaves a [`SigningKey`] except as zeroized bytes for the caller to
//! seal (the app keeps it sealed under a data key, like any protected value). Verification
//! takes a lookup from key id to public key, so keys rotate without invalidating what earlier
//! keys signed: old public keys stay published.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::VaultError;

/// An Ed25519 signing key.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &URL_SAFE_NO_PAD.encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

/// A public key as a JSON Web Key (RFC 8037 `OKP` / `Ed25519`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

/// Why a JWS was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS (three base64url parts separated by dots)")]
    Malformed,
    #[error("the JWS header is not valid")]
    BadHeader,
    #[error("the JWS is signed with {0:?}, not EdDSA")]
    WrongAlgorithm(String),
    #[error("the key {0:?} that signed this is not one of the issuer's keys")]
    UnknownKey(String),
    #[error("the signature does not match: the token was altered or signed by someone else")]
    BadSignature,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

impl SigningKey {
    /// A fresh random key.
    ///
    /// # Errors
    /// [`VaultError::Random`] if the OS random number generator fails.
    pub fn generate() -> Result<SigningKey, VaultError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(secret.as_mut_slice())?;
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(&secret)))
    }

    /// A key from the 32 secret bytes [`secret_bytes`](SigningKey::secret_bytes) gave.
    ///
    /// # Errors
    /// [`VaultError::Stream`] if the bytes are not 32 long.
    pub fn from_secret(bytes: &[u8]) -> Result<SigningKey, VaultError> {
        let secret: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .try_into()
                .map_err(|_| VaultError::Stream("a signing key is 32 bytes"))?,
        );
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(&secret)))
    }

    /// The secret, for sealing into storage; wiped when dropped.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    pub fn jwk(&self, kid: &str) -> PublicJwk {
        PublicJwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(self.public_key()),
            kid: kid.to_owned(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
        }
    }

    /// Signs `payload` (JSON bytes) as a compact JWS with header `{alg: EdDSA, kid, typ}`.
    pub fn sign_jws(&self, kid: &str, typ: Option<&str>, payload: &[u8]) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            kid: kid.to_owned(),
            typ: typ.map(str::to_owned),
        };
        // Serialising a struct of strings cannot fail.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let signature = self.0.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// The public key bytes of a JWK, if it is an Ed25519 key.
pub fn jwk_public_key(jwk: &PublicJwk) -> Option<[u8; 32]> {
    if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
        return None;
    }
    URL_SAFE_NO_PAD.decode(&jwk.x).ok()?.try_into().ok()
}

/// A verified JWS: the key id that signed it and the payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJws {
    pub kid: String,
    pub typ: Option<String>,
    pub payload: Vec<u8>,
}

/// Verifies a compact JWS signed with EdDSA by one of the keys `key_for(kid)` knows.
///
/// # Errors
/// A [`JwsError`] saying what is wrong: the shape, the algorithm, an unknown key id, or the
/// signature (an altered payload or header gives [`JwsError::BadSignature`]).
pub fn verify_jws(token: &str, key_for: impl Fn(&str) -> Option<[u8; 32]>) -> Result<VerifiedJws, JwsError> {
    let mut parts = token.trim().split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let header_bytes = URL_SAFE_NO_PAD.decode(header_b64).map_err(|_| JwsError::Malformed)?;
    let payload = URL_SAFE_NO_PAD.decode(payload_b64).map_err(|_| JwsError::Malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature_b64).map_err(|_| JwsError::Malformed)?;
    let header: Header = serde_json::from_slice(&header_bytes).map_err(|_| JwsError::BadHeader)?;
    if header.alg != "EdDSA" {
        return Err(JwsError::WrongAlgorithm(header.alg));
    }
    let public = key_for(&header.kid).ok_or_else(|| JwsError::UnknownKey(header.kid.clone()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&public).map_err(|_| JwsError::UnknownKey(header.kid.clone()))?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| JwsError::BadSignature)?;
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    let signing_input = format!("{header_b64}.{payload_b64}");
    key.verify(signing_input.as_bytes(), &signature)
        .map_err(|_| JwsError::BadSignature)?;
    // Strict verification also refuses malleable signatures and weak keys.
    key.verify_strict(signing_input.as_bytes(), &signature)
        .map_err(|_| JwsError::BadSignature)?;
    Ok(VerifiedJws {
        kid: header.kid,
        typ: header.typ,
        payload,
    })
}
