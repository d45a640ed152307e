//! Request plumbing in front of every handler: where the request came from, its id (a
//! client's own `X-Request-Id` only when it is short and plain), the URL length limit,
//! and for `/v1` the API key and its budget.

use std::net::{IpAddr, Ipv4Addr};

use axum::{
    extract::{Request, State},
    http::HeaderValue,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    app::invites::INVITE_HEADER,
    auth::{Caller, API_KEY_HEADER},
    error::ApiError,
    state::AppState,
    REQUEST_ID,
};

/// Longest URL (path and query) accepted; longer is a 414 with a `{"detail"}` body.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The end of the validate call's path (needs no API key).
const INVITE_VALIDATE_SUFFIX: &str = "/connection-invite-token/validate";
/// Longest client-supplied `X-Request-Id` kept; others are replaced by a new id.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The client's address (the TCP peer), set by the server for each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address; unspecified when the app runs without the server (in-memory).
pub fn client_addr(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ClientAddr>()
        .map(|a| a.0)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Is `id` a request id worth keeping: 1–64 characters of `A-Z a-z 0-9 . _ : -`?
pub fn acceptable_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}

/// Drops a client's `X-Request-Id` that is too long or holds anything but plain
/// characters (so logs and echoes never carry control characters or injected text);
/// the next layer then gives the request a fresh id.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let bad = req
        .headers()
        .get_all(&REQUEST_ID)
        .iter()
        .any(|v| !acceptable_request_id(v.as_bytes()));
    if bad || req.headers().get_all(&REQUEST_ID).iter().count() > 1 {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// Refuses URLs longer than [`MAX_URI_BYTES`] with a documented 414.
pub async fn limit_uri(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if len > MAX_URI_BYTES {
        return ApiError::UriTooLong(MAX_URI_BYTES).into_response();
    }
    next.run(req).await
}

/// `/v1`: an address that failed to authenticate too often is refused first (429);
/// then the API key (401, counted against the address); then the key's budget (429).
/// Responses carry `X-RateLimit-*` for the key.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr = client_addr(&req);
    // A customer with a connection invite token has no API key: the token is checked
    // (and rate-limited per token and address) by the only handlers that accept one —
    // Create and Update Connection and the validate call; every other handler still
    // demands an API key.
    if !req.headers().contains_key(API_KEY_HEADER)
        && (req.headers().contains_key(INVITE_HEADER)
            || req.uri().path().ends_with(INVITE_VALIDATE_SUFFIX))
    {
        return next.run(req).await;
    }
    let limits = state.limiter.settings().enabled;
    if let Some(refusal) = limits.then(|| state.limiter.blocked(addr)).flatten() {
        return ApiError::RateLimited(refusal).into_response();
    }
    let key = req
        .headers()
        .get(API_KEY_HEADER)
        .map(|v| v.to_str().unwrap_or(""));
    let mut caller = match Caller::from_key(&state, key).await {
        Ok(caller) => caller,
        Err(e) => {
            if limits && matches!(e, ApiError::Unauthorized(_)) {
                if let Some(refusal) = state.limiter.failed_auth(addr) {
                    return ApiError::RateLimited(refusal).into_response();
                }
            }
            return e.into_response();
        }
    };
    caller.addr = Some(addr);
    let budget = match limits.then(|| state.limiter.check_key(caller.key_id)) {
        Some(Err(refusal)) => return ApiError::RateLimited(refusal).into_response(),
        Some(Ok(budget)) => Some(budget),
        None => None,
    };
    req.extensions_mut().insert(caller);
    let mut response = next.run(req).await;
    if let Some(budget) = budget {
        budget.write_headers(response.headers_mut());
    }
    response
}

/// `X-Content-Type-Options: nosniff` on every response.
pub fn nosniff() -> HeaderValue {
    HeaderValue::from_static("nosniff")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(acceptable_request_id(
            b"0190c6e5-7e0f-7a4b-9a59-1c4c1d6b0c1e"
        ));
        assert!(acceptable_request_id(b"trace:abc.def_1"));
        for bad in [
            &b""[..],
            b"a\x1b[31mred",
            b"a\r\nSet-Cookie: x",
            b"a b",
            &[b'a'; 65],
        ] {
            assert!(!acceptable_request_id(bad), "{bad:?}");
        }
    }
}
