-- Venue names came from residents' uploads, so one resident could rename a
-- venue for everyone who had been there. They now come only from the
-- operator's registry import (`issuer venues import`), in English and
-- Chinese; the names residents wrote are not kept.
DROP TABLE venues;

CREATE TABLE venues (
    id          TEXT PRIMARY KEY,
    name_en     TEXT NOT NULL,
    name_zh     TEXT,
    imported_at BIGINT NOT NULL
);
