//! Tenable Vulnerability Management (tenable.io): `X-ApiKeys` static keys, and the
//! asynchronous vulns and assets exports (`POST …/export` → `export_uuid`, status polled
//! from `QUEUED` through `PROCESSING` to `FINISHED`, numbered chunks of bare JSON arrays).

mod errors;
mod export;
mod jobs;
mod render;
mod select;

use std::sync::Arc;

use axum::{
    http::{request::Parts, Method},
    response::Response,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::{label_key, Secret},
    fake::{Rng, SEC},
    identity::{mask, Identity},
    sim::{Render, Sim, VendorApi, VendorSpec},
    vms::collections::{assets_spec, findings_spec, ASSETS, FINDINGS},
    world::stream,
};

use export::renderer;
use render::{asset_uuid, finding_id};
use select::Kind;

const SPEC: VendorSpec = VendorSpec {
    name: "tenable",
    title: "Tenable Vulnerability Management",
    endpoints: &["vulns", "assets"],
    // Asset times have milliseconds, finding times whole seconds.
    collections: &[assets_spec(1_000_000), findings_spec(SEC)],
    faults: &[
        "export_error",
        "export_cancelled",
        "chunks_failed",
        "chunk_expired",
    ],
};

/// The Tenable simulator.
pub struct Tenable;

/// The `accessKey;secretKey` pair of an `X-ApiKeys` header (with or without spaces).
fn api_keys(parts: &Parts) -> Option<String> {
    let value = parts.headers.get("x-apikeys")?.to_str().ok()?;
    let (mut access, mut secret) = (None, None);
    for part in value.split(';') {
        match part.trim().split_once('=') {
            Some(("accessKey", v)) => access = Some(v.trim()),
            Some(("secretKey", v)) => secret = Some(v.trim()),
            _ => {}
        }
    }
    Some(format!("{}:{}", access?, secret?))
}

impl VendorApi for Tenable {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        if path.starts_with("/vulns/export") {
            Some("vulns")
        } else if path.starts_with("/assets/export") || path.starts_with("/assets/v2/export") {
            Some("assets")
        } else {
            None
        }
    }

    fn router(&self) -> Router<Arc<Sim>> {
        Router::new()
            .route("/vulns/export", post(export::create_vulns))
            .route("/vulns/export/status", get(export::vulns_list))
            .route("/vulns/export/{uuid}/status", get(export::vulns_status))
            .route("/vulns/export/{uuid}/chunks/{id}", get(export::vulns_chunk))
            .route("/vulns/export/{uuid}/cancel", post(export::vulns_cancel))
            .route("/assets/export", post(export::create_assets))
            .route("/assets/v2/export", post(export::create_assets))
            .route("/assets/export/status", get(export::assets_list))
            .route("/assets/export/{uuid}/status", get(export::assets_status))
            .route(
                "/assets/export/{uuid}/chunks/{id}",
                get(export::assets_chunk),
            )
            .route("/assets/export/{uuid}/cancel", post(export::assets_cancel))
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        let mut r = Rng::for_record(seed, stream::CREDENTIAL, label_key(label));
        Secret::ApiToken(format!("{}:{}", r.hex(64), r.hex(64)))
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let (access, secret) = secret.halves();
        json!({"access_key": access, "secret_key": secret, "base_url": sim.base_url})
    }

    fn identify(&self, sim: &Sim, parts: &Parts, _body: &[u8]) -> Identity {
        match api_keys(parts) {
            Some(pair) => Identity {
                credential: sim.creds.identify(&pair),
                auth: Some(mask("X-ApiKeys", &pair)),
                form: None,
            },
            None => Identity::default(),
        }
    }

    fn authorized(&self, sim: &Sim, parts: &Parts) -> bool {
        api_keys(parts).is_some_and(|pair| {
            sim.creds
                .check_api_token(&pair, std::time::Instant::now())
                .is_ok()
        })
    }

    fn error(&self, _sim: &Sim, _endpoint: Option<&str>, status: u16, retry: u64) -> Response {
        errors::error(status, retry)
    }

    fn records_key(&self, _endpoint: &str) -> Option<&'static str> {
        // Chunks are bare arrays.
        Some("")
    }

    fn id_key(&self, endpoint: &str) -> &'static str {
        if endpoint == "vulns" {
            "finding_id"
        } else {
            "id"
        }
    }

    fn unknown_enum(&self, endpoint: &str, record: &mut Value) {
        if !record.is_object() {
            return;
        }
        if endpoint == "vulns" {
            record["state"] = json!("RESURFACED");
            record["severity"] = json!("emergency");
            record["severity_modification_type"] = json!("SNOOZED");
        } else {
            record["system_types"] = json!(["ot-controller"]);
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            ASSETS => Some(asset_uuid(sim.seed(), index)),
            FINDINGS => Some(finding_id(sim.seed(), index)),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        match collection {
            ASSETS => Some(renderer(sim, Kind::Assets)),
            FINDINGS => Some(renderer(sim, Kind::Vulns)),
            _ => None,
        }
    }
}
