//! The sites' knowledge bases as visitors get them: the published base of each from the
//! database (a base not there yet is read from the file `ito.toml` names, checked, imported
//! and published: the first start), kept as the JSON the widget downloads, each with an ETag
//! so a returning visitor's browser revalidates instead of downloading it again.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use ito_assistant::KnowledgeBase;
use ito_assistant::kb::{Severity, lint};
use ito_protocol::Locale;

use crate::site::config::{Config, SiteConfig};
use crate::store::Store;
use crate::store::knowledge::{self, BaseKey, KnowledgeStoreError};

/// One base as served: compact JSON and its entity tag.
#[derive(Debug, Clone)]
pub struct CompiledBase {
    pub json: Arc<str>,
    /// The JSON compressed once with brotli (quality 11 in release builds), for browsers that
    /// take it.
    pub brotli: Arc<[u8]>,
    /// A weak ETag (the same for the plain and the compressed body), from the JSON alone.
    pub etag: String,
    pub articles: usize,
    /// Each article's title by id: what the bot said when it offered the article.
    pub titles: HashMap<String, String>,
    /// The database's published revision this was compiled from.
    pub revision: i64,
}

/// Every site's bases, by site id and locale.
#[derive(Debug, Default, Clone)]
pub struct KnowledgeBases {
    sites: HashMap<String, BTreeMap<Locale, CompiledBase>>,
}

/// The bases being served, replaced whole when one is published (here or on another node):
/// a request reads the bases current when it starts.
#[derive(Debug, Clone)]
pub struct LiveBases(Arc<RwLock<Arc<KnowledgeBases>>>);

impl LiveBases {
    pub fn new(bases: KnowledgeBases) -> LiveBases {
        LiveBases(Arc::new(RwLock::new(Arc::new(bases))))
    }

    pub fn current(&self) -> Arc<KnowledgeBases> {
        Arc::clone(&self.0.read().expect("bases lock"))
    }

    /// Compiles again every base whose published revision in the database is not the one
    /// served, and serves the result. Returns the new bases if any changed.
    pub async fn refresh(
        &self,
        config: &Config,
        store: &Store,
    ) -> Result<Option<Arc<KnowledgeBases>>, KnowledgeError> {
        let current = self.current();
        let published = knowledge::published_revisions(store)
            .await
            .map_err(KnowledgeError::Revisions)?;
        let mut next = (*current).clone();
        let mut changed = false;
        for site in &config.sites {
            for &locale in site.knowledge_base.keys() {
                let key = BaseKey {
                    site: site.id.as_str(),
                    locale,
                };
                let revision = published
                    .get(&(key.site.to_owned(), locale.code().to_owned()))
                    .copied()
                    .flatten();
                let served = current
                    .sites
                    .get(key.site)
                    .and_then(|b| b.get(&locale))
                    .map(|b| b.revision);
                if revision.is_none() || revision == served {
                    continue;
                }
                let in_store = |source| KnowledgeError::Store {
                    site: key.site.to_owned(),
                    locale,
                    source,
                };
                let Some((base, revision)) = knowledge::published_with_revision(store, key)
                    .await
                    .map_err(in_store)?
                else {
                    continue;
                };
                let compiled =
                    compile(&base, revision).map_err(|problem| KnowledgeError::Compress {
                        site: key.site.to_owned(),
                        locale,
                        problem,
                    })?;
                tracing::info!(
                    site = key.site,
                    locale = locale.code(),
                    revision,
                    articles = compiled.articles,
                    etag = %compiled.etag,
                    "knowledge base published: serving it"
                );
                next.sites
                    .entry(key.site.to_owned())
                    .or_default()
                    .insert(locale, compiled);
                changed = true;
            }
        }
        if !changed {
            return Ok(None);
        }
        let next = Arc::new(next);
        *self.0.write().expect("bases lock") = Arc::clone(&next);
        Ok(Some(next))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("site {site:?}: cannot read the {locale} knowledge base {path}: {source}")]
    Read {
        site: String,
        locale: Locale,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("site {site:?}: the {locale} knowledge base {path} cannot be used: {problem}")]
    Invalid {
        site: String,
        locale: Locale,
        path: PathBuf,
        problem: String,
    },
    #[error(
        "site {site:?}: the {locale} knowledge base cannot be read from the database: {source}"
    )]
    Store {
        site: String,
        locale: Locale,
        source: KnowledgeStoreError,
    },
    #[error("the published knowledge bases cannot be read from the database: {0}")]
    Revisions(KnowledgeStoreError),
    #[error("site {site:?}: the {locale} knowledge base cannot be compressed: {problem}")]
    Compress {
        site: String,
        locale: Locale,
        problem: String,
    },
}

