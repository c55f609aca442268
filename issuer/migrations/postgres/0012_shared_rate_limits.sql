-- Rate limits and the back-off of failed tries, shared by every issuer
-- instance on the database. Keys are blind indexes of the client address
-- (and document): no address is stored.
-- UNLOGGED: counts written on every limited request skip the WAL; a crash
-- of the server empties them, which only forgives the counts of a minute.
CREATE UNLOGGED TABLE rate_counts (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,          -- Unix seconds, a multiple of 60
    hits         BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE UNLOGGED TABLE backoffs (
    key        TEXT PRIMARY KEY,
    failures   BIGINT NOT NULL,
    not_before BIGINT NOT NULL             -- the next try may not come before
);
