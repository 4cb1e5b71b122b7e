-- 0001: settings that belong to this installation rather than to its config file.
--
-- The PostgreSQL twin of migrations/sqlite/0001 (the same numbers, the same tables, in this
-- dialect). Values generated once on first start (the instance id first; later the key that
-- signs visitor tokens) live here so they survive restarts and stay out of ito.toml.
-- Never edit a migration once applied: add the next number instead.

-- Times are kept as RFC 3339 UTC text with milliseconds ("2026-12-01T23:49:12.123Z"), as in
-- SQLite, so one Rust reader serves both and text order is time order. They come from the
-- database's clock, never a node's.
CREATE FUNCTION ito_now() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT ito_now()
);