impl KnowledgeBases {
    /// Every base the configuration names, as published in the database. A base the
    /// database does not have yet is read from its file and imported (a file that does not
    /// parse, or that `ito assistant check` finds errors in, stops start-up with the file and
    /// the problem); later starts serve the database's and say so if the file differs.
    pub async fn load(config: &Config, store: &Store) -> Result<KnowledgeBases, KnowledgeError> {
        let mut bases = KnowledgeBases::default();
        for site in &config.sites {
            let mut per_locale = BTreeMap::new();
            for (&locale, path) in &site.knowledge_base {
                let (base, revision) = published_or_imported(store, site, locale, path).await?;
                let compiled =
                    compile(&base, revision).map_err(|problem| KnowledgeError::Compress {
                        site: site.id.as_str().to_owned(),
                        locale,
                        problem,
                    })?;
                per_locale.insert(locale, compiled);
            }
            bases.sites.insert(site.id.as_str().to_owned(), per_locale);
        }
        Ok(bases)
    }

    /// The base for a visitor speaking `locale`: that language's, else the site's default
    /// language's, else none.
    pub fn for_visitor(&self, site: &SiteConfig, locale: Locale) -> Option<&CompiledBase> {
        let bases = self.sites.get(site.id.as_str())?;
        bases.get(&locale).or_else(|| bases.get(&site.locale))
    }
}

impl KnowledgeBases {
    /// Every base with its site id and language.
    pub fn all(&self) -> impl Iterator<Item = (&str, Locale, &CompiledBase)> {
        self.sites.iter().flat_map(|(site, bases)| {
            bases
                .iter()
                .map(move |(&locale, base)| (site.as_str(), locale, base))
        })
    }

    /// The language of the base a visitor speaking `locale` gets ([`Self::for_visitor`]).
    pub fn served_locale(&self, site: &SiteConfig, locale: Locale) -> Option<Locale> {
        let bases = self.sites.get(site.id.as_str())?;
        [locale, site.locale]
            .into_iter()
            .find(|l| bases.contains_key(l))
    }

    /// Whether `site`'s `locale` base has article `id`.
    pub fn has_article(&self, site: &str, locale: Locale, id: &str) -> bool {
        self.sites
            .get(site)
            .and_then(|bases| bases.get(&locale))
            .is_some_and(|base| base.titles.contains_key(id))
    }

    /// The title of article `id` of `site`, in `locale` if that base has it, else in any.
    pub fn article_title(&self, site: &str, locale: Option<Locale>, id: &str) -> Option<String> {
        let bases = self.sites.get(site)?;
        locale
            .and_then(|l| bases.get(&l))
            .and_then(|b| b.titles.get(id))
            .or_else(|| bases.values().find_map(|b| b.titles.get(id)))
            .cloned()
    }
}

