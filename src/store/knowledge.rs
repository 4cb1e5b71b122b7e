//! Knowledge bases in the database: every saved version of every article, with who saved it
//! and when, and the revision each base was last published at. The draft is each article's
//! newest version; visitors get each article as it was at the published revision. Saving is
//! optimistic: a writer names the version they started from, and a save over a newer one is
//! refused with the version it would have hidden, so two editors never overwrite each other.

use std::collections::HashMap;

use ito_assistant::{Article, KnowledgeBase};
use ito_protocol::Locale;

use super::{BeginWrite, Conn, Store, sql, with_conn, with_pool};

/// Which base: a site's, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseKey<'a> {
    pub site: &'a str,
    pub locale: Locale,
}

/// A base as its editors see it: the newest version of each article, in the base's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub base: KnowledgeBase,
    /// Each article's version, by article id: what a save names to say where it started.
    pub versions: HashMap<String, i64>,
    /// The base's newest revision, and the one visitors get (`None`: never published).
    pub revision: i64,
    pub published_revision: Option<i64>,
}

impl Draft {
    /// Whether something saved is not yet what visitors get.
    pub fn unpublished(&self) -> bool {
        self.published_revision != Some(self.revision)
    }
}

/// One saved version of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleVersion {
    pub version: i64,
    pub revision: i64,
    /// `None`: this version deleted the article.
    pub article: Option<Article>,
    /// The agent who saved it; `None` for an import from the command line.
    pub saved_by: Option<String>,
    pub saved_at: String,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// The revision now published.
    pub revision: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeStoreError {
    #[error("there is no {locale} knowledge base for site {site:?}")]
    NoSuchBase { site: String, locale: Locale },
    #[error("there is no article {0:?}")]
    NoSuchArticle(String),
    #[error("article {0:?} already exists")]
    AlreadyExists(String),
    #[error(
        "article {id:?} was saved by someone else meanwhile (it is at version {current}, you started from {expected}): reload it and save again"
    )]
    Conflict {
        id: String,
        expected: i64,
        current: i64,
    },
    #[error("article {id:?} has no version {version} with content")]
    NoSuchVersion { id: String, version: i64 },
    #[error("a stored article cannot be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

type Result<T> = std::result::Result<T, KnowledgeStoreError>;

/// An article's newest stored row at some revision.
struct Latest {
    id: String,
    version: i64,
    position: i64,
    article: Option<Article>,
}

/// Every base in the database, as (site, locale code).
pub async fn bases(store: &Store) -> Result<Vec<(String, String)>> {
    Ok(with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT site, locale FROM kb_bases ORDER BY site, locale"
    )
    .fetch_all(pool)
    .await)?)
}

/// Whether `key`'s base is in the database (imported or created).
pub async fn exists(store: &Store, key: BaseKey<'_>) -> Result<bool> {
    let found: Option<i64> = with_pool!(store, |pool, PG| sqlx::query_scalar(
        "SELECT revision FROM kb_bases WHERE site = $1 AND locale = $2"
    )
    .bind(key.site)
    .bind(key.locale.code())
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Makes `key`'s base exactly `base` (articles added, changed, deleted as needed, in the file's
/// order, and its synonyms) and publishes it, in one transaction: `ito kb import`, and the
/// first start's import of the files `ito.toml` names.
pub async fn import(
    store: &Store,
    key: BaseKey<'_>,
    base: &KnowledgeBase,
    by: Option<&str>,
) -> Result<Imported> {
    let synonyms = serde_json::to_string(&base.synonyms)?;
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin_write().await?;
        sqlx::query(sql(
            PG,
            "INSERT INTO kb_bases (site, locale, synonyms) VALUES ($1, $2, $3)
             ON CONFLICT (site, locale) DO UPDATE SET synonyms = excluded.synonyms",
            "INSERT INTO kb_bases (site, locale, synonyms) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (site, locale) DO UPDATE SET synonyms = excluded.synonyms",
        ))
        .bind(key.site)
        .bind(key.locale.code())
        .bind(&synonyms)
        .execute(&mut *tx)
        .await?;
        let mut conn = Conn::from(&mut *tx);
        let before = latest(conn.reborrow(), key, None).await?;
        let mut stored: HashMap<&str, &Latest> =
            before.iter().map(|l| (l.id.as_str(), l)).collect();
        let mut imported = Imported::default();
        for (position, article) in base.articles.iter().enumerate() {
            let position = position as i64 + 1;
            let was = stored.remove(article.id.as_str());
            let (version, same) = match was {
                None => (0, false),
                Some(l) => (
                    l.version,
                    l.article.as_ref() == Some(article) && l.position == position,
                ),
            };
            match was.and_then(|l| l.article.as_ref()) {
                None => imported.added += 1,
                Some(_) if same => {
                    imported.unchanged += 1;
                    continue;
                }
                Some(_) => imported.changed += 1,
            }
            write_version(
                conn.reborrow(),
                key,
                &article.id,
                version,
                position,
                Some(article),
                by,
            )
            .await?;
        }
        for gone in stored.into_values().filter(|l| l.article.is_some()) {
            imported.deleted += 1;
            write_version(
                conn.reborrow(),
                key,
                &gone.id,
                gone.version,
                gone.position,
                None,
                by,
            )
            .await?;
        }
        imported.revision = mark_published(conn, key, by).await?;
        tx.commit().await?;
        Ok(imported)
    })
}

