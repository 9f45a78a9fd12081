-- Seatkeeper schema, version 1. One file for both dialects: {{serial}} and
-- {{float}} are replaced per dialect; times are unix microseconds (0 = unset)
-- and booleans are 0/1 so both databases store them alike.

CREATE TABLE skus (
    key           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    tier          TEXT NOT NULL,
    requires      TEXT NOT NULL DEFAULT '[]',
    monthly_price {{float}} NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE pools (
    id              TEXT PRIMARY KEY,
    sku             TEXT NOT NULL REFERENCES skus(key),
    model           TEXT NOT NULL,
    seats           BIGINT NOT NULL,
    starts          BIGINT NOT NULL DEFAULT 0,
    ends            BIGINT NOT NULL DEFAULT 0,
    idle_timeout_ms BIGINT NOT NULL,
    linger_ms       BIGINT NOT NULL DEFAULT 0,
    overdraft       BIGINT NOT NULL DEFAULT 0,
    warn_at         {{float}} NOT NULL,
    reservations    TEXT NOT NULL DEFAULT '{}',
    limits          TEXT NOT NULL DEFAULT '{}',
    queue           TEXT NOT NULL DEFAULT '',
    cooldown_ms     BIGINT NOT NULL DEFAULT 0,
    monthly_price   {{float}} NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- The seat invariant is structural: a concurrent pool has exactly
-- seats+overdraft slot rows and a lease must occupy one, so no interleaving of
-- transactions in any number of processes can hand out more.
CREATE TABLE pool_slots (
    pool_id      TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    slot         BIGINT NOT NULL,
    reserved_for TEXT NOT NULL DEFAULT '',
    overdraft    INTEGER NOT NULL DEFAULT 0,
    lease_id     TEXT,
    -- freed_at is when the slot's last holder let go: the next lease starts
    -- no earlier, so history never shows two holders at once.
    freed_at     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, slot)
);
-- No index on lease_id, on purpose: claiming and freeing a slot then
-- touch no index, which keeps these very hot rows compact (on PostgreSQL the
-- updates stay HOT). A lease records its slot and is freed by (pool, slot).

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    user_name       TEXT NOT NULL,
    user_name_lower TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    email_lower     TEXT NOT NULL DEFAULT '',
    employee_id     TEXT NOT NULL DEFAULT '',
    external_id     TEXT NOT NULL DEFAULT '',
    job_code        TEXT NOT NULL DEFAULT '',
    department      TEXT NOT NULL DEFAULT '',
    cost_center     TEXT NOT NULL DEFAULT '',
    employee_type   TEXT NOT NULL DEFAULT '',
    groups          TEXT NOT NULL DEFAULT '[]',
    kind            TEXT NOT NULL,
    active          INTEGER NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX users_email ON users (email_lower);
CREATE INDEX users_employee_id ON users (lower(employee_id));
CREATE INDEX users_external_id ON users (lower(external_id));

CREATE TABLE user_groups (
    user_id TEXT NOT NULL,
    grp     TEXT NOT NULL,
    PRIMARY KEY (user_id, grp)
);
CREATE INDEX user_groups_grp ON user_groups (grp, user_id);

-- Members are kept after revocation (revoked_at <> 0) as history.
CREATE TABLE members (
    id            {{serial}},
    pool_id       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    source        TEXT NOT NULL,
    state         TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    granted_by    TEXT NOT NULL DEFAULT '',
    since         BIGINT NOT NULL,
    last_used     BIGINT NOT NULL DEFAULT 0,
    revoked_at    BIGINT NOT NULL DEFAULT 0,
    revoked_by    TEXT NOT NULL DEFAULT '',
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX members_active ON members (pool_id, user_id) WHERE revoked_at = 0;
CREATE INDEX members_user ON members (user_id, revoked_at);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    lazy       INTEGER NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL DEFAULT 0,
    end_reason TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);
CREATE INDEX sessions_active ON sessions (last_seen) WHERE ended_at = 0;

-- Leases are kept after they end as history for the utilisation reports.
CREATE TABLE leases (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    slot          BIGINT NOT NULL,
    overdraft     INTEGER NOT NULL DEFAULT 0,
    started_at    BIGINT NOT NULL,
    last_activity BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    logout_at     BIGINT NOT NULL DEFAULT 0,
    ended_at      BIGINT NOT NULL DEFAULT 0,
    end_reason    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX leases_active ON leases (pool_id, user_id) WHERE ended_at = 0;
CREATE INDEX leases_user ON leases (user_id, ended_at);
CREATE INDEX leases_pool_time ON leases (pool_id, started_at);

CREATE TABLE session_leases (
    session_id TEXT NOT NULL,
    lease_id   TEXT NOT NULL,
    PRIMARY KEY (session_id, lease_id)
);
CREATE INDEX session_leases_lease ON session_leases (lease_id);

CREATE TABLE queue_entries (
    pool_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    priority    BIGINT NOT NULL DEFAULT 0,
    enqueued_at BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);

CREATE TABLE denials (
    id         {{serial}},
    at         BIGINT NOT NULL,
    user_id    TEXT NOT NULL,
    pool_id    TEXT NOT NULL DEFAULT '',
    capability TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX denials_at ON denials (at);

CREATE TABLE policy (
    capability TEXT PRIMARY KEY,
    tier       TEXT NOT NULL,
    skus       TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    last_used  BIGINT NOT NULL DEFAULT 0
);

-- Audit entries are written in the business transaction into audit_pending
-- (no shared row, so writers never queue behind one another) and chained
-- into audit_log in commit order by one chainer at a time.
CREATE TABLE audit_pending (
    id          {{serial}},
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    acting_user TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    result      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    acting_user TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    result      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

-- settings holds small facts such as the audit head (seq and hash of the
-- newest chained entry), which lets verify detect a truncated log.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
