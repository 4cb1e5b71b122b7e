-- 0010: canned replies, per site: what agents insert by typing `/` and a shortcut in the reply
-- box. `text` may hold {visitor_name} and {agent_name}, filled in when inserted.
-- Never edit a migration once applied: add the next number instead.
CREATE TABLE canned_replies (
    site       TEXT NOT NULL,
    shortcut   TEXT NOT NULL,
    text       TEXT NOT NULL,
    saved_by   TEXT REFERENCES agents (id),
    saved_at   TEXT NOT NULL DEFAULT ito_now(),
    PRIMARY KEY (site, shortcut)
);
