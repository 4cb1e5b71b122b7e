//! Which agents are at their console and marked online, in this process. Presence lives in
//! memory with the connections it describes: when the server restarts, everyone is away until
//! their console reconnects and says so again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Presence {
    next: AtomicU64,
    /// Per open console connection: its agent and whether it said "online".
    connections: Mutex<HashMap<u64, (String, bool)>>,
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
        Seat {
            presence: Arc::clone(self),
            id,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (String, bool)>> {
        self.connections.lock().expect("presence lock")
    }

    /// Whether any of the agent's connections is online.
    pub fn is_online(&self, agent: &str) -> bool {
        self.lock()
            .values()
            .any(|(a, online)| a == agent && *online)
    }

    /// How many distinct agents are online.
    pub fn online_agents(&self) -> u32 {
        let connections = self.lock();
        let mut online: Vec<&str> = connections
            .values()
            .filter(|(_, online)| *online)
            .map(|(agent, _)| agent.as_str())
            .collect();
        online.sort_unstable();
        online.dedup();
        online.len() as u32
    }
}

impl Seat {
    pub fn set_online(&self, online: bool) {
        if let Some(seat) = self.presence.lock().get_mut(&self.id) {
            seat.1 = online;
        }
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.presence.lock().remove(&self.id);
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
}
