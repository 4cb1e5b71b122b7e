//! Who is listening to which conversation, in this process. A notification only says "event
//! `seq` was committed"; each connection then reads what it has not sent yet from the store.
//! So a slow or lagging connection never loses an event: it catches up from the database.
//! Typing is the one thing passed along without being stored: losing it loses nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use ito_protocol::chat::{ConversationId, Seq};
use tokio::sync::broadcast;

/// Notifications kept per conversation for slow listeners before they must catch up.
const BUFFER: usize = 64;

/// What a conversation's listeners hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Event `seq` is stored: read what you have not sent yet.
    Committed(Seq),
    /// The visitor (or the agent) started or stopped typing.
    Typing { by_agent: bool, typing: bool },
}

#[derive(Debug, Default)]
pub struct Hub {
    conversations: Mutex<HashMap<ConversationId, broadcast::Sender<Notice>>>,
    /// Per site, a notice whenever its queue of waiting conversations changes.
    queues: Mutex<HashMap<String, broadcast::Sender<()>>>,
}

impl Hub {
    pub fn subscribe(&self, conversation: &ConversationId) -> broadcast::Receiver<Notice> {
        let mut conversations = self.conversations.lock().expect("hub lock");
        conversations
            .entry(conversation.clone())
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe()
    }

    /// Tells everyone listening that `seq` is stored.
    pub fn committed(&self, conversation: &ConversationId, seq: Seq) {
        self.tell(conversation, Notice::Committed(seq));
    }

    pub fn typing(&self, conversation: &ConversationId, by_agent: bool, typing: bool) {
        self.tell(conversation, Notice::Typing { by_agent, typing });
    }

    /// Forgets conversations nobody listens to any more.
    fn tell(&self, conversation: &ConversationId, notice: Notice) {
        let mut conversations = self.conversations.lock().expect("hub lock");
        if let Some(sender) = conversations.get(conversation)
            && sender.send(notice).is_err()
        {
            conversations.remove(conversation);
        }
    }
}

impl Hub {
    pub fn watch_queue(&self, site: &str) -> broadcast::Receiver<()> {
        let mut queues = self.queues.lock().expect("hub lock");
        queues
            .entry(site.to_owned())
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe()
    }

    /// Someone joined or left `site`'s queue: waiting visitors recompute their place.
    pub fn queue_changed(&self, site: &str) {
        let mut queues = self.queues.lock().expect("hub lock");
        if let Some(sender) = queues.get(site)
            && sender.send(()).is_err()
        {
            queues.remove(site);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_hear_commits_of_their_conversation_only() {
        let hub = Hub::default();
        let a: ConversationId = "a".parse().unwrap();
        let b: ConversationId = "b".parse().unwrap();
        let mut on_a = hub.subscribe(&a);
        let mut on_b = hub.subscribe(&b);
        hub.committed(&a, 1);
        assert_eq!(on_a.recv().await.unwrap(), Notice::Committed(1));
        assert!(on_b.try_recv().is_err());
        drop(on_a);
        hub.committed(&a, 2);
        assert!(
            hub.conversations.lock().unwrap().get(&a).is_none(),
            "forgotten"
        );
        hub.committed(&b, 1);
        assert_eq!(on_b.recv().await.unwrap(), Notice::Committed(1));
    }
}
