//! Tenable's error bodies: `{"statusCode", "error", "message"}`, and the gateway's HTML
//! page with `retry-after` (seconds) on a 429.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::Response,
};
use serde_json::json;

use crate::respond;

/// The nginx page Tenable's gateway answers 429 with (`content-type: text/html`).
const TOO_MANY: &str = "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// An error response; a 429 is the HTML page with `retry-after`.
pub fn error(status: u16, retry_after_secs: u64) -> Response {
    if status == 429 {
        let mut resp = Response::new(axum::body::Body::from(TOO_MANY));
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        h.insert("retry-after", HeaderValue::from(retry_after_secs.max(1)));
        return resp;
    }
    let (error, message) = match status {
        400 => ("Bad Request", "Invalid request"),
        401 => ("Unauthorized", "Invalid credentials"),
        403 => ("Forbidden", "Insufficient scope"),
        404 => ("Not Found", "Not Found"),
        409 => ("Conflict", "Conflict"),
        500 => (
            "Internal Server Error",
            "An internal server error occurred. Please wait a moment and try your request again.",
        ),
        502 => ("Bad Gateway", "Bad Gateway"),
        503 => ("Service Unavailable", "Service Unavailable"),
        _ => ("Error", "Error"),
    };
    with_message(status, error, message)
}

/// An error with its own message (`400 Bad Request: chunk_size must be …`).
pub fn with_message(status: u16, error: &str, message: &str) -> Response {
    respond::json(
        status,
        &json!({"statusCode": status, "error": error, "message": message}),
    )
}

/// A 400 naming what is wrong with the request.
pub fn bad_request(message: &str) -> Response {
    with_message(400, "Bad Request", message)
}

/// A 404 naming what was not found.
pub fn not_found(message: &str) -> Response {
    with_message(404, "Not Found", message)
}
