//! Microsoft Defender Vulnerability Management: the Defender for Endpoint API's
//! vulnerability endpoints behind the same Entra ID client-credentials token — the
//! snapshot of every machine's vulnerabilities (`machinesVulnerabilities`, OData
//! `$filter`/`$top`/`$skip`/`@odata.nextLink`), the CVE catalogue, errors
//! `{"error": {code, message, target}}` and `Retry-After` on 429. The snapshot lists what
//! is found now: a finding fixed by a change leaves it, one reopened comes back.

mod data;
mod lists;

use std::sync::Arc;

use axum::{http::Method, response::Response, routing::get, Router};
use serde_json::{json, Value};

use crate::{
    auth::Secret,
    dataset::RecordRef,
    fake::SEC,
    faults::Decision,
    sim::{Render, Sim, SummaryExtra, VendorApi, VendorSpec},
    vms::collections::{assets_spec, findings_spec, ASSETS, FINDINGS},
};

use super::{
    ms_defender_endpoint::{data::machine_id, errors},
    ms_entra::login::{self, client_pair, tenant_id, LoginSpec},
};

const SPEC: VendorSpec = VendorSpec {
    name: "ms_defender_vms",
    title: "Microsoft Defender Vulnerability Management",
    endpoints: &["token", "vulnerabilities", "machine_vulnerabilities"],
    // Assets are the machines findings are on; the API has no times on findings.
    collections: &[assets_spec(SEC), findings_spec(SEC)],
    faults: &["snapshot_fails", "snapshot_cut"],
};

/// What a Defender token may be for: the Defender for Endpoint resources.
static LOGIN: LoginSpec = LoginSpec {
    resources: &[
        "https://api.securitycenter.microsoft.com",
        "https://api.security.microsoft.com",
        "https://securitycenter.onmicrosoft.com/windowsatpservice",
    ],
    roles: &["Vulnerability.Read.All"],
};

/// The Defender Vulnerability Management simulator.
pub struct DefenderVms;

impl VendorApi for DefenderVms {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        let path = path.trim_end_matches('/');
        if path == "/api/vulnerabilities/machinesVulnerabilities" {
            return Some("machine_vulnerabilities");
        }
        if path == "/api/vulnerabilities" || path.starts_with("/api/vulnerabilities/") {
            return Some("vulnerabilities");
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        login::endpoint(&segments)
    }

    fn router(&self) -> Router<Arc<Sim>> {
        login::router(&LOGIN)
            .route(
                "/api/vulnerabilities/machinesVulnerabilities",
                get(lists::machines_vulnerabilities),
            )
            .route("/api/vulnerabilities", get(lists::vulnerabilities))
            .route("/api/vulnerabilities/{id}", get(lists::vulnerability))
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        login::new_secret(seed, label)
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let (id, secret) = client_pair(secret);
        json!({
            "tenant_id": tenant_id(sim.seed()),
            "client_id": id,
            "client_secret": secret,
            "login_base_url": sim.base_url,
            "api_base_url": sim.base_url,
        })
    }

    fn error(&self, sim: &Sim, endpoint: Option<&str>, status: u16, retry: u64) -> Response {
        if endpoint == Some("token") {
            return login::aad_error(sim, status, None);
        }
        errors::for_status(status, "Vulnerability.Read.All", retry)
    }

    fn decorate(
        &self,
        _sim: &Sim,
        _endpoint: Option<&str>,
        decision: &Decision,
        resp: &mut Response,
    ) {
        crate::respond::add_retry_after(resp, decision);
    }

    fn records_key(&self, endpoint: &str) -> Option<&'static str> {
        (endpoint != "token").then_some("value")
    }

    fn id_key(&self, _endpoint: &str) -> &'static str {
        "id"
    }

    fn unknown_enum(&self, _endpoint: &str, record: &mut Value) {
        if record.is_object() {
            record["severity"] = json!("Severe");
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            ASSETS => Some(machine_id(sim.seed(), index)),
            FINDINGS => Some(data::vuln_id(&sim.world, index)),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        match collection {
            FINDINGS => Some(Arc::new(move |r: &RecordRef| {
                data::render_vuln(&sim.world, r)
            })),
            // The API shows machines only inside findings (`machineId`).
            ASSETS => Some(Arc::new(
                move |r: &RecordRef| json!({"id": machine_id(sim.seed(), r.index)}),
            )),
            _ => None,
        }
    }

    /// The token endpoint lives on a separate login host (served on the same listener).
    fn summary_extras(&self, sim: &Sim) -> Vec<SummaryExtra> {
        vec![SummaryExtra {
            key: "login_base_url",
            label: "login base URL",
            value: sim.base_url.clone(),
        }]
    }
}
