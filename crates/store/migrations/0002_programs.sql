-- Credential programs as data: the definition files a board imports, kept verbatim (source)
-- beside their checked form (parsed, JSON). Rows are never updated: a new rule version is a
-- new row, because candidates stay judged by the version in force when they signed their
-- supervision contract. Calendar dates are ISO text (YYYY-MM-DD) on both engines.

-- The board lists (core areas, disciplines, professions, delivery modes, membership types,
-- document kinds). The newest import is the one programs are checked against.
CREATE TABLE board_lists (
    version      TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    parsed       TEXT NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL,
    imported_by  TEXT REFERENCES users (id)
);

CREATE TABLE program_versions (
    code            TEXT NOT NULL,
    version         TEXT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    effective_from  TEXT NOT NULL,
    source          TEXT NOT NULL,
    parsed          TEXT NOT NULL,
    imported_at     TIMESTAMPTZ NOT NULL,
    imported_by     TEXT REFERENCES users (id),
    PRIMARY KEY (code, version)
);
CREATE INDEX program_versions_in_force ON program_versions (code, effective_from);
