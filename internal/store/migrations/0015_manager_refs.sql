-- Version 15: a manager reference to someone not provisioned yet is kept
-- as sent (manager_ref, folded in manager_ref_lower) and resolves to
-- manager_id when that person arrives: identity providers do not order
-- their creates.
ALTER TABLE users ADD COLUMN manager_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN manager_ref_lower TEXT NOT NULL DEFAULT '';
CREATE INDEX users_manager_ref ON users (manager_ref_lower) WHERE manager_ref_lower <> '';
