//! Who is listening to which conversation, in this process. A notification only says "event
//! `seq` was committed"; each connection then reads what it has not sent yet from the store.
//! So a slow or lagging connection never loses an event: it catches up from the database.
//! Typing is the one thing passed along without being stored: losing it loses nothing.
//!
//! The newest few events of each conversation listened to here are kept beside its channel, so
//! that the readers a commit wakes are served from memory when the events they have not sent
//! are all there, and from the store otherwise: one read per commit and node, not one per
//! connection.
//!
//! A channel lives exactly as long as someone listens: the last [`Listener`] to go takes its
//! conversation's channel with it, so the map holds the conversations open now, not every
//! conversation ever opened.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use ito_protocol::chat::{ConversationId, Event, Seq};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// Notifications kept per conversation for slow listeners before they must catch up.
const BUFFER: usize = 64;

/// Events kept in memory per conversation listened to: enough for a burst between two reads.
const RECENT: usize = 16;

/// The newest committed events of one conversation, by number; there may be gaps (events
/// committed by another node not read yet), so only a run without one is served.
#[derive(Debug, Default)]
pub struct Recent(BTreeMap<Seq, Event>);

impl Recent {
    fn keep(&mut self, event: Event) {
        self.0.insert(event.seq, event);
        while self.0.len() > RECENT {
            self.0.pop_first();
        }
    }

    /// Every event after `after`, if they are all here up to at least `through`.
    fn after(&self, after: Seq, through: Seq) -> Option<Vec<Event>> {
        let mut run = Vec::new();
        let mut next = after + 1;
        for (&seq, event) in self.0.range(next..) {
            if seq != next {
                break;
            }
            run.push(event.clone());
            next += 1;
        }
        (next > through).then_some(run)
    }
}

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
    conversations: Channels<ConversationId, Notice, Recent>,
    /// Per site, a notice whenever its queue of waiting conversations changes.
    queues: Channels<String, ()>,
}

impl Hub {
    pub fn subscribe(
        &self,
        conversation: &ConversationId,
    ) -> Listener<ConversationId, Notice, Recent> {
        self.conversations.listen(conversation)
    }

    /// Tells everyone listening that `seq` is stored (its event is to be read from the store).
    pub fn committed(&self, conversation: &ConversationId, seq: Seq) {
        self.conversations
            .tell(conversation, Notice::Committed(seq));
    }

    /// Keeps `events` (committed, of `conversation`) for its listeners here and tells them.
    pub fn stored(&self, conversation: &ConversationId, events: Vec<Event>) {
        let newest = events.iter().map(|e| e.seq).max();
        self.conversations.tell_with(conversation, |recent| {
            for event in events {
                recent.keep(event);
            }
            newest.map(Notice::Committed)
        });
    }

    /// The events of `conversation` after `after`, from memory, if all of them up to at least
    /// `through` are there (and `through` is a real number: 0 asks for the store).
    pub fn recent(
        &self,
        conversation: &ConversationId,
        after: Seq,
        through: Seq,
    ) -> Option<Vec<Event>> {
        if through == 0 {
            return None;
        }
        self.conversations
            .with_state(conversation, |recent| recent.after(after, through))
            .flatten()
    }

