//! The API's request budgets, per process: each API key has a bucket of `burst` requests
//! refilled at `requests_per_minute`, and each client address a bucket of failed
//! authentications; an address that empties it is refused (429) before its key is even
//! looked at, until the bucket refills. GCRA buckets from `governor`, kept in memory:
//! N API processes behind one load balancer allow N times the limit (a shared budget
//! would cost a database write per request).

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, HeaderValue};
use governor::{
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
    Quota,
};
use uuid::Uuid;

/// Limits from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// False turns every limit off.
    pub enabled: bool,
    /// Sustained requests per minute for one API key.
    pub requests_per_minute: u32,
    /// Requests one API key may send at once before the sustained rate applies.
    pub burst: u32,
    /// Failed authentications (unknown, revoked or missing keys; failed dashboard logins)
    /// per minute from one client address, which is also the burst.
    pub failed_auth_per_minute: u32,
    /// Requests one connection invite token may make per minute (also its burst); one
    /// client address may make four times as many with any tokens (the validate call,
    /// create, update and the hosted page).
    pub invite_uses_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            requests_per_minute: 1200,
            burst: 200,
            failed_auth_per_minute: 30,
            invite_uses_per_minute: 30,
        }
    }
}

/// What a request learns about its budget: the `X-RateLimit-*` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The bucket's size (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left now (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the bucket is full again (`X-RateLimit-Reset`).
    pub reset_secs: u64,
    /// When refused: seconds until the next request is allowed (`Retry-After`).
    pub retry_after_secs: Option<u64>,
}

impl Budget {
    /// Adds `X-RateLimit-Limit`, `-Remaining`, `-Reset` and, when refused, `Retry-After`.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let mut put = |name: &'static str, value: u64| {
            headers.insert(name, HeaderValue::from(value));
        };
        put("x-ratelimit-limit", self.limit.into());
        put("x-ratelimit-remaining", self.remaining.into());
        put("x-ratelimit-reset", self.reset_secs);
        if let Some(wait) = self.retry_after_secs {
            put("retry-after", wait);
        }
    }
}

type Keyed<K> =
    governor::RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// How many checks pass between sweeps of idle buckets.
const SWEEP_EVERY: u64 = 4096;

/// The budgets of this process.
pub struct RateLimiter {
    settings: RateLimitSettings,
    keys: Keyed<Uuid>,
    failures: Keyed<IpAddr>,
    /// Invite token requests, per token (by hash) and per client address.
    invite_tokens: Keyed<String>,
    invite_addrs: Keyed<IpAddr>,
    /// Addresses refused until the instant given.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    checks: AtomicU64,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl RateLimiter {
    pub fn new(settings: RateLimitSettings) -> Self {
        let failures = settings.failed_auth_per_minute;
        let invites = settings.invite_uses_per_minute;
        RateLimiter {
            keys: governor::RateLimiter::dashmap(quota(
                settings.requests_per_minute,
                settings.burst,
            ))
            .with_middleware(),
            failures: governor::RateLimiter::dashmap(quota(failures, failures)).with_middleware(),
            invite_tokens: governor::RateLimiter::dashmap(quota(invites, invites))
                .with_middleware(),
            invite_addrs: governor::RateLimiter::dashmap(quota(
                invites.saturating_mul(4),
                invites.saturating_mul(4),
            ))
            .with_middleware(),
            blocked: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
            settings,
        }
    }

    pub fn settings(&self) -> RateLimitSettings {
        self.settings
    }

    /// Spends one request of `key_id`'s budget. `Err` holds the refusal's budget.
    pub fn check_key(&self, key_id: Uuid) -> Result<Budget, Budget> {
        self.sweep();
        let s = self.settings;
        let interval = Duration::from_secs(60) / s.requests_per_minute.max(1);
        match self.keys.check_key(&key_id) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                Ok(Budget {
                    limit: s.burst,
                    remaining,
                    reset_secs: ceil_secs(interval * s.burst.saturating_sub(remaining)),
                    retry_after_secs: None,
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(Budget {
                    limit: s.burst,
                    remaining: 0,
                    reset_secs: ceil_secs(interval * s.burst),
                    retry_after_secs: Some(ceil_secs(wait).max(1)),
                })
            }
        }
    }

