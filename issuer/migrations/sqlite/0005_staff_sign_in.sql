-- Staff sign in to the web consoles with their name, a password and a
-- one-time code from an authenticator app (TOTP, RFC 6238), set up once with
-- the token that `issuer staff add` printed. The TOTP secret is sealed under
-- the data key like every secret here; the last step used is kept so that a
-- code works once. Rotating a member's credentials clears all three, and the
-- member sets them up again with the new token.
ALTER TABLE staff ADD COLUMN password_hash TEXT;
ALTER TABLE staff ADD COLUMN totp_secret_enc BYTEA;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- A console session: a random token given once as a cookie, stored only as
-- a keyed hash. A disabled member's sessions stop at once (the lookup joins
-- on staff.disabled_at).
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);
