//! Timestamps are stored as epoch microseconds in both backends.

use chrono::{DateTime, TimeZone, Utc};

pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

pub fn opt_from_micros(us: Option<i64>) -> Option<DateTime<Utc>> {
    us.map(from_micros)
}

/// Microseconds now.
pub fn now_micros() -> i64 {
    to_micros(Utc::now())
}