    /// The refusal for an address that failed to authenticate too often, if it is
    /// refused now.
    pub fn blocked(&self, addr: IpAddr) -> Option<Budget> {
        let until = *self.blocked.lock().expect("not poisoned").get(&addr)?;
        let wait = until.checked_duration_since(Instant::now())?;
        Some(self.failure_refusal(wait))
    }

    /// Records a failed authentication from `addr`. Once its bucket is empty the address
    /// is refused until the bucket has room again, starting with this request: the
    /// refusal is returned.
    pub fn failed_auth(&self, addr: IpAddr) -> Option<Budget> {
        self.sweep();
        let not_until = self.failures.check_key(&addr).err()?;
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let mut blocked = self.blocked.lock().expect("not poisoned");
        blocked.insert(addr, Instant::now() + wait);
        Some(self.failure_refusal(wait))
    }

    /// Spends one request of an invite token's budget (keyed by the token's hash, so a
    /// forged token has one too) and of the client address's invite budget. `Err` holds
    /// the refusal.
    pub fn check_invite(&self, token_hash: &str, addr: IpAddr) -> Result<(), Budget> {
        self.sweep();
        let n = self.settings.invite_uses_per_minute;
        let refusal = |limit: u32, not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Budget {
                limit,
                remaining: 0,
                reset_secs: 60,
                retry_after_secs: Some(ceil_secs(wait).max(1)),
            }
        };
        self.invite_addrs
            .check_key(&addr)
            .map_err(|e| refusal(n.saturating_mul(4), e))?;
        self.invite_tokens
            .check_key(&token_hash.to_owned())
            .map_err(|e| refusal(n, e))?;
        Ok(())
    }

    fn failure_refusal(&self, wait: Duration) -> Budget {
        let n = self.settings.failed_auth_per_minute;
        Budget {
            limit: n,
            remaining: 0,
            reset_secs: 60,
            retry_after_secs: Some(ceil_secs(wait).max(1)),
        }
    }

    /// Forgets idle buckets now and then, so memory follows the active clients.
    fn sweep(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        self.keys.retain_recent();
        self.failures.retain_recent();
        self.invite_tokens.retain_recent();
        self.invite_addrs.retain_recent();
        let now = Instant::now();
        self.blocked
            .lock()
            .expect("not poisoned")
            .retain(|_, until| *until > now);
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_spends_its_burst_then_waits() {
        let limiter = RateLimiter::new(RateLimitSettings {
            enabled: true,
            requests_per_minute: 1,
            burst: 3,
            failed_auth_per_minute: 2,
            invite_uses_per_minute: 2,
        });
        let key = Uuid::new_v4();
        let remaining: Vec<u32> = (0..3)
            .map(|_| limiter.check_key(key).unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limiter.check_key(key).unwrap_err();
        assert!(refused.retry_after_secs.unwrap() >= 1, "{refused:?}");
        assert_eq!(limiter.check_key(Uuid::new_v4()).unwrap().remaining, 2);
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.failed_auth(addr).is_none());
        assert!(limiter.failed_auth(addr).is_none());
        assert!(limiter.blocked(addr).is_none(), "two failures are allowed");
        assert!(limiter.failed_auth(addr).is_some(), "the third is refused");
        assert!(limiter.blocked(addr).is_some());
        assert!(limiter.blocked("192.0.2.2".parse().unwrap()).is_none());
    }

    #[test]
    fn invite_tokens_and_addresses_have_budgets() {
        let limiter = RateLimiter::new(RateLimitSettings {
            enabled: true,
            requests_per_minute: 100,
            burst: 100,
            failed_auth_per_minute: 100,
            invite_uses_per_minute: 2,
        });
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.check_invite("a", addr).is_ok());
        assert!(limiter.check_invite("a", addr).is_ok());
        let refused = limiter.check_invite("a", addr).unwrap_err();
        assert_eq!(refused.limit, 2);
        assert!(refused.retry_after_secs.unwrap() >= 1);
        // Another token from the same address has its own budget, until the address's
        // (four times the token's) is spent: 3 spent so far.
        for _ in 0..2 {
            assert!(limiter.check_invite("b", addr).is_ok());
        }
        for t in ["c", "d", "e"] {
            let _ = limiter.check_invite(t, addr);
        }
        let refused = limiter.check_invite("f", addr).unwrap_err();
        assert_eq!(refused.limit, 8);
        assert!(limiter
            .check_invite("f", "192.0.2.2".parse().unwrap())
            .is_ok());
    }
}
