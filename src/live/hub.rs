//! Who is listening to which conversation, in this process. A notification only says "event
//! `seq` was committed"; each connection then reads what it has not sent yet from the store.
//! So a slow or lagging connection never loses an event: it catches up from the database.
//! Typing is the one thing passed along without being stored: losing it loses nothing.
//!
//! A channel lives exactly as long as someone listens: the last [`Listener`] to go takes its
//! conversation's channel with it, so the map holds the conversations open now, not every
//! conversation ever opened.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use ito_protocol::chat::{ConversationId, Seq};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// Notifications kept per conversation for slow listeners before they must catch up.
const BUFFER: usize = 64;

/// What a conversation's listeners hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Event `seq` is stored: read what you have not sent yet (every reader reads from the
    /// last event it sent, so 0 means only "read again").
    Committed(Seq),
    /// The visitor (or the agent) started or stopped typing.
    Typing { by_agent: bool, typing: bool },
}

#[derive(Debug, Default)]
pub struct Hub {
    conversations: Channels<ConversationId, Notice>,
    /// Per site, a notice whenever its queue of waiting conversations changes.
    queues: Channels<String, ()>,
}

impl Hub {
    pub fn subscribe(&self, conversation: &ConversationId) -> Listener<ConversationId, Notice> {
        self.conversations.listen(conversation)
    }

    /// Tells everyone listening that `seq` is stored.
    pub fn committed(&self, conversation: &ConversationId, seq: Seq) {
        self.conversations
            .tell(conversation, Notice::Committed(seq));
    }

    pub fn typing(&self, conversation: &ConversationId, by_agent: bool, typing: bool) {
        self.conversations
            .tell(conversation, Notice::Typing { by_agent, typing });
    }

    pub fn watch_queue(&self, site: &str) -> Listener<String, ()> {
        self.queues.listen(&site.to_owned())
    }

    /// Someone joined or left `site`'s queue: waiting visitors recompute their place.
    pub fn queue_changed(&self, site: &str) {
        self.queues.tell(&site.to_owned(), ());
    }

    /// Every listener here reads again what it may have missed (this node's connection to the
    /// other nodes dropped): each conversation is told of a commit, each queue that it moved.
    pub fn everyone_read_again(&self) {
        self.conversations.tell_all(Notice::Committed(0));
        self.queues.tell_all(());
    }

    /// How many conversations have a listener now (what the soak benchmark watches).
    pub fn conversations_listened(&self) -> usize {
        self.conversations.len()
    }
}

/// One broadcast channel per key, created by the first listener and removed with the last.
#[derive(Debug)]
pub struct Channels<K, T> {
    senders: Arc<Mutex<HashMap<K, broadcast::Sender<T>>>>,
}

impl<K, T> Default for Channels<K, T> {
    fn default() -> Self {
        Channels {
            senders: Arc::default(),
        }
    }
}

impl<K: Eq + Hash + Clone, T: Clone> Channels<K, T> {
    fn listen(&self, key: &K) -> Listener<K, T> {
        let mut senders = self.senders.lock().expect("hub lock");
        let receiver = senders
            .entry(key.clone())
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe();
        Listener {
            receiver: Some(receiver),
            senders: Arc::clone(&self.senders),
            key: key.clone(),
        }
    }

    fn tell(&self, key: &K, value: T) {
        let senders = self.senders.lock().expect("hub lock");
        if let Some(sender) = senders.get(key) {
            // No receiver left is impossible while the entry exists; nothing to do then.
            let _ = sender.send(value);
        }
    }

    fn tell_all(&self, value: T) {
        for sender in self.senders.lock().expect("hub lock").values() {
            let _ = sender.send(value.clone());
        }
    }

    fn len(&self) -> usize {
        self.senders.lock().expect("hub lock").len()
    }
}

/// A subscription to one key's notices; dropping the last one forgets the channel.
#[derive(Debug)]
pub struct Listener<K: Eq + Hash, T> {
    /// Always `Some` until dropped.
    receiver: Option<broadcast::Receiver<T>>,
    senders: Arc<Mutex<HashMap<K, broadcast::Sender<T>>>>,
    key: K,
}

impl<K: Eq + Hash, T: Clone> Listener<K, T> {
    /// The next notice; `Lagged` means some were missed (the store has whatever they said).
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        self.receiver
            .as_mut()
            .expect("a live listener has its receiver")
            .recv()
            .await
    }
}

impl<K: Eq + Hash, T> Drop for Listener<K, T> {
    fn drop(&mut self) {
        // Under the lock, so no new listener can subscribe between the count and the removal.
        let mut senders = self.senders.lock().expect("hub lock");
        drop(self.receiver.take());
        if senders
            .get(&self.key)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            senders.remove(&self.key);
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
        assert!(on_b.receiver.as_mut().unwrap().try_recv().is_err());
        hub.committed(&b, 1);
        assert_eq!(on_b.recv().await.unwrap(), Notice::Committed(1));
    }

    #[tokio::test]
    async fn a_channel_goes_with_its_last_listener_even_if_nothing_was_said() {
        let hub = Hub::default();
        let a: ConversationId = "a".parse().unwrap();
        let first = hub.subscribe(&a);
        let mut second = hub.subscribe(&a);
        assert_eq!(hub.conversations_listened(), 1);
        drop(first);
        assert_eq!(hub.conversations_listened(), 1, "one still listens");
        hub.committed(&a, 7);
        assert_eq!(second.recv().await.unwrap(), Notice::Committed(7));
        drop(second);
        assert_eq!(
            hub.conversations_listened(),
            0,
            "forgotten without a word said"
        );
        let queue = hub.watch_queue("demo");
        drop(queue);
        assert_eq!(hub.queues.len(), 0);
        // Telling a conversation nobody listens to creates nothing.
        hub.committed(&a, 8);
        assert_eq!(hub.conversations_listened(), 0);
    }
}
