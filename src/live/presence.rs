//! Which agents are at their console and marked online. This node's consoles live in memory
//! with the connections they describe: when the server restarts, everyone is away until their
//! console reconnects and says so again. With several nodes (PostgreSQL), each node copies its
//! seats to the database every few seconds and at every change, and learns from there who is
//! online elsewhere (see `live::bus` and `store::cluster`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Presence {
    next: AtomicU64,
    /// Per open console connection: its agent and whether it said "online".
    connections: Mutex<HashMap<u64, (String, bool)>>,
    /// Agents online at another node's console, as the database said last.
    elsewhere: Mutex<HashSet<String>>,
    /// Woken at every change of this node's seats.
    pub changed: tokio::sync::Notify,
}

/// One console connection's presence; dropping it (the connection closed) takes it back.
#[derive(Debug)]
pub struct Seat {
    presence: Arc<Presence>,
    id: u64,
}

impl Presence {
    /// A new connection of `agent`, away until it says otherwise.
    pub fn sit(self: &Arc<Self>, agent: &str) -> Seat {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, (agent.to_owned(), false));
        self.changed.notify_one();
        Seat {
            presence: Arc::clone(self),
            id,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (String, bool)>> {
        self.connections.lock().expect("presence lock")
    }

    /// Whether any of the agent's connections, here or on another node, is online.
    pub fn is_online(&self, agent: &str) -> bool {
        self.lock()
            .values()
            .any(|(a, online)| a == agent && *online)
            || self.elsewhere_lock().contains(agent)
    }

    /// How many distinct agents are online, here or on another node.
    pub fn online_agents(&self) -> u32 {
        let connections = self.lock();
        let mut online: HashSet<&str> = connections
            .values()
            .filter(|(_, online)| *online)
            .map(|(agent, _)| agent.as_str())
            .collect();
        let elsewhere = self.elsewhere_lock();
        online.extend(elsewhere.iter().map(String::as_str));
        online.len() as u32
    }

    /// This node's seats: (connection, agent, online).
    pub fn seats(&self) -> Vec<(u64, String, bool)> {
        self.lock()
            .iter()
            .map(|(id, (agent, online))| (*id, agent.clone(), *online))
            .collect()
    }

    /// Who is online on other nodes now; whether that changed.
    pub fn set_elsewhere(&self, agents: HashSet<String>) -> bool {
        let mut elsewhere = self.elsewhere_lock();
        let changed = *elsewhere != agents;
        *elsewhere = agents;
        changed
    }

    fn elsewhere_lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.elsewhere.lock().expect("presence lock")
    }
}

impl Seat {
    pub fn set_online(&self, online: bool) {
        if let Some(seat) = self.presence.lock().get_mut(&self.id) {
            seat.1 = online;
        }
        self.presence.changed.notify_one();
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.presence.lock().remove(&self.id);
        self.presence.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_is_online_while_one_of_their_consoles_says_so() {
        let presence = Arc::new(Presence::default());
        let laptop = presence.sit("kenji");
        let phone = presence.sit("kenji");
        let other = presence.sit("mia");
        assert!(
            !presence.is_online("kenji"),
            "away until they say otherwise"
        );
        laptop.set_online(true);
        other.set_online(true);
        assert!(presence.is_online("kenji"));
        assert_eq!(presence.online_agents(), 2);
        phone.set_online(false);
        assert!(presence.is_online("kenji"), "the laptop still says online");
        drop(laptop);
        assert!(
            !presence.is_online("kenji"),
            "closing the console takes it back"
        );
        assert_eq!(presence.online_agents(), 1);
    }

    #[test]
    fn agents_online_on_other_nodes_count_once_with_those_here() {
        let presence = Arc::new(Presence::default());
        let laptop = presence.sit("kenji");
        laptop.set_online(true);
        let elsewhere = ["kenji".to_owned(), "mia".to_owned()].into_iter().collect();
        assert!(presence.set_elsewhere(elsewhere));
        assert!(presence.is_online("mia"));
        assert_eq!(
            presence.online_agents(),
            2,
            "kenji is online here and elsewhere"
        );
        let same = ["kenji".to_owned(), "mia".to_owned()].into_iter().collect();
        assert!(!presence.set_elsewhere(same), "nothing changed");
        assert!(presence.set_elsewhere(Default::default()));
        assert!(!presence.is_online("mia"));
        assert_eq!(presence.seats(), vec![(0, "kenji".to_owned(), true)]);
    }
}
