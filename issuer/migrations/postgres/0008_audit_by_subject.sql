-- A resident may download what is held about them, including the audit
-- entries about their account and their document; this finds those without
-- reading the whole log.
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);
