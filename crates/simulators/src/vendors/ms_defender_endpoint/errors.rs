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

/// The API's answer to a failure `status`, in its words; a 403 names the application
/// `permission` the endpoint needs and a 429 when to try again. Defender Vulnerability
/// Management is the same API, so it answers the same way.
pub fn for_status(status: u16, permission: &str, retry_after_secs: u64) -> Response {
    let (code, message) = match status {
        400 => ("BadRequest", "The request is invalid.".to_owned()),
        401 => (
            "Unauthorized",
            "Authorization has been denied for this request.".to_owned(),
        ),
        403 => (
            "Forbidden",
            format!(
                "The application does not have any of the required application permissions ({permission}) to access the resource."
            ),
        ),
        404 => ("NotFound", "The requested resource was not found.".to_owned()),
        413 => ("RequestEntityTooLarge", "The request is too large.".to_owned()),
        429 => (
            "TooManyRequests",
            format!("Rate limit is exceeded. Try again in {retry_after_secs} seconds."),
        ),
        500 => ("InternalServerError", "An internal server error occurred.".to_owned()),
        502 => ("BadGateway", "The server received an invalid response.".to_owned()),
        503 => ("ServiceUnavailable", "The service is temporarily unavailable.".to_owned()),
        _ => ("Error", "The request failed.".to_owned()),
    };
    error(status, code, &message)
}
