-- An ethics case waits for the respondent's reply, or for their last day to reply to pass,
-- before a final decision; a suspension before that is an interim measure, on the record as
-- such.
--
-- `reply_due_on` (YYYY-MM-DD) is set when the respondent is notified: the notified day plus
-- the board's reply period at that moment. `interim_at` is when the committee suspended the
-- credential as an interim measure (its reasons are sealed in the case's history); the case
-- stays open, and its final decision replaces or lifts the interim suspension.
ALTER TABLE ethics_cases ADD COLUMN reply_due_on TEXT;
ALTER TABLE ethics_cases ADD COLUMN interim_at TIMESTAMPTZ;
