-- Renewal of issued credentials, and the reminders the lifecycle job sends.

-- One renewal per credential and cycle (`cycle_ends` is the validity end it extends).
-- `status`: open (the holder logs credits), audit (chosen for the random audit, waiting for
-- staff), approved. A renewal staff return goes back to open with their note.
CREATE TABLE renewals (
    id              TEXT PRIMARY KEY,
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    cycle_ends      TEXT NOT NULL,
    status          TEXT NOT NULL,
    audit_selected  BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_at    TIMESTAMPTZ,
    decided_by      TEXT REFERENCES users (id),
    decided_at      TIMESTAMPTZ,
    decision_note   TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX renewals_once_per_cycle ON renewals (credential_id, cycle_ends);
CREATE INDEX renewals_by_status ON renewals (status, submitted_at);

-- The continuing-education credits logged for a renewal: board-approved CE (`approved`) or
-- one of the program's other methods (its key).
CREATE TABLE renewal_entries (
    id           TEXT PRIMARY KEY,
    renewal_id   TEXT NOT NULL REFERENCES renewals (id),
    method       TEXT NOT NULL,
    entry_date   TEXT NOT NULL,
    hours_centi  BIGINT NOT NULL,
    provider     TEXT NOT NULL,
    title        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX renewal_entries_by_renewal ON renewal_entries (renewal_id, entry_date);

-- Every reminder sent, by a key naming what it is about (`expiry-30:<credential>:<date>`).
-- Claiming the key and queueing the e-mail happen in one transaction: with several nodes, or
-- after a restart, a reminder is sent once.
CREATE TABLE reminders (
    reminder_key  TEXT PRIMARY KEY,
    user_id       TEXT REFERENCES users (id),
    kind          TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    sent_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX reminders_by_time ON reminders (sent_at);
