//! `GET /web/api/v2.1/agents` and `/threats`: `limit` (1–1000), `cursor`, `skip`
//! (≤ 1000), `updatedAt__gt|gte|lt|lte|between`, `sortBy`/`sortOrder`, `skipCount`,
//! `countOnly`, `ids` and the list filters below. Responses are
//! `{"data": [...], "pagination": {"nextCursor", "totalItems"}}`.

use std::sync::Arc;

use axum::{extract::State, http::Uri, response::Response};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::json;

use super::{
    agents::{self, decode_agent_id, Tenant},
    errors::bad_request,
    threats,
};
use crate::{
    dataset::{Dataset, Key, Order, RecordRef, TimeRange},
    edr::collections::{alerts, devices},
    fake::parse_ts,
    filter::{Cond, Lit, Op},
    query::{page_of, Page, Query},
    respond::{self, Params, Render},
    sim::Sim,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Agents,
    Threats,
}

/// How a list parameter filters.
#[derive(Clone, Copy)]
enum F {
    /// Comma-separated values, any of which matches (with a `…Nin` negated form).
    List,
    Bool,
    Exact,
    Contains,
    /// `__gt`, `__gte`, `__lt`, `__lte` suffixes.
    Time,
}

const AGENT_FILTERS: &[(&str, &str, F)] = &[
    ("computerName", "computerName", F::Exact),
    ("computerName__contains", "computerName", F::Contains),
    ("osTypes", "osType", F::List),
    ("machineTypes", "machineType", F::List),
    ("networkStatuses", "networkStatus", F::List),
    ("siteIds", "siteId", F::List),
    ("accountIds", "accountId", F::List),
    ("groupIds", "groupId", F::List),
    ("uuids", "uuid", F::List),
    ("isActive", "isActive", F::Bool),
    ("infected", "infected", F::Bool),
    ("isDecommissioned", "isDecommissioned", F::Bool),
    ("isUpToDate", "isUpToDate", F::Bool),
    ("lastActiveDate", "lastActiveDate", F::Time),
    ("createdAt", "createdAt", F::Time),
    ("registeredAt", "registeredAt", F::Time),
];

const THREAT_FILTERS: &[(&str, &str, F)] = &[
    ("incidentStatuses", "threatInfo.incidentStatus", F::List),
    ("analystVerdicts", "threatInfo.analystVerdict", F::List),
    ("confidenceLevels", "threatInfo.confidenceLevel", F::List),
    ("mitigationStatuses", "threatInfo.mitigationStatus", F::List),
    ("classifications", "threatInfo.classification", F::List),
    ("agentIds", "agentRealtimeInfo.agentId", F::List),
    ("osTypes", "agentRealtimeInfo.agentOsType", F::List),
    ("siteIds", "agentRealtimeInfo.siteId", F::List),
    ("accountIds", "agentRealtimeInfo.accountId", F::List),
    ("groupIds", "agentRealtimeInfo.groupId", F::List),
    (
        "computerName__contains",
        "agentRealtimeInfo.agentComputerName",
        F::Contains,
    ),
    ("createdAt", "threatInfo.createdAt", F::Time),
    ("identifiedAt", "threatInfo.identifiedAt", F::Time),
];

const COMMON: &[&str] = &[
    "limit",
    "skip",
    "cursor",
    "sortBy",
    "sortOrder",
    "skipCount",
    "countOnly",
    "ids",
];

/// A parsed list request.
struct Request {
    limit: usize,
    skip: u64,
    after: Option<Key>,
    order: Order,
    sort_by: &'static str,
    skip_count: bool,
    count_only: bool,
    range: TimeRange,
    residual: Option<Cond>,
    ids: Option<Vec<u64>>,
}

pub async fn agents(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    list(sim, Kind::Agents, &uri)
}

pub async fn threats(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    list(sim, Kind::Threats, &uri)
}

