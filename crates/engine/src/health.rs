//! Deriving a connection's health from a finished job (DESIGN.md §4), and when it runs
//! next. Pure functions: the table and precedence live in `tributary_model::health`.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use tributary_model::{health::HealthFacts, Health, HealthDetail, HealthName};
use uuid::Uuid;

/// The health a job leaves, from its failing exports (empty: healthy).
pub struct Derived {
    pub health: Health,
    pub consecutive_failures: u32,
    pub unhealthy_since: Option<DateTime<Utc>>,
    /// Set when the name changed (including the first health ever).
    pub changed_from: Option<Option<HealthName>>,
}

/// Classifies a finished job. `previous` is the connection's health before it.
pub fn derive(
    previous: Option<&Health>,
    previous_failures: u32,
    failures: Vec<HealthDetail>,
    job_id: Uuid,
    finished_at: DateTime<Utc>,
    next_run_at: Option<DateTime<Utc>>,
) -> Derived {
    let name = HealthName::most_urgent(failures.iter().map(|d| d.name));
    let healthy = name.is_healthy();
    let consecutive_failures = if healthy {
        0
    } else {
        previous_failures.saturating_add(1)
    };
    let unhealthy_since = match (healthy, previous) {
        (true, _) => None,
        (false, Some(p)) if !p.name.is_healthy() => p.unhealthy_since.or(Some(finished_at)),
        (false, _) => Some(finished_at),
    };
    let facts = HealthFacts {
        checked_at: finished_at,
        last_job_id: job_id,
        unhealthy_since,
        consecutive_failures,
        next_run_at,
    };
    let previous_name = previous.map(|p| p.name);
    Derived {
        health: Health::new(name, failures, facts),
        consecutive_failures,
        unhealthy_since,
        changed_from: (previous_name != Some(name)).then_some(previous_name),
    }
}

/// Longest gap between retries of a connection that stays UNAUTHORIZED.
const MAX_UNAUTHORIZED_BACKOFF_SECS: i64 = 86_400;

/// When a connection runs next. A connection that stays UNAUTHORIZED is retried on a
/// growing interval (doubling from its refresh interval up to a day, or the interval
/// itself if longer), so bad credentials do not hammer the vendor; saving new
/// credentials schedules it at once. Jitter spreads connections created together.
pub fn next_run_at(
    finished_at: DateTime<Utc>,
    refresh_interval_secs: i64,
    jitter: f64,
    name: HealthName,
    consecutive_failures: u32,
) -> DateTime<Utc> {
    let interval = refresh_interval_secs.max(1);
    let base = if name == HealthName::Unauthorized && consecutive_failures > 1 {
        let factor = 1i64 << (consecutive_failures - 1).min(20);
        interval
            .saturating_mul(factor)
            .min(interval.max(MAX_UNAUTHORIZED_BACKOFF_SECS))
    } else {
        interval
    };
    let spread = if jitter > 0.0 {
        rand::thread_rng().gen_range(-jitter..jitter)
    } else {
        0.0
    };
    let millis = (base as f64 * 1000.0 * (1.0 + spread)) as i64;
    finished_at + Duration::milliseconds(millis.max(1000))
}

/// How soon a connection is retried after one of Tributary's own transient failures (its
/// storage unavailable, the worker running the job lost): `first`, doubling with each
/// such failure in a row, capped at `max` and never later than the refresh interval, ±
/// `jitter`. Any other outcome resets the count (docs/health.md, "Our own failures").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlatformRetry {
    pub first: std::time::Duration,
    pub max: std::time::Duration,
    /// Fraction of the delay used as random jitter (0–0.5).
    pub jitter: f64,
}

impl Default for PlatformRetry {
    fn default() -> Self {
        PlatformRetry {
            first: std::time::Duration::from_secs(30),
            max: std::time::Duration::from_secs(600),
            jitter: 0.2,
        }
    }
}

impl PlatformRetry {
    /// The delay before retry `attempt` (1: the first), without jitter.
    pub fn delay(&self, attempt: u32) -> std::time::Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first
            .saturating_mul(1u32 << doublings)
            .min(self.max.max(self.first))
    }

    /// When retry `attempt` runs: the delay (± jitter) after `finished_at`, and never
    /// later than the connection's normal refresh would.
    pub fn next_run_at(
        &self,
        finished_at: DateTime<Utc>,
        attempt: u32,
        refresh_interval_secs: i64,
    ) -> DateTime<Utc> {
        let refresh = std::time::Duration::from_secs(refresh_interval_secs.max(1) as u64);
        let base = self.delay(attempt).min(refresh).as_millis() as f64;
        let spread = if self.jitter > 0.0 {
            rand::thread_rng().gen_range(-self.jitter..self.jitter)
        } else {
            0.0
        };
        finished_at + Duration::milliseconds((base * (1.0 + spread)) as i64)
    }
}

#[cfg(test)]
mod tests {
    use tributary_model::DataExportType;

