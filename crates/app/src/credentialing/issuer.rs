//! The board as an issuer of verifiable credentials: its `did:web` identity, derived from the
//! public address, and its Ed25519 signing keys.
//!
//! Exactly one key signs at a time. Rotating adds a new key and retires the old one, which
//! stays published in the JWKS and the DID document, so everything it signed still verifies.
//! Secrets are sealed by the vault under the issuer's own data key; every use is audited.

use vault::{PublicJwk, SigningKey};

use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::protected::{Field, Subject};
use crate::{App, AppError, AppResult, RequestMeta, platform::random};

/// The `did:web` identifier for a public address: the host (and port, `:` encoded as `%3A`)
/// and any path, with `/` as `:` (W3C did:web method).
pub fn did_web(public_url: &str) -> String {
    let without_scheme = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
    let trimmed = without_scheme.trim_end_matches('/');
    let (host, path) = trimmed
        .split_once('/')
        .map_or((trimmed, ""), |(host, path)| (host, path));
    let mut did = format!("did:web:{}", host.replace(':', "%3A"));
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    did
}

fn secret_field(kid: &str) -> Field<'_> {
    Field {
        name: "signing_keys.secret",
        record_id: kid,
    }
}

fn operator() -> AuditActor {
    AuditActor {
        user_id: None,
        role: Some("operator".to_owned()),
    }
}

impl App {
    pub fn issuer_did(&self) -> String {
        did_web(&self.config().public_url)
    }

    /// Creates the first signing key if there is none (run at start-up).
    pub async fn ensure_signing_key(&self) -> AppResult<()> {
        if self.store().signing_keys().await?.is_empty() {
            self.rotate_signing_key(operator(), &RequestMeta::default()).await?;
        }
        Ok(())
    }

    /// Adds a new signing key and retires the current one. Returns the new key id.
    pub async fn rotate_signing_key(&self, who: AuditActor, meta: &RequestMeta) -> AppResult<String> {
        let key = SigningKey::generate().map_err(|e| AppError::internal(anyhow::anyhow!("signing key: {e}")))?;
        let suffix = random::id()?;
        let kid = format!("{}#key-{}-{}", self.issuer_did(), self.today(), &suffix[..8]);
        let sealed = self
            .seal(
                who.clone(),
                &Subject::issuer(),
                secret_field(&kid),
                key.secret_bytes().as_slice(),
                meta,
            )
            .await?;
        let row = store::credentialing::issuer::SigningKeyRow {
            kid: kid.clone(),
            public_key: key.jwk(&kid).x,
            secret_sealed: sealed,
            created_at: self.now(),
            retired_at: None,
        };
        self.store().add_signing_key(&row).await?;
        self.record(
            who,
            AuditEvent::success("issuer.key_rotated").subject("signing_key", &kid),
            meta,
        )
        .await?;
        Ok(kid)
    }

    /// Every public key, active first: the JWKS.
    pub async fn published_keys(&self) -> AppResult<Vec<PublicJwk>> {
        Ok(self
            .store()
            .signing_keys()
            .await?
            .into_iter()
            .map(|row| PublicJwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: row.public_key,
                kid: row.kid,
                alg: "EdDSA".into(),
                use_: "sig".into(),
            })
            .collect())
    }

    /// The issuer's DID document (did:web), listing every key as a verification method.
    pub async fn did_document(&self) -> AppResult<serde_json::Value> {
        let did = self.issuer_did();
        let keys = self.published_keys().await?;
        let methods: Vec<serde_json::Value> = keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "id": key.kid,
                    // The Controlled Identifiers type for a JWK, which did:web documents and
                    // VC 2.0 verifiers now expect (JsonWebKey2020 is its superseded draft).
                    "type": "JsonWebKey",
                    "controller": did,
                    "publicKeyJwk": { "kty": key.kty, "crv": key.crv, "x": key.x },
                })
            })
            .collect();
        let ids: Vec<&str> = keys.iter().map(|key| key.kid.as_str()).collect();
        Ok(serde_json::json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"],
            "id": did,
            "verificationMethod": methods,
            "assertionMethod": ids,
        }))
    }

    /// Signs `payload` (JSON) as a compact JWS with the active key.
    pub async fn sign_as_issuer(&self, typ: &str, payload: &[u8], meta: &RequestMeta) -> AppResult<String> {
        let keys = self.store().signing_keys().await?;
        let active = keys
            .into_iter()
            .find(|row| row.retired_at.is_none())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no active signing key")))?;
        let secret = self
            .open(
                operator(),
                &Subject::issuer(),
                secret_field(&active.kid),
                &active.secret_sealed,
                meta,
            )
            .await?;
        let key =
            SigningKey::from_secret(&secret).map_err(|e| AppError::internal(anyhow::anyhow!("signing key: {e}")))?;
        Ok(key.sign_jws(&active.kid, Some(typ), payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_follows_the_public_address() {
        assert_eq!(did_web("https://board.example"), "did:web:board.example");
        assert_eq!(did_web("https://board.example/"), "did:web:board.example");
        assert_eq!(did_web("http://127.0.0.1:8080"), "did:web:127.0.0.1%3A8080");
        assert_eq!(
            did_web("https://example.org/boards/northbridge"),
            "did:web:example.org:boards:northbridge"
        );
    }
}
