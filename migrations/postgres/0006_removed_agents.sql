-- 0006: agents who leave the company.
-- Never edit a migration once applied: add the next number instead.

-- An agent's row stays (their conversations and reports still name them), but a removed
-- agent cannot sign in, has no sessions, and is given nothing; the server puts whatever they
-- still had back in the queue.
ALTER TABLE agents ADD COLUMN removed_at TEXT;

-- Expired sessions are purged by expiry; this keeps that a range scan.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_agent ON sessions (agent_id);
