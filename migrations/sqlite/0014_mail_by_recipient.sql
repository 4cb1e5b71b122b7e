-- 0014: mail by its recipient, whatever the case of the address: how many transcripts went to
-- one address lately is counted before another is queued (src/mail/follow_up.rs), so nobody
-- can have Ito fill someone else's inbox by asking from many conversations.
-- Never edit a migration once applied: add the next number instead.
CREATE INDEX mail_outbox_by_recipient ON mail_outbox (lower(recipient), created_at);
