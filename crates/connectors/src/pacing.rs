//! Client-side pacing: stay under each vendor's published request limits (stated in its
//! spec) instead of discovering them through 429s.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// A token bucket: `burst` requests at once, then `per_second` on average.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<(f64, Instant)>,
    burst: f64,
    per_second: f64,
}

/// Request limits of one vendor tenant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceLimits {
    pub burst: f64,
    pub per_second: f64,
}

impl PaceLimits {
    /// `per_second` on average after a burst of `burst` (a vendor spec states its own).
    pub const fn new(burst: f64, per_second: f64) -> Self {
        PaceLimits { burst, per_second }
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
