//! Connection options (`options` on create): never secret, returned as given. Every
//! vendor takes [`COMMON`]; a vendor's spec adds its own fields.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::validation::has_control_characters;
use crate::{
    validation::{FieldError, LocItem},
    Vendor,
};

/// What an option holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// An RFC 3339 date-time.
    Timestamp,
    /// A non-empty string of at most `max_len` characters.
    Text { max_len: usize },
    /// A list of at most `max_items` non-empty strings.
    TextList { max_items: usize },
    /// A whole number from `min` to `max`.
    Integer { min: i64, max: i64 },
}

/// One option a connection can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionField {
    pub name: &'static str,
    pub kind: OptionKind,
    pub description: &'static str,
}

/// Options every vendor takes.
pub const COMMON: &[OptionField] = &[OptionField {
    name: "init_load_timestamp",
    kind: OptionKind::Timestamp,
    description: "The first sync pulls records updated since this RFC 3339 date-time",
}];

impl OptionField {
    fn accepts(&self, v: &Value) -> bool {
        match (self.kind, v) {
            (_, Value::Null) => true,
            (OptionKind::Timestamp, Value::String(s)) => DateTime::parse_from_rfc3339(s).is_ok(),
            (OptionKind::Text { max_len }, Value::String(s)) => {
                !s.trim().is_empty() && s.chars().count() <= max_len && !has_control_characters(s)
            }
            (OptionKind::TextList { max_items }, Value::Array(items)) => {
                items.len() <= max_items
                    && items.iter().all(|i| {
                        i.as_str()
                            .is_some_and(|s| !s.is_empty() && !has_control_characters(s))
                    })
            }
            (OptionKind::Integer { min, max }, Value::Number(n)) => {
                n.as_i64().is_some_and(|i| (min..=max).contains(&i))
            }
            _ => false,
        }
    }

    fn expected(&self) -> &'static str {
        match self.kind {
            OptionKind::Timestamp => "an RFC 3339 date-time",
            OptionKind::Text { .. } => "a non-empty string without control characters",
            OptionKind::TextList { .. } => "a list of non-empty strings without control characters",
            OptionKind::Integer { .. } => "a whole number in the documented range",
        }
    }
}

/// Validates `options` against [`COMMON`] and `vendor_fields`. Errors are relative to
/// the options object.
pub fn parse_options(
    vendor: Vendor,
    vendor_fields: &[OptionField],
    value: &Value,
) -> Result<Option<Value>, Vec<FieldError>> {
    let obj = match value {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => {
            return Err(vec![FieldError::new(
                vec![],
                "model_attributes_type",
                "Input should be a valid dictionary or object",
            )])
        }
    };
    let mut errors = Vec::new();
    let mut out = Map::new();
    for (key, v) in obj {
        let loc = vec![LocItem::from(key.as_str())];
        let field = COMMON
            .iter()
            .chain(vendor_fields)
            .find(|f| f.name == key.as_str());
        match field {
            None => errors.push(FieldError::new(
                loc,
                "extra_forbidden",
                format!("Unknown option for {vendor}"),
            )),
            Some(f) if f.accepts(v) => {
                out.insert(key.clone(), v.clone());
            }
            Some(f) => errors.push(FieldError::new(
                loc,
                "value_error",
                format!("Input should be {}", f.expected()),
            )),
        }
    }
    if errors.is_empty() {
        Ok(Some(Value::Object(out)))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const V: Vendor = Vendor::named("EXAMPLE");
    const SITES: &[OptionField] = &[
        OptionField {
            name: "site_ids",
            kind: OptionKind::TextList { max_items: 2 },
            description: "",
        },
        OptionField {
            name: "member_cid",
            kind: OptionKind::Text { max_len: 4 },
            description: "",
        },
    ];

    #[test]
    fn options_per_vendor() {
        assert!(parse_options(V, SITES, &json!({"site_ids": ["1"]})).is_ok());
        assert!(parse_options(V, &[], &json!({"site_ids": ["1"]})).is_err());
        assert!(parse_options(V, SITES, &json!({"site_ids": ["1", "2", "3"]})).is_err());
        assert!(parse_options(V, SITES, &json!({"member_cid": "toolong"})).is_err());
        let errs = parse_options(V, &[], &json!({"init_load_timestamp": "yesterday"})).unwrap_err();
        assert_eq!(errs[0].loc, vec![LocItem::from("init_load_timestamp")]);
        assert_eq!(errs[0].kind, "value_error");
        assert_eq!(parse_options(V, SITES, &Value::Null).unwrap(), None);
        assert!(parse_options(V, SITES, &json!([])).is_err());
    }
}