fn list(sim: Arc<Sim>, kind: Kind, uri: &Uri) -> Response {
    let req = match Params::parse(uri).and_then(|p| parse(&sim, kind, &p)) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let tenant = Arc::new(Tenant::new(sim.seed()));
    let render: Render = {
        let (sim, tenant) = (sim.clone(), tenant.clone());
        Arc::new(move |r: &RecordRef| match kind {
            Kind::Agents => agents::render(&sim.world, &tenant, r),
            Kind::Threats => threats::render(&sim.world, &tenant, r),
        })
    };
    let data = dataset(&sim, kind);
    let residual = req.residual.clone();
    let filter = |r: &RecordRef| residual.as_ref().is_none_or(|c| c.matches(&render(r)));
    let query = Query {
        data,
        range: req.range,
        order: req.order,
        filter: req
            .residual
            .as_ref()
            .map(|_| &filter as &(dyn Fn(&RecordRef) -> bool + Sync)),
    };
    let (page, total) = match &req.ids {
        Some(ids) => {
            let found: Vec<RecordRef> = ids
                .iter()
                .filter_map(|i| data.get(*i))
                .filter(|r| req.range.contains(r.updated) && filter(r))
                .collect();
            let total = found.len() as u64;
            (
                page_of(found, req.order, req.after, req.skip, req.limit),
                total,
            )
        }
        None if req.count_only => (Page::default(), query.count()),
        None => {
            let page = match req.after {
                Some(_) => query.after(req.after, req.limit),
                None => query.at(req.skip, req.limit),
            };
            let total = if req.skip_count { 0 } else { query.count() };
            (page, total)
        }
    };
    if req.count_only {
        return respond::json(
            200,
            &json!({"data": [], "pagination": {"nextCursor": null, "totalItems": total}}),
        );
    }
    let next = page
        .more
        .then(|| {
            page.items
                .last()
                .map(|r| cursor(&sim, kind, req.sort_by, req.order, r))
        })
        .flatten();
    let total = (!req.skip_count).then_some(total);
    let tail = format!(
        "],\"pagination\":{}}}",
        json!({"nextCursor": next, "totalItems": total})
    );
    respond::stream_page(200, "{\"data\":[".into(), page.items, render, tail)
}

fn dataset(sim: &Sim, kind: Kind) -> &Dataset {
    match kind {
        Kind::Agents => devices(&sim.world),
        Kind::Threats => alerts(&sim.world),
    }
}

fn parse(sim: &Sim, kind: Kind, p: &Params) -> Result<Request, String> {
    let filters = match kind {
        Kind::Agents => AGENT_FILTERS,
        Kind::Threats => THREAT_FILTERS,
    };
    check_names(p, kind, filters)?;
    let limit = p.uint("limit", 10)?;
    if !(1..=1000).contains(&limit) {
        return Err(format!("limit: must be between 1 and 1000, got {limit}"));
    }
    let skip = p.uint("skip", 0)?;
    if skip > 1000 {
        return Err("skip: must be between 0 and 1000; use cursor to go further".into());
    }
    let (order, sort_by) = sort(p)?;
    let after = match p.get("cursor").filter(|c| !c.is_empty()) {
        Some(_) if skip > 0 => return Err("cursor and skip cannot be used together".into()),
        Some(c) => Some(decode_cursor(sim, kind, c, sort_by, order)?),
        None => None,
    };
    let mut conds = Vec::new();
    for (name, path, how) in filters {
        conds.extend(filter_conds(p, name, path, *how)?);
    }
    if kind == Kind::Threats && p.get("resolved").is_some() {
        let op = if p.boolean("resolved", false)? {
            Op::Eq
        } else {
            Op::Ne
        };
        conds.push(Cond::cmp(
            "threatInfo.incidentStatus",
            op,
            Lit::Str("resolved".into()),
        ));
    }
    let ids = p.get("ids").map(|v| decode_ids(sim, kind, v));
    Ok(Request {
        limit: limit as usize,
        skip,
        after,
        order,
        sort_by,
        skip_count: p.boolean("skipCount", false)?,
        count_only: p.boolean("countOnly", false)?,
        range: updated_range(p)?,
        residual: (!conds.is_empty()).then_some(Cond::And(conds)),
        ids,
    })
}

/// Unknown parameters are refused, so a client never silently gets unfiltered data.
fn check_names(p: &Params, kind: Kind, filters: &[(&str, &str, F)]) -> Result<(), String> {
    for (name, _) in &p.0 {
        let base = name.split("__").next().unwrap_or(name);
        let known = COMMON.contains(&name.as_str())
            || (kind == Kind::Threats && name == "resolved")
            || base == "updatedAt"
            || filters.iter().any(|(f, _, how)| match how {
                F::Time => base == *f,
                F::List => name == f || *name == format!("{f}Nin"),
                _ => name == f,
            });
        if !known {
            return Err(format!("{name}: unknown or unsupported parameter"));
        }
    }
    Ok(())
}

fn sort(p: &Params) -> Result<(Order, &'static str), String> {
    let desc = match p.get("sortOrder").unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => return Err(format!("sortOrder: must be asc or desc, got {other:?}")),
    };
    let by = match p.get("sortBy").unwrap_or("id") {
        "updatedAt" => "updatedAt",
        "createdAt" => "createdAt",
        "id" => "id",
        other => {
            return Err(format!(
                "sortBy: {other:?} is not supported by the simulator (updatedAt, createdAt, id)"
            ))
        }
    };
    let order = match (by, desc) {
        ("updatedAt", false) => Order::UpdatedAsc,
        ("updatedAt", true) => Order::UpdatedDesc,
        // Ids and creation times grow with the index.
        (_, false) => Order::IndexAsc,
        (_, true) => Order::IndexDesc,
    };
    Ok((order, by))
}

