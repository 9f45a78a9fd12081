-- Slot rows are rewritten on every checkout and logout: leave room on each
-- page for HOT updates and vacuum them early, so the slot search never wades
-- through dead row versions.
ALTER TABLE pool_slots SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 500);
