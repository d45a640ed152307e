//! The API's error body, `{"error": {code, message, target}}`.

use axum::response::Response;
use serde_json::json;

use crate::respond;

/// The API's error body; `target` is a correlation id.
pub fn error(status: u16, code: &str, message: &str) -> Response {
    respond::json(
        status,
        &json!({"error": {"code": code, "message": message, "target": uuid::Uuid::new_v4().to_string()}}),
    )
}