/// The base visitors get from the database and its revision, importing the file first if
/// the database has none.
async fn published_or_imported(
    store: &Store,
    site: &SiteConfig,
    locale: Locale,
    path: &Path,
) -> Result<(KnowledgeBase, i64), KnowledgeError> {
    let key = BaseKey {
        site: site.id.as_str(),
        locale,
    };
    let in_store = |source| KnowledgeError::Store {
        site: site.id.as_str().to_owned(),
        locale,
        source,
    };
    if let Some((published, revision)) = knowledge::published_with_revision(store, key)
        .await
        .map_err(in_store)?
    {
        match read_file(site, locale, path) {
            Ok(file) if file != published => tracing::warn!(
                site = site.id.as_str(),
                locale = locale.code(),
                file = %path.display(),
                "the knowledge base in the database differs from its file, which was imported at the first start: the database's is served (`ito kb import` takes the file's, `ito kb export` writes the database's)"
            ),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "the database's knowledge base is served"),
        }
        return Ok((published, revision));
    }
    let base = read_file(site, locale, path)?;
    let imported = knowledge::import(store, key, &base, None)
        .await
        .map_err(in_store)?;
    tracing::info!(
        site = site.id.as_str(),
        locale = locale.code(),
        file = %path.display(),
        articles = imported.added,
        "knowledge base imported into the database"
    );
    Ok((base, imported.revision))
}

/// The base in `path`, if it parses and has no errors.
fn read_file(
    site: &SiteConfig,
    locale: Locale,
    path: &Path,
) -> Result<KnowledgeBase, KnowledgeError> {
    let invalid = |problem: String| KnowledgeError::Invalid {
        site: site.id.as_str().to_owned(),
        locale,
        path: path.to_owned(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|source| KnowledgeError::Read {
        site: site.id.as_str().to_owned(),
        locale,
        path: path.to_owned(),
        source,
    })?;
    let base = KnowledgeBase::parse(&text).map_err(|e| invalid(e.to_string()))?;
    let errors = unfit(&base);
    if !errors.is_empty() {
        return Err(invalid(format!(
            "{} (run `ito assistant check --kb {}`)",
            errors.join("; "),
            path.display()
        )));
    }
    Ok(base)
}

/// `base` as served: its JSON, compressed once, with its ETag and titles.
fn compile(base: &KnowledgeBase, revision: i64) -> Result<CompiledBase, String> {
    let json = base.to_served_json();
    let mut brotli = Vec::new();
    let best = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut json.as_bytes(), &mut brotli, &best).map_err(|e| e.to_string())?;
    Ok(CompiledBase {
        brotli: brotli.into(),
        etag: format!("W/\"{:016x}\"", fnv1a(json.as_bytes())),
        articles: base.articles.len(),
        titles: base
            .articles
            .iter()
            .map(|a| (a.id.clone(), a.title.clone()))
            .collect(),
        json: json.into(),
        revision,
    })
}

/// What makes `base` unfit to serve (the errors `ito assistant check` finds), one line each.
pub fn unfit(base: &KnowledgeBase) -> Vec<String> {
    lint(base)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("article {:?}: {}", f.article, f.message))
        .collect()
}

/// Brotli's best in release builds. Debug builds (the tests) compile the encoder's generic
/// code unoptimised, where quality 11 takes seconds per base; they settle for a quicker one.
const BROTLI_QUALITY: i32 = if cfg!(debug_assertions) { 5 } else { 11 };

