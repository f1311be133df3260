-- Recovery codes waiting to be shown: the form that makes them redirects to a page that reads
-- them once, in the session that made them, and deletes them (so a reload never makes new
-- codes, and no one else ever sees them). Sealed under the account's data key.
CREATE TABLE codes_to_show (
    session_id  TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    sealed      BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
