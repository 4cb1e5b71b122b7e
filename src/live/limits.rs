//! What a client may do: connections per address and per visitor, how often each kind of
//! frame may come (token buckets per visitor, refilled with time, kept across reconnects), new
//! conversations per address, failed sign-ins, and how long a silent connection lives. Going
//! over a frame's limit gets an error frame, not a closed socket. The configurable numbers are
//! `[server.limits]` in `ito.toml`; the others are fixed well above what the widget does.

use std::collections::{HashMap, VecDeque};
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
    /// New conversations one address may start in an hour (an office or a school shares one).
    pub conversations_per_address_per_hour: u32,
    /// A waiting conversation whose visitor has had no connection for this long leaves the
    /// queue as abandoned, so a closed tab never holds an agent's seat.
    pub queue_abandon_secs: u64,
    /// A client must send a request's headers within this, also between the requests of a
    /// kept-alive connection (slowloris, idle connections).
    pub header_read_timeout_secs: u64,
    /// Open TCP connections at most, of every kind; new ones beyond are closed at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections_per_address: 20,
            connections_per_visitor: 5,
            message_burst: 10,
            messages_per_second: 1.0,
            idle_timeout_secs: 90,
            conversations_per_address_per_hour: 30,
            queue_abandon_secs: 300,
            header_read_timeout_secs: 10,
            max_connections: 10_000,
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
            (
                "conversations_per_address_per_hour",
                f64::from(self.conversations_per_address_per_hour),
            ),
            ("queue_abandon_secs", self.queue_abandon_secs as f64),
            (
                "header_read_timeout_secs",
                self.header_read_timeout_secs as f64,
            ),
            ("max_connections", self.max_connections as f64),
        ];
        // NaN is not more than 0 either.
        if let Some((name, _)) = positive
            .iter()
            .find(|(_, v)| v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
        {
            return Err(format!("[server.limits] {name} must be more than 0"));
        }
        // A wait longer than this cannot be said as a duration (and would be a closed chat).
        if self.messages_per_second < MIN_RATE {
            return Err(format!(
                "[server.limits] messages_per_second must be at least {MIN_RATE} (one a day)"
            ));
        }
        Ok(())
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

    /// The bucket of new conversations for one address.
    pub fn new_conversations(&self, now: Instant) -> RateLimit {
        let per_hour = f64::from(self.conversations_per_address_per_hour);
        RateLimit::new(per_hour, per_hour / 3600.0, now)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn queue_abandon(&self) -> Duration {
        Duration::from_secs(self.queue_abandon_secs)
    }
}

/// The slowest rate a limit may have: one a day.
const MIN_RATE: f64 = 1.0 / 86_400.0;

/// A kind of visitor frame with a limit of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A message (`[server.limits]` message_burst and messages_per_second).
    Message,
    /// Typing on or off: the widget says so at most every two seconds.
    Typing,
    /// A read receipt: one per message read.
    Read,
    /// A request for a person: a few, then one every ten minutes.
    Handoff,
    /// A survey answer or "the bot solved it".
    Survey,
    /// A report of what the bot did with a question, or of the visitor's verdict on it.
    Report,
}

impl Limits {
    /// A full bucket for `action`.
    pub fn bucket(&self, action: Action, now: Instant) -> RateLimit {
        let (burst, per_second) = match action {
            Action::Message => return self.visitor_rate(now),
            Action::Typing => (10.0, 1.0),
            Action::Read => (20.0, 2.0),
            Action::Handoff => (3.0, 1.0 / 600.0),
            Action::Survey => (10.0, 1.0 / 30.0),
            Action::Report => (30.0, 1.0),
        };
        RateLimit::new(burst, per_second, now)
    }
}

/// Token buckets by key (a visitor's conversation and a kind of frame, an address), kept
/// across connections so that closing and reopening a socket never refills one. A bucket is
/// forgotten only once it would be full again anyway, so forgetting it changes nothing.
#[derive(Debug)]
pub struct KeyedBuckets<K> {
    buckets: Arc<Mutex<HashMap<K, RateLimit>>>,
}

impl<K> Default for KeyedBuckets<K> {
    fn default() -> Self {
        KeyedBuckets {
            buckets: Arc::default(),
        }
    }
}

impl<K> Clone for KeyedBuckets<K> {
    fn clone(&self) -> Self {
        KeyedBuckets {
            buckets: Arc::clone(&self.buckets),
        }
    }
}

/// Buckets kept before the full ones are swept.
const BUCKETS_SWEEP_AT: usize = 4_096;

impl<K: Eq + Hash> KeyedBuckets<K> {
    /// Takes one token from `key`'s bucket (a new one from `fresh` if it has none), or says
    /// how long until there is one.
    pub fn take(
        &self,
        key: K,
        fresh: impl FnOnce() -> RateLimit,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().expect("buckets lock");
        if buckets.len() >= BUCKETS_SWEEP_AT && !buckets.contains_key(&key) {
            buckets.retain(|_, bucket| bucket.full_at() > now);
        }
        buckets.entry(key).or_insert_with(fresh).take(now)
    }

