//! How much a connection may send: a token bucket per connection, refilled with time. Going
//! over gets an error frame, not a closed socket.

use std::time::{Duration, Instant};

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
