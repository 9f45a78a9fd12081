-- Version 2 tunes PostgreSQL's storage of the hot slot rows
-- (0002_slot_storage.postgres.sql); SQLite has no such settings.
SELECT 1;
