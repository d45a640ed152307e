//! `GET /api/v1/users` (`limit` ≤ 200, `after`, `filter` / `search` on `lastUpdated`,
//! `status`, `id`, `profile.*`, `q` prefix search) and `GET /api/v1/users/{id}`. The plain
//! list leaves out `DEPROVISIONED` users; a filter or search includes them. A filter on
//! `lastUpdated` lists oldest change first, so increments page by update time.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};
use serde_json::Value;

use super::{
    errors::{not_found, validation, Bad},
    expr,
    ids::{self, USER},
    paging::{self, Limits},
    render,
};
use crate::{
    dataset::{Key, Order, RecordRef, TimeRange},
    filter::{split_native, Cond},
    idp::{
        collections::users,
        profiles::{self, Status},
    },
    listing::Token,
    respond::{self, Params},
    sim::Sim,
};

const LIMITS: Limits = Limits {
    default: 200,
    max: 200,
};
/// `q` answers at most this many, without paging.
const Q_LIMIT: Limits = Limits {
    default: 10,
    max: 200,
};
const ATTRIBUTES: &[&str] = &[
    "lastUpdated",
    "created",
    "status",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
    "profile.department",
    "profile.title",
    "profile.employeeNumber",
];

/// What a users request asks for.
enum Select {
    /// Every user but deprovisioned ones, in creation order.
    Plain,
    /// An expression: a native update-time range and what is left per record.
    Expr(TimeRange, Option<Cond>),
    /// A prefix of first name, last name or email.
    Prefix(String),
}

fn parse(params: &Params) -> Result<Select, Bad> {
    if let Some(q) = params.get("q").filter(|q| !q.is_empty()) {
        return Ok(Select::Prefix(q.to_lowercase()));
    }
    let text = match (params.get("filter"), params.get("search")) {
        (Some(f), None) | (None, Some(f)) if !f.trim().is_empty() => f,
        (Some(_), Some(_)) => {
            return Err(Bad::Validation(
                "search",
                "Cannot use filter and search together".into(),
            ))
        }
        _ => return Ok(Select::Plain),
    };
    let cond = expr::parse(text, ATTRIBUTES).map_err(Bad::Search)?;
    let (range, rest) = split_native(cond, "lastUpdated");
    Ok(Select::Expr(range, rest))
}

pub async fn list(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let params = match Params::parse(&uri) {
        Ok(p) => p,
        Err(e) => return validation("query", &e),
    };
    let select = match parse(&params) {
        Ok(s) => s,
        Err(bad) => return bad.respond(),
    };
    let limits = if matches!(select, Select::Prefix(_)) {
        Q_LIMIT
    } else {
        LIMITS
    };
    let limit = match paging::limit(&params, limits) {
        Ok(l) => l,
        Err(e) => return validation("limit", &e),
    };
    let by_time = matches!(&select, Select::Expr(r, _) if r.since.is_some() || r.until.is_some());
    let after = match cursor(&sim, &params, by_time) {
        Ok(a) => a,
        Err(e) => return validation("after", &e),
    };
    let world = &sim.world;
    let render = |r: &RecordRef| -> Option<Value> {
        let u = profiles::user(world, r);
        match &select {
            Select::Plain => (u.status != Status::Deprovisioned).then(|| render::user(&sim, &u)),
            Select::Prefix(p) => {
                let hit = [u.first, u.last]
                    .iter()
                    .any(|n| n.to_lowercase().starts_with(p.as_str()))
                    || u.login().starts_with(p.as_str());
                hit.then(|| render::user(&sim, &u))
            }
            Select::Expr(_, rest) => {
                let v = render::user(&sim, &u);
                rest.as_ref().is_none_or(|c| c.matches(&v)).then_some(v)
            }
        }
    };
    let (range, order) = match &select {
        Select::Expr(range, _) if by_time => (*range, Order::UpdatedAsc),
        _ => (TimeRange::default(), Order::IndexAsc),
    };
    let seed = sim.seed();
    let next = |r: &RecordRef| match by_time {
        true => Token::Key(Key::of(r)).encode(),
        false => ids::encode(USER, seed, r.index),
    };
    let mut page = paging::walk(users(world), range, order, after, limit, render, next);
    if matches!(select, Select::Prefix(_)) {
        // `q` never pages.
        page.next = None;
    }
    paging::respond(&sim, "/api/v1/users", &params, page)
}

/// The position `after` names: a user id in creation order, an opaque key by update time.
fn cursor(sim: &Sim, params: &Params, by_time: bool) -> Result<Option<Key>, String> {
    let Some(after) = params.get("after").filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let key = if by_time {
        match Token::decode(after) {
            Some(Token::Key(k)) => Some(k),
            _ => None,
        }
    } else {
        ids::decode(USER, sim.seed(), after).map(|index| Key { updated: 0, index })
    };
    key.map(Some)
        .ok_or_else(|| format!("invalid cursor {after:?}"))
}

pub async fn get(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let found = ids::decode(USER, sim.seed(), &id).and_then(|i| users(&sim.world).get(i));
    match found {
        Some(r) => respond::json(200, &render::user(&sim, &profiles::user(&sim.world, &r))),
        None => not_found(&id, "User"),
    }
}
