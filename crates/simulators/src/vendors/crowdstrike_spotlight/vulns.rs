//! `GET /spotlight/combined/vulnerabilities/v1` (records, `after` paging, facets),
//! `GET /spotlight/queries/vulnerabilities/v1` (ids) and
//! `GET /spotlight/entities/vulnerabilities/v2?ids=` (records by id).

// Steps answer early with the response the client gets; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::{extract::State, http::Uri, response::Response, Extension};
use serde_json::{json, Value};

use super::data::{
    decode_vuln_id, known_fields, render_vuln, vuln_id, with_facets, AFTER_TTL_NS, FACETS,
};
use crate::{
    dataset::RecordRef,
    listing::{parse_sort, Listing, Sort, Token},
    query::Page,
    respond::{self, Params, Render},
    sim::{Caller, Sim},
    vendors::falcon::{
        envelope::{bad_request, entities_reply, envelope, envelope_head, envelope_tail, meta},
        fql,
    },
    vms::collections::{finding_live, findings},
};

const POWERED_BY: &str = "spapi";
const ENDPOINT: &str = "vulnerabilities";

/// A parsed query: filter, sort, page size, and where to continue.
struct Spec {
    filter: fql::Filter,
    sort: Sort,
    limit: usize,
    after: Option<(Token, i64)>,
}

/// `after` tokens carry when they were issued, so they can expire as Falcon's do.
fn encode_after(t: Token, issued_ns: i64) -> String {
    format!("{}.{issued_ns}", t.encode())
}

fn decode_after(s: &str) -> Option<(Token, i64)> {
    let (token, issued) = s.split_once('.')?;
    Some((Token::decode(token)?, issued.parse().ok()?))
}

fn spec(p: &Params, max_limit: u64) -> Result<Spec, String> {
    let text = p.get("filter").map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err("filter is required".into());
    }
    let known = known_fields();
    let filter = fql::parse(text, "updated_timestamp", known)?;
    // Creation times are not in index order here: any sort but the update time is a field sort.
    let sort = parse_sort(p.get("sort"), "updated_timestamp", "", known)?;
    let limit = p.uint("limit", 100)?;
    if !(1..=max_limit).contains(&limit) {
        return Err(format!("limit must be between 1 and {max_limit}"));
    }
    let after = match p.get("after").filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(decode_after(a).ok_or("invalid after token")?),
    };
    Ok(Spec {
        filter,
        sort,
        limit: limit as usize,
        after,
    })
}

fn full_renderer(sim: &Arc<Sim>) -> Render {
    let sim = sim.clone();
    Arc::new(move |r: &RecordRef| render_vuln(&sim.world, r))
}

/// The documented body of an expired `after` token.
fn expired(limit: usize) -> Response {
    let pagination = json!({"limit": limit, "total": 0, "after": ""});
    let errors =
        json!([{"code": 404, "message": "Search context expired, 'after' key no longer valid"}]);
    respond::json(
        404,
        &envelope(POWERED_BY, Some(pagination), json!([]), errors),
    )
}

/// Falcon's error inside a 200: empty resources, an error about scope.
fn error_in_200(limit: usize) -> Response {
    let mut m = meta(POWERED_BY, None);
    m["pagination"] = json!({"total": 0, "limit": limit});
    let errors =
        json!([{"code": 403, "message": "Access denied: insufficient scope for this action"}]);
    respond::json(200, &json!({"meta": m, "errors": errors, "resources": []}))
}

/// One page of a query: the records, the pagination block, or a ready response.
fn page(
    sim: &Arc<Sim>,
    caller: &Caller,
    p: &Params,
    max_limit: u64,
) -> Result<(Page, Value), Response> {
    let s = spec(p, max_limit).map_err(|e| bad_request(POWERED_BY, &e))?;
    let take = |name| sim.faults.take_named(caller.0.as_deref(), ENDPOINT, name);
    if take("error_in_200") {
        return Err(error_in_200(s.limit));
    }
    let now = sim.world.clock.now_ns();
    if let Some((_, issued)) = s.after {
        if take("after_expired") || now - issued > AFTER_TTL_NS {
            return Err(expired(s.limit));
        }
    }
    let render = full_renderer(sim);
    let world = &sim.world;
    let live = |r: &RecordRef| finding_live(world, r.index);
    let listing = Listing {
        data: findings(world),
        range: s.filter.range,
        residual: s.filter.residual.as_ref(),
        sort: &s.sort,
        render: &render,
        keep: Some(&live),
    };
    let (page, next) = listing
        .after(s.after.map(|(t, _)| t), s.limit)
        .map_err(|e| bad_request(POWERED_BY, &e))?;
    let after = if page.more {
        encode_after(next, now)
    } else {
        String::new()
    };
    Ok((
        page,
        json!({"limit": s.limit, "total": listing.total(), "after": after}),
    ))
}

fn facets(p: &Params) -> Result<Vec<&'static str>, String> {
    p.all("facet")
        .into_iter()
        .map(|f| {
            FACETS
                .iter()
                .find(|k| **k == f)
                .copied()
                .ok_or_else(|| format!("invalid facet {f:?}: expected one of {FACETS:?}"))
        })
        .collect()
}

/// The query string, or the 400 a malformed one gets.
fn params(uri: &Uri) -> Result<Params, Response> {
    Params::parse(uri).map_err(|e| bad_request(POWERED_BY, &e))
}

/// `GET /spotlight/combined/vulnerabilities/v1`.
pub async fn combined(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
) -> Response {
    combined_page(&sim, &caller, &uri).unwrap_or_else(|resp| resp)
}

fn combined_page(sim: &Arc<Sim>, caller: &Caller, uri: &Uri) -> Result<Response, Response> {
    let p = params(uri)?;
    let facets = facets(&p).map_err(|e| bad_request(POWERED_BY, &e))?;
    let (page, pagination) = page(sim, caller, &p, 5000)?;
    let full = full_renderer(sim);
    let render: Render = Arc::new(move |r: &RecordRef| with_facets(full(r), &facets));
    let head = envelope_head(POWERED_BY, Some(pagination));
    Ok(respond::stream_page(
        200,
        head,
        page.items,
        render,
        envelope_tail(vec![]),
    ))
}

/// `GET /spotlight/queries/vulnerabilities/v1`.
pub async fn query(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
) -> Response {
    let ids = params(&uri).and_then(|p| page(&sim, &caller, &p, 400));
    match ids {
        Ok((page, pagination)) => {
            let ids = page
                .items
                .iter()
                .map(|r| json!(vuln_id(&sim.world, r.index)));
            let body = envelope(POWERED_BY, Some(pagination), ids.collect(), json!([]));
            respond::json(200, &body)
        }
        Err(resp) => resp,
    }
}

/// `GET /spotlight/entities/vulnerabilities/v2?ids=…`.
pub async fn entities(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let p = match params(&uri) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let ids: Vec<&str> = p
        .all("ids")
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter(|v| !v.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > 400 {
        return bad_request(POWERED_BY, "between 1 and 400 ids are required");
    }
    let world = &sim.world;
    let lookup = |id: &str| {
        decode_vuln_id(world, id)
            .filter(|i| finding_live(world, *i))
            .and_then(|i| findings(world).get(i))
    };
    entities_reply(
        POWERED_BY,
        &ids,
        "vulnerability",
        lookup,
        full_renderer(&sim),
    )
}
