//! Okta Management API: `Authorization: SSWS <token>`, users, groups and their members,
//! apps with their user and group assignments, and policies by type with the apps mapped to
//! authentication policies, as bare JSON arrays
//! paged by `limit` / `after` with `Link` headers; `filter` / `search` expressions for
//! increments; per-endpoint `X-Rate-Limit-*` headers (429 `E0000047`); Okta's error
//! objects (`E0000011` 401, `E0000006` 403, `E0000007` 404).

mod apps;
mod errors;
mod expr;
mod groups;
mod ids;
mod paging;
mod policies;
mod render;
mod users;

use std::{sync::Arc, time::Instant};

use axum::{
    http::{request::Parts, HeaderValue, Method},
    response::Response,
    routing::get,
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::{label_key, Secret},
    dataset::RecordRef,
    faults::{Action, Decision},
    identity::{authorization, mask, Identity},
    idp::{
        collections::{all_specs, APPLICATIONS, GROUPS, MEMBERSHIPS, POLICIES, USERS},
        members::{membership_label, Changes},
        profiles,
    },
    sim::{Render, Sim, VendorApi, VendorSpec},
};

/// Okta's times have milliseconds.
const COLLECTIONS: [crate::collection::CollectionSpec; 5] = all_specs(1_000_000);

const SPEC: VendorSpec = VendorSpec {
    name: "okta_idp",
    title: "Okta Management API (users, groups, apps, policies)",
    endpoints: &["users", "groups", "apps", "policies"],
    collections: &COLLECTIONS,
    faults: &[],
};

/// The Okta simulator.
pub struct Okta;

/// The rate-limit bucket of a path and its per-minute limit (Okta's Workforce figures).
fn bucket(path: &str) -> (&'static str, u32) {
    let rest = path.trim_start_matches("/api/v1/");
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["users"] => ("users", 600),
        ["users", _] => ("user", 2_000),
        ["groups"] => ("groups", 500),
        ["groups", ..] => ("group", 1_000),
        ["apps", ..] => ("apps", 100),
        _ => ("other", 1_200),
    }
}

