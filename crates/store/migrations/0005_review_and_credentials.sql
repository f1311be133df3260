-- Committee review of submitted applications, and the credentials the board issues.

-- The decision on an application. `decision_sealed` holds the reasons, sealed under the
-- candidate's data key like the snapshot.
ALTER TABLE applications ADD COLUMN decision TEXT;
ALTER TABLE applications ADD COLUMN decided_by TEXT REFERENCES users (id);
ALTER TABLE applications ADD COLUMN decided_at TIMESTAMPTZ;
ALTER TABLE applications ADD COLUMN decision_sealed BYTEA;
-- When the application last changed state: the queue is ordered by age in its state.
ALTER TABLE applications ADD COLUMN state_since TIMESTAMPTZ;

-- A committee member assigned to review one application. A released assignment (a conflict
-- declared afterwards, or staff taking it back) stays for the history but no longer gives
-- access. The reviewer's comments are sealed under the candidate's data key.
CREATE TABLE review_assignments (
    id               TEXT PRIMARY KEY,
    application_id   TEXT NOT NULL REFERENCES applications (id),
    reviewer_id      TEXT NOT NULL REFERENCES users (id),
    assigned_by      TEXT NOT NULL REFERENCES users (id),
    assigned_at      TIMESTAMPTZ NOT NULL,
    released_at      TIMESTAMPTZ,
    released_reason  TEXT,
    recommendation   TEXT,
    comments_sealed  BYTEA,
    recommended_at   TIMESTAMPTZ
);
CREATE INDEX review_assignments_by_application ON review_assignments (application_id);
CREATE INDEX review_assignments_by_reviewer ON review_assignments (reviewer_id);

-- Conflicts of interest a reviewer declared, by the other person's e-mail address (so a
-- conflict named before that person applies still counts).
CREATE TABLE review_conflicts (
    id            TEXT PRIMARY KEY,
    reviewer_id   TEXT NOT NULL REFERENCES users (id),
    person_email  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    note          TEXT NOT NULL,
    declared_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX review_conflicts_once ON review_conflicts (reviewer_id, person_email);

-- What happened to an application after submission, in order: assignments, requests for more
-- information and the answers (text sealed under the candidate's key, documents by id), the
-- decision. Rows are only ever added.
CREATE TABLE application_events (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    kind            TEXT NOT NULL,
    actor_id        TEXT REFERENCES users (id),
    at              TIMESTAMPTZ NOT NULL,
    body_sealed     BYTEA,
    document_ids    TEXT NOT NULL
);
CREATE INDEX application_events_by_application ON application_events (application_id, at);

-- Issued credentials (the table exists since 0003 for credentials held). `status` is the
-- board's action: active, suspended or revoked; expiry and lapse are worked out from dates and
-- memberships when read. `status_index` is the credential's position in both status lists
-- (revocation and suspension), drawn at random so neighbours say nothing about each other.
-- `holder_name` is the name as certified (printed on the certificate; searched by /verify).
ALTER TABLE credentials ADD COLUMN holder_name TEXT;
ALTER TABLE credentials ADD COLUMN rule_version TEXT;
ALTER TABLE credentials ADD COLUMN application_id TEXT REFERENCES applications (id);
ALTER TABLE credentials ADD COLUMN issued_at TIMESTAMPTZ;
ALTER TABLE credentials ADD COLUMN status_index BIGINT;
ALTER TABLE credentials ADD COLUMN status_reason TEXT;
ALTER TABLE credentials ADD COLUMN public_notice TEXT;
ALTER TABLE credentials ADD COLUMN status_changed_at TIMESTAMPTZ;
CREATE UNIQUE INDEX credentials_by_status_index ON credentials (status_index);
CREATE INDEX credentials_by_program ON credentials (program_code, number);
-- One credential per approved application, whatever happens twice.
CREATE UNIQUE INDEX credentials_by_application ON credentials (application_id);

-- The last sequence number given per program and year (the middle part of a credential
-- number).
CREATE TABLE credential_sequences (
    program_code  TEXT NOT NULL,
    year          INTEGER NOT NULL,
    last_number   BIGINT NOT NULL,
    PRIMARY KEY (program_code, year)
);

-- Everything that happened to a credential: issued, suspended, revoked, reinstated, renewed,
-- an action undone because it was made in error. Rows are only ever added.
CREATE TABLE credential_events (
    id             TEXT PRIMARY KEY,
    credential_id  TEXT NOT NULL REFERENCES credentials (id),
    kind           TEXT NOT NULL,
    reason         TEXT NOT NULL,
    public_notice  TEXT,
    actor_id       TEXT REFERENCES users (id),
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX credential_events_by_credential ON credential_events (credential_id, at);
