//! The encoders in the running server: loaded once, in the background, with every base's
//! article vectors (one build per base content, by its ETag, shared by the sites that serve
//! it); then each question's vector on a blocking thread, as many at once as there are cores.
//! Japanese bases are also matched by sound when IPADIC's readings are installed.
//! Without a language's model, or with `[server] semantic = false`, it says once in the log
//! that semantic answers are off (for that language), and its questions are answered `Off`,
//! which the widget takes as "use your own answer".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, mpsc};

use ito_assistant::readings::Readings;
use ito_assistant::{Assistant, KnowledgeBase, Reply};
use ito_encoder::bert::Encoder;
use ito_protocol::Locale;

use super::build::{self, Cores, VectorCache};
use super::models::{self, Model};
use super::ranking::Ranker;
use crate::site::knowledge::{CompiledBase, KnowledgeBases};

/// How many hits a reply lists: the console's answer picker shows six, the widget three.
const REPLY_HITS: usize = 6;

/// Why a question got no semantic answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("semantic answers are off on this server")]
    Off,
    /// The model or this base's vectors are still loading.
    #[error("semantic answers are still starting up")]
    NotReady,
    #[error("this site has no knowledge base in that language")]
    NoBase,
    #[error("the encoder failed")]
    Failed,
}

/// Shared by every handler; cheap to clone.
#[derive(Clone, Default)]
pub struct SemanticAnswers {
    inner: Option<Arc<Inner>>,
    /// Bases published since start, to the encoder's thread.
    updates: Option<mpsc::Sender<Arc<KnowledgeBases>>>,
}

struct Inner {
    /// The models whose weights were there at start.
    installed: Vec<Model>,
    encoders: RwLock<HashMap<Model, Arc<Encoder>>>,
    bases: RwLock<HashMap<(String, Locale), Arc<Ready>>>,
    /// Set once every base has its vectors: a base missing then is one there will never be.
    finished: AtomicBool,
    encoding: tokio::sync::Semaphore,
}

/// One base, ready: the browser's assistant (for the lexical half) and the semantic ranker.
struct Ready {
    assistant: Assistant,
    ranker: Ranker,
}

/// What the encoder's thread keeps between builds.
struct Built {
    /// Each base content's ranker, by ETag: sites that share a base share its vectors.
    by_etag: HashMap<String, Arc<Ready>>,
    /// IPADIC's readings: `None` until a Japanese base first needs them.
    readings: Option<Option<Arc<Readings>>>,
    /// Each model's vectors of the texts of the bases served, so a publish encodes only
    /// what changed.
    vectors: HashMap<Model, VectorCache>,
}

impl SemanticAnswers {
    /// Starts loading the model from `models` and building every base's vectors on a thread
    /// of its own, so start-up does not wait; questions meanwhile get [`AnswerError::NotReady`].
    pub fn start(enabled: bool, models: PathBuf, bases: Arc<KnowledgeBases>) -> SemanticAnswers {
        if !enabled {
            tracing::info!("semantic answers are off ([server] semantic = false)");
            return SemanticAnswers::default();
        }
        let installed: Vec<Model> = [Model::MiniLm, Model::MultilingualE5]
            .into_iter()
            .filter(|model| {
                let weights = model.weights(&models);
                let there = weights.exists();
                if !there {
                    tracing::info!(
                        model = model.name(),
                        file = %weights.display(),
                        "semantic answers are off for its languages: no sentence encoder there (cargo xtask setup fetches it)"
                    );
                }
                there
            })
            .collect();
        if installed.is_empty() {
            return SemanticAnswers::default();
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let inner = Arc::new(Inner {
            installed,
            encoders: RwLock::default(),
            bases: RwLock::default(),
            finished: AtomicBool::new(false),
            encoding: tokio::sync::Semaphore::new(cores),
        });
        let loading = Arc::clone(&inner);
        let (updates, published) = mpsc::channel();
        std::thread::Builder::new()
            .name("ito-encoder".into())
            .spawn(move || loading.run(&models, &bases, &published))
            .expect("a thread can be started");
        SemanticAnswers {
            inner: Some(inner),
            updates: Some(updates),
        }
    }

    /// Builds the vectors of every base in `bases` whose content is new (a base was
    /// published), in the background; until one is ready, its previous content answers.
    pub fn update(&self, bases: Arc<KnowledgeBases>) {
        if let Some(updates) = &self.updates {
            // The thread ends only with the process.
            let _ = updates.send(bases);
        }
    }

    /// Whether the server answers by meaning at all (the model was there at start).
    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Whether `site`'s base in `locale` can be answered by meaning now (a caller checks this
    /// before spending a visitor's rate limit on a question that would get nothing).
    pub fn check(&self, site: &str, locale: Locale) -> Result<(), AnswerError> {
        self.ready(site, locale).map(drop)
    }

    fn ready(
        &self,
        site: &str,
        locale: Locale,
    ) -> Result<(&Inner, Arc<Encoder>, Arc<Ready>), AnswerError> {
        let inner = self.inner.as_deref().ok_or(AnswerError::Off)?;
        let model = Model::for_locale(locale);
        if !inner.installed.contains(&model) {
            return Err(AnswerError::Off);
        }
        let encoder = inner
            .encoders
            .read()
            .expect("encoders lock")
            .get(&model)
            .cloned()
            .ok_or(if inner.finished.load(Ordering::Acquire) {
                AnswerError::Off
            } else {
                AnswerError::NotReady
            })?;
        let ready = inner
            .bases
            .read()
            .expect("bases lock")
            .get(&(site.to_owned(), locale))
            .cloned()
            .ok_or(if inner.finished.load(Ordering::Acquire) {
                AnswerError::NoBase
            } else {
                AnswerError::NotReady
            })?;
        Ok((inner, encoder, ready))
    }

    /// The server's reply to `question` from `site`'s base in `locale`, without article
    /// `rejected` if the visitor said it did not help.
    pub async fn answer(
        &self,
        site: &str,
        locale: Locale,
        question: &str,
        rejected: Option<&str>,
    ) -> Result<Reply, AnswerError> {
        let (inner, encoder, ready) = self.ready(site, locale)?;
        let _permit = inner
            .encoding
            .acquire()
            .await
            .map_err(|_| AnswerError::Failed)?;
        let question = question.to_owned();
        let rejected = rejected.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let vector = encoder.query(&question);
            ready.ranker.answer_without(
                &ready.assistant,
                &question,
                &vector,
                REPLY_HITS,
                rejected.as_deref(),
            )
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a semantic answer failed");
            AnswerError::Failed
        })
    }
}

