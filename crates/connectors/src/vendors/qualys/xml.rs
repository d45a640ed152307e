//! Qualys XML, read as a stream: a pull parser over the response body that yields one
//! element at a time, so a 1 GB Host List Detection answer never sits in memory. The
//! caller names the *container* elements (the root, `RESPONSE`, `HOST_LIST`, `HOST`,
//! `DETECTION_LIST`…): they are announced when they open and never built. Every other
//! element is built into JSON with the whole of its subtree and handed over with its
//! parent's name once it closes (a `DETECTION`, a host's `IP`, the `WARNING`).
//!
//! The JSON of an element: its text (trimmed, CDATA included) when it has neither
//! children nor attributes; else an object of its children (a name that repeats becomes
//! an array), its attributes as `@name` and its text as `#text`. Comments (trial tenants
//! and the KnowledgeBase's keep-alives) and the DOCTYPE are skipped.

use quick_xml::{
    events::{BytesStart, Event},
    Reader,
};
use serde_json::{Map, Value};
use tokio::io::AsyncBufRead;

use crate::view::View;

/// What the stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A container opened (the root first: `HOST_LIST_VM_DETECTION_OUTPUT`,
    /// `SIMPLE_RETURN`, …).
    Open(String),
    /// A complete element inside a container.
    Element {
        parent: String,
        name: String,
        value: Value,
    },
}

/// Why the stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The connection failed while reading (cut mid-stream).
    #[error("the connection broke while reading the response: {0}")]
    Io(String),
    /// The bytes are not the XML Qualys sends.
    #[error("{0}")]
    Syntax(String),
}

impl From<quick_xml::Error> for XmlError {
    fn from(e: quick_xml::Error) -> Self {
        match e {
            quick_xml::Error::Io(io) => XmlError::Io(io.to_string()),
            other => XmlError::Syntax(other.to_string()),
        }
    }
}

/// One element being built.
struct Node {
    name: String,
    children: Map<String, Value>,
    text: String,
}

impl Node {
    fn into_value(self) -> Value {
        let text = self.text.trim();
        if self.children.is_empty() {
            return Value::String(text.to_owned());
        }
        let mut children = self.children;
        if !text.is_empty() {
            children.insert("#text".into(), Value::String(text.to_owned()));
        }
        Value::Object(children)
    }
}

