//! One error type for every handler, rendered in the documented shapes:
//! `{"detail": "…"}`, or for validation 422 `{"detail": [{"loc", "msg", "type"}]}`.
//! Server errors log their cause and return a generic body: internals never leak.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use tributary_model::validation::{FieldError, LocItem};
use tributary_store::StoreError;

use crate::rate_limit::Budget;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("Request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    Unavailable(String),
    #[error("Too many requests: retry after {} s", .0.retry_after_secs.unwrap_or(1))]
    RateLimited(Budget),
    #[error("URL is longer than the limit of {0} bytes")]
    UriTooLong(usize),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    /// A single validation error at `loc`.
    pub fn invalid(loc: &[&str], kind: &str, msg: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(
            loc.iter().map(|l| LocItem::from(*l)).collect(),
            kind,
            msg,
        )])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(anyhow::Error::new(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Validation(errors) => json!({ "detail": errors }),
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                json!({ "detail": "Internal server error" })
            }
            other => json!({ "detail": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited(budget) = &self {
            budget.write_headers(response.headers_mut());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
