//! The `ito` command line.
//!
//! - [`serve`]: `ito serve`, binding, logging the URLs and shutting down gracefully.
//! - [`assistant`]: `ito assistant query | check | eval`.
//! - [`kb`]: `ito kb import | export`: knowledge bases between files and the database.

pub mod assistant;
pub mod kb;
pub mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::site::config::Config;
use crate::store::agents::Role;

#[derive(Debug, Parser)]
#[command(name = "ito", version, about = "Embeddable customer-help chat")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the loader, the widget, the console and the demo page.
    Serve(ServeArgs),
    /// The FAQ assistant: query a knowledge base, check it, measure it.
    #[command(subcommand)]
    Assistant(crate::cli::assistant::AssistantCommand),
    /// Agents who answer in the console.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// A site's measures (deflection, first response, CSAT, CES, ...) for a range of days.
    Report(ReportArgs),
    /// A site's knowledge base between a file and the database: import, export.
    #[command(subcommand)]
    Kb(crate::cli::kb::KbCommand),
    /// The database itself: moving everything into another one.
    #[command(subcommand)]
    Db(DbCommand),
    /// Fills an empty database with a few weeks of demo conversations and surveys.
    SeedDemo {
        /// The site to fill.
        #[arg(long, default_value = "demo")]
        site: String,
        /// How many days, ending now.
        #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u32).range(1..=365))]
        days: u32,
        /// The configuration file; the demo's without it.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Overrides `server.database` and `ITO_DATABASE_URL`.
        #[arg(long)]
        database: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The site's id.
    #[arg(long)]
    site: String,
    /// First day, YYYY-MM-DD, in the site's time zone.
    #[arg(long)]
    from: String,
    /// Last day (included), YYYY-MM-DD.
    #[arg(long)]
    to: String,
    /// Comma-separated values instead of a table.
    #[arg(long)]
    csv: bool,
    /// The configuration file; the demo's without it.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Overrides `server.database` and `ITO_DATABASE_URL`.
    #[arg(long)]
    database: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Add an agent; the password is read from the first line of standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// May see every site's dashboard and edit knowledge bases.
        #[arg(long, conflicts_with = "editor")]
        admin: bool,
        /// Only writes knowledge-base articles: never offered a conversation.
        #[arg(long)]
        editor: bool,
        /// How many open conversations they take at once (auto-assignment fills up to it).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        capacity: u32,
        /// The configuration file whose database gets the agent; the demo's without it.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Overrides `server.database` and `ITO_DATABASE_URL`.
        #[arg(long)]
        database: Option<String>,
    },
    /// Remove an agent who leaves: no more sign-ins, every session ends (an open console
    /// closes within a second), and what they still had goes back to the queue.
    Remove {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a new password, read from the first line of standard input; every session ends.
    Password {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// End every session of an agent (a lost laptop): they sign in again.
    SignOut {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Which database a command works on.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copies everything (agents, sessions, conversations, events, surveys, settings) into an
    /// empty database, e.g. from SQLite to PostgreSQL. Stop the server first.
    Copy {
        /// The database copied: a path or `sqlite:` URL, or a `postgres://` URL.
        #[arg(long)]
        from: String,
        /// The empty database copied into (created and migrated if needed).
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The configuration file whose database it is; the demo's without it.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Overrides `server.database` and `ITO_DATABASE_URL`.
    #[arg(long)]
    database: Option<String>,
}

impl StoreArgs {
    async fn open(self) -> anyhow::Result<crate::store::Store> {
        Ok(crate::store::Store::open(&self.config()?.server.database).await?)
    }

    /// The configuration, with the database these arguments name.
    fn config(&self) -> anyhow::Result<Config> {
        ServeArgs {
            config: self.config.clone(),
            listen: None,
            database: self.database.clone(),
        }
        .config()
    }
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> std::io::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The configuration file; without it, the built-in demo (examples/ito.toml).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Overrides `server.listen`, e.g. 127.0.0.1:0 for a free port.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Overrides `server.database` and `ITO_DATABASE_URL`.
    #[arg(long)]
    pub database: Option<String>,
}

impl ServeArgs {
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::demo(),
        };
        if let Some(listen) = self.listen {
            config.server.listen = listen;
        }
        let from_environment = std::env::var("ITO_DATABASE_URL").ok();
        if let Some(database) = self.database.as_ref().or(from_environment.as_ref()) {
            config.server.database = crate::store::Location::parse(database);
        }
        Ok(config)
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::SeedDemo {
            site,
            days,
            config,
            database,
        } => {
            let config = ServeArgs {
                config,
                listen: None,
                database,
            }
            .config()?;
            if config.site(&site).is_none() {
                anyhow::bail!("no site {site:?} in the configuration");
            }
            let db = crate::store::Store::open(&config.server.database).await?;
            let demo_agent =
                crate::store::agents::id_by_email(&db, crate::cli::serve::DEMO_AGENT).await?;
            let now = crate::live::dispatch::now_millis();
            let seeded =
                crate::reports::seed::seed(&db, &site, days, now, demo_agent.as_deref()).await?;
            db.close().await;
            println!(
                "ito: seeded {} conversations and {} surveys over {days} days on site {site}",
                seeded.planned.len(),
                seeded.surveys
            );
        }
        Command::Report(args) => {
            let config = ServeArgs {
                config: args.config,
                listen: None,
                database: args.database,
            }
            .config()?;
            let site = config.site(&args.site).ok_or_else(|| {
                let known: Vec<&str> = config.sites.iter().map(|s| s.id.as_str()).collect();
                anyhow::anyhow!(
                    "no site {:?} in the configuration (sites: {})",
                    args.site,
                    known.join(", ")
                )
            })?;
            let days = crate::reports::report::Days::parse(&args.from, &args.to)?;
            let db = crate::store::Store::open(&config.server.database).await?;
            let report = crate::reports::report::report(&db, site, days, None).await?;
            db.close().await;
            if args.csv {
                print!("{}", crate::reports::report::csv(&report));
            } else {
                print!("{}", crate::reports::report::table(&report));
            }
        }
        Command::Kb(command) => crate::cli::kb::run(command).await?,
        Command::Serve(args) => crate::cli::serve::serve(args.config()?).await?,
        Command::Assistant(command) => crate::cli::assistant::run(command)?,
        Command::Agent(AgentCommand::Add {
            email,
            name,
            admin,
            editor,
            capacity,
            config,
            database,
        }) => {
            let args = ServeArgs {
                config,
                listen: None,
                database,
            };
            let config = args.config()?;
            let password = password_from_stdin()?;
            let db = crate::store::Store::open(&config.server.database).await?;
            let role = match (admin, editor) {
                (true, _) => Role::Admin,
                (_, true) => Role::Editor,
                _ => Role::Agent,
            };
            let agent = crate::store::agents::add(&db, &email, &name, &password, role).await?;
            crate::store::agents::set_capacity(&db, &agent.id, capacity).await?;
            db.close().await;
            println!(
                "ito: added {} {} <{}>, {capacity} conversations at once",
                agent.role, agent.name, agent.email
            );
        }
        Command::Db(DbCommand::Copy { from, to }) => {
            let (from, to) = (
                crate::store::Location::parse(&from),
                crate::store::Location::parse(&to),
            );
            if let crate::store::Location::Sqlite(path) = &from
                && !path.exists()
            {
                anyhow::bail!("no database at {}", path.display());
            }
            let source = crate::store::Store::open(&from).await?;
            let target = crate::store::Store::open(&to).await?;
            let copied = crate::store::copy::copy(&source, &target).await?;
            source.close().await;
            target.close().await;
            for (table, rows) in copied {
                println!("ito: copied {rows} rows of {table}");
            }
            println!("ito: {from} copied into {to}");
        }
        Command::Agent(AgentCommand::Remove { email, store }) => {
            let db = store.open().await?;
            let agent = crate::store::agents::remove(&db, &email).await?;
            db.close().await;
            println!(
                "ito: removed {} <{}>: signed out everywhere; a running server gives their open conversations to others",
                agent.name, agent.email
            );
        }
        Command::Agent(AgentCommand::Password { email, store }) => {
            let password = password_from_stdin()?;
            let db = store.open().await?;
            let agent = crate::store::agents::set_password(&db, &email, &password).await?;
            db.close().await;
            println!(
                "ito: new password for {} <{}>; every session ended",
                agent.name, agent.email
            );
        }
        Command::Agent(AgentCommand::SignOut { email, store }) => {
            let db = store.open().await?;
            let (agent, ended) = crate::store::agents::revoke_sessions(&db, &email).await?;
            db.close().await;
            println!(
                "ito: ended {ended} sessions of {} <{}>",
                agent.name, agent.email
            );
        }
    }
    Ok(())
}
