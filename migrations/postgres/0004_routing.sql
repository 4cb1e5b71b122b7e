-- 0004: what routing and the queue's expected wait need.
-- Never edit a migration once applied: add the next number instead.

-- How many open conversations an agent takes at once; auto-assignment gives the next
-- conversation to the online agent with the most room left.
ALTER TABLE agents ADD COLUMN capacity BIGINT NOT NULL DEFAULT 3 CHECK (capacity BETWEEN 1 AND 100);

-- When an agent took the conversation (RFC 3339, UTC): a site's recent waits, from
-- handed_off_at to this, give waiting visitors an expected wait.
ALTER TABLE conversations ADD COLUMN assigned_at TEXT;

-- When the agent resolved it or the visitor ended it (RFC 3339, UTC).
ALTER TABLE conversations ADD COLUMN closed_at TEXT;
