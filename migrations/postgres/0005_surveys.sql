-- 0005: what the satisfaction and effort measures need.
-- Never edit a migration once applied: add the next number instead.

-- When the visitor said the bot's answer solved it (and so was asked the survey): a
-- conversation resolved by the bot, for the deflection rate.
ALTER TABLE conversations ADD COLUMN bot_resolved_at TEXT;

-- One survey answer per conversation (the primary key refuses a second). CSAT is 1-5 ("How
-- satisfied are you with the help you got?"), CES 1-7 ("How easy was it to get your issue
-- resolved?"); either may be skipped, as may the comment.
CREATE TABLE surveys (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id),
    csat            BIGINT CHECK (csat BETWEEN 1 AND 5),
    ces             BIGINT CHECK (ces BETWEEN 1 AND 7),
    comment         TEXT,
    answered_at     TEXT NOT NULL DEFAULT ito_now()
);
