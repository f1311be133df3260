//! The issuer's published keys (JWKS and did:web) and signing, with rotation, on both engines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use store::both_engines;
use support::TestApp;

fn verify_with(jwks: &serde_json::Value, token: &str) -> Result<vault::VerifiedJws, vault::JwsError> {
    let keys: Vec<vault::PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    vault::verify_jws(token, |kid| {
        keys.iter().find(|key| key.kid == kid).and_then(vault::jwk_public_key)
    })
}

both_engines! {
    async fn the_issuer_publishes_its_keys_and_rotation_keeps_old_signatures_valid(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        let jwks = visitor.get("/.well-known/jwks.json").await;
        assert_eq!(jwks.status, 200);
        assert_eq!(jwks.header("cache-control"), "public, max-age=300");
        assert_eq!(jwks.header("content-type"), "application/jwk-set+json");
        let jwks: serde_json::Value = serde_json::from_str(&jwks.body).unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        let first_kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
        let did = t.app.issuer_did();
        assert!(did.starts_with("did:web:127.0.0.1%3A"), "{did}");
        assert!(first_kid.starts_with(&format!("{did}#key-")), "{first_kid}");
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        assert!(jwks["keys"][0].get("d").is_none(), "no private part is ever published");

        let document: serde_json::Value = serde_json::from_str(&visitor.get("/.well-known/did.json").await.body).unwrap();
        assert_eq!(document["id"], did.as_str());
        assert_eq!(document["verificationMethod"][0]["id"], first_kid.as_str());
        assert_eq!(document["assertionMethod"][0], first_kid.as_str());

        let meta = app::RequestMeta::default();
        let earlier = t.app.sign_as_issuer("vc+jwt", br#"{"n":1}"#, &meta).await.unwrap();
        assert_eq!(verify_with(&jwks, &earlier).unwrap().kid, first_kid);

        let who = app::audit::AuditActor { user_id: None, role: Some("operator".into()) };
        let new_kid = t.app.rotate_signing_key(who, &meta).await.unwrap();
        let later = t.app.sign_as_issuer("vc+jwt", br#"{"n":2}"#, &meta).await.unwrap();
        let rotated: serde_json::Value = serde_json::from_str(&visitor.get("/.well-known/jwks.json").await.body).unwrap();
        assert_eq!(rotated["keys"].as_array().unwrap().len(), 2, "the retired key stays published");
        assert_eq!(verify_with(&rotated, &later).unwrap().kid, new_kid);
        assert_eq!(verify_with(&rotated, &earlier).unwrap().kid, first_kid, "earlier signatures still verify");
        let mut forged = later.clone();
        forged.replace_range(later.len() - 6.., "AAAAAA");
        assert!(verify_with(&rotated, &forged).is_err());
        let actions = t.audit_actions().await;
        assert_eq!(actions.iter().filter(|(a, _)| a == "issuer.key_rotated").count(), 2);
        assert!(actions.iter().any(|(a, _)| a == "protected.read"), "using the secret is audited");
    }
}
