-- The board's credential-signing keys (Ed25519). The public key is published; the secret is
-- sealed by the vault under the issuer's data key. Retired keys stay, so credentials signed
-- with them still verify.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    public_key     TEXT NOT NULL,
    secret_sealed  BYTEA NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    retired_at     TIMESTAMPTZ
);
