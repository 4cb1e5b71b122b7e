-- 0011: labels. Admins define a site's labels; agents put them on conversations, filter the
-- inbox by them, and the report can be cut by one. A label taken off a site's list stays on
-- the conversations that have it (past reports keep their meaning).
-- Never edit a migration once applied: add the next number instead.
CREATE TABLE labels (
    site       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (site, name)
) STRICT;

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    label           TEXT NOT NULL,
    added_by        TEXT REFERENCES agents (id),
    added_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (conversation_id, label)
) STRICT;

CREATE INDEX conversation_labels_by_label ON conversation_labels (label);
