-- Version 5: ticket text search that folds case in every script. SQLite's
-- lower() folds ASCII only, so "Über" never matched "über"; the folded text
-- is now written by Seatkeeper (Go's Unicode case folding) when a ticket is
-- created (title and description do not change afterwards).

ALTER TABLE tickets ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE tickets SET search = lower(title) || ' ' || lower(description);
