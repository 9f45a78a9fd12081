-- Version 12: seats taken through an integration are held only briefly and
-- capped (DESIGN §3.5). An integration has a hold (how long a seat it took
-- lives after its last call) and a cap on the seats of one pool it holds at
-- once (0: a tenth of the pool, at least one). A session an integration
-- started, and a lease such a session took, name the integration.
ALTER TABLE integrations ADD COLUMN hold_ms BIGINT NOT NULL DEFAULT 60000;
ALTER TABLE integrations ADD COLUMN max_seats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN integration_id TEXT NOT NULL DEFAULT '';
ALTER TABLE leases ADD COLUMN integration_id TEXT NOT NULL DEFAULT '';
ALTER TABLE leases ADD COLUMN hold_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX leases_integration ON leases (integration_id, pool_id) WHERE ended_at = 0 AND integration_id <> '';
