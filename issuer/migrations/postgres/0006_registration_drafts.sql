-- A registration on the web site in progress: the answers so far and the
-- address proof, sealed, under a random token (the hc_draft cookie), stored
-- as a keyed hash. It lasts 45 minutes from the last step, as the real
-- form allowed, and is deleted when sent or when a newer draft is saved
-- after it expired.
CREATE TABLE registration_drafts (
    token_hash  TEXT PRIMARY KEY,
    answers_enc BYTEA NOT NULL,
    proof_enc   BYTEA,
    expires_at  BIGINT NOT NULL
);
