-- Version 13: identity keys are compared folded (NFKC and case folding,
-- licensing.FoldKey), so a full-width or differently cased look-alike names
-- the same person. Employee and external IDs get kept folded columns like
-- user_name_lower and email_lower; the lower() backfill is exact for ASCII,
-- and the store then refolds every row in Go (rekeyIdentities).
ALTER TABLE users ADD COLUMN employee_id_lower TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN external_id_lower TEXT NOT NULL DEFAULT '';
UPDATE users SET employee_id_lower = lower(employee_id), external_id_lower = lower(external_id);
DROP INDEX users_employee_id;
DROP INDEX users_external_id;
CREATE INDEX users_employee_id ON users (employee_id_lower);
CREATE INDEX users_external_id ON users (external_id_lower);
