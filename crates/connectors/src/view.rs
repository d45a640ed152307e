//! A vendor record read in place: [`View`], what the mappings read.
//!
//! A record's JSON text is read once into a view that borrows its strings from the text
//! (copying only the few with escapes), keeps numbers as they came and holds objects as
//! lists of members: no `serde_json::Value` tree, whose every key and string is an
//! allocation of its own and whose every object is a hash map. Readers that build
//! records themselves (XML, joined records) hand over `Value`s; [`View::from`] views
//! those in place too, so every mapping reads one type through one set of tolerant
//! readers ([`crate::normalize::fields`]).

use std::{borrow::Cow, fmt};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value borrowed from a record's text (or from a parsed `Value`).
#[derive(Debug, Clone, PartialEq)]
pub enum View<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<View<'a>>),
    /// Members in the order sent. A repeated key is kept twice; lookups find the last,
    /// as parsing into a `Value` keeps the last.
    Object(Vec<(Cow<'a, str>, View<'a>)>),
}

static NULL: View<'static> = View::Null;

impl<'a> View<'a> {
    /// Reads one record's JSON text.
    pub fn parse(json: &'a str) -> serde_json::Result<View<'a>> {
        serde_json::from_str(json)
    }

    /// The member `key` of an object (the last when repeated); None for other values.
    pub fn get(&self, key: &str) -> Option<&View<'a>> {
        match self {
            View::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The members of an object, each key once (its last value, at its first place, as a
    /// parsed `Value` keeps it); None for other values.
    pub fn members(&self) -> Option<impl Iterator<Item = (&str, &View<'a>)>> {
        let View::Object(members) = self else {
            return None;
        };
        Some(members.iter().enumerate().filter_map(move |(i, (k, _))| {
            let first = members[..i].iter().all(|(seen, _)| seen != k);
            first.then(|| (k.as_ref(), self.get(k).unwrap_or(&NULL)))
        }))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            View::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[View<'a>]> {
        match self {
            View::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            View::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, View::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, View::Object(_))
    }

    /// An owned `Value` of this view (what parsing its text would give): for the few
    /// fields kept as the vendor sent them (`vendor_data`).
    pub fn to_value(&self) -> Value {
        match self {
            View::Null => Value::Null,
            View::Bool(b) => Value::Bool(*b),
            View::Number(n) => Value::Number(n.clone()),
            View::String(s) => Value::String(s.clone().into_owned()),
            View::Array(items) => Value::Array(items.iter().map(View::to_value).collect()),
            View::Object(members) => {
                let mut m = Map::with_capacity(members.len());
                for (k, v) in members {
                    m.insert(k.clone().into_owned(), v.to_value());
                }
                Value::Object(m)
            }
        }
    }
}

/// Views a parsed `Value` in place (its strings borrowed).
impl<'a> From<&'a Value> for View<'a> {
    fn from(v: &'a Value) -> View<'a> {
        match v {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n.clone()),
            Value::String(s) => View::String(Cow::Borrowed(s)),
            Value::Array(items) => View::Array(items.iter().map(View::from).collect()),
            Value::Object(m) => View::Object(
                m.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), View::from(v)))
                    .collect(),
            ),
        }
    }
}

/// The record as JSON text (what the vendor sent, up to whitespace and escapes).
impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.to_value().fmt(f)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for View<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<View<'a>, D::Error> {
        d.deserialize_any(ViewVisitor)
    }
}

struct ViewVisitor;

impl<'de> Visitor<'de> for ViewVisitor {
    type Value = View<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<View<'de>, E> {
        Ok(View::Null)
    }

    fn visit_none<E>(self) -> Result<View<'de>, E> {
        Ok(View::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<View<'de>, D::Error> {
        View::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<View<'de>, E> {
        Ok(View::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<View<'de>, E> {
        Ok(View::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<View<'de>, E> {
        Ok(View::Number(n.into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<View<'de>, E> {
        // JSON text has no NaN or infinity, so this is always a number.
        Ok(Number::from_f64(f).map_or(View::Null, View::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<View<'de>, E> {
        Ok(View::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<View<'de>, E> {
        // Only a string with escapes is unescaped into a buffer of the parser's.
        Ok(View::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<View<'de>, E> {
        Ok(View::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<View<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(View::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<View<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            members.push((key, map.next_value()?));
        }
        Ok(View::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_view_reads_what_a_value_holds_and_borrows_plain_strings() {
        let text = r#"{"a": {"b": "x", "n": 42, "f": 1.5, "big": 18446744073709551615},
                       "list": [1, "two", null, true, {"k": "v"}], "esc": "a\"b\u00e9",
                       "dup": 1, "dup": 2, "empty": {}, "neg": -7}"#;
        let view = View::parse(text).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(view.to_value(), value);
        assert_eq!(View::from(&value).to_value(), value);
        assert_eq!(view.get("dup").and_then(View::as_i64), Some(2));
        let keys: Vec<&str> = view.members().unwrap().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "list", "esc", "dup", "empty", "neg"]);
        assert_eq!(view.to_string(), value.to_string());
        match &view.get("a").unwrap().get("b").unwrap() {
            View::String(Cow::Borrowed(s)) => assert_eq!(*s, "x"),
            other => panic!("a plain string is borrowed from the text: {other:?}"),
        }
        assert_eq!(view.get("esc").and_then(View::as_str), Some("a\"bé"));
        assert_eq!(view.get("neg").and_then(View::as_i64), Some(-7));
        assert_eq!(
            view.get("list").and_then(View::as_array).map(<[_]>::len),
            Some(5)
        );
        assert!(view.get("missing").is_none() && View::Null.get("a").is_none());
        assert_eq!(View::from(&json!(null)), View::Null);
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "nul"] {
            assert!(View::parse(bad).is_err(), "{bad:?}");
        }
    }
}
