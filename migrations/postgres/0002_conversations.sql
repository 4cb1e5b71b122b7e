-- 0002: the live chat's store: visitors, conversations, their numbered events, the client ids
-- that make a resent message a no-op, agents and their login sessions.
--
-- A conversation's events are numbered 1, 2, 3... (`seq`) in the order they were committed;
-- `conversations.last_seq` is the newest number, bumped in the same transaction as the insert
-- (with the conversation's row locked), so a reconnecting client can ask for everything after
-- the last number it saw.
-- Never edit a migration once applied: add the next number instead.

CREATE TABLE visitors (
    id          TEXT PRIMARY KEY,
    site        TEXT NOT NULL,
    -- The host page's own id for this person (Ito('identify')), and whether its signature held.
    external_id TEXT,
    name        TEXT,
    email       TEXT,
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL DEFAULT ito_now()
);

CREATE UNIQUE INDEX visitors_by_external_id ON visitors (site, external_id)
    WHERE external_id IS NOT NULL AND verified;

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    -- argon2id PHC string.
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin')),
    created_at    TEXT NOT NULL DEFAULT ito_now()
);

CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    -- The order conversations were made in, named as SQLite's implicit rowid so that one
    -- ORDER BY serves both backends where two share a millisecond.
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY,
    site          TEXT NOT NULL,
    visitor_id    TEXT NOT NULL REFERENCES visitors (id),
    -- bot: only the assistant so far; waiting: handed off, in the queue; assigned: an agent
    -- has it; resolved: the agent closed it; ended: the visitor closed it.
    status        TEXT NOT NULL DEFAULT 'bot'
                  CHECK (status IN ('bot', 'waiting', 'assigned', 'resolved', 'ended')),
    agent_id      TEXT REFERENCES agents (id),
    last_seq      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL DEFAULT ito_now(),
    handed_off_at TEXT
);

CREATE INDEX conversations_by_visitor ON conversations (visitor_id);
CREATE INDEX conversations_waiting ON conversations (site, status);

CREATE TABLE events (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    -- Milliseconds since the Unix epoch, server time.
    at              BIGINT NOT NULL,
    -- The event as the protocol's JSON (ito_protocol::chat::EventKind).
    body            JSONB NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

-- A message's client-generated id, unique per conversation: a resend finds its original here.
CREATE TABLE message_ids (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    client_id       TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, client_id)
);

-- Only a hash of the session token is kept: a stolen database opens no sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    expires_at BIGINT NOT NULL
);
