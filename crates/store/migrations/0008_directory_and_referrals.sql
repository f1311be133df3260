-- The public directory, its gazetteer, referring providers and referrals.

-- The offline gazetteer: postal codes and populated places with coordinates, imported from
-- openly licensed data (see GAZETTEER.md). `kind` is `postal` or `city`. `name_key` is the
-- name folded to lower-case ASCII for look-ups; `code_key` the postal code upper-cased
-- without spaces.
CREATE TABLE places (
    id           BIGINT PRIMARY KEY,
    kind         TEXT NOT NULL,
    country      TEXT NOT NULL,
    code_key     TEXT,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    region       TEXT NOT NULL,
    latitude     DOUBLE PRECISION NOT NULL,
    longitude    DOUBLE PRECISION NOT NULL,
    population   BIGINT NOT NULL
);
CREATE INDEX places_by_code ON places (code_key, country);
CREATE INDEX places_by_name ON places (name_key, population);

-- What was imported, from which package, under which license (shown on the directory's
-- about page as the attribution the license asks for).
CREATE TABLE gazetteer_sources (
    name         TEXT PRIMARY KEY,
    package      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    license      TEXT NOT NULL,
    attribution  TEXT NOT NULL,
    rows_kept    BIGINT NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL
);

-- A certified professional's public profile. Multi-valued fields hold keys separated by
-- single spaces, each checked against its list when saved. `listed` is the holder's choice;
-- whether the profile shows is also a matter of their credentials being in good standing,
-- worked out when the search index loads it. `sort_key` is a random number fixed at
-- creation: the stable tie-break of the results order, fair to everyone.
CREATE TABLE directory_profiles (
    user_id            TEXT PRIMARY KEY REFERENCES users (id),
    listed             BOOLEAN NOT NULL,
    pronouns           TEXT NOT NULL,
    practice_name      TEXT NOT NULL,
    telehealth         BOOLEAN NOT NULL,
    jurisdictions      TEXT NOT NULL,
    formats            TEXT NOT NULL,
    concerns           TEXT NOT NULL,
    populations        TEXT NOT NULL,
    approaches         TEXT NOT NULL,
    languages          TEXT NOT NULL,
    fee_min            INTEGER,
    fee_max            INTEGER,
    sliding_scale      BOOLEAN NOT NULL,
    insurers           TEXT NOT NULL,
    accepting_clients  BOOLEAN NOT NULL,
    statement          TEXT NOT NULL,
    tips               TEXT NOT NULL,
    contact_email      TEXT,
    contact_phone      TEXT,
    website            TEXT,
    photo_path         TEXT,
    photo_media_type   TEXT,
    sort_key           BIGINT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE directory_locations (
    user_id      TEXT NOT NULL REFERENCES directory_profiles (user_id),
    position     INTEGER NOT NULL,
    address      TEXT NOT NULL,
    postal_code  TEXT NOT NULL,
    city         TEXT NOT NULL,
    region       TEXT NOT NULL,
    country      TEXT NOT NULL,
    latitude     DOUBLE PRECISION NOT NULL,
    longitude    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, position)
);

-- Every change that can change what the directory shows about a person (a profile saved, a
-- credential issued, suspended, revoked, renewed, a membership recorded), numbered in commit
-- order: the number comes from `directory_head`, whose row stays locked until the writing
-- transaction commits, so a node that has read up to N has seen everything before N. Every
-- node polls this and reloads the people named.
CREATE TABLE directory_changes (
    seq      BIGINT PRIMARY KEY,
    user_id  TEXT NOT NULL
);

-- The lifecycle round reads only credentials ending soon and holders whose memberships ended.
CREATE INDEX credentials_by_end ON credentials (valid_until);
CREATE INDEX memberships_by_end ON memberships (valid_until);

CREATE TABLE directory_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL
);
INSERT INTO directory_head (id, seq) VALUES (1, 0);

-- Referring providers: physicians, fertility specialists, clinics, hospitals, sexual-health
-- centers. A request (`requested`) is approved or declined by board staff; an approved
-- request, or an invitation, gives the person the referring_provider role.
CREATE TABLE referrer_requests (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    organisation   TEXT NOT NULL,
    kind           TEXT NOT NULL,
    license        TEXT NOT NULL,
    phone          TEXT NOT NULL,
    status         TEXT NOT NULL,
    requested_at   TIMESTAMPTZ NOT NULL,
    decided_by     TEXT REFERENCES users (id),
    decided_at     TIMESTAMPTZ,
    decision_note  TEXT
);
CREATE INDEX referrer_requests_by_status ON referrer_requests (status, requested_at);

CREATE TABLE referring_providers (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    organisation  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- A referral from a referring provider to a certified professional. Everything about the
-- client (name, contact, reason, notes, consent) is sealed under the referral's own data key;
-- the columns in clear are what routing and the status page need. `status` is `sent`,
-- `accepted`, `declined` or `withdrawn`.
CREATE TABLE referrals (
    id               TEXT PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    sender_id        TEXT NOT NULL REFERENCES users (id),
    recipient_id     TEXT NOT NULL REFERENCES users (id),
    urgency          TEXT NOT NULL,
    status           TEXT NOT NULL,
    contents_sealed  BYTEA NOT NULL,
    response_sealed  BYTEA,
    sent_at          TIMESTAMPTZ NOT NULL,
    responded_at     TIMESTAMPTZ
);
CREATE INDEX referrals_by_sender ON referrals (sender_id, sent_at);
CREATE INDEX referrals_by_recipient ON referrals (recipient_id, sent_at);

CREATE TABLE referral_documents (
    id           TEXT PRIMARY KEY,
    referral_id  TEXT NOT NULL REFERENCES referrals (id),
    position     INTEGER NOT NULL,
    media_type   TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    object_path  TEXT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX referral_documents_by_referral ON referral_documents (referral_id, position);
