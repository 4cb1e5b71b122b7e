-- 0007: what several nodes on one database share beyond the events (PostgreSQL only: with
-- SQLite there is one node, and all of this lives in its memory).
-- Never edit a migration once applied: add the next number instead.

-- Each running `ito serve` (a new id at every start), refreshed every few seconds. A node not
-- refreshed for 30 s is dead: any other node deletes it, and with it its seats and visitor
-- connections, so its agents stop being offered conversations. Times are the database's.
CREATE TABLE nodes (
    node      TEXT PRIMARY KEY,
    last_seen TIMESTAMPTZ NOT NULL
);

-- One row per open console connection: who is at a console, and online or away.
CREATE TABLE seats (
    node       TEXT NOT NULL REFERENCES nodes (node) ON DELETE CASCADE,
    connection BIGINT NOT NULL,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    online     BOOLEAN NOT NULL,
    PRIMARY KEY (node, connection)
);

-- One row per open visitor connection: `connections_per_visitor` counts these, whichever node
-- each tab reached, and a waiting visitor connected anywhere is not abandoned.
CREATE TABLE visitor_connections (
    node            TEXT NOT NULL REFERENCES nodes (node) ON DELETE CASCADE,
    connection      BIGINT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    PRIMARY KEY (node, connection)
);

CREATE INDEX visitor_connections_by_conversation ON visitor_connections (conversation_id);