/// Each base's published revision, by (site, locale code): what a node compares with the
/// ones it serves, to notice a publish made elsewhere.
pub async fn published_revisions(store: &Store) -> Result<HashMap<(String, String), Option<i64>>> {
    let rows: Vec<(String, String, Option<i64>)> = with_pool!(store, |pool, PG| sqlx::query_as(
        "SELECT site, locale, published_revision FROM kb_bases"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(site, locale, revision)| ((site, locale), revision))
        .collect())
}

/// The base visitors get: each article as it was at the published revision. `None` if the
/// base is not in the database or was never published.
pub async fn published(store: &Store, key: BaseKey<'_>) -> Result<Option<KnowledgeBase>> {
    Ok(published_with_revision(store, key)
        .await?
        .map(|(base, _)| base))
}

/// [`published`], with the revision it is.
pub async fn published_with_revision(
    store: &Store,
    key: BaseKey<'_>,
) -> Result<Option<(KnowledgeBase, i64)>> {
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin().await?;
        let Some((_, Some(published), synonyms)) = base_row(Conn::from(&mut *tx), key).await?
        else {
            return Ok(None);
        };
        let articles = latest(Conn::from(&mut *tx), key, Some(published)).await?;
        Ok(Some((assemble(key, synonyms, articles)?.0, published)))
    })
}

/// The base as its editors see it: every article's newest version.
pub async fn draft(store: &Store, key: BaseKey<'_>) -> Result<Draft> {
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin().await?;
        let Some((revision, published_revision, synonyms)) =
            base_row(Conn::from(&mut *tx), key).await?
        else {
            return Err(no_such_base(key));
        };
        let articles = latest(Conn::from(&mut *tx), key, None).await?;
        let (base, versions) = assemble(key, synonyms, articles)?;
        Ok(Draft {
            base,
            versions,
            revision,
            published_revision,
        })
    })
}

/// Saves `article` as the next version after `expected` (0 for a new article), or tells of the
/// newer version someone else saved. Returns the new version.
pub async fn save(
    store: &Store,
    key: BaseKey<'_>,
    article: &Article,
    expected: i64,
    by: Option<&str>,
) -> Result<i64> {
    change(store, key, &article.id, expected, Some(article), by).await
}

/// Deletes article `id` (a version without content, so it can be restored), if it is still
/// at version `expected`.
pub async fn delete(
    store: &Store,
    key: BaseKey<'_>,
    id: &str,
    expected: i64,
    by: Option<&str>,
) -> Result<i64> {
    change(store, key, id, expected, None, by).await
}

/// Saves the content of article `id`'s `version` again as its newest version (after
/// `expected`, as [`save`]): going back to an earlier text, or undoing a deletion.
pub async fn restore(
    store: &Store,
    key: BaseKey<'_>,
    id: &str,
    version: i64,
    expected: i64,
    by: Option<&str>,
) -> Result<i64> {
    let old = history(store, key, id)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .and_then(|v| v.article)
        .ok_or_else(|| KnowledgeStoreError::NoSuchVersion {
            id: id.to_owned(),
            version,
        })?;
    change(store, key, id, expected, Some(&old), by).await
}

