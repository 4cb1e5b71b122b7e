//! `ito assistant ...`: the assistant for site owners, on the command line.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use ito_assistant::baseline::Bm25;
use ito_assistant::eval::{self, Report};
use ito_assistant::index::Hit;
use ito_assistant::kb::{self, Severity};
use ito_assistant::readings::Readings;
use ito_assistant::{Assistant, KnowledgeBase, Reply};
use ito_encoder::bert::Encoder;
use ito_protocol::Locale;

use crate::answers::build::{self, Cores};
use crate::answers::models::{self, Model};
use crate::answers::ranking::{self, Ranker};

#[derive(Debug, Subcommand)]
pub enum AssistantCommand {
    /// Answer questions read one per line from stdin, one JSON line each on stdout.
    Query {
        /// The knowledge base: the TOML authoring format or the JSON interchange format.
        #[arg(long)]
        kb: PathBuf,
        /// How many hits to list per question.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Write JSON lines (the only format for now; accepted for scripts that say so).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        semantic: SemanticArgs,
    },
    /// Lint a knowledge base: duplicate ids, empty answers, bad links, questions that lead to
    /// another article. Exits 1 when it finds an error.
    Check {
        #[arg(long)]
        kb: PathBuf,
    },
    /// Measure retrieval on labelled utterances (JSON lines of {"text", "label"}), beside plain BM25:
    /// either an intent set turned into a base (--train), or a base with its test queries (--kb, --dev).
    Eval {
        /// Utterances the base is built from: one article per label.
        #[arg(long, required_unless_present = "kb", conflicts_with = "kb")]
        train: Option<PathBuf>,
        /// A knowledge base to evaluate as it is; --dev then holds queries labelled with article ids.
        #[arg(long, requires = "dev")]
        kb: Option<PathBuf>,
        /// Utterances to ask; without it, the training utterances not used in the base.
        #[arg(long)]
        dev: Option<PathBuf>,
        /// Question variants per article, taken from the first utterances of each label.
        #[arg(long, default_value_t = 10)]
        per_intent: usize,
        /// The label of out-of-scope utterances, which the assistant should answer `unsure`.
        #[arg(long)]
        out_of_scope_label: Option<String>,
        /// Also replay the queries as visitors whose misses agents answer with the right
        /// article, accepting each suggestion, and print top-1 after 0, 100, 500 and 1,000.
        #[arg(long)]
        learn: bool,
        #[command(flatten)]
        semantic: SemanticArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct SemanticArgs {
    /// Answer as the widget does with the server's help: the browser's reply when it is sure,
    /// else the server's ranking by meaning (the sentence encoder from --models).
    #[arg(long)]
    semantic: bool,
    /// The folder `cargo xtask setup` fills with the encoder's weights.
    #[arg(long, default_value = crate::site::config::DEFAULT_MODELS)]
    models: PathBuf,
}

/// The encoder for one base's language.
struct Semantic {
    model: Model,
    encoder: Encoder,
    /// Japanese bases' readings, when the dictionary is there.
    readings: Option<Arc<Readings>>,
}

impl SemanticArgs {
    fn encoder(&self, base: &KnowledgeBase) -> Result<Option<Semantic>> {
        if !self.semantic {
            return Ok(None);
        }
        let locale: Locale = base.locale.parse()?;
        let model = Model::for_locale(locale);
        let encoder = model.load(&self.models).with_context(|| {
            format!(
                "cannot load the sentence encoder {} from {} (cargo xtask setup fetches it)",
                model.name(),
                self.models.display()
            )
        })?;
        let readings = if models::matches_sounds(locale) {
            match models::load_readings(&self.models) {
                Ok(readings) => Some(Arc::new(readings)),
                Err(e) => {
                    eprintln!(
                        "note: questions are not matched by sound: {}: {e} (cargo xtask setup fetches IPADIC)",
                        models::readings_file(&self.models).display()
                    );
                    None
                }
            }
        } else {
            None
        };
        Ok(Some(Semantic {
            model,
            encoder,
            readings,
        }))
    }
}

pub fn run(command: AssistantCommand) -> Result<()> {
    match command {
        AssistantCommand::Query {
            kb,
            top,
            json: _,
            semantic,
        } => {
            let base = load(&kb)?;
            let encoder = semantic.encoder(&base)?;
            query(&base, top, encoder.as_ref())
        }
        AssistantCommand::Check { kb } => check(&kb),
        AssistantCommand::Eval {
            train,
            kb,
            dev,
            per_intent,
            out_of_scope_label,
            learn,
            semantic,
        } => {
            let oos = out_of_scope_label.as_deref();
            let split = match (kb, train) {
                (Some(kb), _) => {
                    let queries =
                        read_utterances(dev.as_deref().expect("clap requires --dev with --kb"))?;
                    eval::split_for_base(load(&kb)?, queries, oos).map_err(anyhow::Error::msg)?
                }
                (None, Some(train)) => {
                    let dev = dev.as_deref().map(read_utterances).transpose()?;
                    eval::split(&read_utterances(&train)?, dev.as_deref(), per_intent, oos)
                }
                (None, None) => bail!("give --train or --kb"),
            };
            evaluate(&split, semantic.encoder(&split.base)?.as_ref())?;
            if learn {
                replay_learning(&split);
            }
            Ok(())
        }
    }
}

pub fn load(path: &Path) -> Result<KnowledgeBase> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read knowledge base {}", path.display()))?;
    KnowledgeBase::parse(&text).with_context(|| format!("knowledge base {}", path.display()))
}

fn query(base: &KnowledgeBase, top: usize, semantic: Option<&Semantic>) -> Result<()> {
    let assistant = Assistant::new(base.clone());
    let ranker = semantic.map(|s| semantic_ranker(&assistant, s));
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lines() {
        // Invalid UTF-8 is read with replacement characters rather than stopping the run.
        let line = line.unwrap_or_else(|e| format!("{e}"));
        let reply = match (&ranker, semantic) {
            (Some(ranker), Some(semantic)) => {
                ranking::widget_and_server(&assistant, &line, top, || {
                    ranker.answer(&assistant, &line, &semantic.encoder.query(&line), top)
                })
            }
            _ => assistant.ask(&line, top),
        };
        serde_json::to_writer(&mut stdout, &reply)?;
        stdout.write_all(b"\n")?;
    }
    Ok(())
}

/// The base's ranker, as the server builds it, its texts encoded on every core.
fn semantic_ranker(assistant: &Assistant, semantic: &Semantic) -> Ranker {
    build::ranker(
        assistant,
        semantic.model,
        &semantic.encoder,
        semantic.readings.clone(),
        Cores::All,
        &mut build::VectorCache::default(),
    )
}

fn check(path: &Path) -> Result<()> {
    let base = load(path)?;
    let mut findings = kb::lint(&base);
    let assistant = Assistant::new(base.clone());
    for article in &base.articles {
        for question in &article.questions {
            let reply = assistant.ask(question, 1);
            if let Some(best) = reply.hits.first().filter(|h| h.id != article.id) {
                findings.push(kb::Finding {
                    severity: Severity::Warning,
                    article: article.id.clone(),
                    message: format!("its question {question:?} leads to {:?} instead", best.id),
                });
            }
        }
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let mut out = std::io::stdout().lock();
    for f in &findings {
        let label = if f.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        writeln!(out, "{label}: {}: {}", f.article, f.message)?;
    }
    writeln!(
        out,
        "{} articles, {errors} errors, {} warnings",
        base.articles.len(),
        findings.len() - errors
    )?;
    if errors > 0 {
        bail!("{} has {errors} errors", path.display());
    }
    Ok(())
}

/// Accepted suggestions after which the learning replay measures.
const LEARNING_CHECKPOINTS: [usize; 4] = [0, 100, 500, 1000];
/// Replayed questions each checkpoint's "next" top-1 covers.
const LEARNING_WINDOW: usize = 500;

fn replay_learning(split: &eval::Split) {
    let points = eval::replay_learning(split, &LEARNING_CHECKPOINTS, LEARNING_WINDOW);
    println!();
    println!(
        "learning from agents: {} in-scope queries, a quarter held out; every miss accepted as a suggestion",
        split.in_scope.len()
    );
    println!(
        "{:>9} {:>9} {:>15} {:>16}",
        "accepted", "replayed", "held-out top-1", "next 500 top-1"
    );
    for point in &points {
        let next = point
            .next_top1
            .map_or_else(|| "-".to_owned(), |t| format!("{:.1} %", t * 100.0));
        println!(
            "{:>9} {:>9} {:>13.1} % {:>16}",
            point.accepted,
            point.replayed,
            point.held_out_top1 * 100.0,
            next
        );
    }
    if let Some(missing) = LEARNING_CHECKPOINTS
        .iter()
        .find(|c| !points.iter().any(|p| p.accepted == **c))
    {
        println!(
            "(the replay ran out of misses before {missing} accepted suggestions; the last row is where it ended)"
        );
    }
}

fn read_utterances(path: &Path) -> Result<Vec<eval::Utterance>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    eval::read_jsonl(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn evaluate(split: &eval::Split, semantic: Option<&Semantic>) -> Result<()> {
    let started = std::time::Instant::now();
    let assistant = Assistant::new(split.base.clone());
    let built = started.elapsed();
    let bm25 = Bm25::build(&split.base);
    let ours = eval::evaluate(
        split,
        |q| assistant.index().search(q, 10),
        Some(&|q: &str| assistant.ask(q, 3).outcome),
    );
    let baseline = eval::evaluate(split, |q| bm25.search(q, 10), None);
    let bigrams = Bm25::bigrams(&split.base);
    let bigram_baseline = eval::evaluate(split, |q| bigrams.search(q, 10), None);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} articles, {} in-scope queries, {} out-of-scope; index built in {:.1} ms; thresholds {:?}",
        split.base.articles.len(),
        split.in_scope.len(),
        split.out_of_scope.len(),
        built.as_secs_f64() * 1000.0,
        assistant.thresholds()
    )?;
    let mut rows = vec![("browser", ours)];
    if let Some(semantic) = semantic {
        let started = std::time::Instant::now();
        let ranker = semantic_ranker(&assistant, semantic);
        let questions: Vec<&str> = split
            .in_scope
            .iter()
            .chain(&split.out_of_scope)
            .map(|u| u.text.as_str())
            .collect();
        let vectors = build::encode_all(&questions, |q| semantic.encoder.query(q), Cores::All);
        writeln!(
            out,
            "semantic: {} texts encoded in {:.1} s; server thresholds {:?}",
            assistant.index().variants().count() + questions.len(),
            started.elapsed().as_secs_f64(),
            ranker.thresholds()
        )?;
        let server = |q: &str| ranker.answer(&assistant, q, &vectors[q], 10);
        let both = |q: &str| ranking::widget_and_server(&assistant, q, 10, || server(q));
        rows.push((
            "browser+server",
            eval::evaluate(
                split,
                |q| hits_of(&assistant, &both(q)),
                Some(&|q: &str| both(q).outcome),
            ),
        ));
        rows.push((
            "server alone",
            eval::evaluate(
                split,
                |q| hits_of(&assistant, &server(q)),
                Some(&|q: &str| server(q).outcome),
            ),
        ));
    }
    rows.push(("bm25", baseline));
    rows.push(("bm25 q+a 2-gram", bigram_baseline));
    writeln!(
        out,
        "{:<15} {:>8} {:>8} {:>14} {:>16}",
        "ranker", "top-1", "MRR@10", "oos->unsure", "in-scope unsure"
    )?;
    for (name, report) in &rows {
        writeln!(out, "{}", row(name, report))?;
    }
    Ok(())
}

/// A reply's articles as the index numbers them, for the measures.
fn hits_of(assistant: &Assistant, reply: &Reply) -> Vec<Hit> {
    let articles = &assistant.base().articles;
    reply
        .hits
        .iter()
        .filter_map(|h| {
            let article = articles.iter().position(|a| a.id == h.id)?;
            Some(Hit {
                article,
                score: h.score,
            })
        })
        .collect()
}

fn row(name: &str, r: &Report) -> String {
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    format!(
        "{name:<15} {:>7.1}% {:>8.3} {:>14} {:>16}",
        r.top1 * 100.0,
        r.mrr10,
        pct(r.oos_unsure_recall),
        pct(r.in_scope_unsure)
    )
}
