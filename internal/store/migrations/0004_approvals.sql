-- Version 4: change and asset work on tickets, and approvals (DESIGN §3.4,
-- issue 3): a ticket's kind (incident or change) and linked asset tag, and
-- the people asked to approve it with their answers.

ALTER TABLE tickets ADD COLUMN kind TEXT NOT NULL DEFAULT 'incident';
ALTER TABLE tickets ADD COLUMN asset TEXT NOT NULL DEFAULT '';

CREATE TABLE ticket_approvals (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL,
    approver     TEXT NOT NULL,
    requested_by TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ticket_approvals_approver ON ticket_approvals (approver, state, created_at);
CREATE INDEX ticket_approvals_ticket ON ticket_approvals (ticket_id, created_at);