/// Every version of article `id`, newest first.
pub async fn history(store: &Store, key: BaseKey<'_>, id: &str) -> Result<Vec<ArticleVersion>> {
    /// Version, revision, body, saved by, saved at.
    type Row = (i64, i64, Option<String>, Option<String>, String);
    let rows: Vec<Row> = with_pool!(store, |pool, PG| sqlx::query_as(sql(
        PG,
        "SELECT version, revision, body, saved_by, saved_at FROM kb_article_versions
             WHERE site = $1 AND locale = $2 AND article_id = $3 ORDER BY version DESC",
        "SELECT version, revision, body::text, saved_by, saved_at FROM kb_article_versions
             WHERE site = $1 AND locale = $2 AND article_id = $3 ORDER BY version DESC",
    ))
    .bind(key.site)
    .bind(key.locale.code())
    .bind(id)
    .fetch_all(pool)
    .await)?;
    rows.into_iter()
        .map(|(version, revision, body, saved_by, saved_at)| {
            Ok(ArticleVersion {
                version,
                revision,
                article: body.map(|b| serde_json::from_str(&b)).transpose()?,
                saved_by,
                saved_at,
            })
        })
        .collect()
}

/// Makes everything saved in `key`'s base what visitors get. Returns the published revision.
pub async fn publish(store: &Store, key: BaseKey<'_>, by: Option<&str>) -> Result<i64> {
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin_write().await?;
        let revision = mark_published(Conn::from(&mut *tx), key, by).await?;
        tx.commit().await?;
        Ok(revision)
    })
}

/// One save or deletion, in a transaction of its own.
async fn change(
    store: &Store,
    key: BaseKey<'_>,
    id: &str,
    expected: i64,
    article: Option<&Article>,
    by: Option<&str>,
) -> Result<i64> {
    with_pool!(store, |pool, PG| {
        let mut tx = pool.begin_write().await?;
        // Taking the base's row first puts its writers in line, so the version read next is
        // the newest (on SQLite the write transaction already does).
        let base =
            sqlx::query("UPDATE kb_bases SET revision = revision WHERE site = $1 AND locale = $2")
                .bind(key.site)
                .bind(key.locale.code())
                .execute(&mut *tx)
                .await?;
        if base.rows_affected() == 0 {
            return Err(no_such_base(key));
        }
        let current: Option<(i64, i64, bool)> = sqlx::query_as(
            "SELECT version, position, body IS NOT NULL FROM kb_article_versions
             WHERE site = $1 AND locale = $2 AND article_id = $3
             ORDER BY version DESC LIMIT 1",
        )
        .bind(key.site)
        .bind(key.locale.code())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let (version, position, alive) = match current {
            Some(row) => row,
            None => {
                let last: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(position) FROM kb_article_versions WHERE site = $1 AND locale = $2",
                )
                .bind(key.site)
                .bind(key.locale.code())
                .fetch_one(&mut *tx)
                .await?;
                (0, last.unwrap_or(0) + 1, false)
            }
        };
        if article.is_none() && !alive {
            return Err(KnowledgeStoreError::NoSuchArticle(id.to_owned()));
        }
        if version != expected {
            return Err(if expected == 0 && alive {
                KnowledgeStoreError::AlreadyExists(id.to_owned())
            } else {
                KnowledgeStoreError::Conflict {
                    id: id.to_owned(),
                    expected,
                    current: version,
                }
            });
        }
        let saved = write_version(
            Conn::from(&mut *tx),
            key,
            id,
            version,
            position,
            article,
            by,
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    })
}

/// Inserts version `after + 1` of article `id`, numbering the base's next revision.
async fn write_version(
    conn: Conn<'_>,
    key: BaseKey<'_>,
    id: &str,
    after: i64,
    position: i64,
    article: Option<&Article>,
    by: Option<&str>,
) -> Result<i64> {
    let body = article.map(serde_json::to_string).transpose()?;
    with_conn!(conn, |c, PG| {
        let revision: Option<i64> = sqlx::query_scalar(
            "UPDATE kb_bases SET revision = revision + 1 WHERE site = $1 AND locale = $2
             RETURNING revision",
        )
        .bind(key.site)
        .bind(key.locale.code())
        .fetch_optional(&mut *c)
        .await?;
        let revision = revision.ok_or_else(|| no_such_base(key))?;
        let inserted = sqlx::query(sql(
            PG,
            "INSERT INTO kb_article_versions
             (site, locale, article_id, version, revision, position, body, saved_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            "INSERT INTO kb_article_versions
             (site, locale, article_id, version, revision, position, body, saved_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
        ))
        .bind(key.site)
        .bind(key.locale.code())
        .bind(id)
        .bind(after + 1)
        .bind(revision)
        .bind(position)
        .bind(body)
        .bind(by)
        .execute(&mut *c)
        .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(KnowledgeStoreError::Conflict {
                    id: id.to_owned(),
                    expected: after,
                    current: after + 1,
                })
            }
            other => Ok(other.map(|_| after + 1)?),
        }
    })
}

