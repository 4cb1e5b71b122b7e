//! The encoder in the running server: loaded once, in the background, with every base's
//! article vectors (one build per base content, by its ETag, shared by the sites that serve it); then each question's vector on
//! a blocking thread, as many at once as there are cores. Without the model, or with
//! `[server] semantic = false`, it says once in the log that semantic answers are off, and
//! every question is answered `Off`, which the widget takes as "use your own answer".

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use ito_assistant::{Assistant, KnowledgeBase, Reply};
use ito_encoder::bert::Encoder;
use ito_protocol::Locale;

use super::ranking::{ArticleVectors, Ranker};
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
}

struct Inner {
    encoder: RwLock<Option<Arc<Encoder>>>,
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

impl SemanticAnswers {
    /// Starts loading the model from `models` and building every base's vectors on a thread
    /// of its own, so start-up does not wait; questions meanwhile get [`AnswerError::NotReady`].
    pub fn start(enabled: bool, models: PathBuf, bases: Arc<KnowledgeBases>) -> SemanticAnswers {
        if !enabled {
            tracing::info!("semantic answers are off ([server] semantic = false)");
            return SemanticAnswers::default();
        }
        let folder = models.join(super::ENGLISH_MODEL);
        if !folder.join("model.safetensors").exists() {
            tracing::info!(
                folder = %folder.display(),
                "semantic answers are off: no sentence encoder there (cargo xtask setup fetches it)"
            );
            return SemanticAnswers::default();
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let inner = Arc::new(Inner {
            encoder: RwLock::new(None),
            bases: RwLock::default(),
            finished: AtomicBool::new(false),
            encoding: tokio::sync::Semaphore::new(cores),
        });
        let loading = Arc::clone(&inner);
        std::thread::Builder::new()
            .name("ito-encoder".into())
            .spawn(move || loading.load(&folder, &bases))
            .expect("a thread can be started");
        SemanticAnswers { inner: Some(inner) }
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
        let encoder = inner
            .encoder
            .read()
            .expect("encoder lock")
            .clone()
            .ok_or(AnswerError::NotReady)?;
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

    /// The server's reply to `question` from `site`'s base in `locale`.
    pub async fn answer(
        &self,
        site: &str,
        locale: Locale,
        question: &str,
    ) -> Result<Reply, AnswerError> {
        let (inner, encoder, ready) = self.ready(site, locale)?;
        let _permit = inner
            .encoding
            .acquire()
            .await
            .map_err(|_| AnswerError::Failed)?;
        let question = question.to_owned();
        tokio::task::spawn_blocking(move || {
            let vector = encoder.encode(&question);
            ready
                .ranker
                .answer(&ready.assistant, &question, &vector, REPLY_HITS)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a semantic answer failed");
            AnswerError::Failed
        })
    }
}

impl Inner {
    fn load(&self, folder: &std::path::Path, bases: &KnowledgeBases) {
        let started = std::time::Instant::now();
        let encoder = match Encoder::load(folder) {
            Ok(encoder) => Arc::new(encoder),
            Err(e) => {
                tracing::error!(error = %e, "semantic answers are off: the sentence encoder cannot be loaded");
                return;
            }
        };
        *self.encoder.write().expect("encoder lock") = Some(Arc::clone(&encoder));
        // Sites that share a base share its vectors: the ETag is the base's content.
        let mut by_etag: HashMap<String, Arc<Ready>> = HashMap::new();
        for (site, locale, base) in bases.all() {
            // all-MiniLM-L6-v2 learned English only: other languages keep the browser's answers.
            if locale != Locale::En {
                continue;
            }
            let ready = match by_etag.get(&base.etag) {
                Some(ready) => Arc::clone(ready),
                None => {
                    let Some(ready) = build(&encoder, site, locale, base) else {
                        continue;
                    };
                    let ready = Arc::new(ready);
                    by_etag.insert(base.etag.clone(), Arc::clone(&ready));
                    ready
                }
            };
            self.bases
                .write()
                .expect("bases lock")
                .insert((site.to_owned(), locale), ready);
        }
        self.finished.store(true, Ordering::Release);
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "sentence encoder loaded"
        );
    }
}

/// One base's assistant, vectors and calibration.
fn build(encoder: &Encoder, site: &str, locale: Locale, base: &CompiledBase) -> Option<Ready> {
    let Ok(kb) = KnowledgeBase::parse(&base.json) else {
        tracing::error!(site, %locale, "a compiled base does not parse again");
        return None;
    };
    let started = std::time::Instant::now();
    let assistant = Assistant::new(kb);
    let vectors = ArticleVectors::build(&assistant, encoder.dimensions(), |t| encoder.encode(t));
    let ranker = Ranker::new(&assistant, vectors);
    tracing::info!(
        site,
        %locale,
        articles = assistant.base().articles.len(),
        ms = started.elapsed().as_millis() as u64,
        "semantic answers ready"
    );
    Some(Ready { assistant, ranker })
}
