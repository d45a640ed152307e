//! Sorting and paging for query endpoints (query/entity APIs, OData): native orders (update time,
//! creation) page by keyset; any other sort field is sorted in memory (up to a cap) and
//! paged by position. Continuation tokens (`after`, the scroll `offset`) are opaque.

use std::cmp::Ordering;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::Value;

use crate::{
    dataset::{Dataset, Key, Order, RecordRef, TimeRange},
    filter::Cond,
    query::{Page, Query},
    respond::Render,
};

/// Most records a non-native sort orders in memory.
pub const SORT_CAP: u64 = 200_000;

/// How results are ordered.
#[derive(Debug, Clone, PartialEq)]
pub enum Sort {
    Native(Order),
    Field { path: String, desc: bool },
}

/// Parses `field.asc`, `field|desc` or `field` (ascending).
pub fn parse_sort(
    text: Option<&str>,
    time_field: &str,
    created_field: &str,
    known: &std::collections::HashSet<String>,
) -> Result<Sort, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Sort::Native(Order::UpdatedAsc));
    };
    let (field, dir) = match text.rsplit_once(['.', '|']) {
        Some((f, d)) if d == "asc" || d == "desc" => (f, d),
        _ => (text, "asc"),
    };
    let desc = dir == "desc";
    Ok(if field == time_field {
        Sort::Native(if desc {
            Order::UpdatedDesc
        } else {
            Order::UpdatedAsc
        })
    } else if field == created_field {
        // Creation times grow with the index.
        Sort::Native(if desc {
            Order::IndexDesc
        } else {
            Order::IndexAsc
        })
    } else if known.contains(field) {
        Sort::Field {
            path: field.to_owned(),
            desc,
        }
    } else {
        return Err(format!("invalid sort field: {field}"));
    })
}

/// A position to continue from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// Before the first record.
    Start,
    Key(Key),
    Offset(u64),
}

impl Token {
    pub fn encode(self) -> String {
        let raw = match self {
            Token::Start => "v1:s".to_owned(),
            Token::Key(k) => format!("v1:k:{}:{}", k.updated, k.index),
            Token::Offset(n) => format!("v1:o:{n}"),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Token> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s.trim()).ok()?).ok()?;
        let parts: Vec<&str> = raw.split(':').collect();
        match parts.as_slice() {
            ["v1", "k", t, i] => Some(Token::Key(Key {
                updated: t.parse().ok()?,
                index: i.parse().ok()?,
            })),
            ["v1", "o", n] => Some(Token::Offset(n.parse().ok()?)),
            ["v1", "s"] => Some(Token::Start),
            _ => None,
        }
    }
}

/// One listing: a dataset, a filter and a sort.
pub struct Listing<'a> {
    pub data: &'a Dataset,
    pub range: TimeRange,
    pub residual: Option<&'a Cond>,
    pub sort: &'a Sort,
    pub render: &'a Render,
    /// A condition on the record itself (not its rendering), e.g. that its parent exists.
    pub keep: Option<&'a (dyn Fn(&RecordRef) -> bool + Sync)>,
}

