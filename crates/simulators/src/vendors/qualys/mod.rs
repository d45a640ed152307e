//! Qualys VMDR: HTTP Basic plus the mandatory `X-Requested-With`, the XML Host List
//! Detection API (hosts with their detections, paged by truncation with a `WARNING`/`URL`
//! next-batch link) and the KnowledgeBase, per-API rate and concurrency headers, 409
//! throttling with codes 1965/1960, and `SIMPLE_RETURN` errors (one inside a 200).

mod detections;
mod errors;
mod render;

use std::{sync::atomic::Ordering, sync::Arc, time::Instant};

use axum::{
    http::{request::Parts, HeaderValue, Method},
    response::Response,
    routing::get,
    Router,
};
use base64::Engine;
use serde_json::{json, Value};

use crate::{
    auth::{label_key, Secret},
    dataset::RecordRef,
    fake::{Rng, SEC},
    faults::Decision,
    identity::{authorization, mask, Identity},
    sim::{Render, Sim, VendorApi, VendorSpec},
    vms::collections::{assets_spec, findings_spec, ASSETS, FINDINGS},
    world::stream,
};

const SPEC: VendorSpec = VendorSpec {
    name: "qualys",
    title: "Qualys VMDR (Host List Detection, KnowledgeBase)",
    endpoints: &["detections", "knowledge_base"],
    collections: &[assets_spec(SEC), findings_spec(SEC)],
    faults: &[
        "error_in_200",
        "rate_limited",
        "concurrency_limited",
        "cut_mid_stream",
    ],
};

/// Calls per API per window (a trial subscription's published numbers).
const RATE_LIMIT: u32 = 300;
const RATE_WINDOW_SECS: u32 = 3600;

/// The Qualys simulator.
pub struct Qualys;

/// `user:password` from an `Authorization: Basic` header.
fn basic(parts: &Parts) -> Option<String> {
    let (scheme, token) = authorization(parts)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes).ok()
}

impl VendorApi for Qualys {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        // Qualys versions these paths (2.0 … 5.0); one handler serves them all.
        let rest = path.strip_prefix("/api/")?.split_once('/')?.1;
        match rest.trim_end_matches('/') {
            "fo/asset/host/vm/detection" => Some("detections"),
            "fo/knowledge_base/vuln" => Some("knowledge_base"),
            _ => None,
        }
    }

    fn router(&self) -> Router<Arc<Sim>> {
        let mut r = Router::new();
        for v in ["2.0", "3.0", "4.0", "5.0"] {
            r = r
                .route(
                    &format!("/api/{v}/fo/asset/host/vm/detection/"),
                    get(detections::list).post(detections::list),
                )
                .route(
                    &format!("/api/{v}/fo/knowledge_base/vuln/"),
                    get(detections::knowledge_base).post(detections::knowledge_base),
                );
        }
        r
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        let mut r = Rng::for_record(seed, stream::CREDENTIAL, label_key(label));
        Secret::ApiToken(format!("trbt{}:{}", r.hex(4), r.hex(24)))
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let (user, password) = secret.halves();
        json!({"username": user, "password": password, "base_url": sim.base_url})
    }

    fn identify(&self, sim: &Sim, parts: &Parts, _body: &[u8]) -> Identity {
        match basic(parts) {
            Some(pair) => Identity {
                credential: sim.creds.identify(&pair),
                auth: Some(mask("Basic", &pair)),
                form: None,
            },
            None => Identity::default(),
        }
    }

    fn authorized(&self, sim: &Sim, parts: &Parts) -> bool {
        basic(parts).is_some_and(|pair| sim.creds.check_api_token(&pair, Instant::now()).is_ok())
    }

    fn error(&self, sim: &Sim, _endpoint: Option<&str>, status: u16, retry: u64) -> Response {
        errors::error(status, sim.world.clock.now_ns(), retry)
    }

    /// Every answer carries the API's rate and concurrency headers.
    fn decorate(&self, sim: &Sim, endpoint: Option<&str>, _d: &Decision, resp: &mut Response) {
        let Some(endpoint) = endpoint else { return };
        let bucket = if endpoint == "detections" {
            "detections"
        } else {
            "knowledge_base"
        };
        let (used, _) = sim.rate.hit_bucket(bucket, Instant::now());
        let running = sim
            .vendor_state::<detections::Running>()
            .detections
            .load(Ordering::SeqCst);
        let h = resp.headers_mut();
        h.insert("X-RateLimit-Limit", HeaderValue::from(RATE_LIMIT));
        h.insert(
            "X-RateLimit-Window-Sec",
            HeaderValue::from(RATE_WINDOW_SECS),
        );
        if !h.contains_key("X-RateLimit-Remaining") {
            h.insert(
                "X-RateLimit-Remaining",
                HeaderValue::from(RATE_LIMIT.saturating_sub(used)),
            );
        }
        if !h.contains_key("X-RateLimit-ToWait-Sec") {
            h.insert("X-RateLimit-ToWait-Sec", HeaderValue::from(0));
        }
        h.insert(
            "X-Concurrency-Limit-Limit",
            HeaderValue::from(detections::CONCURRENCY),
        );
        h.insert("X-Concurrency-Limit-Running", HeaderValue::from(running));
    }

    fn records_key(&self, _endpoint: &str) -> Option<&'static str> {
        // XML: the JSON record rewrites do not apply.
        None
    }

    fn id_key(&self, _endpoint: &str) -> &'static str {
        "UNIQUE_VULN_ID"
    }

    fn unknown_enum(&self, _endpoint: &str, record: &mut Value) {
        if record.is_object() {
            record["STATUS"] = json!("Purged");
            record["TYPE"] = json!("Practice");
        }
    }

    fn record_id(&self, _sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            ASSETS => Some(render::host_id(index).to_string()),
            FINDINGS => Some(render::unique_vuln_id(index).to_string()),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        match collection {
            FINDINGS => Some(Arc::new(move |r: &RecordRef| {
                render::detection_json(&sim.world, r)
            })),
            ASSETS => Some(Arc::new(move |r: &RecordRef| {
                render::host_json(&sim.world, r)
            })),
            _ => None,
        }
    }
}
