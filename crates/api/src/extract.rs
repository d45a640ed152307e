//! Request extractors that fail with the documented error shapes.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header::CONTENT_TYPE, request::Parts, StatusCode},
};
use serde_json::Value;

use crate::{error::ApiError, state::AppState, validate::QueryParams};

/// A JSON request body: 415 for another content type, 413 over the size limit,
/// 422 `json_invalid` (with the byte position) for malformed JSON.
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(state.settings.body_limit_bytes)
            } else {
                ApiError::BadRequest("Could not read the request body".into())
            }
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let position = byte_offset(&bytes, e.line(), e.column());
            ApiError::Validation(vec![tributary_model::validation::FieldError::new(
                vec!["body".into(), position.into()],
                "json_invalid",
                format!("JSON decode error: {e}"),
            )])
        })
    }
}

/// Converts serde_json's 1-based line/column into a byte offset.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

/// The raw query string as a multi-map.
pub struct Query(pub QueryParams);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Query(QueryParams::parse(parts.uri.query())))
    }
}
