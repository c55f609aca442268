-- When a reviewer decided an application (it left `review`): an address
-- proof is kept only for the appeal window after that (docs/retention.md).
ALTER TABLE accounts ADD COLUMN decided_at BIGINT;
