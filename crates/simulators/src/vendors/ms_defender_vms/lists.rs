//! `GET /api/vulnerabilities/machinesVulnerabilities` (the current snapshot: `$filter`,
//! `$top` ≤ 10,000, `$skip`, `@odata.nextLink` while more remain), the CVE catalogue
//! `GET /api/vulnerabilities` (`$top` ≤ 8,000) and `GET /api/vulnerabilities/{cveId}`.
//! The vendor faults `snapshot_fails` and `snapshot_cut` break a later page of the
//! snapshot (a 500, or the connection cut mid-body): a listing that fails halfway.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
    Extension,
};
use serde_json::{json, Value};

use super::data::{catalogue, known_fields, listed, render_cve, render_vuln};
use crate::{
    dataset::{Order, RecordRef, TimeRange},
    faults::BodyFaults,
    filter::Cond,
    listing::{Listing, Sort},
    respond::{self, apply_body_faults, Params, Render},
    sim::{Caller, Sim},
    vendors::{ms_defender_endpoint::errors::error, ms_defender_endpoint::odata},
    vms::collections::findings,
};

/// Largest `$top` of the snapshot, also its page size when `$top` is absent.
const MAX_TOP: u64 = 10_000;
/// Largest `$top` of the catalogue.
const MAX_CATALOGUE_TOP: u64 = 8_000;
const QUERY_OPTIONS: &[&str] = &["$filter", "$top", "$skip"];
const SNAPSHOT: &str = "/api/vulnerabilities/machinesVulnerabilities";
const CATALOGUE: &str = "/api/vulnerabilities";

fn bad_request(message: &str) -> Response {
    error(400, "BadRequest", message)
}

/// A parsed list request.
struct Request {
    params: Params,
    filter: Option<Cond>,
    top: u64,
    skip: u64,
}

fn parse(uri: &Uri, max_top: u64, catalogue: bool) -> Result<Request, String> {
    let params = Params::parse(uri)?;
    let (top, skip) = odata::page_window(&params, QUERY_OPTIONS, max_top)?;
    let filter = odata::parse(params.get("$filter").unwrap_or(""), known_fields(catalogue))
        .map_err(|e| format!("Invalid filter clause: {e}"))?;
    Ok(Request {
        params,
        filter,
        top,
        skip,
    })
}

/// The same query from the next record: `$skip` moved on, `$top` kept.
fn next_link(sim: &Sim, path: &str, req: &Request, returned: u64) -> String {
    let mut pairs: Vec<(String, String)> = req
        .params
        .0
        .iter()
        .filter(|(k, _)| k != "$skip" && k != "$top")
        .cloned()
        .collect();
    pairs.push(("$top".into(), req.top.to_string()));
    pairs.push(("$skip".into(), (req.skip + returned).to_string()));
    crate::odata::link(&sim.base_url, path, &pairs)
}

fn head(sim: &Sim, entity_set: &str) -> String {
    format!(
        "{{\"@odata.context\":{},\"value\":[",
        json!(format!("{}/api/$metadata#{entity_set}", sim.base_url))
    )
}

fn tail(link: Option<String>) -> String {
    match link {
        Some(l) => format!("],\"@odata.nextLink\":{}}}", json!(l)),
        None => "]}".to_owned(),
    }
}

/// `GET /api/vulnerabilities/machinesVulnerabilities`.
pub async fn machines_vulnerabilities(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
) -> Response {
    let req = match parse(&uri, MAX_TOP, false) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    // A later page of the snapshot, where a listing can fail halfway.
    let later = req.skip > 0;
    let take = |name| {
        later
            && sim
                .faults
                .take_named(caller.0.as_deref(), "machine_vulnerabilities", name)
    };
    if take("snapshot_fails") {
        return error(
            500,
            "InternalServerError",
            "An internal server error occurred.",
        );
    }
    let cut = take("snapshot_cut");
    let world = &sim.world;
    let keep = |r: &RecordRef| listed(world, r);
    let render: Render = {
        let sim = sim.clone();
        Arc::new(move |r: &RecordRef| render_vuln(&sim.world, r))
    };
    // Creation order: a record's place does not move when others change.
    let sort = Sort::Native(Order::IndexAsc);
    let listing = Listing {
        data: findings(world),
        range: TimeRange::default(),
        residual: req.filter.as_ref(),
        sort: &sort,
        render: &render,
        keep: Some(&keep),
    };
    let page = match listing.at(req.skip, req.top as usize) {
        Ok(p) => p,
        Err(e) => return bad_request(&e),
    };
    let link = (page.more && req.top > 0)
        .then(|| next_link(&sim, SNAPSHOT, &req, page.items.len() as u64));
    let resp = respond::stream_page(
        200,
        head(
            &sim,
            "Collection(microsoft.windowsDefenderATP.api.PublicAssetVulnerabilityDto)",
        ),
        page.items,
        render,
        tail(link),
    );
    if !cut {
        return resp;
    }
    let reset = BodyFaults {
        reset: true,
        ..BodyFaults::default()
    };
    apply_body_faults(&sim, Some("machine_vulnerabilities"), resp, reset).await
}

/// `GET /api/vulnerabilities`: the CVE catalogue.
pub async fn vulnerabilities(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let req = match parse(&uri, MAX_CATALOGUE_TOP, true) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let matching: Vec<Value> = catalogue()
        .iter()
        .map(|(cve, p)| render_cve(cve, p))
        .filter(|v| req.filter.as_ref().is_none_or(|c| c.matches(v)))
        .collect();
    let from = (req.skip as usize).min(matching.len());
    let to = (from + req.top as usize).min(matching.len());
    let link = (to < matching.len() && req.top > 0)
        .then(|| next_link(&sim, CATALOGUE, &req, (to - from) as u64));
    let mut body = json!({
        "@odata.context": format!("{}/api/$metadata#Vulnerabilities", sim.base_url),
        "value": matching[from..to],
    });
    if let Some(link) = link {
        body["@odata.nextLink"] = json!(link);
    }
    respond::json(200, &body)
}

/// `GET /api/vulnerabilities/{cveId}`.
pub async fn vulnerability(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let found = catalogue()
        .iter()
        .find(|(cve, _)| cve.eq_ignore_ascii_case(&id));
    match found {
        Some((cve, p)) => {
            let mut body = json!({"@odata.context": format!("{}/api/$metadata#Vulnerabilities/$entity", sim.base_url)});
            if let (Some(o), Value::Object(fields)) = (body.as_object_mut(), render_cve(cve, p)) {
                o.extend(fields);
            }
            respond::json(200, &body)
        }
        None => error(
            404,
            "ResourceNotFound",
            &format!("Vulnerability {id} was not found."),
        ),
    }
}
