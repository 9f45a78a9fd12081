-- Version 7: group-based licensing. A pool assigned to a SCIM group gives
-- every active member of the group a seat sourced "scim-group:NAME" (the
-- name is read through the join, so a rename needs no rewrite here). The
-- grant goes with its group or its pool.
CREATE TABLE group_grants (
    group_id   TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    pool_id    TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    granted_by TEXT NOT NULL DEFAULT '',
    since      BIGINT NOT NULL,
    PRIMARY KEY (group_id, pool_id)
);
CREATE INDEX group_grants_pool ON group_grants (pool_id, group_id);
