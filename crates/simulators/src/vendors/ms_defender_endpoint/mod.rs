//! Microsoft Defender for Endpoint: an Entra ID client-credentials token
//! (`POST /{tenant}/oauth2/v2.0/token`, AAD error shapes), bearer auth, OData lists
//! `GET /api/machines` and `/api/alerts` (`$filter`, `$top`, `$skip`, `$expand`,
//! `@odata.nextLink`), single entities by id, errors `{"error": {code, message, target}}`
//! and `Retry-After` (seconds) on 429.

// Defender Vulnerability Management is the same API: it shares the machine ids, the
// error body and the OData filter.
pub(super) mod data;
pub(super) mod errors;
mod lists;
pub(super) mod odata;

use std::sync::Arc;

use axum::{http::Method, response::Response, routing::get, Router};
use serde_json::{json, Value};

use crate::{
    auth::Secret,
    dataset::RecordRef,
    edr::collections::{ALERTS, DEVICES},
    faults::Decision,
    sim::{Render, Sim, SummaryExtra, VendorApi, VendorSpec},
};

use super::ms_entra::login::{self, client_pair, tenant_id, LoginSpec};
use data::{alert_id, machine_id, render_alert, render_machine};

const SPEC: VendorSpec = VendorSpec {
    name: "ms_defender_endpoint",
    title: "Microsoft Defender for Endpoint",
    endpoints: &["token", "machines", "alerts"],
    collections: data::COLLECTIONS,
    faults: &[],
};

/// What a Defender token may be for (the documented resource and its aliases).
static LOGIN: LoginSpec = LoginSpec {
    resources: &[
        "https://api.securitycenter.microsoft.com",
        "https://api.security.microsoft.com",
        "https://securitycenter.onmicrosoft.com/windowsatpservice",
        "https://api-gcc.securitycenter.microsoft.us",
        "https://api-gov.securitycenter.microsoft.us",
    ],
    roles: &["Machine.Read.All", "Alert.Read.All"],
};

/// The Defender for Endpoint simulator.
pub struct Defender;

impl VendorApi for Defender {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        let path = path.trim_end_matches('/');
        if path == "/api/machines" || path.starts_with("/api/machines/") {
            return Some("machines");
        }
        if path == "/api/alerts" || path.starts_with("/api/alerts/") {
            return Some("alerts");
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        login::endpoint(&segments)
    }

    fn router(&self) -> Router<Arc<Sim>> {
        login::router(&LOGIN)
            .route("/api/machines", get(lists::machines))
            .route("/api/machines/{id}", get(lists::machine))
            .route("/api/alerts", get(lists::alerts))
            .route("/api/alerts/{id}", get(lists::alert))
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
        let permission = if endpoint == Some("machines") {
            "Machine.Read.All"
        } else {
            "Alert.Read.All"
        };
        errors::for_status(status, permission, retry)
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

    fn unknown_enum(&self, endpoint: &str, record: &mut Value) {
        if !record.is_object() {
            return;
        }
        if endpoint == "alerts" {
            record["status"] = json!("Dismissed");
            record["severity"] = json!("Critical");
            record["classification"] = json!("BenignPositive");
            record["investigationState"] = json!("PendingApproval2");
        } else {
            record["healthStatus"] = json!("Degraded");
            record["osPlatform"] = json!("WindowsServer2025");
            record["riskScore"] = json!("Severe");
            record["onboardingStatus"] = json!("Offboarded");
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            DEVICES => Some(machine_id(sim.seed(), index)),
            ALERTS => Some(alert_id(&sim.world, index)),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        match collection {
            DEVICES => Some(Arc::new(move |r: &RecordRef| render_machine(&sim.world, r))),
            // The alerts export asks for evidence (`$expand=evidence`).
            ALERTS => Some(Arc::new(move |r: &RecordRef| {
                render_alert(&sim.world, r, true)
            })),
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
