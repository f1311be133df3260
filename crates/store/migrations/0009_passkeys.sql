-- Passkeys (WebAuthn credentials): a second factor after the password, and a sign-in of
-- their own.

-- The WebAuthn user handle: a random UUID given to the account at its first passkey, so an
-- authenticator never holds the account id. Discoverable sign-in reads it back.
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
CREATE UNIQUE INDEX users_by_webauthn_handle ON users (webauthn_handle);

-- One row per registered passkey. `credential` is webauthn-rs's serialised credential (the
-- public key, signature counter and backup flags: nothing secret); it is rewritten when a
-- sign-in moves the counter or changes a flag. `credential_id` is the authenticator's id
-- for it, base64url, unique across accounts.
CREATE TABLE passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id  TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    credential     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    last_used_at   TIMESTAMPTZ
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- WebAuthn ceremonies under way: the server-side state of each challenge sent to a browser.
-- One per (binding, purpose): `binding` names the session (or, before sign-in, the
-- visitor's anti-forgery token, hashed) the challenge was given to. A challenge is deleted
-- when it is answered, right or wrong, so it is used once; `expires_at` bounds its life.
CREATE TABLE webauthn_challenges (
    binding       TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    passkey_name  TEXT,
    state         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (binding, purpose)
);
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at);
