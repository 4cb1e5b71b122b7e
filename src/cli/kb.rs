//! `ito kb import | export`: a site's knowledge base in one language between a file (the TOML
//! authoring format, or JSON by its `.json` extension) and the database, where the console
//! edits it. An import makes the base exactly the file's and publishes it; an export writes
//! what visitors get (or, with `--draft`, what editors have saved).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use ito_assistant::KnowledgeBase;
use ito_protocol::Locale;

use super::StoreArgs;
use crate::site::knowledge::unfit;
use crate::store::knowledge::{self, BaseKey};

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Makes the site's base in that language exactly the file's (articles added, changed and
    /// deleted; every earlier version kept) and publishes it. A base with errors is refused.
    Import {
        #[command(flatten)]
        base: BaseArgs,
        /// The TOML authoring format or the JSON interchange format.
        file: PathBuf,
    },
    /// Writes the base visitors get to the file (JSON if it ends in `.json`, else TOML).
    Export {
        #[command(flatten)]
        base: BaseArgs,
        /// What editors have saved, published or not.
        #[arg(long)]
        draft: bool,
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct BaseArgs {
    /// The site's id, as `ito.toml` names it.
    #[arg(long)]
    site: String,
    /// The base's language: en or ja.
    #[arg(long)]
    locale: Locale,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(command: KbCommand) -> anyhow::Result<()> {
    match command {
        KbCommand::Import { base: args, file } => {
            let base = read(&file, args.locale)?;
            let (site, db) = args.open().await?;
            let key = BaseKey {
                site: &site,
                locale: args.locale,
            };
            let imported = knowledge::import(&db, key, &base, None).await?;
            db.close().await;
            println!(
                "ito: imported {} into {site}/{}: {} added, {} changed, {} deleted, {} unchanged; published as revision {}",
                file.display(),
                args.locale.code(),
                imported.added,
                imported.changed,
                imported.deleted,
                imported.unchanged,
                imported.revision
            );
        }
        KbCommand::Export {
            base: args,
            draft,
            file,
        } => {
            let (site, db) = args.open().await?;
            let key = BaseKey {
                site: &site,
                locale: args.locale,
            };
            let base = if draft {
                Some(knowledge::draft(&db, key).await?.base)
            } else {
                knowledge::published(&db, key).await?
            };
            db.close().await;
            let base = base.with_context(|| {
                format!(
                    "site {site} has no published {} knowledge base in this database (it is imported when `ito serve` first starts, or with `ito kb import`)",
                    args.locale.code()
                )
            })?;
            let text = if is_json(&file) {
                base.to_json()
            } else {
                base.to_toml()
            };
            std::fs::write(&file, text)
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!(
                "ito: wrote {} articles of {site}/{} to {}",
                base.articles.len(),
                args.locale.code(),
                file.display()
            );
        }
    }
    Ok(())
}

impl BaseArgs {
    /// The site (checked against the configuration) and its database.
    async fn open(&self) -> anyhow::Result<(String, crate::store::Store)> {
        let config = self.store.config()?;
        if config.site(&self.site).is_none() {
            let known: Vec<&str> = config.sites.iter().map(|s| s.id.as_str()).collect();
            anyhow::bail!(
                "no site {:?} in the configuration (sites: {})",
                self.site,
                known.join(", ")
            );
        }
        let db = crate::store::Store::open(&config.server.database).await?;
        Ok((self.site.clone(), db))
    }
}

/// The file's base, if it is one fit to serve in `locale`.
fn read(file: &Path, locale: Locale) -> anyhow::Result<KnowledgeBase> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read knowledge base {}", file.display()))?;
    let base = KnowledgeBase::parse(&text)
        .with_context(|| format!("knowledge base {}", file.display()))?;
    if base.locale != locale.code() {
        anyhow::bail!(
            "{} is a {:?} knowledge base, not {}",
            file.display(),
            base.locale,
            locale.code()
        );
    }
    let errors = unfit(&base);
    if !errors.is_empty() {
        anyhow::bail!(
            "{} cannot be published: {} (run `ito assistant check --kb {}`)",
            file.display(),
            errors.join("; "),
            file.display()
        );
    }
    Ok(base)
}

fn is_json(file: &Path) -> bool {
    file.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}
