//! Reading request bodies and query strings field by field, collecting every problem
//! with its location (pydantic-style `type` codes, as the documented API uses).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tributary_model::validation::{has_control_characters, FieldError, LocItem};
use utoipa::{
    openapi::{RefOr, Schema},
    PartialSchema,
};

use crate::error::ApiError;

/// Reads the fields of one JSON object, remembering which were read so unknown ones
/// can be reported, and collecting errors instead of stopping at the first.
pub struct BodyFields<'a> {
    obj: &'a Map<String, Value>,
    loc: Vec<LocItem>,
    read: HashSet<&'static str>,
    /// The properties the body's published schema lists, when it has one: the only
    /// fields accepted, so the documented schema and the parser cannot drift apart.
    documented: Option<Vec<String>>,
    pub errors: Vec<FieldError>,
}

/// The property names and the required ones of `T`'s published schema.
pub fn schema_fields<T: PartialSchema>() -> (Vec<String>, Vec<String>) {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => (o.properties.keys().cloned().collect(), o.required),
        _ => (vec![], vec![]),
    }
}

impl<'a> BodyFields<'a> {
    /// `value` must be an object; `loc` is its location (e.g. `["body"]`).
    pub fn new(value: &'a Value, loc: &[&str]) -> Result<Self, ApiError> {
        match value.as_object() {
            Some(obj) => Ok(BodyFields {
                obj,
                loc: loc.iter().map(|l| LocItem::from(*l)).collect(),
                read: HashSet::new(),
                documented: None,
                errors: Vec::new(),
            }),
            None => Err(ApiError::Validation(vec![FieldError::new(
                loc.iter().map(|l| LocItem::from(*l)).collect(),
                "model_attributes_type",
                "Input should be a valid dictionary or object",
            )])),
        }
    }

    /// Reads a body of the published type `T`: fields its schema does not list are
    /// refused as `extra_forbidden`.
    pub fn documented<T: PartialSchema>(value: &'a Value, loc: &[&str]) -> Result<Self, ApiError> {
        let mut fields = Self::new(value, loc)?;
        fields.documented = Some(schema_fields::<T>().0);
        Ok(fields)
    }

    fn at(&self, name: &str) -> Vec<LocItem> {
        let mut loc = self.loc.clone();
        loc.push(LocItem::from(name));
        loc
    }

    pub fn error(&mut self, name: &str, kind: &str, msg: impl Into<String>) {
        let loc = self.at(name);
        self.errors.push(FieldError::new(loc, kind, msg));
    }

