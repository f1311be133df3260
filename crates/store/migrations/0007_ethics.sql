-- Ethics cases: complaints from the public about a certified professional, the committee's
-- handling of them, and the outcome.
--
-- Everything a person wrote or that identifies the reporter is sealed under the case's own
-- data key (subject `ethics-case:<id>`): the complaint, the reporter's contact details, the
-- respondent's reply, evidence notes, reasons. Only what the board publishes anyway (the
-- public notice of a sanction) and what the queue needs (state, dates, whom it concerns) is
-- plain.

-- One case per complaint. `reference` is what people quote (EC-2026-0007). `status`:
-- received, accepted, dismissed, respondent_notified, reply_received, decided.
-- `respondent_id` is the credential's holder when the complaint arrived.
CREATE TABLE ethics_cases (
    id                TEXT PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    credential_id     TEXT NOT NULL REFERENCES credentials (id),
    respondent_id     TEXT NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    state_since       TIMESTAMPTZ NOT NULL,
    complaint_sealed  BYTEA NOT NULL,
    reporter_sealed   BYTEA NOT NULL,
    reply_sealed      BYTEA,
    replied_at        TIMESTAMPTZ,
    sanction          TEXT,
    decision_sealed   BYTEA,
    public_notice     TEXT,
    decided_by        TEXT REFERENCES users (id),
    decided_at        TIMESTAMPTZ
);
CREATE INDEX ethics_cases_by_status ON ethics_cases (status, state_since);
CREATE INDEX ethics_cases_by_respondent ON ethics_cases (respondent_id);

-- What happened to a case, in order: received, accepted or dismissed, respondent notified,
-- reply received, evidence notes, decided. Any text (a dismissal's reason, a note) is sealed
-- under the case's key. Rows are only ever added.
CREATE TABLE ethics_case_events (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES ethics_cases (id),
    kind         TEXT NOT NULL,
    actor_id     TEXT REFERENCES users (id),
    at           TIMESTAMPTZ NOT NULL,
    body_sealed  BYTEA
);
CREATE INDEX ethics_case_events_by_case ON ethics_case_events (case_id, at);

-- Documents sent with a complaint (`side` = reporter) or a reply (`side` = respondent),
-- stored encrypted under the case's key. The name the sender's file had is not kept: it can
-- say as much as the file.
CREATE TABLE ethics_documents (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES ethics_cases (id),
    side         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    media_type   TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    object_path  TEXT NOT NULL UNIQUE,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ethics_documents_by_case ON ethics_documents (case_id, side, position);
