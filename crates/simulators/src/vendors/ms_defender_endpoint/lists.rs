//! `GET /api/machines` and `/api/alerts` (OData: `$filter`, `$top` ≤ 10,000, `$skip`,
//! `$orderby`, `$expand=evidence` on alerts, `@odata.nextLink` while more remain) and
//! `GET /api/machines/{id}`, `/api/alerts/{id}`.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};
use serde_json::{json, Value};

use super::{
    data::{decode_alert_id, decode_machine_id, known_fields, render_alert, render_machine},
    errors::error,
    odata,
};
use crate::{
    dataset::RecordRef,
    edr::collections,
    filter::split_native,
    listing::{parse_sort, Listing},
    respond::{self, Params, Render},
    sim::Sim,
};

/// Largest `$top`, also the page size when `$top` is absent.
const MAX_TOP: u64 = 10_000;
const QUERY_OPTIONS: &[&str] = &["$filter", "$top", "$skip", "$expand", "$orderby"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Machines,
    Alerts,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Machines => "machines",
            Kind::Alerts => "alerts",
        }
    }

    fn entity_set(self) -> &'static str {
        match self {
            Kind::Machines => "Machines",
            Kind::Alerts => "Alerts",
        }
    }

    /// The update-time field (answered natively) and the creation-time field.
    fn time_fields(self) -> (&'static str, &'static str) {
        match self {
            Kind::Machines => ("lastSeen", "firstSeen"),
            Kind::Alerts => ("lastUpdateTime", "alertCreationTime"),
        }
    }
}

fn bad_request(message: &str) -> Response {
    error(400, "BadRequest", message)
}

fn renderer(sim: &Arc<Sim>, kind: Kind, expand: bool) -> Render {
    let sim = sim.clone();
    Arc::new(move |r: &RecordRef| match kind {
        Kind::Machines => render_machine(&sim.world, r),
        Kind::Alerts => render_alert(&sim.world, r, expand),
    })
}

pub async fn machines(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    list(&sim, Kind::Machines, &uri)
}

pub async fn alerts(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    list(&sim, Kind::Alerts, &uri)
}

/// A parsed list request.
struct Request {
    params: Params,
    top: u64,
    skip: u64,
    expand: bool,
}

fn parse(kind: Kind, uri: &Uri) -> Result<Request, String> {
    let params = Params::parse(uri)?;
    let (top, skip) = odata::page_window(&params, QUERY_OPTIONS, MAX_TOP)?;
    let expand = match params.get("$expand") {
        None | Some("") => false,
        Some("evidence") if kind == Kind::Alerts => true,
        Some(other) => {
            return Err(format!(
                "Could not find a property named '{other}' to expand."
            ))
        }
    };
    Ok(Request {
        params,
        top,
        skip,
        expand,
    })
}

fn list(sim: &Arc<Sim>, kind: Kind, uri: &Uri) -> Response {
    let req = match parse(kind, uri) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let known = known_fields(kind.name());
    let (time_field, created_field) = kind.time_fields();
    let cond = match odata::parse(req.params.get("$filter").unwrap_or(""), known) {
        Ok(c) => c,
        Err(e) => return bad_request(&format!("Invalid filter clause: {e}")),
    };
    let (range, residual) = match cond {
        Some(c) => split_native(c, time_field),
        None => Default::default(),
    };
    let orderby = req
        .params
        .get("$orderby")
        .map(|o| o.trim().replace(' ', "|"));
    let sort = match parse_sort(orderby.as_deref(), time_field, created_field, known) {
        Ok(s) => s,
        Err(e) => return bad_request(&e),
    };
    let data = match kind {
        Kind::Machines => collections::devices(&sim.world),
        Kind::Alerts => collections::alerts(&sim.world),
    };
    if kind == Kind::Machines && data.is_empty() {
        // The documented answer when a tenant has no recent machines.
        return error(404, "ResourceNotFound", "No machines found.");
    }
    let render = renderer(sim, kind, req.expand);
    let listing = Listing {
        data,
        range,
        residual: residual.as_ref(),
        sort: &sort,
        render: &render,
        keep: None,
    };
    let page = match listing.at(req.skip, req.top as usize) {
        Ok(p) => p,
        Err(e) => return bad_request(&e),
    };
    let head = format!(
        "{{\"@odata.context\":{},\"value\":[",
        json!(format!(
            "{}/api/$metadata#{}",
            sim.base_url,
            kind.entity_set()
        ))
    );
    let tail = match page.more && req.top > 0 {
        true => format!(
            "],\"@odata.nextLink\":{}}}",
            json!(next_link(sim, kind, &req, page.items.len() as u64))
        ),
        false => "]}".to_owned(),
    };
    respond::stream_page(200, head, page.items, render, tail)
}

/// The same query from the next record: `$skip` moved on, `$top` kept.
fn next_link(sim: &Sim, kind: Kind, req: &Request, returned: u64) -> String {
    let mut pairs: Vec<(String, String)> = req
        .params
        .0
        .iter()
        .filter(|(k, _)| k != "$skip" && k != "$top")
        .cloned()
        .collect();
    pairs.push(("$top".into(), req.top.to_string()));
    pairs.push(("$skip".into(), (req.skip + returned).to_string()));
    crate::odata::link(&sim.base_url, &format!("/api/{}", kind.name()), &pairs)
}

pub async fn machine(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let found =
        decode_machine_id(sim.seed(), &id).and_then(|i| collections::devices(&sim.world).get(i));
    match found {
        Some(r) => entity(&sim, Kind::Machines, render_machine(&sim.world, &r)),
        None => error(
            404,
            "ResourceNotFound",
            &format!("Machine {id} was not found."),
        ),
    }
}

pub async fn alert(State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri) -> Response {
    let expand = match parse(Kind::Alerts, &uri) {
        Ok(r) => r.expand,
        Err(e) => return bad_request(&e),
    };
    match decode_alert_id(&sim.world, &id).and_then(|i| collections::alerts(&sim.world).get(i)) {
        Some(r) => entity(&sim, Kind::Alerts, render_alert(&sim.world, &r, expand)),
        None => error(
            404,
            "ResourceNotFound",
            &format!("Alert {id} was not found."),
        ),
    }
}

fn entity(sim: &Sim, kind: Kind, record: Value) -> Response {
    let mut body = json!({"@odata.context": format!("{}/api/$metadata#{}/$entity", sim.base_url, kind.entity_set())});
    if let (Some(o), Value::Object(fields)) = (body.as_object_mut(), record) {
        o.extend(fields);
    }
    respond::json(200, &body)
}