    /// The raw value: None when absent, Some(Null) when null.
    pub fn raw(&mut self, name: &'static str) -> Option<&'a Value> {
        self.read.insert(name);
        self.obj.get(name)
    }

    pub fn required(&mut self, name: &'static str) -> Option<&'a Value> {
        match self.raw(name) {
            None | Some(Value::Null) => {
                self.error(name, "missing", "Field required");
                None
            }
            Some(v) => Some(v),
        }
    }

    fn as_string(&mut self, name: &str, v: &Value, max: usize) -> Option<String> {
        match v {
            Value::String(s) if s.trim().is_empty() => {
                self.error(
                    name,
                    "string_too_short",
                    "String should have at least 1 character",
                );
                None
            }
            Value::String(s) if has_control_characters(s) => {
                let loc = self.at(name);
                self.errors.push(FieldError::control_characters(loc));
                None
            }
            Value::String(s) if s.chars().count() > max => {
                self.error(
                    name,
                    "string_too_long",
                    format!("String should have at most {max} characters"),
                );
                None
            }
            Value::String(s) => Some(s.trim().to_owned()),
            _ => {
                self.error(name, "string_type", "Input should be a valid string");
                None
            }
        }
    }

    pub fn required_string(&mut self, name: &'static str, max: usize) -> Option<String> {
        let v = self.required(name)?;
        self.as_string(name, v, max)
    }

    /// None: absent. Some(None): explicitly null. Some(Some(s)): a string.
    pub fn nullable_string(&mut self, name: &'static str, max: usize) -> Option<Option<String>> {
        match self.raw(name)? {
            Value::Null => Some(None),
            v => self.as_string(name, v, max).map(Some),
        }
    }

    /// An integer within `[min, max]`, or null (`Some(None)`); None when absent or
    /// invalid (then an error is recorded).
    pub fn nullable_int(&mut self, name: &'static str, min: i64, max: i64) -> Option<Option<i64>> {
        match self.raw(name)? {
            Value::Null => Some(None),
            _ => self.optional_int(name, min, max).map(Some),
        }
    }

    /// An integer within `[min, max]`; None when absent or null.
    pub fn optional_int(&mut self, name: &'static str, min: i64, max: i64) -> Option<i64> {
        match self.raw(name)? {
            Value::Null => None,
            // JSON has one number type: 107.0 is the integer 107 (as JSON Schema says).
            Value::Number(n) => match n.as_i64().or_else(|| whole(n.as_f64()?)) {
                Some(i) if i < min => {
                    self.error(
                        name,
                        "greater_than_equal",
                        format!("Input should be greater than or equal to {min}"),
                    );
                    None
                }
                Some(i) if i > max => {
                    self.error(
                        name,
                        "less_than_equal",
                        format!("Input should be less than or equal to {max}"),
                    );
                    None
                }
                Some(i) => Some(i),
                None => {
                    self.error(name, "int_type", "Input should be a valid integer");
                    None
                }
            },
            _ => {
                self.error(name, "int_type", "Input should be a valid integer");
                None
            }
        }
    }

    /// Reports fields that are not published (or, without a schema, never read) as
    /// `extra_forbidden`, then returns all errors.
    pub fn finish(mut self) -> Result<(), ApiError> {
        if let Some(documented) = &self.documented {
            debug_assert!(
                self.read.iter().all(|r| documented.iter().any(|d| d == r)),
                "the parser read a field its schema does not publish: {:?} vs {documented:?}",
                self.read
            );
        }
        let accepted = |k: &str| match &self.documented {
            Some(documented) => documented.iter().any(|d| d == k),
            None => self.read.contains(k),
        };
        let unknown: Vec<String> = self.obj.keys().filter(|k| !accepted(k)).cloned().collect();
        for k in unknown {
            self.error(&k, "extra_forbidden", "Extra inputs are not permitted");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// A float that is a whole number within i64's range, as that integer.
fn whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// A query string as name → values, preserving repeats (`a=1&a=2`).
#[derive(Debug, Default, Clone)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    pub errors: Vec<FieldError>,
}

impl QueryParams {
    /// Parses a query string; a value (or name) holding control characters is refused
    /// (422 at its name) and left out.
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
            .unwrap_or_default();
        let mut params = QueryParams::default();
        for (k, v) in pairs {
            if has_control_characters(&k) || has_control_characters(&v) {
                let name: String = k.chars().filter(|c| !c.is_control()).collect();
                params.errors.push(FieldError::control_characters(vec![
                    "query".into(),
                    name.into(),
                ]));
            } else {
                params.pairs.push((k, v));
            }
        }
        params
    }

    /// Adds `name=value` unless the query already has `name`.
    pub fn set_default(&mut self, name: &str, value: &str) {
        if self.get(&[name]).is_none() {
            self.pairs.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Every pair as given, repeats included.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn error(&mut self, name: &str, kind: &str, msg: impl Into<String>) {
        self.errors.push(FieldError::new(
            vec![LocItem::from("query"), LocItem::from(name)],
            kind,
            msg,
        ));
    }

    /// The last value given for the first of `names` present.
    pub fn get<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &str)> {
        names.iter().find_map(|n| {
            self.pairs
                .iter()
                .rev()
                .find(|(k, _)| k == n)
                .map(|(_, v)| (*n, v.as_str()))
        })
    }

    /// A boolean: `true` or `false` (any case), the one rule for every boolean
    /// parameter; anything else is a 422. `default` when absent.
    pub fn bool(&mut self, names: &[&str], default: bool) -> bool {
        let Some((name, v)) = self.get(names) else {
            return default;
        };
        match parse_bool(v) {
            Some(b) => b,
            None => {
                let name = name.to_owned();
                self.error(
                    &name,
                    "bool_parsing",
                    "Input should be a valid boolean: true or false",
                );
                default
            }
        }
    }

    /// An integer in `[min, max]`; `default` when absent.
    pub fn int(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some((_, v)) = self.get(&[name]) else {
            return default;
        };
        match v.trim().parse::<i64>() {
            Ok(i) if i < min => {
                self.error(
                    name,
                    "greater_than_equal",
                    format!("Input should be greater than or equal to {min}"),
                );
                default
            }
            Ok(i) if i > max => {
                self.error(
                    name,
                    "less_than_equal",
                    format!("Input should be less than or equal to {max}"),
                );
                default
            }
            Ok(i) => i,
            Err(_) => {
                self.error(name, "int_parsing", "Input should be a valid integer");
                default
            }
        }
    }

    /// An RFC 3339 date-time; None when absent (or invalid: the error is recorded). A `+`
    /// in the offset arrives as a space when the client did not encode it.
    pub fn timestamp(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let raw = self.get(&[name]).map(|(_, v)| v.trim().to_owned())?;
        match DateTime::parse_from_rfc3339(&raw)
            .or_else(|_| DateTime::parse_from_rfc3339(&raw.replace(' ', "+")))
        {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.error(
                    name,
                    "datetime_parsing",
                    "Input should be a date-time like 2021-01-01T00:00:00+00:00",
                );
                None
            }
        }
    }

    /// Values of a list parameter that must each parse with `parse`.
    pub fn enum_list<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Vec<T> {
        // An empty value is no filter; a list's items are each a value (`A,,B` and
        // `A,` are 422s, as the OpenAPI document's item enum says).
        let items: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect();
        let mut out = Vec::new();
        for v in items {
            match parse(&v) {
                Some(t) => out.push(t),
                None if v.is_empty() => self.error(
                    name,
                    "enum",
                    format!("Input should be {expected}; got an empty item"),
                ),
                None => self.error(
                    name,
                    "enum",
                    format!("Input should be {expected}; got `{v}`"),
                ),
            }
        }
        out
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// The boolean rule of query parameters and forms: `true` or `false`, in any case.
pub fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses a path uuid, or a 422 at `["path", name]`.
pub fn path_uuid(name: &str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::invalid(
            &["path", name],
            "uuid_parsing",
            "Input should be a valid UUID",
        )
    })
}

/// Checks that `parse` (a body parser of the published type `T`) accepts every property
/// `T`'s schema lists and requires exactly the ones it marks required.
#[cfg(test)]
pub fn assert_parser_follows_schema<T: PartialSchema, R>(
    parse: impl Fn(&Value) -> Result<R, ApiError>,
) {
    let (properties, required) = schema_fields::<T>();
    let Err(ApiError::Validation(errors)) = parse(&serde_json::json!({})) else {
        panic!("an empty body must be refused when anything is required: {required:?}");
    };
    let mut missing: Vec<String> = errors
        .iter()
        .filter(|e| e.kind == "missing")
        .filter_map(|e| match e.loc.last() {
            Some(LocItem::Field(f)) => Some(f.clone()),
            _ => None,
        })
        .collect();
    missing.sort();
    let mut want = required.clone();
    want.sort();
    assert_eq!(missing, want, "required fields: parser vs schema");
    let all: Map<String, Value> = properties
        .iter()
        .map(|p| (p.clone(), Value::Null))
        .collect();
    if let Err(ApiError::Validation(errors)) = parse(&Value::Object(all)) {
        let extra: Vec<_> = errors
            .iter()
            .filter(|e| e.kind == "extra_forbidden")
            .collect();
        assert!(extra.is_empty(), "published fields refused: {extra:?}");
    }
}

#[cfg(test)]
mod query_list_tests {
    use super::QueryParams;

    fn states(query: &str) -> (Vec<String>, usize) {
        let mut params = QueryParams::parse(Some(query));
        let parse = |s: &str| ["A", "B"].contains(&s).then(|| s.to_owned());
        let values = params.enum_list("state", parse, "A or B");
        (values, params.errors.len())
    }

    #[test]
    fn list_items_are_each_a_value_and_an_empty_value_is_no_filter() {
        assert_eq!(
            states("state=A,B&state=B"),
            (vec!["A".into(), "B".into(), "B".into()], 0)
        );
        assert_eq!(states("state="), (vec![], 0));
        assert_eq!(states("other=1"), (vec![], 0));
        assert_eq!(states("state=A,C"), (vec!["A".into()], 1));
        // Empty items are refused, not dropped (the document's item enum).
        assert_eq!(states("state=,,,,").1, 5);
        assert_eq!(states("state=A,").1, 1);
        assert_eq!(states("state=A,,B").1, 1);
    }
}