fn time_param(p: &Params, name: &str) -> Result<Option<i64>, String> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => parse_ts(v)
            .map(Some)
            .ok_or_else(|| format!("{name}: {v:?} is not an ISO-8601 date-time")),
    }
}

/// The native update-time range (`updatedAt__*`).
fn updated_range(p: &Params) -> Result<TimeRange, String> {
    let mut range = TimeRange {
        since: time_param(p, "updatedAt__gte")?,
        until: time_param(p, "updatedAt__lte")?,
    };
    if let Some(t) = time_param(p, "updatedAt__gt")? {
        range = range.and(TimeRange {
            since: Some(t + 1),
            until: None,
        });
    }
    if let Some(t) = time_param(p, "updatedAt__lt")? {
        range = range.and(TimeRange {
            since: None,
            until: Some(t - 1),
        });
    }
    if let Some(v) = p.get("updatedAt__between") {
        let (a, b) = v
            .split_once('-')
            .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)))
            .ok_or_else(|| format!("updatedAt__between: expected <fromMs>-<toMs>, got {v:?}"))?;
        range = range.and(TimeRange {
            since: Some(a * 1_000_000),
            until: Some(b * 1_000_000 + 999_999),
        });
    }
    Ok(range)
}

fn filter_conds(p: &Params, name: &str, path: &str, how: F) -> Result<Vec<Cond>, String> {
    let mut out = Vec::new();
    let list = |v: &str| {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    };
    match how {
        F::List => {
            if let Some(v) = p.get(name) {
                out.push(Cond::any_of(path, &list(v)));
            }
            if let Some(v) = p.get(&format!("{name}Nin")) {
                out.push(Cond::Not(Box::new(Cond::any_of(path, &list(v)))));
            }
        }
        F::Bool => {
            if p.get(name).is_some() {
                out.push(Cond::cmp(path, Op::Eq, Lit::Bool(p.boolean(name, false)?)));
            }
        }
        F::Exact => {
            if let Some(v) = p.get(name) {
                out.push(Cond::any_of(path, &list(v)));
            }
        }
        F::Contains => {
            if let Some(v) = p.get(name) {
                out.push(Cond::cmp(path, Op::Like, Lit::Str(format!("*{v}*"))));
            }
        }
        F::Time => {
            for (suffix, op) in [
                ("gt", Op::Gt),
                ("gte", Op::Ge),
                ("lt", Op::Lt),
                ("lte", Op::Le),
            ] {
                let key = format!("{name}__{suffix}");
                if let Some(t) = time_param(p, &key)? {
                    out.push(Cond::cmp(path, op, Lit::Str(crate::fake::fmt_ts(t, 9))));
                }
            }
        }
    }
    Ok(out)
}

fn decode_ids(sim: &Sim, kind: Kind, v: &str) -> Vec<u64> {
    v.split(',')
        .filter_map(|id| match kind {
            Kind::Agents => decode_agent_id(sim.seed(), id.trim()),
            Kind::Threats => threats::decode_threat_id(sim.seed(), id.trim()),
        })
        .collect()
}

fn prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Agents => "agent_id",
        Kind::Threats => "threat_id",
    }
}

/// An opaque cursor: base64 of the last record's id and sort position.
fn cursor(sim: &Sim, kind: Kind, sort_by: &str, order: Order, last: &RecordRef) -> String {
    let id = match kind {
        Kind::Agents => agents::agent_id(sim.seed(), last.index),
        Kind::Threats => threats::threat_id(sim.seed(), last.index),
    };
    let dir = if matches!(order, Order::UpdatedDesc | Order::IndexDesc) {
        "desc"
    } else {
        "asc"
    };
    STANDARD.encode(format!(
        "{}:{id},{sort_by},{dir},{}",
        prefix(kind),
        last.updated
    ))
}

fn decode_cursor(
    sim: &Sim,
    kind: Kind,
    c: &str,
    sort_by: &str,
    order: Order,
) -> Result<Key, String> {
    let bad = || "cursor: invalid or from another query".to_owned();
    let text = STANDARD
        .decode(c.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let rest = text
        .strip_prefix(prefix(kind))
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split(',').collect();
    let dir = if matches!(order, Order::UpdatedDesc | Order::IndexDesc) {
        "desc"
    } else {
        "asc"
    };
    if parts.len() != 4 || parts[1] != sort_by || parts[2] != dir {
        return Err(bad());
    }
    let index = match kind {
        Kind::Agents => decode_agent_id(sim.seed(), parts[0]),
        Kind::Threats => threats::decode_threat_id(sim.seed(), parts[0]),
    }
    .ok_or_else(bad)?;
    let updated = parts[3].parse().map_err(|_| bad())?;
    Ok(Key { updated, index })
}
