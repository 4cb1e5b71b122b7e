-- 0013: files sent in conversations (images, PDFs). The bytes are kept in the folder
-- [server.attachments] names, one file per id; this says what each is and whose. A file is
-- served only to its conversation's visitor (by their token) and to agents.
-- Never edit a migration once applied: add the next number instead.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    -- 'visitor', or the id of the agent who sent it.
    sent_by         TEXT NOT NULL,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            INTEGER NOT NULL,
    -- Hex SHA-256 of the bytes, checked when the file is served.
    sha256          TEXT NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX attachments_by_conversation ON attachments (conversation_id);