impl VendorApi for Okta {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        let rest = path.strip_prefix("/api/v1/")?;
        match rest.split('/').next()? {
            "users" => Some("users"),
            "groups" => Some("groups"),
            "apps" => Some("apps"),
            "policies" => Some("policies"),
            _ => None,
        }
    }

    fn router(&self) -> Router<Arc<Sim>> {
        Router::new()
            .route("/api/v1/users", get(users::list))
            .route("/api/v1/users/{id}", get(users::get))
            .route("/api/v1/groups", get(groups::list))
            .route("/api/v1/groups/{id}", get(groups::get))
            .route("/api/v1/groups/{id}/users", get(groups::users_of))
            .route("/api/v1/apps", get(apps::list))
            .route("/api/v1/apps/{id}", get(apps::get))
            .route("/api/v1/apps/{id}/users", get(apps::users_of))
            .route("/api/v1/apps/{id}/groups", get(apps::groups_of))
            .route("/api/v1/policies", get(policies::list))
            .route("/api/v1/policies/{id}", get(policies::get))
            .route("/api/v1/policies/{id}/app", get(policies::apps_of))
            .layer(axum::middleware::from_fn(tag_bucket))
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        Secret::ApiToken(ids::api_token(seed, label_key(label)))
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let token = match secret {
            Secret::ApiToken(t) => t.clone(),
            Secret::Client { client_secret, .. } => client_secret.clone(),
        };
        json!({"domain": sim.base_url, "api_token": token})
    }

    fn identify(&self, sim: &Sim, parts: &Parts, _body: &[u8]) -> Identity {
        match ssws(parts) {
            Some(token) => Identity {
                credential: sim.creds.identify(&token),
                auth: Some(mask("SSWS", &token)),
                form: None,
            },
            None => Identity {
                auth: authorization(parts).map(|(scheme, token)| mask(&scheme, &token)),
                ..Identity::default()
            },
        }
    }

    fn authorized(&self, sim: &Sim, parts: &Parts) -> bool {
        ssws(parts).is_some_and(|t| sim.creds.check_api_token(&t, Instant::now()).is_ok())
    }

    fn error(&self, _sim: &Sim, _endpoint: Option<&str>, status: u16, _retry: u64) -> Response {
        errors::for_status(status)
    }

    /// `X-Rate-Limit-Limit`, `-Remaining` (counting down within the minute) and `-Reset`
    /// (epoch seconds), per endpoint bucket; `Date` in simulated time, so `Reset − Date`
    /// (what Okta's SDKs wait on a 429) is the real wait.
    fn decorate(
        &self,
        sim: &Sim,
        endpoint: Option<&str>,
        decision: &Decision,
        resp: &mut Response,
    ) {
        let now_ns = sim.world.clock.now_ns();
        let date = chrono::DateTime::from_timestamp_nanos(now_ns)
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        if let Ok(v) = HeaderValue::from_str(&date) {
            resp.headers_mut().insert("Date", v);
        }
        let (name, limit) = match (resp.extensions().get::<Bucket>(), endpoint) {
            (Some(b), _) => (b.0, b.1),
            (None, Some(e)) => bucket(&format!("/api/v1/{e}")),
            (None, None) => return,
        };
        let (limit, remaining, reset_in) = match decision.quota {
            Some(q) => (q.limit, q.remaining, q.reset_in),
            None => {
                let (used, reset_in) = sim.rate.hit_bucket(name, Instant::now());
                (limit, limit.saturating_sub(used), reset_in)
            }
        };
        let throttled = resp.status() == 429;
        let wait = match decision.action {
            Some(Action::Status {
                retry_after_secs, ..
            }) if throttled => retry_after_secs,
            _ => reset_in.as_millis().div_ceil(1000) as u64,
        };
        let reset = now_ns / 1_000_000_000 + wait.max(1) as i64;
        let h = resp.headers_mut();
        h.insert("X-Rate-Limit-Limit", HeaderValue::from(limit));
        h.insert(
            "X-Rate-Limit-Remaining",
            HeaderValue::from(if throttled { 0 } else { remaining }),
        );
        h.insert("X-Rate-Limit-Reset", HeaderValue::from(reset));
    }

    fn records_key(&self, _endpoint: &str) -> Option<&'static str> {
        Some("")
    }

    fn id_key(&self, _endpoint: &str) -> &'static str {
        "id"
    }

    fn unknown_enum(&self, endpoint: &str, record: &mut Value) {
        if !record.is_object() {
            return;
        }
        match endpoint {
            "users" => {
                record["status"] = json!("PENDING_USER_ACTION");
                record["credentials"]["provider"]["type"] = json!("FEDERATION_V2");
            }
            "groups" => record["type"] = json!("DIRECTORY_GROUP"),
            "apps" => record["signOnMode"] = json!("SAML_3_0"),
            _ => record["type"] = json!("CONTINUOUS_ACCESS"),
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        let seed = sim.seed();
        Some(match collection {
            USERS => ids::encode(ids::USER, seed, index),
            GROUPS => ids::encode(ids::GROUP, seed, index),
            APPLICATIONS => ids::encode(ids::APP, seed, index),
            POLICIES => ids::encode(ids::POLICY, seed, index),
            MEMBERSHIPS => membership_id(sim, index),
            _ => return None,
        })
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        Some(match collection {
            USERS => {
                Arc::new(move |r: &RecordRef| render::user(&sim, &profiles::user(&sim.world, r)))
            }
            GROUPS => Arc::new(move |r: &RecordRef| {
                render::group(
                    &sim,
                    &profiles::group(&sim.world, r),
                    &Changes::of(&sim.world),
                )
            }),
            APPLICATIONS => Arc::new(move |r: &RecordRef| {
                render::app(&sim, &profiles::application(&sim.world, r))
            }),
            POLICIES => Arc::new(move |r: &RecordRef| {
                render::policy(&sim, &profiles::policy(&sim.world, r))
            }),
            MEMBERSHIPS => {
                Arc::new(move |r: &RecordRef| json!({"id": membership_id(&sim, r.index)}))
            }
            _ => return None,
        })
    }
}

/// The token of an `Authorization: SSWS <token>` header. Okta's own Python SDK (3.x)
/// sends `SSWS<token>` without the space, and works against Okta, so both are accepted.
fn ssws(parts: &Parts) -> Option<String> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let scheme = value.get(..4)?;
    let token = value[4..].trim();
    (scheme.eq_ignore_ascii_case("SSWS") && !token.is_empty()).then(|| token.to_owned())
}

/// A membership as `<group id>:<user id>` (Okta has no id for it).
fn membership_id(sim: &Sim, index: u64) -> String {
    let seed = sim.seed();
    membership_label(
        &sim.world,
        index,
        |g| ids::encode(ids::GROUP, seed, g),
        |u| ids::encode(ids::USER, seed, u),
    )
}

/// A response's rate-limit bucket and its limit (responses from handlers carry it; fault
/// responses fall back to the endpoint's list bucket).
#[derive(Debug, Clone, Copy)]
struct Bucket(&'static str, u32);

async fn tag_bucket(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (name, limit) = bucket(req.uri().path());
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(Bucket(name, limit));
    resp
}