/// 64-bit FNV-1a: a content hash for the ETag, stable across builds and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(base: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faq.toml");
        std::fs::write(&path, base).unwrap();
        let mut config = Config::demo();
        config.sites[0].knowledge_base = BTreeMap::from([(Locale::En, path)]);
        (dir, config)
    }

    async fn load(config: &Config) -> Result<KnowledgeBases, KnowledgeError> {
        let (_dir, store) = crate::store::testing::fresh().await.unwrap();
        KnowledgeBases::load(config, &store).await
    }

    #[tokio::test]
    async fn the_demo_bases_load_and_fall_back_to_the_site_language() {
        let mut config = Config::demo();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for path in config.sites[0].knowledge_base.values_mut() {
            *path = root.join(&*path);
        }
        let bases = load(&config).await.unwrap();
        let site = &config.sites[0];
        let en = bases.for_visitor(site, Locale::En).unwrap();
        let ja = bases.for_visitor(site, Locale::Ja).unwrap();
        assert!(en.articles >= 30 && ja.articles >= 30);
        assert_ne!(en.etag, ja.etag);
        assert!(ja.json.contains("\"locale\":\"ja\""));

        config.sites[0].knowledge_base.remove(&Locale::Ja);
        let bases = load(&config).await.unwrap();
        assert_eq!(
            bases
                .for_visitor(&config.sites[0], Locale::Ja)
                .unwrap()
                .etag,
            en.etag,
            "a language without a base gets the site's own"
        );
    }

    #[tokio::test]
    async fn unusable_bases_stop_the_first_start_with_the_file_and_the_problem() {
        let (_dir, config) = config_with("[[article]]\nid = \"a\"\ntitle = \"A\"\n");
        let err = load(&config).await.unwrap_err().to_string();
        assert!(
            err.starts_with("site \"demo\": the en knowledge base "),
            "{err}"
        );
        assert!(err.contains("faq.toml cannot be used"), "{err}");

        let duplicate = "[[article]]\nid = \"a\"\ntitle = \"A\"\nanswer = \"x\"\n\n[[article]]\nid = \"a\"\ntitle = \"B\"\nanswer = \"y\"\n";
        let (_dir, config) = config_with(duplicate);
        let err = load(&config).await.unwrap_err().to_string();
        assert!(err.contains("ito assistant check --kb"), "{err}");

        let mut config = Config::demo();
        config.sites[0].knowledge_base =
            BTreeMap::from([(Locale::En, PathBuf::from("/nonexistent/faq.toml"))]);
        let err = load(&config).await.unwrap_err().to_string();
        assert!(
            err.contains("cannot read the en knowledge base /nonexistent/faq.toml"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_etag_follows_the_content() {
        let a = "[[article]]\nid = \"a\"\ntitle = \"A\"\nanswer = \"x\"\n";
        let (_d1, c1) = config_with(a);
        let (_d2, c2) = config_with(&a.replace("\"x\"", "\"y\""));
        let etag = async |c: &Config| {
            load(c)
                .await
                .unwrap()
                .for_visitor(&c.sites[0], Locale::En)
                .unwrap()
                .etag
                .clone()
        };
        assert_eq!(etag(&c1).await, etag(&c1).await);
        assert_ne!(etag(&c1).await, etag(&c2).await);
    }

    #[tokio::test]
    async fn the_file_is_imported_once_and_then_the_database_publishes() {
        let a = "[[article]]\nid = \"a\"\ntitle = \"A\"\nanswer = \"From the file.\"\n";
        let (dir, config) = config_with(a);
        let (_db, store) = crate::store::testing::fresh().await.unwrap();
        let site = &config.sites[0];
        let answer_served = async || {
            let bases = KnowledgeBases::load(&config, &store).await.unwrap();
            let served = bases.for_visitor(site, Locale::En).unwrap();
            KnowledgeBase::parse(&served.json).unwrap().articles[0]
                .answer
                .clone()
        };
        assert_eq!(answer_served().await, "From the file.");

        std::fs::write(
            dir.path().join("faq.toml"),
            a.replace("From the file.", "Edited file."),
        )
        .unwrap();
        assert_eq!(
            answer_served().await,
            "From the file.",
            "after the first start the file is only read by `ito kb import`"
        );

        let key = BaseKey {
            site: "demo",
            locale: Locale::En,
        };
        let mut article = knowledge::draft(&store, key).await.unwrap().base.articles[0].clone();
        article.answer = "From the console.".into();
        knowledge::save(&store, key, &article, 1, None)
            .await
            .unwrap();
        assert_eq!(
            answer_served().await,
            "From the file.",
            "saved, not published"
        );
        knowledge::publish(&store, key, None).await.unwrap();
        assert_eq!(answer_served().await, "From the console.");
    }
}
