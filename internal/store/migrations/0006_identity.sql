-- Version 6: identity. The SCIM-only attributes of a person (names, emails,
-- organisation, manager), SCIM groups with their members, entitlement rules
-- with their history, and the leaver timings (DESIGN §3.6).

ALTER TABLE users ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN organization TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN division TEXT NOT NULL DEFAULT '';
-- manager_id is a user id or '' (no foreign key: a manager may be deleted
-- before their reports are updated, as identity providers do it).
ALTER TABLE users ADD COLUMN manager_id TEXT NOT NULL DEFAULT '';
-- emails is JSON text: [{"value":"…","type":"work","primary":true}].
ALTER TABLE users ADD COLUMN emails TEXT NOT NULL DEFAULT '[]';
-- scim_version is the ETag counter, bumped by every identity write.
ALTER TABLE users ADD COLUMN scim_version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE groups (
    id                 TEXT PRIMARY KEY,
    display_name       TEXT NOT NULL,
    display_name_lower TEXT NOT NULL UNIQUE,
    external_id        TEXT NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX groups_external_id ON groups (lower(external_id));

CREATE TABLE group_members (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

-- Rules keep their body as JSON text (the entitle package owns its shape);
-- a deleted rule stays (deleted_at <> 0) so grants can still name it.
CREATE TABLE rules (
    id         TEXT PRIMARY KEY,
    version    BIGINT NOT NULL,
    priority   BIGINT NOT NULL DEFAULT 0,
    body       TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE rule_versions (
    rule_id    TEXT NOT NULL,
    version    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    changed_by TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL,
    PRIMARY KEY (rule_id, version)
);

-- provisioning_events time a leaver: from the identity provider's call to
-- the last revocation.
CREATE TABLE provisioning_events (
    id           {{serial}},
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    completed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX provisioning_events_user ON provisioning_events (user_id, received_at);
