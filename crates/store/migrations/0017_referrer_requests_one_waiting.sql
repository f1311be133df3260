-- One waiting request for a referring-provider account per e-mail address: a second request
-- from the same address while the first waits is answered without a new row. Copies already
-- stored (the form had no such check) are closed as declined copies of the earliest one,
-- without mail, so the index can be built.
UPDATE referrer_requests SET status = 'declined',
    decision_note = 'A copy of an earlier request from the same address, closed automatically.'
WHERE status = 'requested' AND EXISTS (
    SELECT 1 FROM referrer_requests earlier
    WHERE earlier.email = referrer_requests.email AND earlier.status = 'requested'
      AND (earlier.requested_at < referrer_requests.requested_at
           OR (earlier.requested_at = referrer_requests.requested_at AND earlier.id < referrer_requests.id))
);
CREATE UNIQUE INDEX referrer_requests_one_waiting ON referrer_requests (email) WHERE status = 'requested';
CREATE INDEX referrer_requests_by_requested_at ON referrer_requests (requested_at);
