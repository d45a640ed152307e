//! Field-level validation errors in the documented 422 shape
//! (`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One element of an error location: a field name or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LocItem {
    Field(String),
    Index(usize),
}

impl From<&str> for LocItem {
    fn from(s: &str) -> Self {
        LocItem::Field(s.to_owned())
    }
}

impl From<String> for LocItem {
    fn from(s: String) -> Self {
        LocItem::Field(s)
    }
}

impl From<usize> for LocItem {
    fn from(i: usize) -> Self {
        LocItem::Index(i)
    }
}

/// One validation failure: where, what, and a stable machine-readable type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub loc: Vec<LocItem>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The `type` of a string refused for holding control characters.
pub const CONTROL_CHARACTERS: &str = "string_control_characters";

/// True when `s` holds a control character: NUL, an escape (ANSI sequences), CR, LF, tab,
/// DEL or a C1 control. No name, identifier, URL or credential needs one, and PostgreSQL
/// refuses NUL in text.
pub fn has_control_characters(s: &str) -> bool {
    s.chars().any(char::is_control)
}

impl FieldError {
    /// The error for a string holding control characters, at `loc`.
    pub fn control_characters(loc: Vec<LocItem>) -> Self {
        FieldError::new(
            loc,
            CONTROL_CHARACTERS,
            "String should not contain control characters (NUL, escape sequences, CR, LF, tab)",
        )
    }

    pub fn new(loc: Vec<LocItem>, kind: &str, msg: impl Into<String>) -> Self {
        FieldError {
            loc,
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }

    /// Prefixes the location, e.g. with `["body", "credentials"]`.
    pub fn under(mut self, prefix: &[&str]) -> Self {
        let mut loc: Vec<LocItem> = prefix.iter().map(|p| LocItem::from(*p)).collect();
        loc.append(&mut self.loc);
        self.loc = loc;
        self
    }
}
