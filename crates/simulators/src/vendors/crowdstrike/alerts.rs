//! Alerts: `GET /alerts/queries/alerts/v2` (composite ids; `offset` within a 10,000
//! window, or `after` tokens), `POST /alerts/entities/alerts/v2` (`composite_ids`) and
//! `POST /alerts/combined/alerts/v1` (full alerts, `after` tokens).

use std::sync::Arc;

use axum::{extract::State, http::Uri, response::Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    data::{known_fields, render_alert},
    ids::{alert_composite_id, decode_composite_id},
};
use crate::{
    dataset::RecordRef,
    edr::collections::alerts,
    filter::{Cond, Lit, Op},
    listing::{parse_sort, Listing, Sort, Token},
    respond::{self, Params, Render},
    sim::Sim,
    vendors::falcon::{
        envelope::{bad_request, entities_reply, envelope, envelope_head, envelope_tail},
        fql,
    },
};

const POWERED_BY: &str = "detectsapi";
const WINDOW: u64 = 10_000;
/// Fields the free-text `q` parameter searches.
const Q_FIELDS: &[&str] = &[
    "name",
    "display_name",
    "description",
    "device.hostname",
    "filename",
    "cmdline",
    "user_name",
];

fn renderer(sim: &Arc<Sim>) -> Render {
    let sim = sim.clone();
    Arc::new(move |r: &RecordRef| render_alert(&sim.world, r))
}

/// A parsed alert query.
struct Spec {
    filter: fql::Filter,
    sort: Sort,
    limit: usize,
}

fn spec(
    filter: Option<&str>,
    sort: Option<&str>,
    q: Option<&str>,
    limit: u64,
    max: u64,
) -> Result<Spec, String> {
    let known = known_fields("alerts");
    let mut filter = fql::parse(filter.unwrap_or(""), "updated_timestamp", known)?;
    if let Some(q) = q.filter(|q| !q.trim().is_empty()) {
        let text = Cond::Or(
            Q_FIELDS
                .iter()
                .map(|f| Cond::cmp(f, Op::Like, Lit::Str(format!("*{q}*"))))
                .collect(),
        );
        filter.residual = Some(match filter.residual.take() {
            Some(c) => Cond::And(vec![c, text]),
            None => text,
        });
    }
    let sort = parse_sort(sort, "updated_timestamp", "created_timestamp", known)?;
    if !(1..=max).contains(&limit) {
        return Err(format!("limit must be between 1 and {max}"));
    }
    Ok(Spec {
        filter,
        sort,
        limit: limit as usize,
    })
}

fn listing<'a>(sim: &'a Sim, s: &'a Spec, render: &'a Render) -> Listing<'a> {
    Listing {
        data: alerts(&sim.world),
        range: s.filter.range,
        residual: s.filter.residual.as_ref(),
        sort: &s.sort,
        render,
        keep: None,
    }
}

fn token(t: Option<&str>) -> Result<Option<Token>, String> {
    match t.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Token::decode(t)
            .map(Some)
            .ok_or_else(|| "invalid after token".into()),
    }
}

pub async fn query(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let parsed = Params::parse(&uri).and_then(|p| {
        p.boolean("include_hidden", true)?;
        let s = spec(
            p.get("filter"),
            p.get("sort"),
            p.get("q"),
            p.uint("limit", 100)?,
            10_000,
        )?;
        let offset = p.uint("offset", 0)?;
        if offset >= WINDOW {
            return Err(format!("offset must be less than {WINDOW}"));
        }
        Ok((s, offset, token(p.get("after"))?))
    });
    let (s, offset, after) = match parsed {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let render = renderer(&sim);
    let l = listing(&sim, &s, &render);
    let result = match after {
        Some(t) => l
            .after(Some(t), s.limit)
            .map(|(page, next)| (page, Some(next))),
        None => {
            let limit = s.limit.min((WINDOW - offset) as usize);
            l.at(offset, limit).map(|page| {
                // Where an `after` continuation would resume: past this page's last record.
                let next = match &s.sort {
                    Sort::Native(_) => page
                        .items
                        .last()
                        .map(|r| Token::Key(crate::dataset::Key::of(r))),
                    Sort::Field { .. } => Some(Token::Offset(offset + page.items.len() as u64)),
                };
                (page, next)
            })
        }
    };
    let (page, next) = match result {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let mut pagination = json!({"offset": offset, "limit": s.limit, "total": l.total()});
    if let (true, Some(next)) = (page.more, next) {
        pagination["after"] = json!(next.encode());
    }
    let ids: Vec<Value> = page
        .items
        .iter()
        .map(|r| json!(alert_composite_id(&sim.world, r.index)))
        .collect();
    respond::json(
        200,
        &envelope(POWERED_BY, Some(pagination), Value::Array(ids), json!([])),
    )
}

#[derive(Deserialize)]
struct EntitiesBody {
    composite_ids: Vec<String>,
}

pub async fn entities(State(sim): State<Arc<Sim>>, uri: Uri, body: Bytes) -> Response {
    if let Err(e) = Params::parse(&uri).and_then(|p| p.boolean("include_hidden", true)) {
        return bad_request(POWERED_BY, &e);
    }
    let ids = match serde_json::from_slice::<EntitiesBody>(&body) {
        Ok(b) if b.composite_ids.is_empty() => {
            return bad_request(POWERED_BY, "composite_ids is required")
        }
        Ok(b) if b.composite_ids.len() > 5000 => {
            return bad_request(POWERED_BY, "at most 5000 composite_ids per request")
        }
        Ok(b) => b.composite_ids,
        Err(e) => return bad_request(POWERED_BY, &format!("invalid request body: {e}")),
    };
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let lookup =
        |id: &str| decode_composite_id(&sim.world, id).and_then(|i| alerts(&sim.world).get(i));
    entities_reply(POWERED_BY, &ids, "alert", lookup, renderer(&sim))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CombinedBody {
    filter: Option<String>,
    sort: Option<String>,
    limit: Option<u64>,
    after: Option<String>,
}

pub async fn combined(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<CombinedBody>(&body)
        .map_err(|e| format!("invalid request body: {e}"))
        .and_then(|b| {
            let s = spec(
                b.filter.as_deref(),
                b.sort.as_deref(),
                None,
                b.limit.unwrap_or(100),
                1000,
            )?;
            Ok((s, token(b.after.as_deref())?))
        });
    let (s, after) = match parsed {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let render = renderer(&sim);
    let l = listing(&sim, &s, &render);
    let (page, next) = match l.after(after, s.limit) {
        Ok(v) => v,
        Err(e) => return bad_request(POWERED_BY, &e),
    };
    let mut pagination = json!({"total": l.total(), "limit": s.limit});
    if page.more {
        pagination["after"] = json!(next.encode());
    }
    respond::stream_page(
        200,
        envelope_head(POWERED_BY, Some(pagination)),
        page.items,
        render,
        envelope_tail(vec![]),
    )
}
