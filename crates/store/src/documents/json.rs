//! Splicing JSON text: stored documents are objects our own code serialized, so members
//! can be appended without parsing them again.

use std::hash::{DefaultHasher, Hash, Hasher};

/// `{…data…}` with extra members appended before the closing brace.
pub fn extend_object(data: &str, members: &[(&str, &str)]) -> String {
    let body = data.trim_end().strip_suffix('}').unwrap_or(data);
    let extra: usize = members.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
    let mut out = String::with_capacity(data.len() + extra);
    out.push_str(body);
    for (k, v) in members {
        if !out.ends_with('{') {
            out.push(',');
        }
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
        out.push_str(v);
    }
    out.push('}');
    out
}

/// A hash of the stored parts, to skip rewriting rows whose content did not change.
pub fn content_hash(parts: &[&str]) -> i64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_extended_in_place() {
        assert_eq!(
            extend_object("{\"a\":1}", &[("b", "2"), ("c", "null")]),
            "{\"a\":1,\"b\":2,\"c\":null}"
        );
        assert_eq!(extend_object("{}", &[("b", "[]")]), "{\"b\":[]}");
    }
}
