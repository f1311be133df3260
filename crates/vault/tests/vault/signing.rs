//! Ed25519 signing keys and compact JWS: signing, verifying, rotation, and every refusal.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use vault::{JwsError, SigningKey, jwk_public_key, verify_jws};

fn lookup<'a>(keys: &'a [(&'a str, &'a SigningKey)]) -> impl Fn(&str) -> Option<[u8; 32]> + 'a {
    move |kid| keys.iter().find(|(k, _)| *k == kid).map(|(_, key)| key.public_key())
}

#[test]
fn a_signed_token_verifies_with_its_key_and_gives_back_the_payload() {
    let key = SigningKey::generate().unwrap();
    let token = key.sign_jws(
        "did:web:board.example#key-1",
        Some("vc+jwt"),
        br#"{"sub":"CST-2026-000123-46"}"#,
    );
    assert_eq!(token.split('.').count(), 3);
    let verified = verify_jws(&token, lookup(&[("did:web:board.example#key-1", &key)])).unwrap();
    assert_eq!(verified.payload, br#"{"sub":"CST-2026-000123-46"}"#);
    assert_eq!(verified.kid, "did:web:board.example#key-1");
    assert_eq!(verified.typ.as_deref(), Some("vc+jwt"));
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
}

#[test]
fn altered_tokens_and_unknown_keys_are_refused() {
    let key = SigningKey::generate().unwrap();
    let keys = [("k1", &key)];
    let token = key.sign_jws("k1", None, br#"{"status":"active"}"#);
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(br#"{"status":"revoked"}"#),
        parts[2]
    );
    assert_eq!(verify_jws(&forged_payload, lookup(&keys)), Err(JwsError::BadSignature));
    let other = SigningKey::generate().unwrap();
    let by_other = other.sign_jws("k1", None, br#"{"status":"active"}"#);
    assert_eq!(
        verify_jws(&by_other, lookup(&keys)),
        Err(JwsError::BadSignature),
        "same kid, another key"
    );
    let unknown = key.sign_jws("k9", None, b"{}");
    assert_eq!(
        verify_jws(&unknown, lookup(&keys)),
        Err(JwsError::UnknownKey("k9".into()))
    );
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#);
    assert_eq!(
        verify_jws(&format!("{none_header}.{}.", parts[1]), lookup(&keys)),
        Err(JwsError::WrongAlgorithm("none".into()))
    );
    assert_eq!(verify_jws("not a token", lookup(&keys)), Err(JwsError::Malformed));
    assert_eq!(
        verify_jws(&format!("{token}.extra"), lookup(&keys)),
        Err(JwsError::Malformed)
    );
    let short_signature = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode([0u8; 10]));
    assert_eq!(verify_jws(&short_signature, lookup(&keys)), Err(JwsError::BadSignature));
}

#[test]
fn rotated_keys_keep_earlier_tokens_valid() {
    let old = SigningKey::generate().unwrap();
    let new = SigningKey::generate().unwrap();
    let earlier = old.sign_jws("key-2025", None, b"{\"n\":1}");
    let later = new.sign_jws("key-2026", None, b"{\"n\":2}");
    let published = [("key-2025", &old), ("key-2026", &new)];
    assert!(verify_jws(&earlier, lookup(&published)).is_ok());
    assert!(verify_jws(&later, lookup(&published)).is_ok());
}

#[test]
fn keys_survive_storage_and_publish_as_jwk() {
    let key = SigningKey::generate().unwrap();
    let secret = key.secret_bytes();
    let restored = SigningKey::from_secret(secret.as_slice()).unwrap();
    assert_eq!(restored.public_key(), key.public_key());
    assert!(SigningKey::from_secret(&[1, 2, 3]).is_err());
    let jwk = key.jwk("k1");
    assert_eq!(
        (jwk.kty.as_str(), jwk.crv.as_str(), jwk.alg.as_str(), jwk.use_.as_str()),
        ("OKP", "Ed25519", "EdDSA", "sig")
    );
    assert_eq!(jwk_public_key(&jwk), Some(key.public_key()));
    let json = serde_json::to_value(&jwk).unwrap();
    assert_eq!(json["use"], "sig");
    assert!(
        !format!("{key:?}").contains(&URL_SAFE_NO_PAD.encode(secret.as_slice())),
        "Debug never shows the secret"
    );
}
