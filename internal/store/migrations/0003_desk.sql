-- Version 3: the service desk (DESIGN §3.4, §3.5) — tickets with their notes
-- and history, the knowledge base, integrations with their calls and
-- proposals, and local accounts with browser sessions. Times are unix
-- microseconds (0 = unset), booleans 0/1, lists JSON text, as in version 1.

CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    requester   TEXT NOT NULL,
    assignee    TEXT NOT NULL DEFAULT '',
    priority    TEXT NOT NULL,
    category    TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX tickets_state ON tickets (state, seq);
CREATE INDEX tickets_requester ON tickets (requester, seq);
CREATE INDEX tickets_assignee ON tickets (assignee, seq);

-- Notes and history keep their insertion order in a serial id: several rows
-- written by one change share one instant.
CREATE TABLE ticket_notes (
    id          {{serial}},
    ticket_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    author      TEXT NOT NULL DEFAULT '',
    author_id   TEXT NOT NULL DEFAULT '',
    acting_user TEXT NOT NULL DEFAULT '',
    via         TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, at);

CREATE TABLE ticket_history (
    id          {{serial}},
    ticket_id   TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    acting_user TEXT NOT NULL DEFAULT '',
    via         TEXT NOT NULL DEFAULT '',
    field       TEXT NOT NULL,
    from_value  TEXT NOT NULL DEFAULT '',
    to_value    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, at);

-- Ticket numbers come from a counter row updated in the creating
-- transaction: gapless (a rollback returns the number) and unique (the row
-- lock orders concurrent creates).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket', 0);

CREATE TABLE articles (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    tags       TEXT NOT NULL DEFAULT '[]',
    author     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A deleted integration (deleted_at <> 0) stays for the report; its name is
-- free again.
CREATE TABLE integrations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    mode       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    token_id   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX integrations_name ON integrations (name_lower) WHERE deleted_at = 0;
CREATE INDEX integrations_token ON integrations (token_id);

CREATE TABLE integration_calls (
    id             {{serial}},
    integration_id TEXT NOT NULL,
    at             BIGINT NOT NULL,
    acting_raw     TEXT NOT NULL DEFAULT '',
    acting_user    TEXT NOT NULL DEFAULT '',
    capability     TEXT NOT NULL,
    fulfiller      INTEGER NOT NULL DEFAULT 0,
    licensed       INTEGER NOT NULL DEFAULT 0,
    outcome        TEXT NOT NULL,
    ticket_id      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX integration_calls_time ON integration_calls (integration_id, at);

CREATE TABLE proposals (
    id             TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL DEFAULT '',
    ticket_id      TEXT NOT NULL,
    capability     TEXT NOT NULL,
    change         TEXT NOT NULL,
    acting_raw     TEXT NOT NULL DEFAULT '',
    acting_user    TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     BIGINT NOT NULL DEFAULT 0,
    reason         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX proposals_state ON proposals (state, created_at);

CREATE TABLE accounts (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Browser sessions are stored by the hash of the cookie's secret.
CREATE TABLE web_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    seat_session TEXT NOT NULL DEFAULT '',
    csrf         TEXT NOT NULL,
    method       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
