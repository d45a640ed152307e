//! Graph's error envelope, `{"error": {"code", "message", "innerError": {"date",
//! "request-id", "client-request-id"}}}`, and the directory's codes per status.

use axum::{http::HeaderValue, response::Response};
use serde_json::json;

use crate::{fake::fmt_ts, respond};

/// A Graph error at simulated time `now_ns`.
pub fn error(now_ns: i64, status: u16, code: &str, message: &str) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut resp = respond::json(
        status,
        &json!({"error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": fmt_ts(now_ns, 0).trim_end_matches('Z'),
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }}),
    );
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("request-id", v);
    }
    resp
}

/// The error Graph answers `status` with when nothing more specific applies.
pub fn for_status(now_ns: i64, status: u16) -> Response {
    let (code, message) = match status {
        400 => ("BadRequest", "The request is invalid."),
        401 => ("InvalidAuthenticationToken", "Access token validation failure. Invalid audience."),
        403 => ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        404 => ("Request_ResourceNotFound", "The requested resource was not found."),
        410 => (
            "resyncRequired",
            "Resync required. Replace any local cached copy with the response from a fresh delta query.",
        ),
        429 => ("TooManyRequests", "Please retry again later."),
        503 => ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
        504 => ("UnknownError", "The operation timed out."),
        _ => ("UnknownError", "An internal server error occurred."),
    };
    error(now_ns, status, code, message)
}

/// 400 `BadRequest` with `message`.
pub fn bad_request(now_ns: i64, message: &str) -> Response {
    error(now_ns, 400, "BadRequest", message)
}

/// 404 for an object id that does not exist (or was deleted).
pub fn not_found(now_ns: i64, id: &str) -> Response {
    error(
        now_ns,
        404,
        "Request_ResourceNotFound",
        &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
    )
}
