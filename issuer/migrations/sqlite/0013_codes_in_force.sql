-- The codes in force, in pages: a filtered snapshot reads every one (7.4
-- million for the territory) by (valid_until, token_id) from this index
-- alone, never from the table, where 90 days of codes are kept. It serves
-- what the index by expiry served (purge, re-evaluation) by its first column.
CREATE INDEX codes_in_force ON codes (valid_until, token_id, issued_at);
DROP INDEX codes_by_expiry;
