//! What a client may do: connections per address and per visitor, messages per second (a
//! token bucket per connection, refilled with time), and how long a silent connection lives.
//! Going over a message limit gets an error frame, not a closed socket. The numbers are
//! `[server.limits]` in `ito.toml`.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// `[server.limits]`; every field has a default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Open chat connections from one IP address (a 429 beyond).
    pub connections_per_address: usize,
    /// Open connections of one visitor's conversation (tabs, devices).
    pub connections_per_visitor: usize,
    /// Messages a visitor may send at once before the steady rate applies...
    pub message_burst: u32,
    /// ...and messages per second after that.
    pub messages_per_second: f64,
    /// A connection that says nothing for this long (not even a pong to the server's
    /// heartbeat pings, which browsers answer by themselves) is closed.
    pub idle_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections_per_address: 20,
            connections_per_visitor: 5,
            message_burst: 10,
            messages_per_second: 1.0,
            idle_timeout_secs: 90,
        }
    }
}

impl Limits {
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            (
                "connections_per_address",
                self.connections_per_address as f64,
            ),
            (
                "connections_per_visitor",
                self.connections_per_visitor as f64,
            ),
            ("message_burst", f64::from(self.message_burst)),
            ("messages_per_second", self.messages_per_second),
            ("idle_timeout_secs", self.idle_timeout_secs as f64),
        ];
        // NaN is not more than 0 either.
        match positive
            .iter()
            .find(|(_, v)| v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
        {
            Some((name, _)) => Err(format!("[server.limits] {name} must be more than 0")),
            None => Ok(()),
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// How often the server pings: three chances to answer within the idle timeout.
    pub fn heartbeat(&self) -> Duration {
        self.idle_timeout() / 3
    }

    pub fn visitor_rate(&self, now: Instant) -> RateLimit {
        RateLimit::new(f64::from(self.message_burst), self.messages_per_second, now)
    }
}

/// Open connections per key (an address, a conversation); a [`Slot`] holds one place.
#[derive(Debug)]
pub struct ConnectionCounts<K> {
    open: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K> Default for ConnectionCounts<K> {
    fn default() -> Self {
        ConnectionCounts {
            open: Arc::default(),
        }
    }
}

impl<K> Clone for ConnectionCounts<K> {
    fn clone(&self) -> Self {
        ConnectionCounts {
            open: Arc::clone(&self.open),
        }
    }
}

/// One open connection's place; dropping it gives the place back.
#[derive(Debug)]
pub struct Slot<K: Eq + Hash> {
    counts: ConnectionCounts<K>,
    key: K,
}

impl<K: Eq + Hash + Clone> ConnectionCounts<K> {
    /// A place for one more connection of `key`, unless it already has `limit`.
    pub fn take(&self, key: K, limit: usize) -> Option<Slot<K>> {
        let mut open = self.open.lock().expect("counts lock");
        let count = open.entry(key.clone()).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            counts: self.clone(),
            key,
        })
    }

    pub fn open(&self, key: &K) -> usize {
        self.open
            .lock()
            .expect("counts lock")
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

impl<K: Eq + Hash> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().expect("counts lock");
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Connections counted by the address they come from.
pub type AddressCounts = ConnectionCounts<IpAddr>;

/// A token bucket: `capacity` at once, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    pub fn new(capacity: f64, per_second: f64, now: Instant) -> RateLimit {
        RateLimit {
            capacity,
            per_second,
            tokens: capacity,
            at: now,
        }
    }

    /// Takes one token if there is one; otherwise says how long until there will be.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_address_until_dropped() {
        let counts = AddressCounts::default();
        let home: IpAddr = "192.0.2.1".parse().unwrap();
        let office: IpAddr = "192.0.2.2".parse().unwrap();
        let slots: Vec<Slot<IpAddr>> = (0..2).map(|_| counts.take(home, 2).unwrap()).collect();
        assert!(counts.take(home, 2).is_none(), "the third is refused");
        assert!(
            counts.take(office, 2).is_some(),
            "other addresses are not affected"
        );
        drop(slots);
        assert_eq!(counts.open(&home), 0);
        assert!(
            counts.take(home, 2).is_some(),
            "closing gives the places back"
        );
    }

    #[test]
    fn limits_are_read_with_defaults_and_must_be_positive() {
        let limits: Limits = toml::from_str("connections_per_address = 6000").unwrap();
        assert_eq!(limits.connections_per_address, 6000);
        assert_eq!(
            limits.connections_per_visitor,
            Limits::default().connections_per_visitor
        );
        assert_eq!(limits.heartbeat(), Duration::from_secs(30));
        let zero = Limits {
            idle_timeout_secs: 0,
            ..Limits::default()
        };
        assert_eq!(
            zero.validate().unwrap_err(),
            "[server.limits] idle_timeout_secs must be more than 0"
        );
        assert!(
            toml::from_str::<Limits>("connections = 3").is_err(),
            "unknown keys"
        );
    }

    #[test]
    fn a_burst_then_one_per_second() {
        let start = Instant::now();
        let mut limit = RateLimit::new(3.0, 1.0, start);
        assert!((0..3).all(|_| limit.take(start).is_ok()));
        let wait = limit.take(start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(limit.take(start + Duration::from_millis(500)).is_err());
        assert!(limit.take(start + Duration::from_millis(1000)).is_ok());
        // Time does not bank more than the burst.
        let later = start + Duration::from_secs(60);
        assert!((0..3).all(|_| limit.take(later).is_ok()));
        assert!(limit.take(later).is_err());
    }
}
