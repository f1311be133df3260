-- Whom an application event is about (the reviewer assigned or withdrawn), beside who acted.
ALTER TABLE application_events ADD COLUMN about_id TEXT REFERENCES users (id);

-- A session the candidate corrected after its rejection is a new session pointing at the
-- rejected one, which stays as it was: the history of both is kept, and a rejected session is
-- corrected at most once.
ALTER TABLE supervision_sessions ADD COLUMN corrects_id TEXT REFERENCES supervision_sessions (id);
CREATE UNIQUE INDEX supervision_sessions_by_correction ON supervision_sessions (corrects_id);

-- An invitation staff withdrew: its link then says so rather than that it expired.
ALTER TABLE one_time_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
ALTER TABLE one_time_tokens ADD COLUMN revoked_by TEXT;
