-- Sensate foundation schema. One text for both engines: it uses only types and syntax that
-- SQLite and PostgreSQL read the same way. TIMESTAMPTZ, BOOLEAN and BYTEA are native in
-- PostgreSQL; SQLite stores them as fixed-width UTC text, 0/1 and blobs (see store::timestamp).

-- People and what they may do.
CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    email_verified_at   TIMESTAMPTZ,
    -- TOTP secret sealed by the vault under the user's data key; NULL until enrolment starts.
    totp_secret_sealed  BYTEA,
    totp_enabled_at     TIMESTAMPTZ,
    -- Last accepted TOTP time step: a code is accepted once only.
    totp_last_step      BIGINT,
    is_demo             BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at         TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    granted_by  TEXT,
    PRIMARY KEY (user_id, role)
);

-- Single-use recovery codes, stored as SHA-256 hashes (they are high-entropy random codes).
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- Server-side sessions. The cookie holds a random secret; only its SHA-256 is stored, so a
-- copy of the database does not hand out live sessions.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'active', or 'mfa_pending' between the password and the second factor.
    stage         TEXT NOT NULL,
    csrf_secret   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    client_addr   TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Links sent by e-mail: address verification, password reset, invitations. Stored hashed.
CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT,
    role        TEXT,
    created_by  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (user_id, purpose);

-- Failed sign-in counters per account e-mail and per client address.
CREATE TABLE signin_throttle (
    throttle_key       TEXT PRIMARY KEY,
    failures           BIGINT NOT NULL,
    window_started_at  TIMESTAMPTZ NOT NULL,
    locked_until       TIMESTAMPTZ
);

-- The vault's data keys, one per subject, each wrapped by a key-encryption key (kek_id).
-- Destroying a subject's key (wrapped = NULL) makes everything sealed under it unreadable.
CREATE TABLE data_keys (
    subject       TEXT PRIMARY KEY,
    kek_id        TEXT,
    wrapped       BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    rewrapped_at  TIMESTAMPTZ,
    destroyed_at  TIMESTAMPTZ
);
CREATE INDEX data_keys_by_kek ON data_keys (kek_id);

-- The append-only, hash-chained audit log and its recorded head.
CREATE TABLE audit_events (
    seq           BIGINT PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      TEXT,
    actor_role    TEXT,
    action        TEXT NOT NULL,
    subject_type  TEXT,
    subject_id    TEXT,
    outcome       TEXT NOT NULL,
    client_addr   TEXT,
    request_id    TEXT,
    detail        TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_by_action ON audit_events (action, seq);
CREATE INDEX audit_events_by_at ON audit_events (at);

CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Outgoing e-mail, written in the same step as the change that causes it and delivered by a
-- background sender, so a slow or failing mail server never loses a message or a request.
-- Bodies are cleared once delivered: they may carry one-time links.
CREATE TABLE email_outbox (
    id               TEXT PRIMARY KEY,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT,
    body_html        TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    claimed_until    TIMESTAMPTZ,
    sent_at          TIMESTAMPTZ,
    last_error       TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (sent_at, next_attempt_at);

-- Installation-wide settings (the board's name, whether demo data was loaded).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
