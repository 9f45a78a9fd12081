-- Version 9: every named pool's holder count, kept by triggers in the same
-- transaction as the membership it counts. Each rule grant checks it to
-- keep the pool within its seats; counting the members instead grew with
-- the pool and made an identity provider's initial import quadratic.
CREATE TABLE pool_holders (
    pool_id TEXT PRIMARY KEY,
    n       BIGINT NOT NULL
);
INSERT INTO pool_holders (pool_id, n)
    SELECT pool_id, count(*) FROM members WHERE state = 'active' AND revoked_at = 0 GROUP BY pool_id;

CREATE TRIGGER members_holders_insert AFTER INSERT ON members
WHEN NEW.state = 'active' AND NEW.revoked_at = 0
BEGIN
    INSERT INTO pool_holders (pool_id, n) VALUES (NEW.pool_id, 1)
        ON CONFLICT (pool_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER members_holders_delete AFTER DELETE ON members
WHEN OLD.state = 'active' AND OLD.revoked_at = 0
BEGIN
    UPDATE pool_holders SET n = n - 1 WHERE pool_id = OLD.pool_id;
END;

CREATE TRIGGER members_holders_update AFTER UPDATE OF pool_id, state, revoked_at ON members
BEGIN
    UPDATE pool_holders SET n = n - 1
        WHERE pool_id = OLD.pool_id AND OLD.state = 'active' AND OLD.revoked_at = 0;
    INSERT INTO pool_holders (pool_id, n)
        SELECT NEW.pool_id, 1 WHERE NEW.state = 'active' AND NEW.revoked_at = 0
        ON CONFLICT (pool_id) DO UPDATE SET n = n + 1;
END;
