//! The one watermark path: where an incremental pull starts, what a page allows it to
//! move to, and how that is stored. Every vendor time goes through the one parser,
//! [`crate::normalize::parse_time`].

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::{
    normalize::parse_time,
    records::{str_at, Records},
};

/// How far an export has been pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watermark {
    /// Records changed at or after this time are still to pull.
    Time(DateTime<Utc>),
    /// A vendor's own resume token (a delta link), opaque to Tributary.
    Token(String),
}

impl Watermark {
    /// The stored form: RFC 3339 with nanoseconds for times, the token as is.
    pub fn to_stored(&self) -> String {
        match self {
            Watermark::Time(t) => t.to_rfc3339_opts(SecondsFormat::Nanos, true),
            Watermark::Token(s) => s.clone(),
        }
    }

    /// Reads a stored watermark: anything that parses as a time is one.
    pub fn from_stored(s: &str) -> Watermark {
        match parse_time(s) {
            Some(t) => Watermark::Time(t),
            None => Watermark::Token(s.to_owned()),
        }
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Watermark::Time(t) => Some(*t),
            Watermark::Token(_) => None,
        }
    }
}

/// Where a run starts: the stored watermark, else the connection's
/// `options.init_load_timestamp`, else the beginning.
pub fn start(stored: Option<&str>, options: Option<&Value>) -> Option<Watermark> {
    stored.map(Watermark::from_stored).or_else(|| {
        options
            .and_then(|o| o.get("init_load_timestamp"))
            .and_then(Value::as_str)
            .and_then(parse_time)
            .map(Watermark::Time)
    })
}

/// The latest of the timestamps at `path` (dot-separated) in `records`.
pub fn latest(records: &[Value], path: &str) -> Option<DateTime<Utc>> {
    records
        .iter()
        .filter_map(|r| {
            path.split('.')
                .try_fold(r, |cur, key| cur.get(key))
                .and_then(Value::as_str)
                .and_then(parse_time)
        })
        .max()
}

/// [`latest`] over a page's records, parsed or still JSON text (read field by field,
/// without building their trees).
pub fn latest_of(records: &Records, path: &str) -> Option<DateTime<Utc>> {
    match records {
        Records::Parsed(values) => latest(values, path),
        Records::Json(texts) => texts
            .iter()
            .filter_map(|r| str_at(r, path).and_then(|s| parse_time(&s)))
            .max(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_round_trip_and_tokens_stay_opaque() {
        let a = parse_time("2022-04-06T08:45:53.968000Z").unwrap();
        let b = parse_time("2021-01-26T20:33:59.2123456Z").unwrap();
        let recs = vec![
            json!({"t": {"u": "2021-01-26T20:33:59.2123456Z"}}),
            json!({"t": {"u": "2022-04-06T08:45:53.968000Z"}}),
            json!({}),
        ];
        assert_eq!(latest(&recs, "t.u"), Some(a));
        let stored = Watermark::Time(b).to_stored();
        assert_eq!(stored, "2021-01-26T20:33:59.212345600Z");
        assert_eq!(Watermark::from_stored(&stored), Watermark::Time(b));
        let link = "https://graph.example/v1.0/users/delta?$deltatoken=abc";
        assert_eq!(
            Watermark::from_stored(link),
            Watermark::Token(link.to_owned())
        );
        assert_eq!(Watermark::from_stored(link).to_stored(), link);
    }

    #[test]
    fn a_run_starts_from_the_stored_watermark_else_the_initial_load_time() {
        let a = parse_time("2022-04-06T08:45:53.968000Z").unwrap();
        let opts = json!({"init_load_timestamp": "2020-01-01T00:00:00Z"});
        assert_eq!(
            start(None, Some(&opts)),
            parse_time("2020-01-01T00:00:00Z").map(Watermark::Time)
        );
        let stored = Watermark::Time(a).to_stored();
        assert_eq!(start(Some(&stored), Some(&opts)), Some(Watermark::Time(a)));
        assert_eq!(start(None, None), None);
    }
}
