//! The console's state as plain data: the inbox, the conversations this agent opened with their
//! context and events, the outbox of unacknowledged replies, presence. Every frame from the
//! server goes through [`Desk::apply`], which says what the shell should do about it
//! (notify, scroll), so the rules are tested without a browser or a socket.

use std::collections::BTreeMap;

use ito_protocol::chat::{
    AgentRef, AgentToServer, ClientId, ConversationId, ConversationStatus, EarlierConversation,
    Event, EventKind, HandoffContext, HandoffReason, InboxEntry, Seq, ServerToAgent,
    VisitorIdentity,
};

/// Which part of the inbox is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Waiting for a person, nobody has them yet.
    #[default]
    Waiting,
    /// Assigned to me.
    Mine,
    /// Every open conversation.
    All,
}

/// A conversation the agent opened: its context and everything that happened in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub status: ConversationStatus,
    pub agent: Option<AgentRef>,
    pub reason: Option<HandoffReason>,
    pub summary: Vec<String>,
    pub context: HandoffContext,
    pub earlier: Vec<EarlierConversation>,
    pub visitor: Option<VisitorIdentity>,
    /// Stored events, in order, each once.
    pub events: Vec<Event>,
    /// Replies sent and not yet acknowledged, oldest first: resent after a reconnect.
    pub outbox: Vec<Pending>,
    pub visitor_typing: bool,
    /// The newest event this agent's read receipt covered.
    pub receipt_sent: Seq,
}

/// A reply the server has not acknowledged yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub id: ClientId,
    pub text: String,
    /// The article inserted into it, for the suggestion it makes.
    pub article: Option<String>,
    /// A private note for agents, not a reply to the visitor.
    pub note: bool,
}

impl Pending {
    fn frame(&self, conversation: &ConversationId) -> AgentToServer {
        if self.note {
            return AgentToServer::Note {
                conversation: conversation.clone(),
                id: self.id.clone(),
                text: self.text.clone(),
            };
        }
        AgentToServer::Send {
            conversation: conversation.clone(),
            id: self.id.clone(),
            text: self.text.clone(),
            article: self.article.clone(),
        }
    }
}

