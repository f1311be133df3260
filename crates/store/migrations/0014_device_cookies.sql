-- Device cookies (the OWASP authentication guidance's defence against lockout by guessing): a
-- browser that has signed in to an account keeps a random token for it, and its sign-in
-- attempts for that account are then limited per token, not per account or address, so
-- guessing from elsewhere cannot lock the owner out. Only the token's SHA-256 is stored.
CREATE TABLE device_cookies (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX device_cookies_by_user ON device_cookies (user_id);
