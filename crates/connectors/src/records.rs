//! A page's records as a reader holds them, and the one field reader that works on a
//! record's JSON text without parsing it into a tree.

use std::{borrow::Cow, fmt};

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{value::RawValue, Value};

/// A page's records as its reader holds them.
#[derive(Debug, Clone)]
pub enum Records {
    /// Parsed trees: readers that build records themselves (XML, joined or reshaped
    /// records).
    Parsed(Vec<Value>),
    /// Each record's JSON text as the vendor sent it, cut from the page without building
    /// its tree. The pipeline reads one record at a time as the mapping reaches it, in
    /// place ([`crate::view::View`]), so a page of a thousand 4 KB alerts holds its 4 MB
    /// of text, never a tree of every record at once (a page of `Value` trees was about
    /// ten times larger).
    Json(JsonRecords),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::Parsed(v) => v.len(),
            Records::Json(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Records {
    fn default() -> Records {
        Records::Parsed(Vec::new())
    }
}

impl From<Vec<Value>> for Records {
    fn from(records: Vec<Value>) -> Records {
        Records::Parsed(records)
    }
}

impl From<JsonRecords> for Records {
    fn from(records: JsonRecords) -> Records {
        Records::Json(records)
    }
}

/// The records of a page as their JSON texts, one after another in one buffer: one
/// allocation a page rather than one a record, and the pipeline's views of the records
/// borrow from it.
///
/// Deserializes from a JSON array of records (the `data`, `resources` or `value` of a
/// vendor's page), each record's text cut from the input as it was sent; the input must
/// be in memory (`serde_json::from_slice` or `from_str`), as every page is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JsonRecords {
    text: String,
    /// Where each record's text ends in `text`.
    ends: Vec<usize>,
}

impl JsonRecords {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Each record's JSON text, in page order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.text[start..end])
    }

    fn from_raw(records: &[&RawValue]) -> JsonRecords {
        let mut text = String::with_capacity(records.iter().map(|r| r.get().len()).sum());
        let ends = records
            .iter()
            .map(|r| {
                text.push_str(r.get());
                text.len()
            })
            .collect();
        JsonRecords { text, ends }
    }
}

/// Records written as JSON (tests, benchmarks): each value's text.
impl FromIterator<Value> for JsonRecords {
    fn from_iter<I: IntoIterator<Item = Value>>(values: I) -> JsonRecords {
        let texts: Vec<Box<RawValue>> = values
            .into_iter()
            .map(|v| serde_json::value::to_raw_value(&v).expect("a Value serializes"))
            .collect();
        let refs: Vec<&RawValue> = texts.iter().map(|r| &**r).collect();
        JsonRecords::from_raw(&refs)
    }
}

impl fmt::Debug for JsonRecords {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "JsonRecords({} records, {} bytes)",
            self.len(),
            self.text.len()
        )
    }
}

impl<'de> Deserialize<'de> for JsonRecords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonRecords, D::Error> {
        d.deserialize_seq(Cut)
    }
}

/// Cuts each element of a JSON array out of the input, into one buffer.
struct Cut;

impl<'de> Visitor<'de> for Cut {
    type Value = JsonRecords;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonRecords, A::Error> {
        // The texts are located first, so the buffer is allocated once at its size.
        let mut located = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(record) = seq.next_element::<&'de RawValue>()? {
            located.push(record);
        }
        Ok(JsonRecords::from_raw(&located))
    }
}

/// The string at `path` (dot-separated keys) in one record's JSON text, as
/// [`crate::normalize::fields::at`] would find it in the parsed record (the last of
/// repeated keys wins), read without building the tree: every other field is skipped.
/// None when the path is missing, is not a string, or the text is not JSON.
pub fn str_at<'a>(json: &'a str, path: &str) -> Option<Cow<'a, str>> {
    let keys: Vec<&str> = path.split('.').collect();
    let mut de = serde_json::Deserializer::from_str(json);
    At { keys: &keys }.deserialize(&mut de).ok().flatten()
}

