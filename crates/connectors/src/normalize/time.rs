//! Vendor timestamps: RFC 3339 with any number of fractional digits (SentinelOne sends
//! 6, Defender 7, CrowdStrike 9) and Defender values without a zone. This is the one
//! parser of vendor times: mappings and the watermark path both use it.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Parses an ISO-8601 / RFC 3339 timestamp: `Z` or a numeric offset (with or without a
/// colon), 0–9 fractional digits, `T` or a space between date and time. A value without
/// a zone is taken as UTC (Defender writes UTC times that way). None for anything else,
/// including bare numbers: epoch values are read only where a vendor documents them
/// ([`epoch_seconds`]).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    // Long inputs are not timestamps; refusing them early keeps parsing cheap.
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<String> {
        parse_time(s).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
    }

    #[test]
    fn rfc3339_with_any_fraction_and_zone() {
        let cases = [
            ("2022-04-06T08:45:53Z", "2022-04-06T08:45:53.000000000Z"),
            ("2022-04-06T08:45:53.9Z", "2022-04-06T08:45:53.900000000Z"),
            (
                "2022-04-06T08:45:53.968000Z",
                "2022-04-06T08:45:53.968000000Z",
            ),
            (
                "2021-01-26T20:31:32.9562661Z",
                "2021-01-26T20:31:32.956266100Z",
            ),
            (
                "2023-11-03T19:00:23.985007341Z",
                "2023-11-03T19:00:23.985007341Z",
            ),
            (
                "2024-01-01T02:00:00+02:00",
                "2024-01-01T00:00:00.000000000Z",
            ),
            (
                "2024-01-01T02:00:00.5+0200",
                "2024-01-01T00:00:00.500000000Z",
            ),
            ("2024-01-01 00:00:00Z", "2024-01-01T00:00:00.000000000Z"),
            ("2024-01-01t00:00:00z", "2024-01-01T00:00:00.000000000Z"),
        ];
        for (raw, want) in cases {
            assert_eq!(ts(raw).as_deref(), Some(want), "{raw}");
        }
    }

    #[test]
    fn zoneless_values_are_utc() {
        assert_eq!(
            ts("2021-01-26T20:31:32.9562661").as_deref(),
            Some("2021-01-26T20:31:32.956266100Z")
        );
        assert_eq!(
            ts("2021-01-26T20:31:32").as_deref(),
            Some("2021-01-26T20:31:32.000000000Z")
        );
        assert_eq!(
            ts("2021-01-26 20:31:32.1").as_deref(),
            Some("2021-01-26T20:31:32.100000000Z")
        );
    }

    #[test]
    fn everything_else_is_none() {
        for raw in [
            "",
            "   ",
            "soon",
            "1700000000",
            "2021-13-01T00:00:00Z",
            "2021-01-26",
            "2021-01-26T25:00:00Z",
        ] {
            assert_eq!(parse_time(raw), None, "{raw}");
        }
        assert_eq!(parse_time(&"9".repeat(100)), None);
    }
}
