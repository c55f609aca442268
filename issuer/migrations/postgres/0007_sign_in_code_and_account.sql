-- A resident signs in with the password and then a one-time code sent by
-- SMS to the verified phone. The challenge ties the code to the browser or
-- app that gave the right password; both are stored only as keyed hashes.
CREATE TABLE sign_in_codes (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    code_hash  TEXT NOT NULL,
    failures   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sign_in_codes_by_account ON sign_in_codes (account_id);

-- The language of the resident's SMS and letters: en or zh-HK.
ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT 'en';

-- A new phone number waiting for the PIN sent to it (sealed like phone_enc).
ALTER TABLE accounts ADD COLUMN new_phone_enc BYTEA;
