//! Reading vendor JSON tolerantly: vendors send numbers as strings, empty strings for
//! unknown values, and nulls anywhere.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

/// The value at a dot-separated path, if present and not null.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |cur, key| cur.get(key))
        .filter(|x| !x.is_null())
}

/// A non-empty string at `path`; numbers and booleans are written as strings.
pub fn string(v: &Value, path: &str) -> Option<String> {
    match at(v, path)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first of several paths that holds a string.
pub fn first_string(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| string(v, p))
}

/// An integer at `path` (a number or a numeric string).
pub fn int(v: &Value, path: &str) -> Option<i64> {
    match at(v, path)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean at `path` (true/false or "True"/"False" as some exports write them).
pub fn boolean(v: &Value, path: &str) -> Option<bool> {
    match at(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The array at `path` (empty when absent or not an array).
pub fn array<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Strings of the array at `path`.
pub fn strings(v: &Value, path: &str) -> Vec<String> {
    array(v, path)
        .iter()
        .filter_map(|x| match x {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// Parses a vendor timestamp: RFC 3339 with 0–9 fractional digits, a zone-less ISO time
/// (taken as UTC), or epoch seconds/milliseconds.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    let n: i64 = s.parse().ok()?;
    // Epoch seconds until the year 5138; above that, milliseconds.
    if n > 100_000_000_000 {
        Utc.timestamp_millis_opt(n).single()
    } else if n > 0 {
        Utc.timestamp_opt(n, 0).single()
    } else {
        None
    }
}

/// A timestamp at `path` (string or epoch number); None when absent or unparseable.
pub fn time(v: &Value, path: &str) -> Option<DateTime<Utc>> {
    match at(v, path)? {
        Value::String(s) => parse_time(s),
        Value::Number(n) => n.as_i64().and_then(|n| parse_time(&n.to_string())),
        _ => None,
    }
}

/// An object at `path`, or an error naming the path when it is present but not an object.
pub fn object_or_err<'a>(
    v: &'a Value,
    path: &str,
) -> Result<Option<&'a Value>, crate::mapping::MappingError> {
    match at(v, path) {
        None => Ok(None),
        Some(o @ Value::Object(_)) => Ok(Some(o)),
        Some(_) => Err(crate::mapping::MappingError::new(format!(
            "`{path}` is not an object"
        ))),
    }
}

/// Pushes `s` unless it is already present (keeps first-seen order).
pub fn push_unique(list: &mut Vec<String>, s: impl Into<String>) {
    let s = s.into();
    if !s.is_empty() && !list.contains(&s) {
        list.push(s);
    }
}

/// The last component of a Windows or POSIX path.
pub fn basename(path: &str) -> Option<String> {
    path.rsplit(['\\', '/'])
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// None for a hash that is all zeros (CrowdStrike fills unknown SHA1s with zeros).
pub fn real_hash(h: Option<String>) -> Option<String> {
    h.filter(|h| h.chars().any(|c| c != '0'))
        .map(|h| h.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tolerant_reads() {
        let v = json!({"a": {"b": "  x "}, "n": "42", "e": "", "t": "True", "z": null, "arr": ["a", "", 3]});
        assert_eq!(string(&v, "a.b").as_deref(), Some("x"));
        assert_eq!(int(&v, "n"), Some(42));
        assert_eq!(string(&v, "e"), None);
        assert_eq!(boolean(&v, "t"), Some(true));
        assert!(at(&v, "z").is_none());
        assert_eq!(strings(&v, "arr"), vec!["a", "3"]);
        assert_eq!(first_string(&v, &["missing", "n"]).as_deref(), Some("42"));
    }

    #[test]
    fn times() {
        assert!(parse_time("2022-04-06T08:45:53.968000Z").is_some());
        assert!(parse_time("2021-01-26T20:31:32.9562661Z").is_some());
        assert!(parse_time("2021-01-26T20:31:32.9562661").is_some());
        assert_eq!(parse_time("1700000000").unwrap().timestamp(), 1_700_000_000);
        assert_eq!(
            parse_time("1700000000123").unwrap().timestamp_millis(),
            1_700_000_000_123
        );
        assert!(parse_time("soon").is_none());
    }

    #[test]
    fn paths_and_hashes() {
        assert_eq!(basename("C:\\Windows\\x.exe").as_deref(), Some("x.exe"));
        assert_eq!(basename("/usr/bin/ls").as_deref(), Some("ls"));
        assert_eq!(real_hash(Some("0000".into())), None);
        assert_eq!(real_hash(Some("ABC1".into())).as_deref(), Some("abc1"));
    }
}
