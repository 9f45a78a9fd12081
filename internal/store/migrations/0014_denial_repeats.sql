-- Version 14: repeated denials of one (actor, person, pool, capability,
-- reason) within a second are kept on one row and one audit entry with a
-- count, so one token cannot grow the audit log without bound. A row stands
-- for 1 + repeats denials.
ALTER TABLE denials ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