/// Adds `value` under `name`, turning a repeated name into an array.
fn insert(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        None => {
            map.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// An event, owned.
enum Ev {
    Open(String, Vec<(String, String)>, bool),
    Close,
    Text(String),
    Eof,
    Skip,
}

/// A pull parser over one response body.
pub struct XmlStream<R> {
    reader: Reader<R>,
    buf: Vec<u8>,
    containers: &'static [&'static str],
    /// Open containers, outermost first.
    path: Vec<String>,
    /// The element being built, innermost last (empty: between elements).
    building: Vec<Node>,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> XmlStream<R> {
    pub fn new(body: R, containers: &'static [&'static str]) -> Self {
        let mut reader = Reader::from_reader(body);
        reader.config_mut().trim_text(false);
        XmlStream {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            containers,
            path: Vec::new(),
            building: Vec::new(),
            done: false,
        }
    }

    /// The next item, or None at the end of the document.
    pub async fn next(&mut self) -> Result<Option<Item>, XmlError> {
        loop {
            if self.done {
                return Ok(None);
            }
            self.buf.clear();
            // Owned before acting on it: the event borrows the read buffer.
            let event = match self.reader.read_event_into_async(&mut self.buf).await? {
                Event::Start(e) => Ev::Open(tag_name(&e), attributes(&e)?, false),
                Event::Empty(e) => Ev::Open(tag_name(&e), attributes(&e)?, true),
                Event::End(_) => Ev::Close,
                Event::Text(t) => Ev::Text(t.unescape()?.into_owned()),
                Event::CData(c) => Ev::Text(
                    c.decode()
                        .map_err(|e| XmlError::Syntax(e.to_string()))?
                        .into_owned(),
                ),
                Event::Eof => Ev::Eof,
                // Comments, the declaration, the DOCTYPE, processing instructions.
                _ => Ev::Skip,
            };
            let (name, attrs, empty) = match event {
                Ev::Open(name, attrs, empty) => (name, attrs, empty),
                Ev::Close => {
                    if let Some(item) = self.close()? {
                        return Ok(Some(item));
                    }
                    continue;
                }
                Ev::Text(text) => {
                    self.text(&text)?;
                    continue;
                }
                Ev::Eof => {
                    if !self.path.is_empty() || !self.building.is_empty() {
                        return Err(XmlError::Io(format!(
                            "the response ended inside <{}>",
                            self.path.last().map_or("?", String::as_str)
                        )));
                    }
                    self.done = true;
                    return Ok(None);
                }
                Ev::Skip => continue,
            };
            let opened = self.open(name, attrs)?;
            if empty {
                // `<X/>`: opened and closed at once (a container yields only its opening).
                let closed = self.close()?;
                if let Some(item) = opened.or(closed) {
                    return Ok(Some(item));
                }
            } else if let Some(item) = opened {
                return Ok(Some(item));
            }
        }
    }

    fn open(
        &mut self,
        name: String,
        attrs: Vec<(String, String)>,
    ) -> Result<Option<Item>, XmlError> {
        if self.building.is_empty() && self.containers.contains(&name.as_str()) {
            self.path.push(name.clone());
            return Ok(Some(Item::Open(name)));
        }
        if self.building.is_empty() && self.path.is_empty() {
            return Err(XmlError::Syntax(format!(
                "unexpected root element <{name}>"
            )));
        }
        let mut children = Map::new();
        for (k, v) in attrs {
            children.insert(format!("@{k}"), Value::String(v));
        }
        self.building.push(Node {
            name,
            children,
            text: String::new(),
        });
        Ok(None)
    }

    /// Closes the innermost open element: a finished subtree is yielded.
    fn close(&mut self) -> Result<Option<Item>, XmlError> {
        if let Some(node) = self.building.pop() {
            let name = node.name.clone();
            let value = node.into_value();
            return Ok(match self.building.last_mut() {
                Some(parent) => {
                    insert(&mut parent.children, name, value);
                    None
                }
                None => Some(Item::Element {
                    parent: self.path.last().cloned().unwrap_or_default(),
                    name,
                    value,
                }),
            });
        }
        if self.path.pop().is_none() {
            return Err(XmlError::Syntax(
                "a closing tag without an opening one".into(),
            ));
        }
        Ok(None)
    }

    fn text(&mut self, text: &str) -> Result<(), XmlError> {
        match self.building.last_mut() {
            Some(node) => node.text.push_str(text),
            // Whitespace between containers is layout; anything else is not Qualys'.
            None if text.trim().is_empty() => {}
            None => return Err(XmlError::Syntax("text outside any element".into())),
        }
        Ok(())
    }
}

fn tag_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, XmlError> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| XmlError::Syntax(e.to_string()))?;
        let value = a.unescape_value()?.into_owned();
        out.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), value));
    }
    Ok(out)
}

/// An element as the readers below see it: the `Value` this reader builds, or the
/// [`View`] a mapping reads the same record through.
pub trait Element: Sized {
    fn member(&self, key: &str) -> Option<&Self>;
    fn as_text(&self) -> Option<&str>;
    fn as_list(&self) -> Option<&[Self]>;
}

impl Element for Value {
    fn member(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
    fn as_text(&self) -> Option<&str> {
        self.as_str()
    }
    fn as_list(&self) -> Option<&[Value]> {
        self.as_array().map(Vec::as_slice)
    }
}

impl Element for View<'_> {
    fn member(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }
    fn as_text(&self) -> Option<&str> {
        self.as_str()
    }
    fn as_list(&self) -> Option<&[Self]> {
        self.as_array()
    }
}

/// A field's text: a plain element, or one with attributes (`{"#text": …}`).
pub fn text<'a, E: Element>(v: &'a E, key: &str) -> Option<&'a str> {
    let x = v.member(key)?;
    x.as_text()
        .or_else(|| x.member("#text").and_then(E::as_text))
        .filter(|s| !s.is_empty())
}

/// The items of a list element: `<CVE_LIST><CVE>…</CVE></CVE_LIST>` is `{"CVE": …}`, one
/// object for one item and an array for more.
pub fn items<'a, E: Element>(v: &'a E, list: &str, item: &str) -> Vec<&'a E> {
    match v.member(list).and_then(|l| l.member(item)) {
        Some(x) => x.as_list().map_or_else(|| vec![x], |a| a.iter().collect()),
        None => vec![],
    }
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