async fn mark_published(conn: Conn<'_>, key: BaseKey<'_>, by: Option<&str>) -> Result<i64> {
    let published: Option<i64> = with_conn!(conn, |c, PG| sqlx::query_scalar(sql(
        PG,
        "UPDATE kb_bases SET published_revision = revision, published_by = $3,
         published_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE site = $1 AND locale = $2 RETURNING revision",
        "UPDATE kb_bases SET published_revision = revision, published_by = $3,
         published_at = ito_now() WHERE site = $1 AND locale = $2 RETURNING revision",
    ))
    .bind(key.site)
    .bind(key.locale.code())
    .bind(by)
    .fetch_optional(&mut *c)
    .await)?;
    published.ok_or_else(|| no_such_base(key))
}

/// The base's revision, published revision and synonyms (as JSON).
async fn base_row(conn: Conn<'_>, key: BaseKey<'_>) -> Result<Option<(i64, Option<i64>, String)>> {
    Ok(with_conn!(conn, |c, PG| sqlx::query_as(sql(
        PG,
        "SELECT revision, published_revision, synonyms FROM kb_bases
         WHERE site = $1 AND locale = $2",
        "SELECT revision, published_revision, synonyms::text FROM kb_bases
         WHERE site = $1 AND locale = $2",
    ))
    .bind(key.site)
    .bind(key.locale.code())
    .fetch_optional(&mut *c)
    .await)?)
}

/// Each article's newest version at revision `upto` (all of them if `None`), deletions
/// included, in the base's order.
async fn latest(conn: Conn<'_>, key: BaseKey<'_>, upto: Option<i64>) -> Result<Vec<Latest>> {
    let rows: Vec<(String, i64, i64, Option<String>)> = with_conn!(conn, |c, PG| {
        sqlx::query_as(sql(
            PG,
            "SELECT v.article_id, v.version, v.position, v.body FROM kb_article_versions v
             WHERE v.site = $1 AND v.locale = $2 AND v.revision <= $3
               AND v.version = (SELECT MAX(w.version) FROM kb_article_versions w
                                WHERE w.site = v.site AND w.locale = v.locale
                                  AND w.article_id = v.article_id AND w.revision <= $3)
             ORDER BY v.position, v.article_id",
            "SELECT v.article_id, v.version, v.position, v.body::text FROM kb_article_versions v
             WHERE v.site = $1 AND v.locale = $2 AND v.revision <= $3
               AND v.version = (SELECT MAX(w.version) FROM kb_article_versions w
                                WHERE w.site = v.site AND w.locale = v.locale
                                  AND w.article_id = v.article_id AND w.revision <= $3)
             ORDER BY v.position, v.article_id",
        ))
        .bind(key.site)
        .bind(key.locale.code())
        .bind(upto.unwrap_or(i64::MAX))
        .fetch_all(&mut *c)
        .await
    })?;
    rows.into_iter()
        .map(|(id, version, position, body)| {
            Ok(Latest {
                id,
                version,
                position,
                article: body.map(|b| serde_json::from_str(&b)).transpose()?,
            })
        })
        .collect()
}

/// The base of the articles that are not deleted, with each one's version.
fn assemble(
    key: BaseKey<'_>,
    synonyms: String,
    rows: Vec<Latest>,
) -> Result<(KnowledgeBase, HashMap<String, i64>)> {
    let mut versions = HashMap::new();
    let mut articles = Vec::new();
    for row in rows {
        if let Some(article) = row.article {
            versions.insert(row.id, row.version);
            articles.push(article);
        }
    }
    let base = KnowledgeBase {
        locale: key.locale.code().to_owned(),
        synonyms: serde_json::from_str(&synonyms)?,
        articles,
    };
    Ok((base, versions))
}

