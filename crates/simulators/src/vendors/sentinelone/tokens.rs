//! `POST /web/api/v2.1/users/api-token-details` with `{"data": {"apiToken": …}}`:
//! `{"data": {"createdAt", "expiresAt"}}` for a token this console issued. Tokens expire
//! 180 days after the simulator started unless a `token_expires_in=DAYS` fault says
//! otherwise for the token's credential.

use std::sync::Arc;

use axum::{extract::State, response::Response};
use serde_json::{json, Value};

use super::errors::{bad_request, error};
use crate::{fake::fmt_ts, respond, sim::Sim};

/// Days a token lives when no fault says otherwise.
const DEFAULT_LIFETIME_DAYS: i64 = 180;
const DAY_NS: i64 = 86_400 * 1_000_000_000;

pub async fn details(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be JSON");
    };
    let Some(token) = v.pointer("/data/apiToken").and_then(Value::as_str) else {
        return bad_request("data.apiToken is required");
    };
    let Some(label) = sim.creds.identify(token) else {
        return error(404, "Resource not found", Some("no such API token"));
    };
    let now = sim.world.clock.now_ns();
    let expires = match sim.faults.token_expires_in(Some(&label)) {
        Some(days) => now + i64::from(days) * DAY_NS,
        None => sim.world.clock.start_ns() + DEFAULT_LIFETIME_DAYS * DAY_NS,
    };
    respond::json(
        200,
        &json!({"data": {
            "createdAt": fmt_ts(sim.world.clock.start_ns(), 6),
            "expiresAt": fmt_ts(expires, 6),
        }}),
    )
}
