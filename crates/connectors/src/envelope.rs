//! Errors inside a 2xx: a vendor that answers 200 with its own error envelope reports a
//! failure, never a success (DESIGN.md §4). The envelope is classified by its content as
//! the HTTP status it stands for would be. Read only when a body is not the page a
//! reader expects, or when an envelope carries `errors` and no records, so a healthy
//! page costs nothing extra.
//!
//! Shapes recognised:
//! - `{"errors": [{"code": 4010010, "title", "detail"}]}` (SentinelOne: the status
//!   followed by a four-digit suffix);
//! - `{"errors": [{"code": 403, "message"}]}` (CrowdStrike's Falcon envelope);
//! - `{"error": {"code": "Unauthorized", "message"}}` (Microsoft Defender and Graph).

use serde_json::Value;

use crate::error::{FailureKind, VendorError};

/// The failure an error envelope in a 2xx `body` reports, if it is one.
pub fn error_inside_2xx(endpoint: &str, body: &[u8]) -> Option<VendorError> {
    let v: Value = serde_json::from_slice(body).ok()?;
    error_in_value(endpoint, &v)
}

/// [`error_inside_2xx`] for a parsed body. A body that still carries records is a page
/// (with warnings), not an error envelope.
pub fn error_in_value(endpoint: &str, v: &Value) -> Option<VendorError> {
    let has_records = ["data", "resources", "value"].iter().any(|k| {
        v.get(*k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    });
    if has_records {
        return None;
    }
    let (status, message) = if let Some(first) = v
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        let status = first
            .get("code")
            .and_then(Value::as_i64)
            .map(http_status_of);
        let text = ["message", "title", "detail"]
            .iter()
            .filter_map(|k| first.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(": ");
        (status, text)
    } else if let Some(err) = v.get("error").filter(|e| e.is_object()) {
        let code = err.get("code").and_then(Value::as_str).unwrap_or_default();
        let text = err.get("message").and_then(Value::as_str).unwrap_or(code);
        (Some(microsoft_status(code)), text.to_owned())
    } else {
        return None;
    };
    let status = status.unwrap_or(500);
    let message = if message.is_empty() {
        "error".to_owned()
    } else {
        message
    };
    Some(VendorError::new(
        kind_of(status),
        endpoint,
        Some(status),
        format!("{message} (an error envelope inside a 200 answer)"),
    ))
}

/// SentinelOne's codes are the HTTP status followed by four digits (`4010010`);
/// CrowdStrike's are the status itself.
fn http_status_of(code: i64) -> u16 {
    let status = if code >= 100_000 { code / 10_000 } else { code };
    u16::try_from(status)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .unwrap_or(500)
}

/// Microsoft's documented error codes, by the status they come with.
fn microsoft_status(code: &str) -> u16 {
    match code {
        "Unauthorized" | "InvalidAuthenticationToken" => 401,
        "Forbidden" | "DisabledFeature" | "DisallowedOperation" | "Authorization_RequestDenied" => {
            403
        }
        "NotFound" | "ResourceNotFound" => 404,
        "TooManyRequests" => 429,
        "BadRequest"
        | "ODataError"
        | "InvalidInput"
        | "InvalidRequestBody"
        | "MissingRequiredParameter" => 400,
        _ => 500,
    }
}

/// As the same HTTP status would be classified.
fn kind_of(status: u16) -> FailureKind {
    match status {
        401 => FailureKind::Unauthorized,
        403 => FailureKind::Forbidden,
        429 => FailureKind::RateLimited,
        400..=499 => FailureKind::ClientError,
        _ => FailureKind::ServerError,
    }
}

#[cfg(test)]
mod tests {
    use tributary_model::HealthName;

    use super::*;

    fn classify(body: &str) -> Option<(HealthName, Option<u16>)> {
        error_inside_2xx("/x", body.as_bytes()).map(|e| (e.health(), e.http_status))
    }

    #[test]
    fn each_vendors_envelope_is_classified_by_its_code() {
        let s1 = r#"{"errors":[{"code":4010010,"detail":null,"title":"Authentication Failed"}]}"#;
        assert_eq!(classify(s1), Some((HealthName::Unauthorized, Some(401))));
        let s1_503 = r#"{"errors":[{"code":5030010,"title":"Service Unavailable"}],"data":null}"#;
        assert_eq!(
            classify(s1_503),
            Some((HealthName::VendorServerError, Some(503)))
        );
        let cs = r#"{"meta":{},"resources":[],"errors":[{"code":403,"message":"access denied"}]}"#;
        assert_eq!(classify(cs), Some((HealthName::Unauthorized, Some(403))));
        let ms = r#"{"error":{"code":"InternalServerError","message":"boom"}}"#;
        assert_eq!(
            classify(ms),
            Some((HealthName::VendorServerError, Some(500)))
        );
        let ms_400 = r#"{"error":{"code":"BadRequest","message":"no"}}"#;
        assert_eq!(
            classify(ms_400),
            Some((HealthName::VendorClientError, Some(400)))
        );
    }

    #[test]
    fn pages_are_not_errors() {
        assert_eq!(
            classify(r#"{"data":[{"id":"1"}],"errors":[{"code":1}]}"#),
            None
        );
        assert_eq!(classify(r#"{"resources":[],"errors":[]}"#), None);
        assert_eq!(classify(r#"{"value":[]}"#), None);
        assert_eq!(classify(r#"{"error":"a string is not an envelope"}"#), None);
        assert_eq!(classify("not json"), None);
    }
}
