-- 0007: presence across nodes (PostgreSQL only: with SQLite there is one node, and presence
-- lives in its memory).
-- Never edit a migration once applied: add the next number instead.

-- One row per open console connection, per node. Each node replaces its rows every few
-- seconds; rows not refreshed for 30 s belong to a dead node and are swept by any other, so a
-- dead node's agents stop being offered conversations. `last_seen` is the database's clock.
CREATE TABLE seats (
    node       TEXT NOT NULL,
    connection BIGINT NOT NULL,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    online     BOOLEAN NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (node, connection)
);

CREATE INDEX seats_by_last_seen ON seats (last_seen);
