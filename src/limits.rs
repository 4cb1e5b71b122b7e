//! How much a connection may send: a token bucket per connection, refilled with time. Going
//! over gets an error frame, not a closed socket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Open chat connections one address may hold: enough for a household or an office behind
/// one address with several tabs, few enough that one machine cannot exhaust the server.
pub const CONNECTIONS_PER_ADDRESS: usize = 20;

/// Counts open connections per address; a [`Slot`] gives its place back when dropped.
#[derive(Debug, Default, Clone)]
pub struct ConnectionCounts {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open connection, counted until dropped.
#[derive(Debug)]
pub struct Slot {
    counts: ConnectionCounts,
    address: IpAddr,
}

impl ConnectionCounts {
    /// A slot for `address`, or `None` when it already holds `limit` connections.
    pub fn take(&self, address: IpAddr, limit: usize) -> Option<Slot> {
        let mut open = self.open.lock().expect("counts lock");
        let count = open.entry(address).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            counts: self.clone(),
            address,
        })
    }

    pub fn open(&self, address: IpAddr) -> usize {
        self.open
            .lock()
            .expect("counts lock")
            .get(&address)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().expect("counts lock");
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Messages a visitor may send at once, and how many more each second.
pub const VISITOR_BURST: f64 = 10.0;
pub const VISITOR_PER_SECOND: f64 = 1.0;

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

    pub fn visitor(now: Instant) -> RateLimit {
        RateLimit::new(VISITOR_BURST, VISITOR_PER_SECOND, now)
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
        let counts = ConnectionCounts::default();
        let home: IpAddr = "192.0.2.1".parse().unwrap();
        let office: IpAddr = "192.0.2.2".parse().unwrap();
        let slots: Vec<Slot> = (0..2).map(|_| counts.take(home, 2).unwrap()).collect();
        assert!(counts.take(home, 2).is_none(), "the third is refused");
        assert!(
            counts.take(office, 2).is_some(),
            "other addresses are not affected"
        );
        drop(slots);
        assert_eq!(counts.open(home), 0);
        assert!(
            counts.take(home, 2).is_some(),
            "closing gives the places back"
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
