-- What is in force, read in pages by (expiry, token_id) from these indexes
-- alone (store::codes::InForce), never from the tables, which keep 90 days
-- of codes and revocations. A filtered snapshot reads every code in force
-- (7.4 million for the territory); a restore of Redis and every snapshot
-- read every revocation in force. Each index serves what the index by
-- expiry it replaces served (purge, re-evaluation) by its first column.
CREATE INDEX codes_in_force ON codes (valid_until, token_id, issued_at);
DROP INDEX codes_by_expiry;

CREATE INDEX revocations_in_force ON revocations (until_at, token_id, reason, revoked_at);
DROP INDEX revocations_by_until;
