-- Residents' requests to correct a record behind their code (docs/appeals.md).
-- The statement and the evidence are personal data: sealed under the data key.
CREATE TABLE appeals (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    ground          TEXT NOT NULL,          -- status, designation, residence, arrival
    state           TEXT NOT NULL,          -- open, upheld, rejected
    statement_enc   BYTEA NOT NULL,
    evidence_type   TEXT,                   -- media type, when evidence was given
    evidence_enc    BYTEA,
    lodged_at       BIGINT NOT NULL,
    due_at          BIGINT NOT NULL,        -- the decision deadline
    decided_at      BIGINT,
    decided_by      TEXT,                   -- the staff id (the audit log names them too)
    reason_enc      BYTEA,                  -- the decision's reason, told to the resident
    corrected_batch TEXT                    -- the feed batch that corrected the record
);
-- The queue, oldest deadline first, per ground.
CREATE INDEX appeals_open ON appeals (state, ground, due_at);
CREATE INDEX appeals_by_account ON appeals (account_id, lodged_at);
