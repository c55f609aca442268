-- The indexes by expiry, made covering, as on SQLite, where what is in
-- force is read in pages from them alone (store::codes::InForce). Here the
-- same read streams rows (measured faster: today's rows are too young for
-- an index-only scan to skip the table), and these serve the range
-- `valid_until >= $1` / `until_at >= $1`, the purge and the re-evaluation
-- by their first column as the indexes they replace did; once vacuumed
-- they answer from the index alone.
CREATE INDEX codes_in_force ON codes (valid_until, token_id) INCLUDE (issued_at);
DROP INDEX codes_by_expiry;

CREATE INDEX revocations_in_force ON revocations (until_at, token_id) INCLUDE (reason, revoked_at);
DROP INDEX revocations_by_until;
