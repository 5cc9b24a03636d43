//! Per-client request rate limits: a token bucket per API client.
//!
//! Policy: every authenticated request spends one token of its client's bucket, and so does
//! every token request for a client id (which also slows down guessing a secret). A bucket
//! holds at most `burst` tokens and refills at `per_second`; an empty bucket answers 429 in the
//! family's dialect with `Retry-After` in whole seconds. Refill is computed from the injected
//! clock, so tests move time instead of sleeping. Limits are per process: with several nodes
//! behind a load balancer each node keeps its own buckets.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// How fast one client may call. `per_second == 0` switches limiting off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second per client.
    pub per_second: u32,
    /// Requests a client may make at once after being idle.
    pub burst: u32,
}

impl Default for RateLimit {
    /// 100 requests per second with bursts of 200: far above what a person or a script
    /// reviewing access needs, low enough to stop a runaway loop from starving everyone else.
    fn default() -> Self {
        Self {
            per_second: 100,
            burst: 200,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: DateTime<Utc>,
}

/// The buckets of every client seen by this process.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter enforcing `limit` (or nothing, when `limit.per_second` is 0).
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// A limiter that lets everything through.
    pub fn unlimited() -> Self {
        Self::new(RateLimit {
            per_second: 0,
            burst: 0,
        })
    }

    /// Spends one request of `client`'s bucket at `now`, or says how many whole seconds to
    /// wait before the next request can succeed.
    pub fn check(&self, client: &str, now: DateTime<Utc>) -> Result<(), u64> {
        if self.limit.per_second == 0 {
            return Ok(());
        }
        let rate = f64::from(self.limit.per_second);
        let burst = f64::from(self.limit.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        // A clock that went backwards refills nothing rather than draining the bucket.
        let elapsed = (now - bucket.updated)
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .max(0);
        bucket.tokens = (bucket.tokens + elapsed as f64 / 1e6 * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Err((wait.ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2,
            burst: 3,
        });
        for _ in 0..3 {
            assert_eq!(limiter.check("a", t0()), Ok(()));
        }
        assert_eq!(limiter.check("a", t0()), Err(1));
        // Half a second refills one request at two per second.
        assert_eq!(
            limiter.check("a", t0() + Duration::milliseconds(500)),
            Ok(())
        );
        assert_eq!(
            limiter.check("a", t0() + Duration::milliseconds(500)),
            Err(1)
        );
        // Other clients have their own buckets.
        assert_eq!(limiter.check("b", t0()), Ok(()));
    }

    #[test]
    fn retry_after_is_whole_seconds_until_the_next_token() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 1,
        });
        assert_eq!(limiter.check("a", t0()), Ok(()));
        assert_eq!(
            limiter.check("a", t0() + Duration::milliseconds(100)),
            Err(1)
        );
        let slow = RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 1,
        });
        assert_eq!(slow.check("a", t0()), Ok(()));
        assert_eq!(slow.check("a", t0() + Duration::seconds(1)), Ok(()));
    }

    #[test]
    fn zero_means_unlimited_and_backwards_clocks_refill_nothing() {
        let off = RateLimiter::unlimited();
        for _ in 0..10_000 {
            assert_eq!(off.check("a", t0()), Ok(()));
        }
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 1,
        });
        assert_eq!(limiter.check("a", t0()), Ok(()));
        assert_eq!(limiter.check("a", t0() - Duration::hours(1)), Err(1));
    }
}
