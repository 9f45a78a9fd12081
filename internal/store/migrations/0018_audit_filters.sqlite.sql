-- Version 18: the licence console and GET /api/v1/audit page through the
-- audit log newest first by time (at, then seq) and filter it by action,
-- actor, acting user, subject (a prefix) and period, by index, never by a
-- scan (1,000,000 entries). Each filter's index ends with (at, seq), the
-- page order, so a filtered page is a range walked from the cursor with no
-- sort. Most entries have no acting user: its index leaves them out.
CREATE INDEX audit_log_at ON audit_log (at, seq);
CREATE INDEX audit_log_action_at ON audit_log (action, at, seq);
CREATE INDEX audit_log_actor_at ON audit_log (actor, at, seq);
CREATE INDEX audit_log_acting_at ON audit_log (acting_user, at, seq) WHERE acting_user <> '';
CREATE INDEX audit_log_subject_at ON audit_log (subject, at, seq);
