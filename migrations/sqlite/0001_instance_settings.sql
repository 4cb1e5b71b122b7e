-- 0001: settings that belong to this installation rather than to its config file.
--
-- Values generated once on first start (the instance id first; later the key that signs
-- visitor tokens) live here so they survive restarts and stay out of ito.toml.
-- Never edit a migration once applied: add the next number instead.
CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
