//! Client-side pacing: stay under each vendor's published request limits instead of
//! discovering them through 429s.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tributary_model::Vendor;

/// A token bucket: `burst` requests at once, then `per_second` on average.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<(f64, Instant)>,
    burst: f64,
    per_second: f64,
}

/// Limits for one vendor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceLimits {
    pub burst: f64,
    pub per_second: f64,
}

impl PaceLimits {
    /// CrowdStrike: 6,000 requests per minute per customer (CID).
    /// Defender for Endpoint: 100 per minute and 1,500 per hour per API (a burst of 100,
    /// then the hourly average). SentinelOne publishes no numbers; 25 per second is a
    /// conservative per-token rate.
    pub fn published(vendor: Vendor) -> Self {
        match vendor {
            Vendor::Crowdstrike => PaceLimits {
                burst: 100.0,
                per_second: 100.0,
            },
            Vendor::Sentinelone => PaceLimits {
                burst: 25.0,
                per_second: 25.0,
            },
            Vendor::MsDefenderEndpoint => PaceLimits {
                burst: 100.0,
                per_second: 1500.0 / 3600.0,
            },
        }
    }

    /// No pacing (benchmarks measuring Tributary itself).
    pub fn unlimited() -> Self {
        PaceLimits {
            burst: f64::INFINITY,
            per_second: f64::INFINITY,
        }
    }
}

impl Pacer {
    pub fn new(limits: PaceLimits) -> Self {
        Pacer {
            state: Mutex::new((limits.burst, Instant::now())),
            burst: limits.burst,
            per_second: limits.per_second,
        }
    }

    /// Waits for a request slot; returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        if self.per_second.is_infinite() {
            return Duration::ZERO;
        }
        let mut state = self.state.lock().await;
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Duration::ZERO;
        }
        let wait = Duration::from_secs_f64((1.0 - *tokens) / self.per_second);
        // Holding the lock while waiting keeps callers in order.
        tokio::time::sleep(wait).await;
        *tokens = 0.0;
        *last = Instant::now();
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces() {
        let p = Pacer::new(PaceLimits {
            burst: 2.0,
            per_second: 10.0,
        });
        assert_eq!(p.acquire().await, Duration::ZERO);
        assert_eq!(p.acquire().await, Duration::ZERO);
        let waited = p.acquire().await;
        assert!(
            waited >= Duration::from_millis(99) && waited <= Duration::from_millis(101),
            "{waited:?}"
        );
        assert_eq!(
            Pacer::new(PaceLimits::unlimited()).acquire().await,
            Duration::ZERO
        );
    }
}
