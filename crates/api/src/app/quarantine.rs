//! A redacted look at a connection's quarantine (the QUARANTINED_RECORDS advisory's
//! `sample`): what went wrong and the shape of the record, never its values. Field
//! names, nesting and the vendor id are kept so an operator can fix the mapping and find
//! the record in the vendor's console; every string and number becomes its type.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tributary_model::DataExportType;
use tributary_store::QuarantineEntry;
use utoipa::ToSchema;
use uuid::Uuid;

/// One quarantined record, redacted.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinedSample {
    pub id: Uuid,
    pub job_id: Uuid,
    pub data_export_type: DataExportType,
    /// The record's id at the vendor, when it had one we recognise.
    pub vendor_id: Option<String>,
    /// Why it could not be normalized (quoted values removed).
    pub error: String,
    /// The record's shape: keys kept, strings and numbers replaced by `<string>` /
    /// `<number>` (the raw text when it was not JSON: `<unreadable>`).
    #[schema(value_type = Object)]
    pub shape: Value,
    pub quarantined_at: DateTime<Utc>,
}

impl From<QuarantineEntry> for QuarantinedSample {
    fn from(q: QuarantineEntry) -> Self {
        let shape = serde_json::from_str::<Value>(&q.raw)
            .map(|v| redact(&v))
            .unwrap_or_else(|_| Value::String("<unreadable>".into()));
        QuarantinedSample {
            id: q.id,
            job_id: q.job_id,
            data_export_type: q.data_export_type,
            vendor_id: q.vendor_id,
            error: redact_quotes(&q.error),
            shape,
            quarantined_at: q.created_at,
        }
    }
}

/// Keys and nesting kept; values replaced by their type.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::String("<string>".into()),
        Value::Number(_) => Value::String("<number>".into()),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), redact(v))).collect()),
        other => other.clone(),
    }
}

/// Mapping errors quote the offending value (`invalid type: string "…"`): drop it.
fn redact_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_never_leave_only_the_shape() {
        let raw =
            json!({"id": "a1", "n": 7, "ok": true, "nested": [{"ip": "10.0.0.1"}], "x": null});
        assert_eq!(
            redact(&raw),
            json!({"id": "<string>", "n": "<number>", "ok": true,
                   "nested": [{"ip": "<string>"}], "x": null})
        );
        assert_eq!(
            redact_quotes(r#"invalid type: string "secret host", expected a map"#),
            r#"invalid type: string "…", expected a map"#
        );
    }
}
