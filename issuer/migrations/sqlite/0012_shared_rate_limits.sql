-- Rate limits and the back-off of failed tries, shared by every issuer
-- instance on one database. SQLite serves one process, which keeps them in
-- memory; the tables exist so that both engines have one schema.
-- Keys are blind indexes of the client address (and document): no address
-- is stored.
CREATE TABLE rate_counts (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,          -- Unix seconds, a multiple of 60
    hits         BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE backoffs (
    key        TEXT PRIMARY KEY,
    failures   BIGINT NOT NULL,
    not_before BIGINT NOT NULL             -- the next try may not come before
);
