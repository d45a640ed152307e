//! Uptime over a window, from a connection's health changes.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tributary_model::HealthName;
use utoipa::ToSchema;

/// Time spent in each state over a window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Uptime {
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub healthy_seconds: f64,
    pub unhealthy_seconds: f64,
    /// Before the first job finished (no health yet).
    pub unknown_seconds: f64,
    /// healthy / (healthy + unhealthy); null when nothing is known.
    pub uptime_ratio: Option<f64>,
    /// Seconds spent in each unhealthy status.
    pub unhealthy_by_name: Vec<NameSeconds>,
    /// One entry per day (UTC) of the window.
    pub days: Vec<DayUptime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NameSeconds {
    pub name: HealthName,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayUptime {
    pub date: chrono::NaiveDate,
    pub uptime_ratio: Option<f64>,
    /// The worst status seen that day (by who must act first); null when unknown.
    pub worst: Option<HealthName>,
}

/// `changes`: (time, new name), oldest first; the first may precede `from` (the state at
/// the window's start).
pub fn uptime(
    changes: &[(DateTime<Utc>, HealthName)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Uptime {
    let all = segments(changes, from, to);
    let total = |f: &dyn Fn(Option<HealthName>) -> bool| -> f64 {
        all.iter()
            .filter(|s| f(s.2))
            .map(|s| (s.1 - s.0).num_milliseconds() as f64 / 1000.0)
            .sum()
    };
    let healthy = total(&|n| n == Some(HealthName::Healthy));
    let unhealthy = total(&|n| n.is_some_and(|n| !n.is_healthy()));
    let unknown = total(&|n| n.is_none());
    let mut by_name: Vec<NameSeconds> = HealthName::ALL
        .into_iter()
        .filter(|n| !n.is_healthy())
        .map(|n| NameSeconds {
            name: n,
            seconds: total(&|x| x == Some(n)),
        })
        .filter(|s| s.seconds > 0.0)
        .collect();
    by_name.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    let mut days = Vec::new();
    let mut day = from.date_naive();
    while day <= (to - Duration::milliseconds(1)).date_naive() {
        let start = day
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .max(from);
        let end = (start
            .date_naive()
            .succ_opt()
            .unwrap_or(day)
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc())
        .min(to);
        let day_segments = segments(changes, start, end);
        let up: f64 = day_segments
            .iter()
            .filter(|s| s.2 == Some(HealthName::Healthy))
            .map(|s| (s.1 - s.0).num_milliseconds() as f64)
            .sum();
        let known: f64 = day_segments
            .iter()
            .filter(|s| s.2.is_some())
            .map(|s| (s.1 - s.0).num_milliseconds() as f64)
            .sum();
        days.push(DayUptime {
            date: day,
            uptime_ratio: (known > 0.0).then(|| up / known),
            worst: day_segments
                .iter()
                .filter_map(|s| s.2)
                .min_by_key(|n| n.precedence()),
        });
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    Uptime {
        window_start: from,
        window_end: to,
        healthy_seconds: healthy,
        unhealthy_seconds: unhealthy,
        unknown_seconds: unknown,
        uptime_ratio: (healthy + unhealthy > 0.0).then(|| healthy / (healthy + unhealthy)),
        unhealthy_by_name: by_name,
        days,
    }
}

/// The window cut into (start, end, state) pieces.
fn segments(
    changes: &[(DateTime<Utc>, HealthName)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, Option<HealthName>)> {
    let mut out = Vec::new();
    let mut cursor = from;
    let mut state = changes
        .iter()
        .take_while(|(t, _)| *t <= from)
        .last()
        .map(|c| c.1);
    for (t, name) in changes.iter().filter(|(t, _)| *t > from && *t < to) {
        out.push((cursor, *t, state));
        cursor = *t;
        state = Some(*name);
    }
    if cursor < to {
        out.push((cursor, to, state));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_time_between_states() {
        let from = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let h = Duration::hours(1);
        let changes = [
            (from + h * 6, HealthName::Healthy),
            (from + h * 12, HealthName::Unauthorized),
            (from + h * 18, HealthName::Healthy),
        ];
        let u = uptime(&changes, from, from + h * 48);
        assert_eq!(
            (u.unknown_seconds, u.unhealthy_seconds),
            (6.0 * 3600.0, 6.0 * 3600.0)
        );
        assert_eq!(u.healthy_seconds, 36.0 * 3600.0);
        assert_eq!(u.uptime_ratio, Some(36.0 / 42.0));
        assert_eq!(
            u.unhealthy_by_name,
            vec![NameSeconds {
                name: HealthName::Unauthorized,
                seconds: 21600.0
            }]
        );
        assert_eq!(u.days.len(), 2);
        assert_eq!(u.days[0].uptime_ratio, Some(12.0 / 18.0));
        assert_eq!(u.days[0].worst, Some(HealthName::Unauthorized));
        assert_eq!(u.days[1].uptime_ratio, Some(1.0));
        let empty = uptime(&[], from, from + h);
        assert_eq!((empty.uptime_ratio, empty.unknown_seconds), (None, 3600.0));
        // A state set before the window carries into it.
        let before = uptime(&[(from - h, HealthName::VendorServerError)], from, from + h);
        assert_eq!(before.uptime_ratio, Some(0.0));
    }
}
