//! A software authenticator for the passkey HTTP tests: it answers the server's WebAuthn JSON
//! options the way a browser and a CTAP2 device together would (ES256 keys, "none"
//! attestation, user verification), so refusals can be driven without a browser. Written from
//! the WebAuthn Level 2 data layouts: authenticator data, the COSE key, CBOR maps.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const FLAG_USER_PRESENT: u8 = 0x01;
const FLAG_USER_VERIFIED: u8 = 0x04;
const FLAG_ATTESTED_DATA: u8 = 0x40;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

// --- the few CBOR items these structures need ---------------------------------------------

fn cbor_head(major: u8, length: usize, out: &mut Vec<u8>) {
    let major = major << 5;
    match length {
        0..=23 => out.push(major | length as u8),
        24..=0xff => out.extend([major | 24, length as u8]),
        _ => {
            out.push(major | 25);
            out.extend((length as u16).to_be_bytes());
        }
    }
}

fn cbor_int(value: i64, out: &mut Vec<u8>) {
    if value >= 0 {
        cbor_head(0, value as usize, out);
    } else {
        cbor_head(1, (-1 - value) as usize, out);
    }
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, bytes.len(), out);
    out.extend_from_slice(bytes);
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, text.len(), out);
    out.extend_from_slice(text.as_bytes());
}

/// One passkey held by the device, with its signature counter.
#[derive(Clone)]
pub struct DeviceKey {
    pub credential_id: Vec<u8>,
    key: SigningKey,
    pub user_handle: Vec<u8>,
    pub rp_id: String,
    pub counter: u32,
}

/// What the next answer should claim (a well-behaved device claims presence and verification).
#[derive(Clone, Copy)]
pub struct Claims {
    pub user_verified: bool,
}

impl Default for Claims {
    fn default() -> Self {
        Claims { user_verified: true }
    }
}

/// The device and the browser's part: the page origin goes into the client data.
pub struct Authenticator {
    pub origin: String,
    pub keys: Vec<DeviceKey>,
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false }))
        .unwrap()
}

impl Authenticator {
    pub fn new(origin: &str) -> Authenticator {
        Authenticator {
            origin: origin.to_owned(),
            keys: Vec::new(),
        }
    }

    fn auth_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend(counter.to_be_bytes());
        data
    }

    /// `navigator.credentials.create` with the options the server sent (`{publicKey: …}`):
    /// makes a key, keeps it, and returns the JSON the page posts back.
    pub fn register(&mut self, options: &Value) -> Value {
        let public_key = &options["publicKey"];
        let rp_id = public_key["rp"]["id"].as_str().unwrap().to_owned();
        let challenge = public_key["challenge"].as_str().unwrap();
        let user_handle = unb64(public_key["user"]["id"].as_str().unwrap());
        let key = SigningKey::from_slice(&random_bytes::<32>()).unwrap();
        let credential_id = random_bytes::<32>().to_vec();
        let point = key.verifying_key().to_sec1_point(false);
        let point = point.as_bytes();
        let (x, y) = (&point[1..33], &point[33..65]);

        let mut cose = Vec::new();
        cbor_head(5, 5, &mut cose);
        for (label, value) in [(1, 2), (3, -7), (-1, 1)] {
            cbor_int(label, &mut cose);
            cbor_int(value, &mut cose);
        }
        cbor_int(-2, &mut cose);
        cbor_bytes(x, &mut cose);
        cbor_int(-3, &mut cose);
        cbor_bytes(y, &mut cose);

        let flags = FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_DATA;
        let mut auth_data = Self::auth_data(&rp_id, flags, 0);
        auth_data.extend([0u8; 16]); // AAGUID: none
        auth_data.extend((credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&credential_id);
        auth_data.extend(&cose);

        let mut attestation = Vec::new();
        cbor_head(5, 3, &mut attestation);
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        cbor_head(5, 0, &mut attestation);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&auth_data, &mut attestation);

        self.keys.push(DeviceKey {
            credential_id: credential_id.clone(),
            key,
            user_handle,
            rp_id,
            counter: 0,
        });
        json!({
            "id": b64(&credential_id),
            "rawId": b64(&credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data("webauthn.create", challenge, &self.origin)),
                "transports": ["internal"],
            },
            "extensions": { "credProps": { "rk": true } },
        })
    }

    /// `navigator.credentials.get` answered with key `index`: the counter moves forward, the
    /// user handle is included (as a discoverable credential's answer has it).
    pub fn assert(&mut self, index: usize, options: &Value, claims: Claims) -> Value {
        let key = &mut self.keys[index];
        key.counter += 1;
        let counter = key.counter;
        self.assert_with_counter(index, options, claims, counter)
    }

    /// As `assert`, claiming `counter` (a cloned device replays an old one).
    pub fn assert_with_counter(&self, index: usize, options: &Value, claims: Claims, counter: u32) -> Value {
        let key = &self.keys[index];
        let public_key = &options["publicKey"];
        let challenge = public_key["challenge"].as_str().unwrap();
        let mut flags = FLAG_USER_PRESENT;
        if claims.user_verified {
            flags |= FLAG_USER_VERIFIED;
        }
        let auth_data = Self::auth_data(&key.rp_id, flags, counter);
        let client_data = client_data("webauthn.get", challenge, &self.origin);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = key.key.sign(&signed);
        json!({
            "id": b64(&key.credential_id),
            "rawId": b64(&key.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&key.user_handle),
            },
            "extensions": {},
        })
    }
}
