-- 0003: what a handoff carries, kept with its conversation so any agent who opens it, now or
-- later, sees why the visitor asked for a person and what the bot had tried.
-- Never edit a migration once applied: add the next number instead.

-- The reason as the protocol names it (ito_protocol::chat::HandoffReason).
ALTER TABLE conversations ADD COLUMN handoff_reason TEXT;
-- The widget's context as the protocol's JSON (ito_protocol::chat::HandoffContext).
ALTER TABLE conversations ADD COLUMN handoff_context JSONB;
