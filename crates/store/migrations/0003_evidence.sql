-- The candidate's evidence: what the rule engine judges. Calendar dates are ISO text
-- (YYYY-MM-DD) on both engines; hours are hundredths of an hour (centi-hours) as integers, so
-- sums are exact. Every row belongs to one person (user_id) and is only ever shown to that
-- person, their supervisors (for supervision) and board staff, as decided in app::authz.

-- Uploaded files. The bytes live encrypted in the file store (object_store) under
-- `object_path`, sealed with the owner's data key; this row says what they are.
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    object_path   TEXT NOT NULL UNIQUE,
    uploaded_by   TEXT NOT NULL REFERENCES users (id),
    uploaded_at   TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX documents_by_owner ON documents (owner_id, kind);

-- Which credentials a candidate is working towards.
CREATE TABLE pursuits (
    user_id       TEXT NOT NULL REFERENCES users (id),
    program_code  TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, program_code)
);

CREATE TABLE memberships (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_until  TEXT,
    document_id  TEXT REFERENCES documents (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- The code-of-ethics attestation: one per person, re-signed by replacing it.
CREATE TABLE ethics_attestations (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    attested_on  TEXT NOT NULL,
    statement    TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE degrees (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    level        TEXT NOT NULL,
    field        TEXT NOT NULL,
    institution  TEXT NOT NULL,
    accredited   BOOLEAN NOT NULL,
    awarded_on   TEXT NOT NULL,
    document_id  TEXT REFERENCES documents (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX degrees_by_user ON degrees (user_id);

CREATE TABLE licenses (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    profession    TEXT NOT NULL,
    jurisdiction  TEXT NOT NULL,
    number        TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_until   TEXT,
    document_id   TEXT REFERENCES documents (id),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX licenses_by_user ON licenses (user_id);

CREATE TABLE insurance_policies (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    carrier        TEXT NOT NULL,
    policy_number  TEXT NOT NULL,
    valid_from     TEXT NOT NULL,
    valid_until    TEXT,
    document_id    TEXT REFERENCES documents (id),
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX insurance_policies_by_user ON insurance_policies (user_id);

-- Credentials a person holds (a supervisor's CST-S, a candidate's CST). Issue and renewal
-- come with committee review; until then staff record credentials the board already issued.
CREATE TABLE credentials (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    program_code  TEXT NOT NULL,
    number        TEXT NOT NULL UNIQUE,
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX credentials_by_user ON credentials (user_id);

-- One line of one of the hour logs (core knowledge, training, SAR, clinical, counseling,
-- teaching). `split` is JSON: hours per core area or discipline. `fingerprint` catches the same
-- course entered twice (by hand or in a CSV import).
CREATE TABLE hour_entries (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    log             TEXT NOT NULL,
    entry_date      TEXT NOT NULL,
    hours_centi     BIGINT NOT NULL,
    mode            TEXT NOT NULL,
    provider        TEXT NOT NULL,
    title           TEXT NOT NULL,
    split           TEXT NOT NULL,
    document_id     TEXT REFERENCES documents (id),
    import_batch    TEXT,
    fingerprint     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, fingerprint)
);
CREATE INDEX hour_entries_by_user ON hour_entries (user_id, log, entry_date);

-- Supervision groups, approved by board staff before their hours count.
CREATE TABLE supervision_groups (
    id            TEXT PRIMARY KEY,
    supervisor_id TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    size          BIGINT NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    decided_at    TIMESTAMPTZ,
    decided_by    TEXT REFERENCES users (id),
    approved      BOOLEAN NOT NULL DEFAULT FALSE,
    decision_note TEXT
);

-- A supervision contract between a candidate and a supervisor. The candidate invites the
-- supervisor by e-mail (supervisor_id is set when they accept); both sign inside Sensate.
-- Either may end it with notice: ends_on is then the last day hours count.
CREATE TABLE supervision_contracts (
    id                    TEXT PRIMARY KEY,
    candidate_id          TEXT NOT NULL REFERENCES users (id),
    supervisor_id         TEXT REFERENCES users (id),
    supervisor_email      TEXT NOT NULL,
    program_code          TEXT NOT NULL,
    starts_on             TEXT NOT NULL,
    is_primary            BOOLEAN NOT NULL,
    notice_days           BIGINT NOT NULL,
    terms                 TEXT NOT NULL,
    candidate_signed_at   TIMESTAMPTZ,
    supervisor_signed_at  TIMESTAMPTZ,
    declined_at           TIMESTAMPTZ,
    ended_by              TEXT REFERENCES users (id),
    end_noticed_at        TIMESTAMPTZ,
    ends_on               TEXT,
    end_reason            TEXT,
    created_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_contracts_by_candidate ON supervision_contracts (candidate_id);
CREATE INDEX supervision_contracts_by_supervisor ON supervision_contracts (supervisor_id);

-- One supervision session, logged by the candidate and countersigned (or rejected with a
-- reason) by the supervisor.
CREATE TABLE supervision_sessions (
    id                  TEXT PRIMARY KEY,
    contract_id         TEXT NOT NULL REFERENCES supervision_contracts (id),
    session_date        TEXT NOT NULL,
    hours_centi         BIGINT NOT NULL,
    format              TEXT NOT NULL,
    group_id            TEXT REFERENCES supervision_groups (id),
    counts_as_training  BOOLEAN NOT NULL,
    topic               TEXT NOT NULL,
    status              TEXT NOT NULL,
    decided_at          TIMESTAMPTZ,
    reject_reason       TEXT,
    created_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_sessions_by_contract ON supervision_sessions (contract_id, session_date);

-- An application: a draft until submitted; then the evidence is frozen in `snapshot` (JSON,
-- sealed with the candidate's data key) together with the judgement it passed.
CREATE TABLE applications (
    id                 TEXT PRIMARY KEY,
    candidate_id       TEXT NOT NULL REFERENCES users (id),
    program_code       TEXT NOT NULL,
    program_version    TEXT NOT NULL,
    status             TEXT NOT NULL,
    fee_status         TEXT NOT NULL,
    fee_recorded_by    TEXT REFERENCES users (id),
    fee_recorded_at    TIMESTAMPTZ,
    endorsed_by        TEXT REFERENCES users (id),
    endorsed_at        TIMESTAMPTZ,
    submitted_at       TIMESTAMPTZ,
    snapshot_sealed    BYTEA,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX applications_by_candidate ON applications (candidate_id, program_code);
