//! `GET /api/v1/groups` (`limit` ≤ 10,000, `after`, `filter` / `search` on `lastUpdated`,
//! `lastMembershipUpdated`, `id`, `type`, `profile.name`, `q` name prefix),
//! `GET /api/v1/groups/{id}` and `GET /api/v1/groups/{id}/users` (members, `limit` ≤
//! 1,000).

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};
use serde_json::Value;

use super::{
    errors::{not_found, validation, Bad},
    ids::{self, GROUP},
    paging::{self, Limits, ListRequest, Page},
    render,
};
use crate::{
    dataset::{Key, RecordRef},
    idp::{
        collections::{groups, users},
        members::{members, Changes},
        profiles,
    },
    listing::Token,
    respond::{self, Params},
    sim::Sim,
};

const LIMITS: Limits = Limits {
    default: 10_000,
    max: 10_000,
};
const MEMBER_LIMITS: Limits = Limits {
    default: 1_000,
    max: 1_000,
};
const ATTRIBUTES: &[&str] = &[
    "lastUpdated",
    "lastMembershipUpdated",
    "created",
    "id",
    "type",
    "profile.name",
];

fn params_of(uri: &Uri) -> Result<Params, Bad> {
    Params::parse(uri).map_err(|e| Bad::Validation("query", e))
}

pub async fn list(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let req = match ListRequest::parse(&uri, ATTRIBUTES, LIMITS, GROUP, sim.seed()) {
        Ok(r) => r,
        Err(bad) => return bad.respond(),
    };
    let changes = Changes::of(&sim.world);
    let render = |r: &RecordRef| -> Option<Value> {
        let g = profiles::group(&sim.world, r);
        let v = render::group(&sim, &g, &changes);
        req.keeps(&g.name, &v).then_some(v)
    };
    let page = req.page(groups(&sim.world), GROUP, sim.seed(), render);
    paging::respond(&sim, "/api/v1/groups", &req.params, page)
}

pub async fn get(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let found = ids::decode(GROUP, sim.seed(), &id).and_then(|i| groups(&sim.world).get(i));
    match found {
        Some(r) => {
            let changes = Changes::of(&sim.world);
            respond::json(
                200,
                &render::group(&sim, &profiles::group(&sim.world, &r), &changes),
            )
        }
        None => not_found(&id, "UserGroup"),
    }
}

pub async fn users_of(State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri) -> Response {
    let params = match params_of(&uri) {
        Ok(p) => p,
        Err(bad) => return bad.respond(),
    };
    let Some(group) =
        ids::decode(GROUP, sim.seed(), &id).filter(|i| groups(&sim.world).get(*i).is_some())
    else {
        return not_found(&id, "UserGroup");
    };
    let limit = match paging::limit(&params, MEMBER_LIMITS) {
        Ok(l) => l,
        Err(e) => return validation("limit", &e),
    };
    let after = match params.get("after").filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match Token::decode(a) {
            Some(Token::Key(k)) => Some(k.index),
            _ => return validation("after", "invalid cursor"),
        },
    };
    let changes = Changes::of(&sim.world);
    let mut edges = members(&sim.world, &changes, group, after, limit + 1);
    let more = edges.len() > limit;
    edges.truncate(limit);
    let data = users(&sim.world);
    let items = edges
        .iter()
        .filter_map(|e| data.get(e.user))
        .map(|r| render::user(&sim, &profiles::user(&sim.world, &r)))
        .collect();
    let next = edges.last().filter(|_| more).map(|e| {
        Token::Key(Key {
            updated: 0,
            index: e.record,
        })
        .encode()
    });
    paging::respond(
        &sim,
        &format!("/api/v1/groups/{id}/users"),
        &params,
        Page { items, next },
    )
}
