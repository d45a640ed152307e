//! Okta's error object (`errorCode`, `errorSummary`, `errorLink`, `errorId`,
//! `errorCauses`) and the codes each status carries.

use axum::response::Response;
use serde_json::json;

use super::ids::error_id;
use crate::respond;

/// An Okta error with its code, summary and causes.
pub fn error(status: u16, code: &str, summary: &str, causes: &[String]) -> Response {
    let causes: Vec<_> = causes.iter().map(|c| json!({"errorSummary": c})).collect();
    respond::json(
        status,
        &json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": error_id(),
            "errorCauses": causes,
        }),
    )
}

/// The error Okta answers `status` with when nothing more specific applies.
pub fn for_status(status: u16) -> Response {
    let (code, summary) = match status {
        400 => ("E0000001", "Api validation failed: request"),
        401 => ("E0000011", "Invalid token provided"),
        403 => (
            "E0000006",
            "You do not have permission to perform the requested action",
        ),
        404 => ("E0000007", "Not found: Resource not found"),
        405 => (
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        ),
        429 => (
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        ),
        503 => ("E0000010", "Service is temporarily unavailable."),
        _ => ("E0000009", "Internal Server Error"),
    };
    error(status, code, summary, &[])
}

/// 400 `E0000001` naming the invalid parameter.
pub fn validation(param: &str, why: &str) -> Response {
    error(
        400,
        "E0000001",
        &format!("Api validation failed: {param}"),
        &[format!("{param}: {why}")],
    )
}

/// 400 `E0000031` for a filter or search Okta cannot evaluate.
pub fn bad_search(why: &str) -> Response {
    error(
        400,
        "E0000031",
        "Invalid search criteria.",
        &[why.to_owned()],
    )
}

/// 404 `E0000007` for an id of `kind` (`User`, `UserGroup`, `AppInstance`, `Policy`).
pub fn not_found(id: &str, kind: &str) -> Response {
    error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} ({kind})"),
        &[],
    )
}

/// Why a request was refused before anything was read (small, unlike a `Response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// 400 `E0000001` for a parameter.
    Validation(&'static str, String),
    /// 400 `E0000031` for a filter or search.
    Search(String),
}

impl Bad {
    /// The Okta error response.
    pub fn respond(self) -> Response {
        match self {
            Bad::Validation(param, why) => validation(param, &why),
            Bad::Search(why) => bad_search(&why),
        }
    }
}
