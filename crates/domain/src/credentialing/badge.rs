//! The Open Badges 3.0 credential a holder downloads: a W3C Verifiable Credential (Data Model
//! 2.0) of type `OpenBadgeCredential`, to be signed as a VC-JWT.
//!
//! The payload is the credential itself (VC-JOSE-COSE), with the registered JWT claims a
//! generic JWT library checks (`iss`, `sub`, `jti`, `nbf`, `exp`) set to the same facts, so a
//! verifier that knows nothing of verifiable credentials still checks issuer, validity dates
//! and signature. Each credential points at two Bitstring Status Lists: one for revocation,
//! one for suspension.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An entry in a status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The URL of the status-list credential.
    pub list_url: String,
    pub index: usize,
}

/// Everything the credential states.
#[derive(Debug, Clone)]
pub struct BadgeFacts {
    /// The issuer's DID (`did:web:…`) and public name and address.
    pub issuer_did: String,
    pub issuer_name: String,
    pub issuer_url: String,
    /// The credential's public verification URL (also its id).
    pub verification_url: String,
    pub credential_number: String,
    pub holder_name: String,
    /// The subject's id (`credentialSubject.id` and the JWT's `sub`, which OB 3.0 and VC-JWT
    /// require to be equal): the holder's DID when they have one, else a `urn:uuid:` that
    /// stands for the holder of this credential and reveals nothing about them.
    pub subject_id: String,
    pub program_code: String,
    pub program_name: String,
    pub program_description: String,
    /// Where the rules of the program version are published.
    pub criteria_url: String,
    pub rule_version: String,
    pub valid_from: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    pub issued_at: OffsetDateTime,
    pub revocation: StatusEntry,
    pub suspension: StatusEntry,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn status(entry: &StatusEntry, purpose: &str) -> Value {
    json!({
        "id": format!("{}#{}", entry.list_url, entry.index),
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": entry.index.to_string(),
        "statusListCredential": entry.list_url,
    })
}

/// The credential, ready to be signed as the payload of a VC-JWT (`typ: vc+jwt`).
pub fn open_badge_credential(facts: &BadgeFacts) -> Value {
    let mut subject = json!({
        "type": ["AchievementSubject"],
        "identifier": [{
            "type": "IdentityObject",
            "identityHash": facts.credential_number,
            "identityType": "identifier",
            "hashed": false,
        }],
        "name": facts.holder_name,
        "achievement": {
            "id": format!("{}#achievement", facts.criteria_url),
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": facts.program_name,
            "description": facts.program_description,
            "criteria": { "id": facts.criteria_url, "narrative": format!("Requirements of rule version {}.", facts.rule_version) },
            "humanCode": facts.program_code,
        },
    });
    if let Some(map) = subject.as_object_mut() {
        map.insert("id".into(), json!(facts.subject_id));
    }
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": facts.verification_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": format!("{} ({})", facts.program_name, facts.credential_number),
        "issuer": {
            "id": facts.issuer_did,
            "type": ["Profile"],
            "name": facts.issuer_name,
            "url": facts.issuer_url,
        },
        "validFrom": rfc3339(facts.valid_from),
        "validUntil": rfc3339(facts.valid_until),
        "credentialSubject": subject,
        "credentialStatus": [status(&facts.revocation, "revocation"), status(&facts.suspension, "suspension")],
        // Registered JWT claims, the same facts for generic JWT verifiers.
        "iss": facts.issuer_did,
        "sub": facts.subject_id,
        "jti": facts.verification_url,
        "iat": facts.issued_at.unix_timestamp(),
        "nbf": facts.valid_from.unix_timestamp(),
        "exp": facts.valid_until.unix_timestamp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn facts() -> BadgeFacts {
        BadgeFacts {
            issuer_did: "did:web:board.example".into(),
            issuer_name: "Northbridge Board of Sexuality Professionals".into(),
            issuer_url: "https://board.example".into(),
            verification_url: "https://board.example/verify/CST-2026-000123-46".into(),
            credential_number: "CST-2026-000123-46".into(),
            holder_name: "Taylor Brooks".into(),
            subject_id: "urn:uuid:5f0c7b0e-3d1a-8c4e-9a7b-2f6d1e8c4a90".into(),
            program_code: "CST".into(),
            program_name: "Certified Sex Therapist".into(),
            program_description: "A licensed clinician trained to provide psychotherapy for sexual concerns.".into(),
            criteria_url: "https://board.example/programs/CST/2025.T.1".into(),
            rule_version: "2025.T.1".into(),
            valid_from: datetime!(2026-11-24 00:00 UTC),
            valid_until: datetime!(2029-11-23 23:59:59 UTC),
            issued_at: datetime!(2026-11-24 10:00 UTC),
            revocation: StatusEntry {
                list_url: "https://board.example/status/revocation/1".into(),
                index: 94_567,
            },
            suspension: StatusEntry {
                list_url: "https://board.example/status/suspension/1".into(),
                index: 94_567,
            },
        }
    }

    #[test]
    fn the_credential_has_the_open_badges_shape() {
        let credential = open_badge_credential(&facts());
        assert_eq!(
            credential["type"],
            json!(["VerifiableCredential", "OpenBadgeCredential"])
        );
        assert_eq!(credential["@context"][0], "https://www.w3.org/ns/credentials/v2");
        assert_eq!(credential["issuer"]["id"], "did:web:board.example");
        assert_eq!(credential["validFrom"], "2026-11-24T00:00:00Z");
        assert_eq!(credential["validUntil"], "2029-11-23T23:59:59Z");
        let achievement = &credential["credentialSubject"]["achievement"];
        assert_eq!(achievement["name"], "Certified Sex Therapist");
        assert_eq!(
            achievement["criteria"]["id"],
            "https://board.example/programs/CST/2025.T.1"
        );
        assert_eq!(credential["credentialSubject"]["type"], json!(["AchievementSubject"]));
        assert_eq!(
            credential["credentialSubject"]["id"],
            "urn:uuid:5f0c7b0e-3d1a-8c4e-9a7b-2f6d1e8c4a90"
        );
        assert_eq!(credential["sub"], credential["credentialSubject"]["id"]);
        assert_eq!(
            credential["credentialSubject"]["identifier"][0]["identityHash"], "CST-2026-000123-46",
            "the credential number stays an identifier"
        );
    }

    #[test]
    fn status_entries_and_jwt_claims_say_the_same_facts() {
        let credential = open_badge_credential(&facts());
        let statuses = credential["credentialStatus"].as_array().unwrap();
        assert_eq!(statuses[0]["statusPurpose"], "revocation");
        assert_eq!(statuses[1]["statusPurpose"], "suspension");
        assert_eq!(statuses[0]["statusListIndex"], "94567");
        assert_eq!(statuses[0]["type"], "BitstringStatusListEntry");
        assert_eq!(credential["iss"], credential["issuer"]["id"]);
        assert_eq!(credential["nbf"], datetime!(2026-11-24 00:00 UTC).unix_timestamp());
        assert_eq!(credential["exp"], datetime!(2029-11-23 23:59:59 UTC).unix_timestamp());
        assert_eq!(credential["jti"], credential["id"]);
        let bound = BadgeFacts {
            subject_id: "did:example:holder".into(),
            ..facts()
        };
        let credential = open_badge_credential(&bound);
        assert_eq!(credential["credentialSubject"]["id"], "did:example:holder");
        assert_eq!(credential["sub"], "did:example:holder");
    }
}
