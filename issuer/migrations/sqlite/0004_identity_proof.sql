-- Knowing a tenant's document number and address was enough to receive
-- their PIN. The housing route now sends a PIN by SMS only to the phone the
-- Housing Authority holds for the tenant (sealed, like every phone here);
-- any other phone gets a letter to the tenancy address, and the tenant a
-- notice. The Immigration Department's register of identity cards is held
-- as keyed blind indexes of document, date of issue and name, never the
-- data itself.
ALTER TABLE housing_residents ADD COLUMN phone_enc BYTEA;

CREATE TABLE id_register (
    entry_index TEXT PRIMARY KEY,
    imported_at BIGINT NOT NULL
);

-- Whether the application's document, date of issue and name were in the
-- register: matched, mismatched, or unchecked (no register loaded).
ALTER TABLE accounts ADD COLUMN register_check TEXT NOT NULL DEFAULT 'unchecked';