/// Follows `keys` down nested objects; the string at their end.
struct At<'k> {
    keys: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for At<'_> {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for At<'_> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.keys.is_empty().then_some(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        // A string with escapes is unescaped into a buffer of the parser's.
        Ok(self.keys.is_empty().then(|| Cow::Owned(v.to_owned())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let Some((first, rest)) = self.keys.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        };
        while let Some(matches) = map.next_key_seed(KeyIs(first))? {
            if matches {
                found = map.next_value_seed(At { keys: rest })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Whether an object's key is the one looked for (compared, never allocated).
struct KeyIs<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{normalize::fields::at, view::View};

    /// What the tree reader finds at `path`, as a string.
    fn tree(json: &str, path: &str) -> Option<String> {
        let v: Value = serde_json::from_str(json).unwrap();
        at(&View::from(&v), path)
            .and_then(View::as_str)
            .map(str::to_owned)
    }

    #[test]
    fn reads_what_the_tree_reader_reads_without_the_tree() {
        let docs = [
            json!({"threatInfo": {"updatedAt": "2024-01-02T03:04:05.678Z", "x": [1, {"updatedAt": "no"}]},
                   "updatedAt": "outer"}),
            json!({"a": {"b": {"c": "deep"}}, "n": null, "t": true, "f": 1.5, "i": -3}),
            json!({"a": "not an object", "threatInfo": null}),
            json!({"threatInfo": {"updatedAt": 17}}),
            json!({"esc": "line\nbreak \"quoted\" \u{e9}", "threatInfo": {}}),
            json!([{"updatedAt": "in an array"}]),
        ];
        let paths = [
            "threatInfo.updatedAt",
            "updatedAt",
            "a.b.c",
            "a.b",
            "a",
            "esc",
            "n",
            "missing.x",
            "t",
        ];
        for doc in &docs {
            let text = doc.to_string();
            for path in paths {
                assert_eq!(
                    str_at(&text, path).map(Cow::into_owned),
                    tree(&text, path),
                    "{path} in {text}"
                );
            }
        }
    }

    #[test]
    fn the_last_of_repeated_keys_wins_as_in_the_tree() {
        let text = r#"{"u": "first", "v": 1, "u": "second"}"#;
        assert_eq!(str_at(text, "u").as_deref(), Some("second"));
        assert_eq!(tree(text, "u").as_deref(), Some("second"));
    }

    #[test]
    fn plain_strings_are_borrowed_and_broken_text_is_none() {
        let text = r#"{"a": {"b": "plain"}}"#;
        assert!(matches!(str_at(text, "a.b"), Some(Cow::Borrowed("plain"))));
        assert_eq!(str_at(r#"{"a": {"b": "cut"#, "a.b"), None);
        assert_eq!(str_at("not json", "a"), None);
    }

    #[test]
    fn a_page_of_records_is_cut_into_one_buffer_as_sent() {
        let page = r#"{"data": [{"id": "a", "x": [1, {"y": "q\"uote"}]}, 7, "s", {"id":"b"} ],
                       "pagination": {"nextCursor": null}}"#;
        #[derive(serde::Deserialize)]
        struct Page {
            data: JsonRecords,
        }
        let p: Page = serde_json::from_slice(page.as_bytes()).unwrap();
        let texts: Vec<&str> = p.data.iter().collect();
        assert_eq!(
            texts,
            [
                r#"{"id": "a", "x": [1, {"y": "q\"uote"}]}"#,
                "7",
                r#""s""#,
                r#"{"id":"b"}"#
            ]
        );
        assert_eq!(p.data.len(), 4);
        let empty: JsonRecords = serde_json::from_str("[]").unwrap();
        assert!(empty.is_empty() && empty.iter().next().is_none());
        assert!(serde_json::from_str::<JsonRecords>(r#"{"a": 1}"#).is_err());
        let built: JsonRecords = [serde_json::json!({"id": 1}), serde_json::json!([])]
            .into_iter()
            .collect();
        assert_eq!(built.iter().collect::<Vec<_>>(), [r#"{"id":1}"#, "[]"]);
    }
}