fn no_such_base(key: BaseKey<'_>) -> KnowledgeStoreError {
    KnowledgeStoreError::NoSuchBase {
        site: key.site.to_owned(),
        locale: key.locale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: BaseKey<'static> = BaseKey {
        site: "demo",
        locale: Locale::En,
    };

    fn article(id: &str, answer: &str) -> Article {
        Article {
            id: id.into(),
            title: format!("About {id}"),
            questions: vec![format!("how does {id} work")],
            answer: answer.into(),
            tags: Vec::new(),
            links: Vec::new(),
            follow_up: Vec::new(),
        }
    }

    fn base(articles: Vec<Article>) -> KnowledgeBase {
        KnowledgeBase {
            locale: "en".into(),
            synonyms: vec![vec!["refund".into(), "money back".into()]],
            articles,
        }
    }

    async fn store_with_agents() -> (tempfile::TempDir, Store) {
        let (dir, store) = crate::store::testing::fresh().await.unwrap();
        with_pool!(&store, |p, _PG| sqlx::query(
            "INSERT INTO agents (id, email, name, password_hash, role)
             VALUES ('ann', 'ann@x.example', 'Ann', 'x', 'editor'),
                    ('bob', 'bob@x.example', 'Bob', 'x', 'admin')"
        )
        .execute(p)
        .await
        .map(drop))
        .unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn an_import_is_published_and_a_second_one_changes_only_what_changed() {
        let (_dir, store) = store_with_agents().await;
        assert!(!exists(&store, KEY).await.unwrap());
        assert!(published(&store, KEY).await.unwrap().is_none());
        let first = base(vec![
            article("a", "A."),
            article("b", "B."),
            article("c", "C."),
        ]);
        let imported = import(&store, KEY, &first, None).await.unwrap();
        assert_eq!((imported.added, imported.revision), (3, 3));
        assert_eq!(published(&store, KEY).await.unwrap().unwrap(), first);
        assert!(exists(&store, KEY).await.unwrap());

        let again = import(&store, KEY, &first, None).await.unwrap();
        assert_eq!((again.unchanged, again.added, again.revision), (3, 0, 3));

        let second = base(vec![
            article("c", "C."),
            article("a", "A, now longer."),
            article("d", "D."),
        ]);
        let imported = import(&store, KEY, &second, Some("bob")).await.unwrap();
        assert_eq!(
            (
                imported.added,
                imported.changed,
                imported.unchanged,
                imported.deleted
            ),
            (1, 2, 0, 1),
            "c moved to the front, a's text changed, b went, d came"
        );
        assert_eq!(published(&store, KEY).await.unwrap().unwrap(), second);
        let b = history(&store, KEY, "b").await.unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].article.as_ref(), b[0].saved_by.as_deref()),
            (None, Some("bob"))
        );
        assert_eq!(b[1].article, Some(article("b", "B.")));
    }

    #[tokio::test]
    async fn saves_are_drafts_until_published() {
        let (_dir, store) = store_with_agents().await;
        let imported = base(vec![article("a", "A."), article("b", "B.")]);
        import(&store, KEY, &imported, None).await.unwrap();
        let draft_before = draft(&store, KEY).await.unwrap();
        assert!(!draft_before.unpublished());
        assert_eq!(draft_before.versions["a"], 1);

        let edited = article("a", "A, edited.");
        assert_eq!(save(&store, KEY, &edited, 1, Some("ann")).await.unwrap(), 2);
        assert_eq!(
            save(&store, KEY, &article("new", "New."), 0, Some("ann"))
                .await
                .unwrap(),
            1
        );
        delete(&store, KEY, "b", 1, Some("ann")).await.unwrap();

        assert_eq!(
            published(&store, KEY).await.unwrap().unwrap(),
            imported,
            "not yet published"
        );
        let now = draft(&store, KEY).await.unwrap();
        assert!(now.unpublished());
        let ids: Vec<&str> = now.base.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            ["a", "new"],
            "an edit keeps its place, a new article goes last"
        );
        assert_eq!(now.base.articles[0], edited);
        assert_eq!(now.base.synonyms, imported.synonyms);

        let revision = publish(&store, KEY, Some("bob")).await.unwrap();
        assert_eq!(revision, now.revision);
        assert_eq!(published(&store, KEY).await.unwrap().unwrap(), now.base);
        assert!(!draft(&store, KEY).await.unwrap().unpublished());
    }

    #[tokio::test]
    async fn a_save_over_someone_elses_newer_version_is_refused_and_loses_nothing() {
        let (_dir, store) = store_with_agents().await;
        import(&store, KEY, &base(vec![article("a", "A.")]), None)
            .await
            .unwrap();
        save(&store, KEY, &article("a", "Ann's."), 1, Some("ann"))
            .await
            .unwrap();
        let late = save(&store, KEY, &article("a", "Bob's."), 1, Some("bob")).await;
        assert!(
            matches!(
                late,
                Err(KnowledgeStoreError::Conflict {
                    expected: 1,
                    current: 2,
                    ..
                })
            ),
            "{late:?}"
        );
        let message = late.unwrap_err().to_string();
        assert!(message.contains("reload it"), "{message}");
        let a = &draft(&store, KEY).await.unwrap().base.articles[0];
        assert_eq!(a.answer, "Ann's.");
        assert!(matches!(
            save(&store, KEY, &article("a", "Again."), 0, None).await,
            Err(KnowledgeStoreError::AlreadyExists(_))
        ));
        assert!(matches!(
            delete(&store, KEY, "nothing", 0, None).await,
            Err(KnowledgeStoreError::NoSuchArticle(_))
        ));
        let elsewhere = BaseKey {
            site: "other",
            locale: Locale::En,
        };
        assert!(matches!(
            save(&store, elsewhere, &article("a", "A."), 0, None).await,
            Err(KnowledgeStoreError::NoSuchBase { .. })
        ));
    }

    #[tokio::test]
    async fn two_editors_saving_one_version_at_once_get_one_save_and_one_refusal() {
        let (_dir, store) = store_with_agents().await;
        import(&store, KEY, &base(vec![article("a", "A.")]), None)
            .await
            .unwrap();
        for round in 1..=10 {
            let (ann_text, bob_text) = (
                article("a", &format!("Ann {round}")),
                article("a", &format!("Bob {round}")),
            );
            let (ann, bob) = tokio::join!(
                save(&store, KEY, &ann_text, round, Some("ann")),
                save(&store, KEY, &bob_text, round, Some("bob")),
            );
            let winner = match (&ann, &bob) {
                (Ok(v), Err(KnowledgeStoreError::Conflict { .. })) => (v, "Ann"),
                (Err(KnowledgeStoreError::Conflict { .. }), Ok(v)) => (v, "Bob"),
                other => panic!("round {round}: {other:?}"),
            };
            assert_eq!(*winner.0, round + 1);
            let text = &draft(&store, KEY).await.unwrap().base.articles[0].answer;
            assert_eq!(text, &format!("{} {round}", winner.1));
        }
        assert_eq!(history(&store, KEY, "a").await.unwrap().len(), 11);
    }

    #[tokio::test]
    async fn an_earlier_version_or_a_deleted_article_can_be_restored() {
        let (_dir, store) = store_with_agents().await;
        import(
            &store,
            KEY,
            &base(vec![article("a", "First."), article("b", "B.")]),
            None,
        )
        .await
        .unwrap();
        save(&store, KEY, &article("a", "Second."), 1, Some("ann"))
            .await
            .unwrap();
        assert_eq!(
            restore(&store, KEY, "a", 1, 2, Some("ann")).await.unwrap(),
            3
        );
        assert_eq!(
            draft(&store, KEY).await.unwrap().base.articles[0].answer,
            "First."
        );

        delete(&store, KEY, "b", 1, Some("ann")).await.unwrap();
        assert!(matches!(
            restore(&store, KEY, "b", 2, 2, None).await,
            Err(KnowledgeStoreError::NoSuchVersion { version: 2, .. })
        ));
        restore(&store, KEY, "b", 1, 2, Some("bob")).await.unwrap();
        let now = draft(&store, KEY).await.unwrap();
        assert_eq!(now.base.articles.len(), 2);
        assert_eq!(now.versions["b"], 3);
        let who: Vec<Option<String>> = history(&store, KEY, "b")
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.saved_by)
            .collect();
        assert_eq!(who, [Some("bob".into()), Some("ann".into()), None]);
    }

    #[tokio::test]
    async fn editors_are_a_role_and_roles_outside_the_three_are_refused() {
        let (_dir, store) = store_with_agents().await;
        let roles: Vec<String> = with_pool!(&store, |p, _PG| sqlx::query_scalar(
            "SELECT role FROM agents ORDER BY id"
        )
        .fetch_all(p)
        .await)
        .unwrap();
        assert_eq!(roles, ["editor", "admin"]);
        let boss = with_pool!(&store, |p, _PG| sqlx::query(
            "UPDATE agents SET role = 'boss' WHERE id = 'ann'"
        )
        .execute(p)
        .await
        .map(drop));
        assert!(boss.is_err());
    }
}