    /// Whether anyone here listens to `conversation`.
    pub fn is_listened(&self, conversation: &ConversationId) -> bool {
        self.conversations
            .with_state(conversation, |_| ())
            .is_some()
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

/// One broadcast channel per key, created by the first listener and removed with the last,
/// with a state `S` that lives as long.
#[derive(Debug)]
pub struct Channels<K, T, S = ()> {
    senders: Arc<Mutex<HashMap<K, Channel<T, S>>>>,
}

#[derive(Debug)]
struct Channel<T, S> {
    sender: broadcast::Sender<T>,
    state: S,
}

impl<K, T, S> Default for Channels<K, T, S> {
    fn default() -> Self {
        Channels {
            senders: Arc::default(),
        }
    }
}

impl<K: Eq + Hash + Clone, T: Clone, S: Default> Channels<K, T, S> {
    fn listen(&self, key: &K) -> Listener<K, T, S> {
        let mut senders = self.senders.lock().expect("hub lock");
        let receiver = senders
            .entry(key.clone())
            .or_insert_with(|| Channel {
                sender: broadcast::channel(BUFFER).0,
                state: S::default(),
            })
            .sender
            .subscribe();
        Listener {
            receiver: Some(receiver),
            senders: Arc::clone(&self.senders),
            key: key.clone(),
        }
    }

    fn tell(&self, key: &K, value: T) {
        self.tell_with(key, |_| Some(value));
    }

    /// Changes `key`'s state, if anyone listens, and tells them what `change` returns.
    fn tell_with(&self, key: &K, change: impl FnOnce(&mut S) -> Option<T>) {
        let mut senders = self.senders.lock().expect("hub lock");
        if let Some(channel) = senders.get_mut(key)
            && let Some(value) = change(&mut channel.state)
        {
            // No receiver left is impossible while the entry exists; nothing to do then.
            let _ = channel.sender.send(value);
        }
    }

    fn with_state<R>(&self, key: &K, read: impl FnOnce(&S) -> R) -> Option<R> {
        let senders = self.senders.lock().expect("hub lock");
        senders.get(key).map(|channel| read(&channel.state))
    }

    fn tell_all(&self, value: T) {
        for channel in self.senders.lock().expect("hub lock").values() {
            let _ = channel.sender.send(value.clone());
        }
    }

    fn len(&self) -> usize {
        self.senders.lock().expect("hub lock").len()
    }
}

/// A subscription to one key's notices; dropping the last one forgets the channel.
#[derive(Debug)]
pub struct Listener<K: Eq + Hash, T, S = ()> {
    /// Always `Some` until dropped.
    receiver: Option<broadcast::Receiver<T>>,
    senders: Arc<Mutex<HashMap<K, Channel<T, S>>>>,
    key: K,
}

impl<K: Eq + Hash, T: Clone, S> Listener<K, T, S> {
    /// The next notice; `Lagged` means some were missed (the store has whatever they said).
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        self.receiver
            .as_mut()
            .expect("a live listener has its receiver")
            .recv()
            .await
    }
}

impl<K: Eq + Hash, T, S> Drop for Listener<K, T, S> {
    fn drop(&mut self) {
        // Under the lock, so no new listener can subscribe between the count and the removal.
        let mut senders = self.senders.lock().expect("hub lock");
        drop(self.receiver.take());
        if senders
            .get(&self.key)
            .is_some_and(|channel| channel.sender.receiver_count() == 0)
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

    fn event(seq: Seq) -> Event {
        Event {
            seq,
            at: 0,
            kind: ito_protocol::chat::EventKind::Resolved,
        }
    }

    #[tokio::test]
    async fn readers_are_served_from_memory_only_without_a_gap() {
        let hub = Hub::default();
        let a: ConversationId = "a".parse().unwrap();
        hub.stored(&a, vec![event(1)]);
        assert_eq!(hub.recent(&a, 0, 1), None, "nobody listened: nothing kept");
        let mut on_a = hub.subscribe(&a);
        hub.stored(&a, vec![event(1), event(2)]);
        assert_eq!(on_a.recv().await.unwrap(), Notice::Committed(2));
        let seqs = |events: Option<Vec<Event>>| {
            events.map(|e| e.iter().map(|e| e.seq).collect::<Vec<_>>())
        };
        assert_eq!(seqs(hub.recent(&a, 0, 2)), Some(vec![1, 2]));
        assert_eq!(seqs(hub.recent(&a, 1, 2)), Some(vec![2]));
        assert_eq!(seqs(hub.recent(&a, 2, 2)), Some(vec![]), "already sent");
        assert_eq!(hub.recent(&a, 0, 0), None, "0 reads the store");
        // Another node's event 3 is not read yet: 4 alone is not enough for a reader at 2.
        hub.stored(&a, vec![event(4)]);
        assert_eq!(hub.recent(&a, 2, 4), None);
        assert_eq!(
            seqs(hub.recent(&a, 0, 2)),
            Some(vec![1, 2]),
            "what is whole still serves"
        );
        hub.stored(&a, vec![event(3)]);
        assert_eq!(seqs(hub.recent(&a, 2, 4)), Some(vec![3, 4]));
        // Only the newest few are kept: an old reader goes to the store.
        hub.stored(&a, (5..=5 + RECENT as Seq).map(event).collect());
        assert_eq!(hub.recent(&a, 0, 5), None);
        assert!(hub.recent(&a, 5, 5 + RECENT as Seq).is_some());
        drop(on_a);
        assert_eq!(hub.recent(&a, 5, 6), None, "gone with the last listener");
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