impl Opened {
    pub fn last_seq(&self) -> Seq {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// The newest event the visitor has read, as their read receipts say.
    pub fn visitor_read_up_to(&self) -> Seq {
        self.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Read {
                    by_agent: false,
                    up_to,
                } => Some(up_to),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    fn insert(&mut self, event: Event) {
        match self.events.binary_search_by_key(&event.seq, |e| e.seq) {
            Ok(_) => {}
            Err(at) => {
                if let Some(id) = event.kind.client_id() {
                    self.outbox.retain(|pending| pending.id != *id);
                }
                match &event.kind {
                    EventKind::Resolved => self.status = ConversationStatus::Resolved,
                    EventKind::Ended => self.status = ConversationStatus::Ended,
                    // Joined by a claim, or by a transfer from whoever had it.
                    EventKind::AgentJoined { agent_id, name } => {
                        self.status = ConversationStatus::Assigned;
                        self.agent = Some(AgentRef {
                            id: agent_id.clone(),
                            name: name.clone(),
                        });
                    }
                    EventKind::Message { .. } => self.visitor_typing = false,
                    _ => {}
                }
                self.events.insert(at, event);
            }
        }
    }
}

/// What the shell should do after a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A visitor started waiting, or a conversation was given to me: tell the agent, even in
    /// another tab (desktop notification and a sound).
    Alert {
        conversation: ConversationId,
        preview: String,
    },
    /// Something went wrong the agent should read.
    Problem(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desk {
    pub me: Option<String>,
    pub inbox: Vec<InboxEntry>,
    pub opened: BTreeMap<ConversationId, Opened>,
    pub selected: Option<ConversationId>,
    pub filter: Filter,
    /// Only conversations with this label, when set.
    pub label: Option<String>,
    pub online: bool,
    /// Whether the first inbox arrived (so the ones in it are not news).
    seen_inbox: bool,
    next_id: u64,
}

impl Desk {
    /// The inbox entries the current filter shows.
    pub fn visible(&self) -> Vec<&InboxEntry> {
        self.inbox
            .iter()
            .filter(|entry| self.shows(self.filter, entry))
            .collect()
    }

    pub fn count(&self, filter: Filter) -> usize {
        self.inbox.iter().filter(|e| self.shows(filter, e)).count()
    }

    fn shows(&self, filter: Filter, entry: &InboxEntry) -> bool {
        let in_tab = match filter {
            Filter::Waiting => entry.status == ConversationStatus::Waiting,
            Filter::Mine => self.is_mine(entry),
            Filter::All => true,
        };
        in_tab && self.label.as_ref().is_none_or(|l| entry.labels.contains(l))
    }

    /// Every label on an open conversation, for the inbox's filter.
    pub fn labels_in_inbox(&self) -> Vec<String> {
        let mut labels: Vec<String> = self
            .inbox
            .iter()
            .flat_map(|e| e.labels.iter().cloned())
            .collect();
        labels.sort();
        labels.dedup();
        labels
    }

    fn is_mine(&self, entry: &InboxEntry) -> bool {
        entry.agent.as_ref().map(|a| &a.id) == self.me.as_ref()
    }

    /// Whether I may write in a conversation: it is assigned to me.
    pub fn can_write(&self, conversation: &ConversationId) -> bool {
        self.opened.get(conversation).is_some_and(|o| {
            o.status == ConversationStatus::Assigned
                && o.agent.as_ref().map(|a| &a.id) == self.me.as_ref()
        })
    }

    pub fn apply(&mut self, frame: ServerToAgent) -> Vec<Effect> {
        match frame {
            ServerToAgent::Welcome { agent_id, .. } => {
                self.me = Some(agent_id);
                Vec::new()
            }
            ServerToAgent::Inbox { conversations } => self.new_inbox(conversations),
            ServerToAgent::Context {
                conversation,
                status,
                agent,
                reason,
                summary,
                context,
                earlier,
                visitor,
            } => {
                let opened = self.opened.entry(conversation).or_insert_with(|| Opened {
                    status,
                    agent: None,
                    reason,
                    summary: Vec::new(),
                    context: HandoffContext::default(),
                    earlier: Vec::new(),
                    visitor: None,
                    events: Vec::new(),
                    outbox: Vec::new(),
                    visitor_typing: false,
                    receipt_sent: 0,
                });
                opened.status = status;
                opened.agent = agent;
                opened.reason = reason;
                opened.summary = summary;
                opened.context = *context;
                opened.earlier = earlier;
                opened.visitor = visitor;
                Vec::new()
            }
            ServerToAgent::Event {
                conversation,
                event,
            } => {
                if let Some(opened) = self.opened.get_mut(&conversation) {
                    if let EventKind::AgentJoined { agent_id, name } = &event.kind {
                        opened.agent = Some(AgentRef {
                            id: agent_id.clone(),
                            name: name.clone(),
                        });
                    }
                    opened.insert(event);
                }
                Vec::new()
            }
            ServerToAgent::Ack {
                conversation, id, ..
            } => {
                if let Some(opened) = self.opened.get_mut(&conversation) {
                    opened.outbox.retain(|pending| pending.id != id);
                }
                Vec::new()
            }
            ServerToAgent::Claimed { conversation, .. } => {
                self.selected = Some(conversation);
                Vec::new()
            }
            ServerToAgent::Typing {
                conversation,
                typing,
            } => {
                if let Some(opened) = self.opened.get_mut(&conversation) {
                    opened.visitor_typing = typing;
                }
                Vec::new()
            }
            ServerToAgent::Error { message, .. } => vec![Effect::Problem(message)],
            ServerToAgent::Pong => Vec::new(),
        }
    }

    /// Takes a new inbox; conversations that newly wait, or newly became mine, are news.
    fn new_inbox(&mut self, conversations: Vec<InboxEntry>) -> Vec<Effect> {
        let effects = if self.seen_inbox {
            conversations
                .iter()
                .filter(|new| {
                    let before = self
                        .inbox
                        .iter()
                        .find(|old| old.conversation == new.conversation);
                    let waits = new.status == ConversationStatus::Waiting;
                    let mine = self.is_mine(new);
                    match before {
                        None => waits || mine,
                        Some(old) => mine && !self.is_mine(old),
                    }
                })
                .map(|new| Effect::Alert {
                    conversation: new.conversation.clone(),
                    preview: new.preview.clone().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };
        self.seen_inbox = true;
        for entry in &conversations {
            if let Some(opened) = self.opened.get_mut(&entry.conversation) {
                opened.status = entry.status;
                opened.agent = entry.agent.clone();
            }
        }
        self.inbox = conversations;
        effects
    }

    /// Puts a reply (with the article inserted into it, if any) in the conversation's outbox
    /// and returns the frame to send.
    pub fn reply(
        &mut self,
        conversation: &ConversationId,
        text: &str,
        article: Option<String>,
    ) -> Option<AgentToServer> {
        if !self.can_write(conversation) {
            return None;
        }
        self.pend(conversation, text, article, false)
    }

    /// Puts a private note (only agents see it) in an opened conversation's outbox, whoever
    /// has the conversation, and returns the frame to send.
    pub fn note(&mut self, conversation: &ConversationId, text: &str) -> Option<AgentToServer> {
        self.pend(conversation, text, None, true)
    }

    fn pend(
        &mut self,
        conversation: &ConversationId,
        text: &str,
        article: Option<String>,
        note: bool,
    ) -> Option<AgentToServer> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        self.next_id += 1;
        let id: ClientId = format!("a{}-{}", js_time_tag(), self.next_id)
            .parse()
            .ok()?;
        let opened = self.opened.get_mut(conversation)?;
        let pending = Pending {
            id,
            text: text.to_owned(),
            article,
            note,
        };
        let frame = pending.frame(conversation);
        opened.outbox.push(pending);
        Some(frame)
    }

    /// What a fresh connection sends after its hello: presence, then for every opened
    /// conversation a catch-up from the last event seen and every unacknowledged reply again.
    pub fn resume(&self) -> Vec<AgentToServer> {
        let mut frames = vec![AgentToServer::Status {
            online: self.online,
        }];
        for (conversation, opened) in &self.opened {
            frames.push(AgentToServer::Replay {
                conversation: conversation.clone(),
                after: opened.last_seq(),
            });
            frames.extend(opened.outbox.iter().map(|p| p.frame(conversation)));
        }
        frames
    }

    /// A read receipt for the selected conversation when the visitor wrote something this
    /// agent has not acknowledged reading yet (only in a conversation they have).
    pub fn read_receipt(&mut self) -> Option<AgentToServer> {
        let conversation = self.selected.clone()?;
        if !self.can_write(&conversation) {
            return None;
        }
        let opened = self.opened.get_mut(&conversation)?;
        let newest = opened
            .events
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.kind,
                    EventKind::Message {
                        author: ito_protocol::chat::Author::Visitor,
                        ..
                    }
                )
            })?
            .seq;
        let stored = opened
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Read {
                    by_agent: true,
                    up_to,
                } => Some(up_to),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if newest <= opened.receipt_sent.max(stored) {
            return None;
        }
        opened.receipt_sent = newest;
        Some(AgentToServer::Read {
            conversation,
            up_to: newest,
        })
    }

    /// Moves the selection to the next (or previous) visible conversation.
    pub fn step(&mut self, forward: bool) -> Option<ConversationId> {
        let visible = self.visible();
        if visible.is_empty() {
            return None;
        }
        let at = self
            .selected
            .as_ref()
            .and_then(|s| visible.iter().position(|e| &e.conversation == s));
        let next = match (at, forward) {
            (None, _) => 0,
            (Some(i), true) => (i + 1).min(visible.len() - 1),
            (Some(i), false) => i.saturating_sub(1),
        };
        let id = visible[next].conversation.clone();
        self.selected = Some(id.clone());
        Some(id)
    }
}

/// Makes reply ids of different page loads differ (the counter restarts at each load).
fn js_time_tag() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
