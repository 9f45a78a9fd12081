-- Version 8: SCIM at scale.
--
-- The SCIM attributes of a person that Seatkeeper stores without modelling
-- them (title, phone numbers, addresses …), as a JSON object, so an
-- identity provider reading a person back finds what it wrote and does not
-- rewrite it on every cycle.
ALTER TABLE users ADD COLUMN scim_extra TEXT NOT NULL DEFAULT '{}';

-- Every rule grant counts a named pool's holders to keep it within its
-- seats; during an identity provider's initial import that happens for
-- every joiner, so the count reads this (covering) index alone.
CREATE INDEX members_pool_held ON members (pool_id, state, revoked_at) WHERE revoked_at = 0 AND state = 'active';

-- Loading a person reads each membership's last use from the leases; keyed
-- by pool alone that read walked every lease of a busy concurrent pool.
CREATE INDEX leases_user_pool ON leases (user_id, pool_id, started_at);