    use super::*;

    fn detail(export: DataExportType, name: HealthName) -> HealthDetail {
        HealthDetail {
            data_export_type: export,
            endpoint: "/x".into(),
            name,
            http_status: None,
            message: "m".into(),
            source: Default::default(),
        }
    }

    #[test]
    fn most_urgent_failure_names_the_connection_and_every_failure_is_listed() {
        let now = Utc::now();
        let d = derive(
            None,
            0,
            vec![
                detail(DataExportType::Devices, HealthName::VendorServerError),
                detail(DataExportType::Alerts, HealthName::Unauthorized),
            ],
            Uuid::nil(),
            now,
            None,
        );
        assert_eq!(d.health.name, HealthName::Unauthorized);
        assert_eq!(d.health.details.as_ref().unwrap().len(), 2);
        assert_eq!((d.consecutive_failures, d.unhealthy_since), (1, Some(now)));
        assert_eq!(d.changed_from, Some(None));

        let later = now + Duration::minutes(5);
        let again = derive(
            Some(&d.health),
            1,
            vec![detail(DataExportType::Alerts, HealthName::Unauthorized)],
            Uuid::nil(),
            later,
            None,
        );
        assert_eq!(
            (again.consecutive_failures, again.unhealthy_since),
            (2, Some(now))
        );
        assert_eq!(again.changed_from, None, "same name: no event");

        let healed = derive(Some(&again.health), 2, vec![], Uuid::nil(), later, None);
        assert_eq!(healed.health.name, HealthName::Healthy);
        assert!(healed.health.details.is_none());
        assert_eq!(
            (healed.consecutive_failures, healed.unhealthy_since),
            (0, None)
        );
        assert_eq!(healed.changed_from, Some(Some(HealthName::Unauthorized)));
    }

    #[test]
    fn unauthorized_backs_off_and_others_keep_the_interval() {
        let now = Utc::now();
        let secs = |t: DateTime<Utc>| (t - now).num_seconds();
        assert_eq!(
            secs(next_run_at(now, 3600, 0.0, HealthName::Unauthorized, 1)),
            3600
        );
        assert_eq!(
            secs(next_run_at(now, 3600, 0.0, HealthName::Unauthorized, 3)),
            4 * 3600
        );
        assert_eq!(
            secs(next_run_at(now, 3600, 0.0, HealthName::Unauthorized, 30)),
            86_400
        );
        assert_eq!(
            secs(next_run_at(now, 200_000, 0.0, HealthName::Unauthorized, 9)),
            200_000
        );
        assert_eq!(
            secs(next_run_at(
                now,
                3600,
                0.0,
                HealthName::VendorServerError,
                9
            )),
            3600
        );
        for _ in 0..100 {
            let s = secs(next_run_at(now, 1000, 0.1, HealthName::Healthy, 0));
            assert!((900..=1100).contains(&s), "{s}");
        }
    }
}

#[cfg(test)]
mod platform_retry {
    use proptest::prelude::*;

    use super::*;

    fn policy(first_ms: u64, max_ms: u64, jitter: f64) -> PlatformRetry {
        PlatformRetry {
            first: std::time::Duration::from_millis(first_ms),
            max: std::time::Duration::from_millis(max_ms),
            jitter,
        }
    }

    #[test]
    fn the_default_doubles_from_30_seconds_to_10_minutes() {
        let p = PlatformRetry::default();
        let secs: Vec<u64> = (1..=7).map(|a| p.delay(a).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 600, 600]);
        let now = Utc::now();
        let at = |attempt, refresh| {
            (policy(30_000, 600_000, 0.0).next_run_at(now, attempt, refresh) - now).num_seconds()
        };
        assert_eq!(at(1, 14_400), 30);
        assert_eq!(at(5, 14_400), 480);
        assert_eq!(at(5, 100), 100, "never later than the refresh interval");
    }

    proptest! {
        #[test]
        fn delays_grow_stay_within_bounds_and_jitter_stays_within_its_fraction(
            first_ms in 1u64..100_000,
            extra_ms in 0u64..10_000_000,
            attempt in 1u32..100,
            jitter in 0.0f64..0.5,
            refresh in 1i64..100_000,
        ) {
            let p = policy(first_ms, first_ms + extra_ms, jitter);
            let (d, next) = (p.delay(attempt), p.delay(attempt + 1));
            prop_assert!(d <= next);
            prop_assert!(d >= p.first && d <= p.max);
            prop_assert!(attempt > 40 || next <= d * 2);
            let now = Utc::now();
            let base = d.min(std::time::Duration::from_secs(refresh as u64)).as_millis() as i64;
            let got = (p.next_run_at(now, attempt, refresh) - now).num_milliseconds();
            let slack = (base as f64 * jitter) as i64 + 1;
            prop_assert!((base - slack..=base + slack).contains(&got), "{got} vs {base}");
        }
    }
}
