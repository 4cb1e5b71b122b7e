//! `ito assistant ...`: the assistant for site owners, on the command line.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use ito_assistant::baseline::Bm25;
use ito_assistant::eval::{self, Report};
use ito_assistant::kb::{self, Severity};
use ito_assistant::{Assistant, KnowledgeBase};

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
    },
}

pub fn run(command: AssistantCommand) -> Result<()> {
    match command {
        AssistantCommand::Query { kb, top, json: _ } => query(&load(&kb)?, top),
        AssistantCommand::Check { kb } => check(&kb),
        AssistantCommand::Eval {
            train,
            kb,
            dev,
            per_intent,
            out_of_scope_label,
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
            evaluate(&split)
        }
    }
}

pub fn load(path: &Path) -> Result<KnowledgeBase> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read knowledge base {}", path.display()))?;
    KnowledgeBase::parse(&text).with_context(|| format!("knowledge base {}", path.display()))
}

fn query(base: &KnowledgeBase, top: usize) -> Result<()> {
    let assistant = Assistant::new(base.clone());
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lines() {
        // Invalid UTF-8 is read with replacement characters rather than stopping the run.
        let line = line.unwrap_or_else(|e| format!("{e}"));
        let reply = assistant.ask(&line, top);
        serde_json::to_writer(&mut stdout, &reply)?;
        stdout.write_all(b"\n")?;
    }
    Ok(())
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

fn read_utterances(path: &Path) -> Result<Vec<eval::Utterance>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    eval::read_jsonl(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn evaluate(split: &eval::Split) -> Result<()> {
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
    writeln!(
        out,
        "{:<12} {:>8} {:>8} {:>14} {:>16}",
        "ranker", "top-1", "MRR@10", "oos->unsure", "in-scope unsure"
    )?;
    writeln!(out, "{}", row("assistant", &ours))?;
    writeln!(out, "{}", row("bm25", &baseline))?;
    Ok(())
}

fn row(name: &str, r: &Report) -> String {
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    format!(
        "{name:<12} {:>7.1}% {:>8.3} {:>14} {:>16}",
        r.top1 * 100.0,
        r.mrr10,
        pct(r.oos_unsure_recall),
        pct(r.in_scope_unsure)
    )
}