impl Inner {
    /// The encoder thread: the models, every base's vectors, then each publish's.
    fn run(
        &self,
        models: &Path,
        bases: &KnowledgeBases,
        published: &mpsc::Receiver<Arc<KnowledgeBases>>,
    ) {
        let started = std::time::Instant::now();
        for &model in &self.installed {
            match model.load(models) {
                Ok(encoder) => {
                    self.encoders
                        .write()
                        .expect("encoders lock")
                        .insert(model, Arc::new(encoder));
                }
                Err(e) => tracing::error!(
                    model = model.name(),
                    error = %e,
                    "semantic answers are off for its languages: the sentence encoder cannot be loaded"
                ),
            }
        }
        let mut built = Built {
            by_etag: HashMap::new(),
            readings: None,
            vectors: HashMap::new(),
        };
        self.build(models, bases, &mut built);
        self.finished.store(true, Ordering::Release);
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "sentence encoders loaded"
        );
        while let Ok(mut next) = published.recv() {
            // Only the newest bases matter when several publishes came during a build.
            while let Ok(newer) = published.try_recv() {
                next = newer;
            }
            self.build(models, &next, &mut built);
        }
    }

    /// Serves every base of `bases`, building the vectors of each content not built yet; a
    /// base is served as soon as it is ready.
    fn build(&self, models: &Path, bases: &KnowledgeBases, built: &mut Built) {
        for (site, locale, base) in bases.all() {
            let model = Model::for_locale(locale);
            let Some(encoder) = self
                .encoders
                .read()
                .expect("encoders lock")
                .get(&model)
                .cloned()
            else {
                continue;
            };
            let ready = match built.by_etag.get(&base.etag) {
                Some(ready) => Arc::clone(ready),
                None => {
                    let readings = if models::matches_sounds(locale) {
                        built
                            .readings
                            .get_or_insert_with(|| self.readings(models))
                            .clone()
                    } else {
                        None
                    };
                    let cache = built.vectors.entry(model).or_default();
                    let Some(ready) = ready_base(
                        &encoder,
                        model,
                        readings.as_ref(),
                        cache,
                        (site, locale),
                        base,
                    ) else {
                        continue;
                    };
                    let ready = Arc::new(ready);
                    built.by_etag.insert(base.etag.clone(), Arc::clone(&ready));
                    ready
                }
            };
            self.bases
                .write()
                .expect("bases lock")
                .insert((site.to_owned(), locale), ready);
        }
        built
            .by_etag
            .retain(|etag, _| bases.all().any(|(_, _, base)| &base.etag == etag));
        for (&model, cache) in &mut built.vectors {
            cache.keep_only(
                built
                    .by_etag
                    .values()
                    .map(|ready| ready.assistant.base())
                    .filter(|base| {
                        base.locale
                            .parse()
                            .is_ok_and(|l| Model::for_locale(l) == model)
                    }),
            );
        }
    }

    /// The readings that match Japanese by sound; without the dictionary, the log says so
    /// once and Japanese bases are matched without.
    fn readings(&self, models: &Path) -> Option<Arc<Readings>> {
        match models::load_readings(models) {
            Ok(readings) => Some(Arc::new(readings)),
            Err(e) => {
                tracing::info!(
                    file = %models::readings_file(models).display(),
                    error = %e,
                    "Japanese questions typed in kana are matched by meaning and words only: no readings (cargo xtask setup fetches IPADIC)"
                );
                None
            }
        }
    }
}

/// One base's assistant, vectors and calibration.
fn ready_base(
    encoder: &Encoder,
    model: Model,
    readings: Option<&Arc<Readings>>,
    cache: &mut VectorCache,
    (site, locale): (&str, Locale),
    base: &CompiledBase,
) -> Option<Ready> {
    let Ok(kb) = KnowledgeBase::parse(&base.json) else {
        tracing::error!(site, %locale, "a compiled base does not parse again");
        return None;
    };
    let started = std::time::Instant::now();
    let assistant = Assistant::new(kb);
    let known = cache.len();
    let ranker = build::ranker(
        &assistant,
        model,
        encoder,
        readings.cloned(),
        Cores::One,
        cache,
    );
    tracing::info!(
        site,
        %locale,
        articles = assistant.base().articles.len(),
        encoded = cache.len().saturating_sub(known),
        ms = started.elapsed().as_millis() as u64,
        "semantic answers ready"
    );
    Some(Ready { assistant, ranker })
}
