-- Resident accounts, verification, PINs, sessions, visit records, staff and audit.
-- Portable SQL: it runs on SQLite and PostgreSQL alike (TEXT, BIGINT, BYTEA,
-- random text ids, no autoincrement). Instants are Unix seconds (UTC).
-- Columns ending in _enc hold XChaCha20-Poly1305 ciphertext under the data
-- key, which is never in the database; columns ending in _index are keyed
-- blind indexes (HMAC) for lookups without decrypting.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id                TEXT PRIMARY KEY,    -- random; the application reference
    id_index          TEXT NOT NULL,       -- blind index of the normalised ID document
    issue_index       TEXT NOT NULL,       -- blind index of document + date of issue
    doc_type          TEXT NOT NULL,       -- HKID, PERMIT, PASSPORT-GBR ... (not personal alone)
    name_enc          BYTEA NOT NULL,
    id_document_enc   BYTEA NOT NULL,
    date_of_issue_enc BYTEA NOT NULL,
    phone_enc         BYTEA NOT NULL,
    address_enc       BYTEA NOT NULL,
    route             TEXT NOT NULL,       -- housing, proof, letter, post_office, refused
    status            TEXT NOT NULL,       -- review, letter, post_office, pin_sent, active, refused, superseded
    priority          BIGINT NOT NULL,     -- 0: proof or public housing; 1: the others
    building_id       TEXT,                -- place id of the public housing block, when matched
    password_hash     TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    activated_at      BIGINT
);
-- One account per ID document: pending applications never block one another
-- (nobody can squat a number), but only one may ever be active.
CREATE UNIQUE INDEX accounts_one_active_per_document ON accounts (id_index) WHERE status = 'active';
CREATE INDEX accounts_by_document ON accounts (id_index);
CREATE INDEX accounts_queue ON accounts (status, priority, created_at);

CREATE TABLE proofs (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    content_enc BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE housing_residents (
    match_index TEXT PRIMARY KEY,          -- blind index of document + normalised address
    building_id TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);

-- One live PIN per account and channel; a new one replaces the old.
CREATE TABLE pins (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    channel    TEXT NOT NULL,              -- sms or letter
    pin_hash   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failures   BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT,
    PRIMARY KEY (account_id, channel)
);

CREATE TABLE letters (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    kind        TEXT NOT NULL,             -- activation or post_office
    priority    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    exported_at BIGINT
);
CREATE INDEX letters_pending ON letters (exported_at, priority, created_at);

CREATE TABLE sms_outbox (
    id         TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id),
    purpose    TEXT NOT NULL,              -- pin or notice
    phone_enc  BYTEA NOT NULL,
    body_enc   BYTEA NOT NULL,
    status     TEXT NOT NULL,              -- queued, sent, failed
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_by_account ON sms_outbox (account_id, created_at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE venues (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE visits (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    venue_id    TEXT NOT NULL,
    check_in    BIGINT NOT NULL,
    check_out   BIGINT,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, venue_id, check_in)
);
-- Who was at a place in a window: re-evaluation after a designation.
CREATE INDEX visits_by_venue ON visits (venue_id, check_in);

CREATE TABLE staff (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,              -- reviewer, post_office, health_authority, admin
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

-- Append-only and hash-chained: each entry's hash covers the previous one,
-- so an edited or deleted entry breaks the chain.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
