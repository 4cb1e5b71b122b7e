-- 0008: knowledge bases kept in the database, so site owners edit them in the console and
-- publish without a restart; and the `editor` role, for people who only write articles.
-- Never edit a migration once applied: add the next number instead.

-- One row per site and language. `revision` numbers every saved change to the base's
-- articles (an article version carries the revision it made); the base visitors get is each
-- article as it was at `published_revision`. The files named in `ito.toml` are imported on
-- first start and stay the import/export format.
CREATE TABLE kb_bases (
    site               TEXT NOT NULL,
    locale             TEXT NOT NULL,
    revision           BIGINT NOT NULL DEFAULT 0,
    published_revision BIGINT,
    published_by       TEXT REFERENCES agents (id),
    published_at       TEXT,
    -- The base's synonym groups, as JSON: `[["refund", "money back"], ...]`.
    synonyms           JSONB NOT NULL DEFAULT '[]',
    PRIMARY KEY (site, locale)
);

-- Every saved version of every article, never updated: the newest is the draft, any older
-- one can be restored (as a newer version with its content). Two editors saving version 4
-- of one article at once both try to insert version 5: the key takes one, the other is told.
-- `body` is the article as JSON (the interchange format's), NULL for a deletion;
-- `position` orders the base (an article keeps its place across versions). `saved_by` is
-- NULL for the command line's imports.
CREATE TABLE kb_article_versions (
    site       TEXT NOT NULL,
    locale     TEXT NOT NULL,
    article_id TEXT NOT NULL,
    version    BIGINT NOT NULL,
    revision   BIGINT NOT NULL,
    position   BIGINT NOT NULL,
    body       JSONB,
    saved_by   TEXT REFERENCES agents (id),
    saved_at   TEXT NOT NULL DEFAULT ito_now(),
    PRIMARY KEY (site, locale, article_id, version),
    FOREIGN KEY (site, locale) REFERENCES kb_bases (site, locale)
);

-- Editors may write articles and nothing else.
ALTER TABLE agents DROP CONSTRAINT agents_role_check;
ALTER TABLE agents ADD CONSTRAINT agents_role_check CHECK (role IN ('agent', 'admin', 'editor'));