impl Listing<'_> {
    fn with_query<T>(&self, f: impl FnOnce(&Query<'_>) -> T) -> T {
        let filter = |r: &RecordRef| {
            self.keep.is_none_or(|k| k(r))
                && self.residual.is_none_or(|c| c.matches(&(self.render)(r)))
        };
        let order = match self.sort {
            Sort::Native(o) => *o,
            Sort::Field { .. } => Order::UpdatedAsc,
        };
        let q = Query {
            data: self.data,
            range: self.range,
            order,
            filter: (self.residual.is_some() || self.keep.is_some())
                .then_some(&filter as &(dyn Fn(&RecordRef) -> bool + Sync)),
        };
        f(&q)
    }

    pub fn total(&self) -> u64 {
        self.with_query(|q| q.count())
    }

    /// Records from position `offset`.
    pub fn at(&self, offset: u64, limit: usize) -> Result<Page, String> {
        match self.sort {
            Sort::Native(_) => Ok(self.with_query(|q| q.at(offset, limit))),
            Sort::Field { path, desc } => {
                let sorted = self.sorted(path, *desc)?;
                let items: Vec<RecordRef> = sorted
                    .iter()
                    .skip(offset as usize)
                    .take(limit)
                    .copied()
                    .collect();
                let more = (offset as usize).saturating_add(items.len()) < sorted.len();
                Ok(Page { items, more })
            }
        }
    }

    /// Records after `token` (from the start when None); returns the page and the token
    /// that continues after it.
    pub fn after(&self, token: Option<Token>, limit: usize) -> Result<(Page, Token), String> {
        match (self.sort, token) {
            (Sort::Native(_), Some(Token::Offset(_)))
            | (Sort::Field { .. }, Some(Token::Key(_))) => {
                Err("invalid pagination token for this sort".into())
            }
            (Sort::Native(_), token) => {
                let after = match token {
                    Some(Token::Key(k)) => Some(k),
                    _ => None,
                };
                let page = self.with_query(|q| q.after(after, limit));
                let next = match (page.items.last(), after) {
                    (Some(last), _) => Token::Key(Key::of(last)),
                    (None, Some(k)) => Token::Key(k),
                    (None, None) => Token::Start,
                };
                Ok((page, next))
            }
            (Sort::Field { .. }, pos) => {
                let offset = match pos {
                    Some(Token::Offset(n)) => n,
                    _ => 0,
                };
                let page = self.at(offset, limit)?;
                let next = Token::Offset(offset + page.items.len() as u64);
                Ok((page, next))
            }
        }
    }

    /// Every matching record, sorted by the value at `path` (then by index).
    fn sorted(&self, path: &str, desc: bool) -> Result<Vec<RecordRef>, String> {
        let total = self.total();
        if total > SORT_CAP {
            return Err(format!(
                "sorting {total} records by {path} is beyond the simulator's in-memory limit of {SORT_CAP}; sort by the update time instead"
            ));
        }
        let mut keyed: Vec<(SortKey, RecordRef)> = Vec::with_capacity(total as usize);
        let mut page = self.with_query(|q| q.after(None, 4096));
        loop {
            for r in &page.items {
                keyed.push((SortKey::of(&(self.render)(r), path), *r));
            }
            if !page.more {
                break;
            }
            let after = page.items.last().map(Key::of);
            page = self.with_query(|q| q.after(after, 4096));
        }
        keyed.sort_by(|(a, ra), (b, rb)| {
            let o = a.cmp(b);
            (if desc { o.reverse() } else { o }).then(ra.index.cmp(&rb.index))
        });
        Ok(keyed.into_iter().map(|(_, r)| r).collect())
    }
}

/// A sortable value: missing and null sort first.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortKey {
    Null,
    Num(f64),
    Str(String),
}

impl SortKey {
    fn of(record: &Value, path: &str) -> SortKey {
        let v = path.split('.').try_fold(record, |v, k| v.get(k));
        match v {
            Some(Value::Number(n)) => SortKey::Num(n.as_f64().unwrap_or(0.0)),
            Some(Value::String(s)) => SortKey::Str(s.to_lowercase()),
            Some(Value::Bool(b)) => SortKey::Num(f64::from(u8::from(*b))),
            _ => SortKey::Null,
        }
    }

    fn cmp(&self, other: &SortKey) -> Ordering {
        self.partial_cmp(other).unwrap_or(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for t in [
            Token::Key(Key {
                updated: -5,
                index: 9,
            }),
            Token::Offset(1234),
            Token::Start,
        ] {
            assert_eq!(Token::decode(&t.encode()), Some(t));
        }
        assert_eq!(Token::decode("not a token"), None);
        let known = ["hostname".to_string()].into_iter().collect();
        assert_eq!(
            parse_sort(
                Some("hostname|desc"),
                "modified_timestamp",
                "first_seen",
                &known
            ),
            Ok(Sort::Field {
                path: "hostname".into(),
                desc: true
            })
        );
        assert_eq!(
            parse_sort(
                Some("modified_timestamp.asc"),
                "modified_timestamp",
                "first_seen",
                &known
            ),
            Ok(Sort::Native(Order::UpdatedAsc))
        );
        assert!(parse_sort(Some("nope.asc"), "modified_timestamp", "first_seen", &known).is_err());
    }
}
