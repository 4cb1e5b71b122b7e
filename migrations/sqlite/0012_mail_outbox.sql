-- 0012: mail to visitors (an agent's reply to someone who left, a transcript they asked for),
-- kept until the SMTP server accepts it. A mail server that is down delays mail, never loses
-- it: each try that fails sets when the next may be made; a node sending a mail holds it for
-- a while (leased_until) so another node does not send it at the same time.
-- Never edit a migration once applied: add the next number instead.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    site            TEXT NOT NULL,
    conversation_id TEXT REFERENCES conversations (id),
    -- 'reply' or 'transcript'.
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    leased_until    TEXT,
    last_error      TEXT,
    -- Accepted by the SMTP server; or refused by it for good (a 5xx reply).
    sent_at         TEXT,
    failed_at       TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_by_conversation ON mail_outbox (conversation_id);
