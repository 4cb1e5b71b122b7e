-- 0009: what the bot did with each visitor question, for the site owner's content gaps and
-- per-article figures; and the suggestions that come from agents' answers.
-- Never edit a migration once applied: add the next number instead.

-- One row per bot reply, as the widget reports it (`line` is the bot's line in the widget's
-- thread, so a report sent twice is kept once). `outcome` is answered (with `article`),
-- suggested (several offered) or unsure. `helpful` is the visitor's "Did this help?";
-- `handed_off` marks the last reply before the visitor was handed to a person.
CREATE TABLE bot_turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    line            INTEGER NOT NULL,
    site            TEXT NOT NULL,
    locale          TEXT NOT NULL,
    question        TEXT NOT NULL,
    article_id      TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('answered', 'suggested', 'unsure')),
    helpful         INTEGER CHECK (helpful IN (0, 1)),
    handed_off      INTEGER NOT NULL DEFAULT 0 CHECK (handed_off IN (0, 1)),
    at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (conversation_id, line)
) STRICT;

CREATE INDEX bot_turns_by_time ON bot_turns (site, locale, at);

-- "Asked X; the agent answered with Y: add X as a way of asking Y?" One per conversation and
-- article (an agent inserting the same article twice suggests once). `decided_by` and
-- `decided_at` say who accepted or dismissed it.
CREATE TABLE kb_suggestions (
    id              TEXT PRIMARY KEY NOT NULL,
    site            TEXT NOT NULL,
    locale          TEXT NOT NULL,
    question        TEXT NOT NULL,
    article_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    agent_id        TEXT NOT NULL REFERENCES agents (id),
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'accepted', 'dismissed')),
    decided_by      TEXT REFERENCES agents (id),
    decided_at      TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (conversation_id, article_id)
) STRICT;

CREATE INDEX kb_suggestions_open ON kb_suggestions (site, locale, status);
