//! The Falcon token endpoint, shared by every Falcon product: `POST /oauth2/token` (form
//! `client_id`, `client_secret`, optional `member_cid` → **201** `{access_token, token_type: "bearer", expires_in}`) and `POST /oauth2/revoke`.
//!
//! No `X-Cs-Region` header is sent: region-autodiscovering clients (falconpy) would
//! switch to the real cloud's URL for a region they recognise.

use std::{sync::atomic::Ordering, sync::Arc, time::Duration, time::Instant};

use axum::{extract::State, response::Response, routing::post, Router};
use bytes::Bytes;
use serde_json::json;

use super::envelope::{bad_request, envelope};
use crate::{
    auth::jwt_like,
    identity::{form_field as field, token_form as form},
    respond,
    sim::Sim,
};

/// Falcon tokens live 30 minutes; the response says 1799 seconds.
const DEFAULT_TTL: Duration = Duration::from_secs(1799);

/// The token endpoint's routes, which every Falcon product serves.
pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/oauth2/token", post(token))
        .route("/oauth2/revoke", post(revoke))
}

/// Whether `path` is one of the token endpoint's.
pub fn is_token_path(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/oauth2/token" | "/oauth2/revoke"
    )
}

pub async fn token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let form = form(&body);
    let (Some(id), Some(secret)) = (field(&form, "client_id"), field(&form, "client_secret"))
    else {
        return bad_request(
            "crowdstrike-api-gateway",
            "client_id and client_secret are required",
        );
    };
    let ttl = sim.settings.token_ttl.unwrap_or(DEFAULT_TTL);
    let n = sim.tokens_issued.fetch_add(1, Ordering::Relaxed);
    let now_s = sim.world.clock.now_ns() / 1_000_000_000;
    let claims = json!({
        "aud": "apigateway", "client_id": id, "exp": now_s + ttl.as_secs() as i64,
        "iat": now_s, "iss": "https://api.crowdstrike.com/", "jti": format!("{n:016x}"),
        "nbf": now_s, "scp": ["devices:read", "alerts:read", "spotlight-vulnerabilities:read"], "sub": id,
    });
    let token = jwt_like(&claims, sim.seed(), n);
    match sim
        .creds
        .issue(id, secret, ttl, token.clone(), Instant::now())
    {
        Ok(_) => respond::json(
            201,
            &json!({"access_token": token, "token_type": "bearer", "expires_in": ttl.as_secs()}),
        ),
        Err(_) => sim.api.error(&sim, Some("token"), 401, 0),
    }
}

pub async fn revoke(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let form = form(&body);
    let Some(token) = field(&form, "token") else {
        return bad_request("crowdstrike-api-gateway", "token is required");
    };
    sim.creds.revoke_token(token);
    respond::json(
        200,
        &envelope("crowdstrike-api-gateway", None, json!([]), json!([])),
    )
}
