//! `ito serve`: open the store, bind, serve until Ctrl-C or SIGTERM, then drain.

use std::io::Write;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::http::app;
use crate::site::config::Config;
use crate::site::knowledge::{KnowledgeBases, KnowledgeError};
use crate::state::AppState;
use crate::store::{OpenError, Store, StoreError, agents, settings};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot create the demo agent: {0}")]
    DemoAgent(String),
}

/// The demo agent's email; its password is made on first start and printed at each start.
pub const DEMO_AGENT: &str = "demo@ito.example";

pub async fn serve(config: Config) -> Result<(), ServeError> {
    let store = Store::open(&config.server.database).await?;
    let bases = KnowledgeBases::load(&config, &store).await?;
    let instance = settings::instance_id(&store).await?;
    let addr = config.server.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    tracing::info!(%local, database = %config.server.database, %instance, "ito is serving");
    // Printed, not only logged: people and the end-to-end tests read the address from here.
    // A closed stdout must not stop the server, so write errors are ignored.
    let _ = writeln!(
        std::io::stdout(),
        "ito: listening on http://{local}\nito: demo host page  http://{local}/\nito: agent console   http://{local}/console/"
    );
    if config.is_demo() {
        let password = settings::demo_agent_password(&store).await?;
        if agents::check_login(&store, DEMO_AGENT, &password)
            .await
            .map_err(StoreError::from)?
            .is_none()
        {
            let added = agents::add(
                &store,
                DEMO_AGENT,
                "Demo Agent",
                &password,
                agents::Role::Admin,
            )
            .await;
            match added {
                // Another node of the same database, starting at the same moment, made it.
                Ok(_) | Err(agents::AgentError::Exists(_)) => {}
                Err(e) => return Err(ServeError::DemoAgent(e.to_string())),
            }
        }
        let _ = writeln!(
            std::io::stdout(),
            "ito: demo agent      {DEMO_AGENT} / {password}"
        );
    }

    let limits = config.server.limits.clone();
    let state = AppState::new(config, store.clone(), bases).await?;
    let _ = state.mail.own_url.set(format!("http://{local}"));
    crate::http::listener::serve(listener, app(state.clone()), &limits, shutdown).await?;
    if let Err(e) = state.bus.leave(&store).await {
        tracing::warn!(error = %e, "the other nodes will take this one for dead in 30 s");
    }
    store.close().await;
    tracing::info!("ito stopped");
    Ok(())
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM from the moment it is called, so a signal that
/// arrives right after the address is printed still shuts down gracefully.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, ServeError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down: finishing open requests");
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing open requests");
    })
}
