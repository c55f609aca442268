-- Health-authority and immigration records, the building directory, the codes
-- issued from them, and the revocations that take codes back.
-- Portable as 0001: TEXT, BIGINT, text ids, partial indexes, Unix seconds (UTC).

-- One submission of records: an API call, or a chunk of an imported file. Its
-- digest covers every record version it added and is written into the audit
-- chain, so a record inserted, edited or deleted afterwards shows
-- (`issuer audit verify`).
CREATE TABLE feed_batches (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,          -- statuses, designations, arrivals
    source       TEXT NOT NULL,          -- api, or import:<file name>
    submitted_by TEXT NOT NULL,          -- staff:<id>
    submitted_at BIGINT NOT NULL,
    records      BIGINT NOT NULL,
    digest       TEXT NOT NULL
);

-- Records are versions. A correction (or a withdrawal) adds a version and
-- points the one it replaces at it; nothing is deleted, so every fact keeps
-- its history, and who submitted each version (through its batch).
-- person_index is the blind index of the ID document, as accounts.id_index:
-- a person need not have an account for the health authority to record them.
CREATE TABLE statuses (
    id           TEXT PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES feed_batches (id),
    person_index TEXT NOT NULL,
    kind         TEXT NOT NULL,
    start_at     BIGINT NOT NULL,
    end_at       BIGINT,
    withdrawn    BIGINT NOT NULL,        -- 1: entered in error, counts for nothing
    replaced_by  TEXT
);
CREATE UNIQUE INDEX statuses_current ON statuses (person_index, kind, start_at) WHERE replaced_by IS NULL;
CREATE INDEX statuses_by_batch ON statuses (batch_id);

CREATE TABLE designations (
    id           TEXT PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES feed_batches (id),
    place        TEXT NOT NULL,          -- venue or building place id
    start_at     BIGINT NOT NULL,
    end_at       BIGINT,
    withdrawn    BIGINT NOT NULL,
    replaced_by  TEXT
);
CREATE UNIQUE INDEX designations_current ON designations (place, start_at) WHERE replaced_by IS NULL;
CREATE INDEX designations_by_batch ON designations (batch_id);

CREATE TABLE arrivals (
    id           TEXT PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES feed_batches (id),
    person_index TEXT NOT NULL,
    arrived_at   BIGINT NOT NULL,
    origin       TEXT NOT NULL,
    scheme       TEXT,
    quarantine   TEXT NOT NULL,
    withdrawn    BIGINT NOT NULL,
    replaced_by  TEXT
);
CREATE UNIQUE INDEX arrivals_current ON arrivals (person_index, arrived_at) WHERE replaced_by IS NULL;
CREATE INDEX arrivals_by_batch ON arrivals (batch_id);

-- The building directory: building addresses (public data) and their place ids.
CREATE TABLE buildings (
    match_key   TEXT PRIMARY KEY,        -- the address as matched (upper case, words)
    building_id TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
-- accounts.building_id now holds the residence of every account whose address
-- was matched (public housing database or building directory), not only housing.
CREATE INDEX accounts_by_building ON accounts (building_id) WHERE building_id IS NOT NULL;

-- Every code issued: what was signed, for whom, and why.
CREATE TABLE codes (
    token_id    TEXT PRIMARY KEY,        -- 24 hex digits
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    seq         BIGINT NOT NULL,         -- the account's codes in issue order (issued_at is whole seconds)
    kid         TEXT NOT NULL,
    colour      TEXT NOT NULL,
    reasons     TEXT NOT NULL,           -- reason ids, space-separated
    token       TEXT NOT NULL,           -- the HC1: text, to show the QR code again
    issued_at   BIGINT NOT NULL,
    valid_until BIGINT NOT NULL
);
CREATE INDEX codes_by_account ON codes (account_id, valid_until);
CREATE UNIQUE INDEX codes_in_order ON codes (account_id, seq);
CREATE INDEX codes_by_expiry ON codes (valid_until);

-- Revocations: the source of truth, and the outbox to Redis. A row is written
-- in the transaction that decides it; published_at is set once Redis has it.
CREATE TABLE revocations (
    token_id     TEXT PRIMARY KEY,
    reason       TEXT NOT NULL,          -- superseded, risk_changed, ...
    revoked_at   BIGINT NOT NULL,
    until_at     BIGINT NOT NULL,        -- when the revoked code expires anyway
    revoked_by   TEXT NOT NULL,          -- resident:<id>, reevaluation:<id>, cli
    published_at BIGINT
);
CREATE INDEX revocations_unpublished ON revocations (revoked_at) WHERE published_at IS NULL;
CREATE INDEX revocations_by_until ON revocations (until_at);

-- Re-evaluations owed after a batch of records: at once, and again when a
-- record that starts later in the day comes into force.
CREATE TABLE reevaluations (
    id           TEXT PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES feed_batches (id),
    run_at       BIGINT NOT NULL,
    starts_after BIGINT,                 -- only records starting in (starts_after, run_at]; NULL: all
    done_at      BIGINT,
    examined     BIGINT,
    revoked      BIGINT
);
CREATE INDEX reevaluations_due ON reevaluations (run_at) WHERE done_at IS NULL;
