//! Filter conditions shared by the vendors' query languages (FQL-like expressions, OData
//! `$filter`, list query parameters), evaluated on a rendered record. Evaluating the JSON the
//! client will see keeps filters and responses consistent by construction.

use std::cmp::Ordering;

use serde_json::Value;

use crate::{dataset::TimeRange, fake::parse_ts};

/// A literal in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// Wildcard match: `*` stands for any run of characters; case-insensitive.
    Like,
}

/// A boolean condition on a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// The value at a dotted `path` (arrays along the way match if any element does).
    Cmp {
        path: String,
        op: Op,
        lit: Lit,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

impl Cond {
    pub fn cmp(path: &str, op: Op, lit: Lit) -> Cond {
        Cond::Cmp {
            path: path.to_owned(),
            op,
            lit,
        }
    }

    /// All of `terms` (the term itself when there is one).
    pub fn all(mut terms: Vec<Cond>) -> Cond {
        if terms.len() == 1 {
            terms.remove(0)
        } else {
            Cond::And(terms)
        }
    }

    /// Any of `terms` (the term itself when there is one).
    pub fn either(mut terms: Vec<Cond>) -> Cond {
        if terms.len() == 1 {
            terms.remove(0)
        } else {
            Cond::Or(terms)
        }
    }

    /// `path` equals one of `values` (strings).
    pub fn any_of(path: &str, values: &[String]) -> Cond {
        Cond::Or(
            values
                .iter()
                .map(|v| Cond::cmp(path, Op::Eq, Lit::Str(v.clone())))
                .collect(),
        )
    }

    /// Whether `record` satisfies the condition.
    pub fn matches(&self, record: &Value) -> bool {
        match self {
            Cond::And(cs) => cs.iter().all(|c| c.matches(record)),
            Cond::Or(cs) => cs.iter().any(|c| c.matches(record)),
            Cond::Not(c) => !c.matches(record),
            Cond::Cmp { path, op, lit } => {
                let mut leaves = Vec::new();
                collect(record, path.split('.'), &mut leaves);
                match op {
                    Op::Ne => !leaves.iter().any(|v| compare(v, Op::Eq, lit)),
                    Op::Eq if *lit == Lit::Null => {
                        leaves.is_empty() || leaves.iter().any(|v| v.is_null())
                    }
                    _ => leaves.iter().any(|v| compare(v, *op, lit)),
                }
            }
        }
    }
}

/// Moves top-level ANDed comparisons on `field` (a timestamp) into a native range;
/// returns the range and what is left to evaluate per record.
pub fn split_native(cond: Cond, field: &str) -> (TimeRange, Option<Cond>) {
    let terms = match cond {
        Cond::And(cs) => cs,
        other => vec![other],
    };
    let mut range = TimeRange::default();
    let mut rest = Vec::new();
    for term in terms {
        match native(&term, field) {
            Some(r) => range = range.and(r),
            None => rest.push(term),
        }
    }
    let residual = match rest.len() {
        0 => None,
        1 => rest.pop(),
        _ => Some(Cond::And(rest)),
    };
    (range, residual)
}

fn native(c: &Cond, field: &str) -> Option<TimeRange> {
    let Cond::Cmp {
        path,
        op,
        lit: Lit::Str(v),
    } = c
    else {
        return None;
    };
    if path != field {
        return None;
    }
    let t = parse_ts(v)?;
    Some(match op {
        Op::Gt => TimeRange {
            since: Some(t + 1),
            until: None,
        },
        Op::Ge => TimeRange {
            since: Some(t),
            until: None,
        },
        Op::Lt => TimeRange {
            since: None,
            until: Some(t - 1),
        },
        Op::Le => TimeRange {
            since: None,
            until: Some(t),
        },
        Op::Eq => TimeRange {
            since: Some(t),
            until: Some(t),
        },
        _ => return None,
    })
}

/// The leaves at `path` under `v`, flattening arrays.
fn collect<'a, 'p>(
    v: &'a Value,
    mut path: impl Iterator<Item = &'p str> + Clone,
    out: &mut Vec<&'a Value>,
) {
    if let Value::Array(items) = v {
        for item in items {
            collect(item, path.clone(), out);
        }
        return;
    }
    match path.next() {
        None => out.push(v),
        Some(key) => {
            if let Some(child) = v.get(key) {
                collect(child, path, out);
            }
        }
    }
}

fn compare(v: &Value, op: Op, lit: &Lit) -> bool {
    if op == Op::Like {
        return match (v, lit) {
            (Value::String(s), Lit::Str(p)) => wildcard(&p.to_lowercase(), &s.to_lowercase()),
            (Value::Number(n), Lit::Str(p)) => wildcard(p, &n.to_string()),
            _ => false,
        };
    }
    let ord = match (v, lit) {
        (Value::Null, Lit::Null) => Some(Ordering::Equal),
        (Value::Bool(a), Lit::Bool(b)) => Some(a.cmp(b)),
        (Value::String(s), Lit::Bool(b)) => parse_bool(s).map(|a| a.cmp(b)),
        (Value::Number(n), Lit::Num(x)) => n.as_f64().and_then(|f| f.partial_cmp(x)),
        (Value::String(s), Lit::Num(x)) => s.parse::<f64>().ok().and_then(|f| f.partial_cmp(x)),
        (Value::Number(n), Lit::Str(s)) => s
            .parse::<f64>()
            .ok()
            .and_then(|x| n.as_f64()?.partial_cmp(&x)),
        (Value::String(s), Lit::Str(x)) => Some(compare_strings(s, x)),
        _ => None,
    };
    let Some(ord) = ord else {
        return false;
    };
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Like => unreachable!("handled above"),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Timestamps compare as instants (whatever their precision), other strings without case.
fn compare_strings(a: &str, b: &str) -> Ordering {
    if looks_like_time(b) {
        if let (Some(x), Some(y)) = (parse_ts(a), parse_ts(b)) {
            return x.cmp(&y);
        }
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
}

/// Matches `text` against `pattern` where `*` is any run of characters.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(at) => rest = &rest[at + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Adds every dotted field path of `v` (under `prefix`) to `out`: the fields a query may
/// name, learned from rendered records.
pub(crate) fn collect_paths(v: &Value, prefix: &str, out: &mut std::collections::HashSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                collect_paths(child, &path, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_paths(i, prefix, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn conditions_on_records() {
        let r = json!({"status": "new", "severity": 70, "device": {"hostname": "WS-01"},
            "tags": ["a", "b"], "ips": [{"ip": "10.0.0.1"}], "t": "2024-01-01T00:00:00.5Z",
            "pid": "123", "flag": true, "gone": null});
        assert!(Cond::cmp("status", Op::Eq, Lit::Str("NEW".into())).matches(&r));
        assert!(Cond::cmp("severity", Op::Ge, Lit::Num(70.0)).matches(&r));
        assert!(!Cond::cmp("severity", Op::Gt, Lit::Num(70.0)).matches(&r));
        assert!(Cond::cmp("device.hostname", Op::Like, Lit::Str("ws-*".into())).matches(&r));
        assert!(Cond::cmp("tags", Op::Eq, Lit::Str("b".into())).matches(&r));
        assert!(Cond::cmp("tags", Op::Ne, Lit::Str("c".into())).matches(&r));
        assert!(Cond::cmp("ips.ip", Op::Eq, Lit::Str("10.0.0.1".into())).matches(&r));
        assert!(Cond::cmp("t", Op::Gt, Lit::Str("2024-01-01T00:00:00Z".into())).matches(&r));
        assert!(
            Cond::cmp("t", Op::Lt, Lit::Str("2024-01-01T00:00:00.6000000Z".into())).matches(&r)
        );
        assert!(Cond::cmp("pid", Op::Eq, Lit::Num(123.0)).matches(&r));
        assert!(Cond::cmp("flag", Op::Eq, Lit::Bool(true)).matches(&r));
        assert!(Cond::cmp("gone", Op::Eq, Lit::Null).matches(&r));
        assert!(Cond::cmp("missing", Op::Eq, Lit::Null).matches(&r));
        assert!(!Cond::cmp("missing", Op::Like, Lit::Str("*".into())).matches(&r));
        assert!(wildcard("*cred*", "lsass credential dump"));
        assert!(!wildcard("a*b", "ab-c"));
    }
}
