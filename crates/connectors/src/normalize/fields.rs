//! Reading vendor JSON tolerantly: vendors send numbers as strings, booleans as
//! `"True"`, empty strings for unknown values and nulls anywhere. Every reader returns
//! None (or an empty list) rather than failing; only the few checks at the bottom of this
//! file refuse a record, and they say which field was wrong, never its value.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::time::parse_time;
use crate::{mapping::MappingError, view::View};

/// The value at a dot-separated path, if present and not null.
pub fn at<'v, 'a>(v: &'v View<'a>, path: &str) -> Option<&'v View<'a>> {
    path.split('.')
        .try_fold(v, |cur, key| cur.get(key))
        .filter(|x| !x.is_null())
}

/// A non-empty, trimmed string at `path`; numbers and booleans are written as strings.
pub fn string(v: &View, path: &str) -> Option<String> {
    scalar_string(at(v, path)?)
}

/// A scalar as a trimmed, non-empty string (None for objects, arrays, null, "").
pub fn scalar_string(v: &View) -> Option<String> {
    match v {
        View::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        View::Number(n) => Some(n.to_string()),
        View::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first of several paths that holds a string.
pub fn first_string(v: &View, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| string(v, p))
}

/// An integer at `path` (a JSON number or a numeric string); fractions are truncated.
pub fn int(v: &View, path: &str) -> Option<i64> {
    match at(v, path)? {
        // `as` saturates for floats out of range, which is what we want here.
        View::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        View::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

/// A finite number at `path` (a JSON number or a numeric string).
pub fn float(v: &View, path: &str) -> Option<f64> {
    match at(v, path)? {
        View::Number(n) => n.as_f64(),
        View::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// A boolean at `path`: `true`/`false`, or `"True"`/`"false"`/`"yes"`/`"1"` as some
/// exports write them.
pub fn boolean(v: &View, path: &str) -> Option<bool> {
    match at(v, path)? {
        View::Bool(b) => Some(*b),
        View::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        View::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// The array at `path` (empty when absent or not an array).
pub fn array<'v, 'a>(v: &'v View<'a>, path: &str) -> &'v [View<'a>] {
    at(v, path).and_then(View::as_array).unwrap_or(&[])
}

/// The scalar items of the array at `path` as strings (objects, nulls and "" skipped).
pub fn strings(v: &View, path: &str) -> Vec<String> {
    array(v, path).iter().filter_map(scalar_string).collect()
}

/// A timestamp at `path` (see [`parse_time`]); None when absent or unparseable.
pub fn time(v: &View, path: &str) -> Option<DateTime<Utc>> {
    match at(v, path)? {
        View::String(s) => parse_time(s),
        _ => None,
    }
}

/// Epoch seconds at `path`, as a JSON number or a numeric string (CrowdStrike's
/// `process_start_time: "1699034413"`). Zero and negative values mean "unset".
pub fn epoch_seconds(v: &View, path: &str) -> Option<DateTime<Utc>> {
    let secs = match at(v, path)? {
        View::Number(n) => n.as_i64(),
        View::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }?;
    if secs <= 0 {
        return None;
    }
    Utc.timestamp_opt(secs, 0).single()
}

/// A copy of the listed top-level fields that are present and not null (the curated
/// `vendor_data` pass-through).
pub fn pick(v: &View, keys: &[&str]) -> Value {
    let mut m = Map::new();
    for k in keys {
        if let Some(x) = v.get(k).filter(|x| !x.is_null()) {
            m.insert((*k).to_owned(), x.to_value());
        }
    }
    Value::Object(m)
}

/// Pushes `s` unless it is empty or already present (keeps first-seen order).
pub fn push_unique(list: &mut Vec<String>, s: impl Into<String>) {
    let s = s.into();
    if !s.is_empty() && !list.contains(&s) {
        list.push(s);
    }
}

// ---- the checks that refuse a record -------------------------------------------------

/// Refuses anything but a JSON object.
pub fn require_object(raw: &View) -> Result<(), MappingError> {
    if raw.is_object() {
        Ok(())
    } else {
        Err(MappingError::new("record is not an object"))
    }
}

/// The record's identity: the first of `paths` holding a non-empty scalar.
pub fn require_id(raw: &View, paths: &[&str]) -> Result<String, MappingError> {
    require_object(raw)?;
    first_string(raw, paths).ok_or_else(|| {
        MappingError::new(format!("record has no usable `{}`", paths.join("` or `")))
    })
}

/// A nested object at `path`: Ok(None) when absent or null, an error when it is present
/// but not an object (a string where the vendor sends an object is not the vendor's
/// structure).
pub fn nested_object<'v, 'a>(
    v: &'v View<'a>,
    path: &str,
) -> Result<Option<&'v View<'a>>, MappingError> {
    match at(v, path) {
        None => Ok(None),
        Some(o @ View::Object(_)) => Ok(Some(o)),
        Some(_) => Err(MappingError::new(format!("`{path}` is not an object"))),
    }
}

/// A nested list at `path`: empty when absent or null, an error when present but not a list.
pub fn nested_array<'v, 'a>(v: &'v View<'a>, path: &str) -> Result<&'v [View<'a>], MappingError> {
    match at(v, path) {
        None => Ok(&[]),
        Some(View::Array(a)) => Ok(a),
        Some(_) => Err(MappingError::new(format!("`{path}` is not a list"))),
    }
}

/// The vendor's last-modified time, used for the incremental watermark: absent or null
/// is fine, present but unreadable is not (a wrong watermark would skip records).
pub fn watermark(v: &View, path: &str) -> Result<Option<DateTime<Utc>>, MappingError> {
    match at(v, path) {
        None => Ok(None),
        Some(_) => time(v, path)
            .map(Some)
            .ok_or_else(|| MappingError::new(format!("`{path}` is not a timestamp"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_numbers_and_booleans_are_read_tolerantly() {
        let v = json!({"a": {"b": "  x "}, "n": "42", "f": 4.9, "fs": "7.5", "e": "", "t": "True",
                       "no": "no", "one": 1, "z": null, "arr": ["a", "", 3, null, {"o": 1}, true]});
        let v = View::from(&v);
        assert_eq!(string(&v, "a.b").as_deref(), Some("x"));
        assert_eq!(string(&v, "n").as_deref(), Some("42"));
        assert_eq!(string(&v, "e"), None);
        assert_eq!(string(&v, "a"), None, "an object is not a string");
        assert_eq!(int(&v, "n"), Some(42));
        assert_eq!(int(&v, "f"), Some(4));
        assert_eq!(int(&v, "fs"), Some(7));
        assert_eq!(int(&v, "t"), None);
        assert_eq!(boolean(&v, "t"), Some(true));
        assert_eq!(boolean(&v, "no"), Some(false));
        assert_eq!(boolean(&v, "one"), Some(true));
        assert_eq!(boolean(&v, "n"), None);
        assert!(at(&v, "z").is_none());
        assert!(at(&v, "a.b.c").is_none());
        assert_eq!(strings(&v, "arr"), vec!["a", "3", "true"]);
        assert!(array(&v, "n").is_empty());
        assert_eq!(
            first_string(&v, &["missing", "e", "n"]).as_deref(),
            Some("42")
        );
    }

    #[test]
    fn pick_copies_only_present_fields() {
        let v = json!({"a": 1, "b": null, "c": {"d": 2}});
        let v = View::from(&v);
        assert_eq!(
            pick(&v, &["a", "b", "c", "x"]),
            json!({"a": 1, "c": {"d": 2}})
        );
        let mut list = vec![];
        for s in ["x", "", "y", "x"] {
            push_unique(&mut list, s);
        }
        assert_eq!(list, vec!["x", "y"]);
    }

    #[test]
    fn refusals_name_the_field() {
        assert!(require_object(&View::from(&json!([1]))).is_err());
        assert_eq!(
            require_id(&View::from(&json!({"id": 12})), &["id"]).unwrap(),
            "12"
        );
        let e = require_id(&View::from(&json!({"id": " "})), &["composite_id", "id"]).unwrap_err();
        assert_eq!(e.0, "record has no usable `composite_id` or `id`");
        let v = json!({"o": {"k": 1}, "s": "x", "n": null, "l": [1], "t": "2024-01-01T00:00:00Z", "bad": "soon", "num": 5});
        let v = View::from(&v);
        assert!(nested_object(&v, "o").unwrap().is_some());
        assert!(nested_object(&v, "n").unwrap().is_none());
        assert_eq!(
            nested_object(&v, "s").unwrap_err().0,
            "`s` is not an object"
        );
        assert_eq!(nested_array(&v, "l").unwrap().len(), 1);
        assert!(nested_array(&v, "o").is_err());
        assert!(watermark(&v, "t").unwrap().is_some());
        assert!(watermark(&v, "missing").unwrap().is_none());
        assert!(watermark(&v, "n").unwrap().is_none());
        assert_eq!(
            watermark(&v, "bad").unwrap_err().0,
            "`bad` is not a timestamp"
        );
        assert!(watermark(&v, "num").is_err());
    }

    #[test]
    fn epoch_seconds_from_numbers_and_strings() {
        let v = json!({"s": "1699034413", "n": 1699034413, "z": "0", "neg": -5, "x": "abc",
                       "huge": i64::MAX, "f": 1.5});
        let v = View::from(&v);
        let want = Utc.timestamp_opt(1_699_034_413, 0).single();
        assert_eq!(epoch_seconds(&v, "s"), want);
        assert_eq!(epoch_seconds(&v, "n"), want);
        for p in ["z", "neg", "x", "huge", "f", "missing"] {
            assert_eq!(epoch_seconds(&v, p), None, "{p}");
        }
    }
}
