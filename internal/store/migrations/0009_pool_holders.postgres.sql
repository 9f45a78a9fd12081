-- Version 9: every named pool's holder count, kept by a trigger in the same
-- transaction as the membership it counts. Each rule grant checks it to
-- keep the pool within its seats; counting the members instead grew with
-- the pool and made an identity provider's initial import quadratic.
CREATE TABLE pool_holders (
    pool_id TEXT PRIMARY KEY,
    n       BIGINT NOT NULL
);
INSERT INTO pool_holders (pool_id, n)
    SELECT pool_id, count(*) FROM members WHERE state = 'active' AND revoked_at = 0 GROUP BY pool_id;

CREATE FUNCTION members_holders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'active' AND OLD.revoked_at = 0 THEN
        UPDATE pool_holders SET n = n - 1 WHERE pool_id = OLD.pool_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'active' AND NEW.revoked_at = 0 THEN
        INSERT INTO pool_holders (pool_id, n) VALUES (NEW.pool_id, 1)
            ON CONFLICT (pool_id) DO UPDATE SET n = pool_holders.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_holders AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION members_holders();
