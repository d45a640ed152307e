//! SentinelOne's error body, `{"errors": [{"code", "detail", "title"}]}`.

use axum::response::Response;
use serde_json::json;

use crate::respond;

/// SentinelOne's error body: the code is the HTTP status followed by `0010`.
pub fn error(status: u16, title: &str, detail: Option<&str>) -> Response {
    let code = u64::from(status) * 10_000 + 10;
    respond::json(
        status,
        &json!({"errors": [{"code": code, "detail": detail, "title": title}]}),
    )
}

/// A 400 naming what is wrong with the request.
pub fn bad_request(detail: &str) -> Response {
    error(400, "Validation Error", Some(detail))
}
