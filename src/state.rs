//! What every handler and background task shares: the configuration, the store, and the live
//! chat's hub, presence, limits and queues. It lives below `http`, which only reads it.

use std::sync::Arc;

use ito_protocol::chat::ConversationId;

use crate::answers::service::SemanticAnswers;
use crate::live::bus::Bus;
use crate::live::hub::Hub;
use crate::live::limits::{Action, AddressCounts, ConnectionCounts, KeyedBuckets, SignInThrottle};
use crate::live::presence::Presence;
use crate::live::token::TokenKey;
use crate::site::config::Config;
use crate::site::knowledge::{KnowledgeBases, KnowledgeError, LiveBases};
use crate::store::appender::Appender;
use crate::store::{Store, StoreError};

/// What every handler may read.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Store,
    /// The knowledge bases as published, replaced when one is published again.
    pub bases: LiveBases,
    pub hub: Arc<Hub>,
    pub tokens: TokenKey,
    /// Open chat connections per address and per conversation.
    pub connections: AddressCounts,
    pub visitor_connections: ConnectionCounts<ConversationId>,
    /// Which agents are at their console and online.
    pub presence: Arc<Presence>,
    /// Every event the server stores goes through here (group commit).
    pub appender: Appender,
    /// Hints to and from the other nodes of a PostgreSQL database.
    pub bus: Bus,
    /// Held during an auto-assignment round (see `dispatch::assign_waiting`).
    pub assigning: Arc<tokio::sync::Mutex<()>>,
    /// Every visitor's frame limits (by conversation and kind), across their connections.
    pub visitor_buckets: KeyedBuckets<(ConversationId, Action)>,
    /// New conversations per address.
    pub new_conversations: KeyedBuckets<std::net::IpAddr>,
    /// Each site's queue as last read, shared by its waiting visitors.
    pub queues: Arc<crate::live::queue::QueueBoard>,
    /// Failed sign-ins by email and by address.
    pub sign_ins: Arc<SignInThrottle>,
    /// The sentence encoder and every base's vectors, for answers by meaning.
    pub answers: SemanticAnswers,
    /// Semantic questions per address.
    pub answer_buckets: KeyedBuckets<std::net::IpAddr>,
    /// Wakes the mail sender; this server's own address for mail links.
    pub mail: crate::mail::follow_up::Mail,
}

impl AppState {
    /// The state for `config` over an open, migrated database.
    pub async fn new(
        config: Config,
        db: Store,
        bases: KnowledgeBases,
    ) -> Result<AppState, StoreError> {
        let tokens = TokenKey::new(crate::store::settings::token_secret(&db).await?);
        // Each start is a new node: its notices and seats are told apart by this.
        let node = crate::store::random_hex(8);
        crate::store::cluster::register_node(&db, &node).await?;
        let appender = Appender::start(db.clone(), &node);
        let bus = Bus::start(&db, &node);
        let bases = LiveBases::new(bases);
        let answers = SemanticAnswers::start(
            config.server.semantic,
            config.server.models.clone(),
            bases.current(),
        );
        let state = AppState {
            answers,
            answer_buckets: KeyedBuckets::default(),
            appender,
            bus,
            config: Arc::new(config),
            db,
            bases,
            hub: Arc::default(),
            tokens,
            connections: ConnectionCounts::default(),
            visitor_connections: ConnectionCounts::default(),
            presence: Arc::default(),
            assigning: Arc::default(),
            sign_ins: Arc::default(),
            queues: Arc::default(),
            visitor_buckets: KeyedBuckets::default(),
            new_conversations: KeyedBuckets::default(),
            mail: Default::default(),
        };
        if let Some(smtp) = &state.config.server.smtp {
            match crate::mail::outbox::Sender::new(smtp) {
                Ok(sender) => {
                    crate::mail::outbox::start(state.db.clone(), sender, state.mail.wake.clone())
                }
                Err(e) => {
                    tracing::error!(error = %e, "no mail is sent: the SMTP settings do not work")
                }
            }
        }
        crate::live::queue::start_sweeping(state.clone());
        crate::live::bus::start(state.clone());
        watch_published_bases(state.clone());
        Ok(state)
    }

    /// Serves every base published since it was last looked at (here, on another node, or
    /// by `ito kb import`), and has its vectors built. Returns whether any was new.
    pub async fn refresh_bases(&self) -> Result<bool, KnowledgeError> {
        let Some(bases) = self.bases.refresh(&self.config, &self.db).await? else {
            return Ok(false);
        };
        self.answers.update(bases);
        Ok(true)
    }
}

/// How often a node looks for bases published elsewhere: the database is the truth, and a
/// publish here is served at once without waiting for this.
const PUBLISHED_BASES_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

fn watch_published_bases(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PUBLISHED_BASES_CHECK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = state.refresh_bases().await {
                tracing::warn!(error = %e, "cannot look for newly published knowledge bases");
            }
        }
    });
}
