-- Version 17: the licence console searches and pages through people by index,
-- never by a scan (100,000 people). display_name_lower keeps the display name
-- folded as the identity keys are (the store refolds it in Go after this
-- file: lower() is ASCII-only here).
-- Each search index is partial, one per state, so the active and inactive
-- filters are ranges too (an index led by active tempts the planner into a
-- skip scan and a sort), and ends with user_name_lower, which makes every
-- row's position unique for keyset paging. Each holds the other folded keys
-- too: a search skips, inside the index, the people listed under another
-- key, without reading their rows. A person's audit trail uses the audit
-- indexes of version 18.
ALTER TABLE users ADD COLUMN display_name_lower TEXT NOT NULL DEFAULT '';
UPDATE users SET display_name_lower = lower(trim(display_name));
CREATE INDEX users_search_name_active ON users (user_name_lower, display_name_lower, email_lower, employee_id_lower) WHERE active = 1;
CREATE INDEX users_search_name_inactive ON users (user_name_lower, display_name_lower, email_lower, employee_id_lower) WHERE active = 0;
CREATE INDEX users_search_display_active ON users (display_name_lower, user_name_lower, email_lower, employee_id_lower) WHERE active = 1;
CREATE INDEX users_search_display_inactive ON users (display_name_lower, user_name_lower, email_lower, employee_id_lower) WHERE active = 0;
CREATE INDEX users_search_email_active ON users (email_lower, user_name_lower, display_name_lower, employee_id_lower) WHERE active = 1;
CREATE INDEX users_search_email_inactive ON users (email_lower, user_name_lower, display_name_lower, employee_id_lower) WHERE active = 0;
CREATE INDEX users_search_employee_active ON users (employee_id_lower, user_name_lower, display_name_lower, email_lower) WHERE active = 1;
CREATE INDEX users_search_employee_inactive ON users (employee_id_lower, user_name_lower, display_name_lower, email_lower) WHERE active = 0;
