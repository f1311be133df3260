-- A continuing-education credit carries its certificate: one of the holder's documents
-- (kind `certificate`), which audit staff open from the renewal they check.
ALTER TABLE renewal_entries ADD COLUMN document_id TEXT REFERENCES documents (id);
