-- When an account's personal fields were erased: at its holder's request
-- (closed), or once a refused or superseded application is past its time
-- (docs/retention.md). The row stays so that the audit log's entries about
-- it still point somewhere.
ALTER TABLE accounts ADD COLUMN erased_at BIGINT;
