-- Version 10: what the reports need (DESIGN §3.7, §3.1).

-- usage_days keeps each pool's closed UTC days swept from the exact lease
-- and assignment history (report.Day, packed): a report over a year reads
-- a few thousand rows however many leases the year held.
CREATE TABLE usage_days (
    pool_id  TEXT NOT NULL,
    day      BIGINT NOT NULL,
    data     {{blob}} NOT NULL,
    -- spells are kept apart: only the optimiser reads them, so the
    -- utilization figures read a few kilobytes a day whatever the leases.
    spells   {{blob}} NOT NULL,
    built_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, day)
);

-- The day sweep reads the leases still held at a day's start by their end.
CREATE INDEX leases_pool_end ON leases (pool_id, ended_at);
CREATE INDEX sessions_started ON sessions (started_at);
CREATE INDEX denials_pool_at ON denials (pool_id, at);

-- queue_history keeps every queue place after it ends (kept by triggers,
-- version 11): joins, waits and who got a seat.
CREATE TABLE queue_history (
    id        {{serial}},
    pool_id   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    left_at   BIGINT NOT NULL DEFAULT 0,
    seated    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX queue_history_pool ON queue_history (pool_id, joined_at);
CREATE INDEX queue_history_open ON queue_history (pool_id, user_id, left_at);

-- A named pool's dormant-seat policy: after idle_days without use the
-- holder is warned, and grace_days later the seat is reclaimed (action
-- 'reclaim') or only suggested ('suggest').
CREATE TABLE dormant_policies (
    pool_id       TEXT PRIMARY KEY,
    idle_days     BIGINT NOT NULL,
    grace_days    BIGINT NOT NULL,
    action        TEXT NOT NULL,
    undo_days     BIGINT NOT NULL,
    exempt_users  TEXT NOT NULL DEFAULT '[]',
    exempt_groups TEXT NOT NULL DEFAULT '[]',
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT ''
);

-- One notice per dormant holding: warned, then reclaimed, suggested,
-- cleared (the holder came back) or undone by an administrator.
CREATE TABLE dormant_notices (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    state         TEXT NOT NULL,
    last_used     BIGINT NOT NULL DEFAULT 0,
    warned_at     BIGINT NOT NULL,
    reclaim_after BIGINT NOT NULL,
    reclaimed_at  BIGINT NOT NULL DEFAULT 0,
    undo_until    BIGINT NOT NULL DEFAULT 0,
    source        TEXT NOT NULL DEFAULT '',
    resolved_at   BIGINT NOT NULL DEFAULT 0,
    resolved_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dormant_notices_user ON dormant_notices (user_id, state);
-- One open notice per holding, whatever sweeps run at once in several
-- processes.
CREATE UNIQUE INDEX dormant_notices_open ON dormant_notices (pool_id, user_id) WHERE state IN ('warned', 'suggested');
CREATE INDEX dormant_notices_pool ON dormant_notices (pool_id, state);

-- Share links carry a frozen snapshot of one report. A link's token is its
-- id, its key's id and an HMAC of both with that key of share_keys: nothing
-- secret is kept in the link row, and rotating the key retires every link
-- signed with the old one.
CREATE TABLE share_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE share_links (
    id         TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    report     TEXT NOT NULL,
    params     TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    taken_at   BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    revoked_by TEXT NOT NULL DEFAULT '',
    views      BIGINT NOT NULL DEFAULT 0,
    last_view  BIGINT NOT NULL DEFAULT 0
);
