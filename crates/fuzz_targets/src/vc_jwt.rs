//! VC-JWTs given by the public: a credential pasted or uploaded at /verify/check, read by
//! `app::credentialing::credentials::read_vc_jwt` (the signature by `vault::verify_jws`, then the payload).

use app::credentialing::credentials::read_vc_jwt;
use serde_json::json;
use vault::{PublicJwk, SigningKey};

use crate::Verdict;

const KID: &str = "fuzz-2026-1";
const ISSUER: &str = "did:web:board.example";
/// The characters of a compact JWS: a tampered token changes one of them into another.
const TOKEN_CHARACTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

fn board_key() -> &'static (SigningKey, Vec<PublicJwk>) {
    static KEY: std::sync::OnceLock<(SigningKey, Vec<PublicJwk>)> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let key = SigningKey::from_secret(&[7; 32]).expect("a 32-byte secret");
        let published = vec![key.jwk(KID)];
        (key, published)
    })
}

fn public_key(kid: &str) -> Option<[u8; 32]> {
    board_key()
        .1
        .iter()
        .find(|key| key.kid == kid)
        .and_then(vault::jwk_public_key)
}

/// The first byte picks the mode:
/// - 0: the rest is a token as anyone may paste it: read without panicking, and anything
///   accepted was signed by the board's key;
/// - 1: the rest is a payload the board signs: the token reads back exactly that payload, and
///   any one changed character (chosen by two more bytes) makes it refused;
/// - 2: the rest is the fields of a credential (NUL-separated): signed by the board, the
///   reader states exactly those fields.
pub fn vc_jwt(data: &[u8]) -> Verdict {
    let Some((&mode, rest)) = data.split_first() else {
        return Verdict::Refused;
    };
    let (key, published) = board_key();
    match mode % 3 {
        0 => {
            let token = String::from_utf8_lossy(rest);
            if let Ok(verified) = vault::verify_jws(&token, public_key) {
                assert_eq!(verified.kid, KID);
            }
            let stated = read_vc_jwt(&token, published, ISSUER);
            if let Ok(stated) = &stated {
                assert_eq!(stated.key_id, KID);
            }
            Verdict::of(stated.is_ok())
        }
        1 => {
            let [position, replacement, payload @ ..] = rest else {
                return Verdict::Refused;
            };
            let token = key.sign_jws(KID, Some("vc+jwt"), payload);
            let verified = vault::verify_jws(&token, public_key).expect("a token the board signed verifies");
            assert_eq!(verified.payload, payload);
            assert_eq!(verified.typ.as_deref(), Some("vc+jwt"));
            let accepted = read_vc_jwt(&token, published, ISSUER).is_ok();
            let names_issuer = serde_json::from_slice::<serde_json::Value>(payload)
                .is_ok_and(|value| value["iss"].as_str() == Some(ISSUER));
            assert_eq!(
                accepted, names_issuer,
                "accepted a payload without the board as issuer, or refused one with it"
            );

            let mut tampered = token.into_bytes();
            let at = usize::from(*position) * tampered.len() / 256;
            let new = TOKEN_CHARACTERS[usize::from(*replacement) % TOKEN_CHARACTERS.len()];
            if tampered[at] == new {
                return Verdict::of(accepted);
            }
            tampered[at] = new;
            let tampered = String::from_utf8(tampered).expect("ASCII");
            assert!(
                vault::verify_jws(&tampered, public_key).is_err(),
                "a token with character {at} changed still verifies"
            );
            assert!(read_vc_jwt(&tampered, published, ISSUER).is_err());
            Verdict::of(accepted)
        }
        _ => {
            let [name, number, valid_until] = crate::parts::<3>(rest).map(String::from_utf8_lossy);
            let payload = json!({
                "iss": ISSUER,
                "validUntil": valid_until,
                "credentialSubject": { "name": name, "identifier": [{ "identityHash": number }] },
            });
            let token = key.sign_jws(KID, Some("vc+jwt"), payload.to_string().as_bytes());
            let stated = read_vc_jwt(&token, published, ISSUER).expect("a credential the board signed reads");
            assert_eq!(
                (
                    stated.key_id.as_str(),
                    stated.holder.as_str(),
                    stated.number.as_str(),
                    stated.valid_until.as_str()
                ),
                (KID, &*name, &*number, &*valid_until)
            );
            Verdict::Accepted
        }
    }
}
