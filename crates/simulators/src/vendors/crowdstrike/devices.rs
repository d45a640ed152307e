//! Hosts: `GET /devices/queries/devices/v1` (offset paging, 10,000-record window),
//! `GET /devices/queries/devices-scroll/v1` (scroll token in `offset`, no cap), and
//! `GET`/`POST /devices/entities/devices/v2` (details by AID).

use std::sync::Arc;

use axum::{extract::State, http::Uri, response::Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    data::{known_fields, render_device},
    ids::{decode_aid, device_aid},
};
use crate::{
    dataset::RecordRef,
    edr::collections::devices,
    listing::{parse_sort, Listing, Sort, Token},
    respond::{self, Params, Render},
    sim::Sim,
    vendors::falcon::{
        envelope::{bad_request, entities_reply, envelope},
        fql,
    },
};

const POWERED_BY: &str = "device-api";
/// The offset endpoint's result window.
const WINDOW: u64 = 10_000;
/// How long a scroll token stays valid after use (reported in `expires_at`).
const SCROLL_TTL_NS: i64 = 120_000_000_000;

fn renderer(sim: &Arc<Sim>) -> Render {
    let sim = sim.clone();
    Arc::new(move |r: &RecordRef| render_device(&sim.world, r))
}

/// Filter, sort and limit shared by both query endpoints.
struct Common {
    filter: fql::Filter,
    sort: Sort,
    limit: usize,
}

fn common(p: &Params, max_limit: u64) -> Result<Common, String> {
    let known = known_fields("devices");
    let filter = fql::parse(p.get("filter").unwrap_or(""), "modified_timestamp", known)?;
    let sort = parse_sort(p.get("sort"), "modified_timestamp", "first_seen", known)?;
    let limit = p.uint("limit", 100)?;
    if !(1..=max_limit).contains(&limit) {
        return Err(format!("limit must be between 1 and {max_limit}"));
    }
    Ok(Common {
        filter,
        sort,
        limit: limit as usize,
    })
}

fn ids_of(sim: &Sim, items: &[RecordRef]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|r| json!(device_aid(sim.seed(), r.index)))
            .collect(),
    )
}

pub async fn query(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let result = Params::parse(&uri).and_then(|p| {
        let c = common(&p, 5000)?;
        let offset = p.uint("offset", 0)?;
        if offset >= WINDOW {
            return Err(format!(
                "offset must be less than {WINDOW}; use the scroll endpoint to go further"
            ));
        }
        Ok((c, offset))
    });
    let (c, offset) = match result {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let render = renderer(&sim);
    let listing = Listing {
        data: devices(&sim.world),
        range: c.filter.range,
        residual: c.filter.residual.as_ref(),
        sort: &c.sort,
        render: &render,
        keep: None,
    };
    // Nothing past the window is ever returned.
    let limit = c.limit.min((WINDOW - offset) as usize);
    let page = match listing.at(offset, limit) {
        Ok(p) => p,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let pagination = json!({"offset": offset + page.items.len() as u64, "limit": c.limit, "total": listing.total()});
    respond::json(
        200,
        &envelope(
            POWERED_BY,
            Some(pagination),
            ids_of(&sim, &page.items),
            json!([]),
        ),
    )
}

pub async fn scroll(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let result = Params::parse(&uri).and_then(|p| {
        let c = common(&p, 5000)?;
        let token = match p.get("offset").filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(Token::decode(t).ok_or("invalid offset token")?),
        };
        Ok((c, token))
    });
    let (c, token) = match result {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let render = renderer(&sim);
    let listing = Listing {
        data: devices(&sim.world),
        range: c.filter.range,
        residual: c.filter.residual.as_ref(),
        sort: &c.sort,
        render: &render,
        keep: None,
    };
    let (page, next) = match listing.after(token, c.limit) {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let pagination = json!({
        "offset": next.encode(),
        "expires_at": sim.world.clock.now_ns() + SCROLL_TTL_NS,
        "limit": c.limit,
        "total": listing.total(),
    });
    respond::json(
        200,
        &envelope(
            POWERED_BY,
            Some(pagination),
            ids_of(&sim, &page.items),
            json!([]),
        ),
    )
}

pub async fn entities_get(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let params = match Params::parse(&uri) {
        Ok(p) => p,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let ids: Vec<String> = params
        .all("ids")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if ids.len() > 100 {
        return bad_request(
            POWERED_BY,
            "at most 100 ids per GET; use POST for up to 5000",
        );
    }
    entities(&sim, ids)
}

#[derive(Deserialize)]
struct IdsBody {
    ids: Vec<String>,
}

pub async fn entities_post(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    match serde_json::from_slice::<IdsBody>(&body) {
        Ok(b) if b.ids.len() > 5000 => bad_request(POWERED_BY, "at most 5000 ids per request"),
        Ok(b) => entities(&sim, b.ids),
        Err(e) => bad_request(POWERED_BY, &format!("invalid request body: {e}")),
    }
}

/// Host details for `ids`, in request order; unknown ids are listed in `errors`.
fn entities(sim: &Arc<Sim>, ids: Vec<String>) -> Response {
    if ids.is_empty() {
        return bad_request(POWERED_BY, "ids is required");
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let lookup = |id: &str| decode_aid(sim.seed(), id).and_then(|i| devices(&sim.world).get(i));
    entities_reply(POWERED_BY, &ids, "Device", lookup, renderer(sim))
}
