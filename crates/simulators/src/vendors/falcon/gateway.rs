//! The Falcon API gateway in front of every product: client credentials, the error
//! envelope, and `X-RateLimit-*` headers on every response (a 429 adds
//! `X-RateLimit-RetryAfter` in epoch seconds). Vendor folders call these from their
//! `VendorApi` implementations.

use std::time::Instant;

use axum::{http::HeaderValue, response::Response};
use serde_json::{json, Value};

use crate::{
    auth::{label_key, Secret},
    fake::{Rng, ALNUM},
    faults::{Action, Decision},
    respond,
    sim::Sim,
    world::stream,
};

/// Requests per minute in `X-RateLimit-Limit` (per customer, all endpoints).
const RATE_LIMIT: u32 = 6000;

/// The customer id (32 hex), per seed: one tenant behind every Falcon product.
pub fn cid(seed: u64) -> String {
    Rng::for_record(seed, stream::TENANT, 0xc1d).hex(32)
}

/// A client id (32 hex) and secret (40 characters), deterministic per seed and label.
pub fn new_secret(seed: u64, label: &str) -> Secret {
    let mut r = Rng::for_record(seed, stream::CREDENTIAL, label_key(label));
    Secret::Client {
        client_id: r.hex(32),
        client_secret: r.chars(40, ALNUM),
    }
}

/// `{"client_id", "client_secret", "base_url"}`.
pub fn credentials_json(sim: &Sim, secret: &Secret) -> Value {
    let (id, secret) = match secret {
        Secret::Client {
            client_id,
            client_secret,
        } => (client_id.clone(), client_secret.clone()),
        Secret::ApiToken(t) => (String::new(), t.clone()),
    };
    json!({"client_id": id, "client_secret": secret, "base_url": sim.base_url})
}

/// An error in the Falcon envelope (`token`: the token endpoint's 401 wording).
pub fn error(endpoint: Option<&str>, status: u16) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let message = match status {
        400 => "Bad Request".to_owned(),
        401 if endpoint == Some("token") => "access denied, invalid client".to_owned(),
        401 => "access denied, invalid bearer token".to_owned(),
        403 => "access denied, authorization failed".to_owned(),
        404 => "Not Found".to_owned(),
        413 => "Request Entity Too Large".to_owned(),
        429 => "API rate limit exceeded.".to_owned(),
        500 => format!("Internal Server Error: Please provide trace-id='{trace}' to support"),
        502 => "Bad Gateway".to_owned(),
        503 => "Service Unavailable".to_owned(),
        _ => "Error".to_owned(),
    };
    respond::json(
        status,
        &json!({
            "meta": {"query_time": 2.6e-7, "powered_by": "crowdstrike-api-gateway", "trace_id": trace},
            "errors": [{"code": status, "message": message}],
        }),
    )
}

/// `X-RateLimit-Limit` and `-Remaining` (a quota fault's figures when one applies), and
/// on a 429 `X-RateLimit-RetryAfter`: the epoch second to retry at, not a delay.
pub fn decorate(sim: &Sim, decision: &Decision, resp: &mut Response) {
    let (limit, remaining, reset_in) = match decision.quota {
        Some(q) => (q.limit, q.remaining, q.reset_in),
        None => {
            let (used, reset_in) = sim.rate.hit(Instant::now());
            (RATE_LIMIT, RATE_LIMIT.saturating_sub(used), reset_in)
        }
    };
    let limited = resp.status() == 429;
    let headers = resp.headers_mut();
    headers.insert("X-RateLimit-Limit", HeaderValue::from(limit));
    let remaining = if limited { 0 } else { remaining };
    headers.insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
    if limited {
        let wait = match decision.action {
            Some(Action::Status {
                retry_after_secs, ..
            }) => retry_after_secs,
            _ => reset_in.as_secs().max(1),
        };
        let at = sim.world.clock.now_ns() / 1_000_000_000 + wait as i64;
        headers.insert("X-RateLimit-RetryAfter", HeaderValue::from(at));
    }
}