    pub fn len(&self) -> usize {
        self.buckets.lock().expect("buckets lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// When the bucket will be full again if nothing more is taken.
    fn full_at(&self) -> Instant {
        let missing = (self.capacity - self.tokens).max(0.0);
        self.at + Duration::from_secs_f64(missing / self.per_second)
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

/// Failures per key (an email, an address) within a sliding window: after `max` of them,
/// further attempts wait until the oldest leaves the window. Successes forget a key's failures.
#[derive(Debug)]
pub struct FailureThrottle<K> {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<K, VecDeque<Instant>>>,
}

/// Keys kept before old ones are swept: bounds the memory an attacker with many keys can take.
const THROTTLE_SWEEP_AT: usize = 10_000;

impl<K: Eq + Hash> FailureThrottle<K> {
    pub fn new(max: usize, window: Duration) -> FailureThrottle<K> {
        FailureThrottle {
            max,
            window,
            failures: Mutex::default(),
        }
    }

    /// `Err(wait)` while `key` has had `max` failures within the window.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().expect("throttle lock");
        let Some(times) = failures.get_mut(key) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= self.max => {
                Err(self.window - now.saturating_duration_since(*oldest))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, key: K, now: Instant) {
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() >= THROTTLE_SWEEP_AT {
            let window = self.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        let times = failures.entry(key).or_default();
        times.push_back(now);
        if times.len() > self.max {
            times.pop_front();
        }
    }

    pub fn forget(&self, key: &K) {
        self.failures.lock().expect("throttle lock").remove(key);
    }
}

/// How a wait is said to people: "15 minutes", "1 minute", "40 seconds".
pub fn in_words(wait: Duration) -> String {
    let secs = wait.as_secs().max(1);
    match secs {
        1 => "1 second".to_owned(),
        2..=59 => format!("{secs} seconds"),
        _ => match secs.div_ceil(60) {
            1 => "1 minute".to_owned(),
            minutes => format!("{minutes} minutes"),
        },
    }
}

/// Failed sign-ins allowed per email, and per address (an office shares one), in
/// [`SIGN_IN_WINDOW`].
const FAILURES_PER_EMAIL: usize = 5;
const FAILURES_PER_ADDRESS: usize = 20;
const SIGN_IN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed sign-ins, by the email tried and by the address they came from.
#[derive(Debug)]
pub struct SignInThrottle {
    pub by_email: FailureThrottle<String>,
    pub by_address: FailureThrottle<std::net::IpAddr>,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle {
            by_email: FailureThrottle::new(FAILURES_PER_EMAIL, SIGN_IN_WINDOW),
            by_address: FailureThrottle::new(FAILURES_PER_ADDRESS, SIGN_IN_WINDOW),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_throttle_a_key_until_the_oldest_leaves_the_window() {
        let start = Instant::now();
        let throttle = FailureThrottle::new(3, Duration::from_secs(900));
        for n in 0..3 {
            assert!(throttle.check(&"ann", start).is_ok());
            throttle.failed("ann", start + Duration::from_secs(n * 60));
        }
        let at = start + Duration::from_secs(180);
        assert_eq!(throttle.check(&"ann", at), Err(Duration::from_secs(720)));
        assert!(
            throttle.check(&"bob", at).is_ok(),
            "others are not affected"
        );
        assert!(
            throttle
                .check(&"ann", start + Duration::from_secs(900))
                .is_ok()
        );
        throttle.failed("ann", start + Duration::from_secs(900));
        assert!(
            throttle
                .check(&"ann", start + Duration::from_secs(901))
                .is_err()
        );
        throttle.forget(&"ann");
        assert!(
            throttle
                .check(&"ann", start + Duration::from_secs(901))
                .is_ok()
        );
        assert_eq!(in_words(Duration::from_secs(720)), "12 minutes");
        assert_eq!(in_words(Duration::from_secs(61)), "2 minutes");
        assert_eq!(in_words(Duration::from_millis(1500)), "1 second");
    }

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
    fn buckets_hold_across_connections_and_are_forgotten_only_when_full_again() {
        let limits = Limits {
            message_burst: 2,
            ..Limits::default()
        };
        let buckets = KeyedBuckets::default();
        let start = Instant::now();
        let take = |key: &'static str, action, at| {
            buckets.take((key, action), || limits.bucket(action, start), at)
        };
        assert!(take("a", Action::Message, start).is_ok());
        assert!(take("a", Action::Message, start).is_ok());
        // A new connection of the same visitor takes from the same bucket.
        assert!(take("a", Action::Message, start).is_err());
        assert!(take("b", Action::Message, start).is_ok());
        // Each kind of frame has its own bucket.
        for _ in 0..3 {
            assert!(take("a", Action::Handoff, start).is_ok());
        }
        assert_eq!(
            take("a", Action::Handoff, start).unwrap_err(),
            Duration::from_secs(600)
        );
        let handoffs = buckets.buckets.lock().unwrap()[&("a", Action::Handoff)].clone();
        assert!(handoffs.full_at() > start + Duration::from_secs(1799));
        assert!(handoffs.full_at() <= start + Duration::from_secs(1800));
    }

    #[test]
    fn a_rate_too_small_to_say_is_refused_not_a_panic() {
        let tiny = Limits {
            messages_per_second: 1e-300,
            ..Limits::default()
        };
        assert!(tiny.validate().unwrap_err().contains("at least"));
        let nan = Limits {
            messages_per_second: f64::NAN,
            ..Limits::default()
        };
        assert!(nan.validate().is_err());
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
