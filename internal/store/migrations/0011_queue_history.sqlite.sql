-- Version 11: queue places are kept as history by triggers, so every path
-- that queues or seats a person (checkout, revocation, reconciliation,
-- expiry of a stale place) records it in the same transaction. A place ends
-- seated when the person holds a lease of the pool as it is removed; the
-- wait then ends at that lease's start, otherwise at the last time the
-- person was seen waiting.
CREATE TRIGGER queue_history_join AFTER INSERT ON queue_entries
BEGIN
    INSERT INTO queue_history (pool_id, user_id, joined_at) VALUES (NEW.pool_id, NEW.user_id, NEW.enqueued_at);
END;

CREATE TRIGGER queue_history_leave AFTER DELETE ON queue_entries
BEGIN
    UPDATE queue_history SET
        left_at = COALESCE((SELECT MAX(started_at) FROM leases WHERE pool_id = OLD.pool_id AND user_id = OLD.user_id AND ended_at = 0), OLD.last_seen),
        seated = (SELECT count(*) FROM leases WHERE pool_id = OLD.pool_id AND user_id = OLD.user_id AND ended_at = 0)
    WHERE pool_id = OLD.pool_id AND user_id = OLD.user_id AND left_at = 0;
END;
