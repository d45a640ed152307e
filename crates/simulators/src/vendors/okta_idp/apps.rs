//! `GET /api/v1/apps` (`limit` ≤ 200, `after`, `filter` on `status`, `name`, `id`, `q`
//! label prefix), `GET /api/v1/apps/{id}`, `GET /api/v1/apps/{id}/users` (direct
//! assignments `scope: USER`, then members of assigned groups `scope: GROUP`; `limit` ≤
//! 500) and `GET /api/v1/apps/{id}/groups` (`limit` ≤ 200).

use std::{collections::HashSet, sync::Arc};

use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};
use serde_json::Value;

use super::{
    errors::{not_found, validation, Bad},
    ids::{self, APP},
    paging::{self, Limits, ListRequest},
    render,
};
use crate::{
    dataset::RecordRef,
    idp::{
        assignments::app_direct_users,
        collections::{applications, users},
        members::{members, Changes},
        profiles::{self, AppCore, Status},
    },
    respond::{self, Params},
    sim::Sim,
};

const LIMITS: Limits = Limits {
    default: 20,
    max: 200,
};
const USER_LIMITS: Limits = Limits {
    default: 50,
    max: 500,
};
const GROUP_LIMITS: Limits = Limits {
    default: 20,
    max: 200,
};

fn params_of(uri: &Uri) -> Result<Params, Bad> {
    Params::parse(uri).map_err(|e| Bad::Validation("query", e))
}

pub async fn list(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let req = match ListRequest::parse(&uri, &["status", "name", "id"], LIMITS, APP, sim.seed()) {
        Ok(r) => r,
        Err(bad) => return bad.respond(),
    };
    let render = |r: &RecordRef| -> Option<Value> {
        let a = profiles::application(&sim.world, r);
        let v = render::app(&sim, &a);
        req.keeps(&a.label, &v).then_some(v)
    };
    let page = req.page(applications(&sim.world), APP, sim.seed(), render);
    paging::respond(&sim, "/api/v1/apps", &req.params, page)
}

fn find(sim: &Sim, id: &str) -> Option<AppCore> {
    let r = ids::decode(APP, sim.seed(), id).and_then(|i| applications(&sim.world).get(i))?;
    Some(profiles::application(&sim.world, &r))
}

pub async fn get(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    match find(&sim, &id) {
        Some(a) => respond::json(200, &render::app(&sim, &a)),
        None => not_found(&id, "AppInstance"),
    }
}

/// Every user assigned to `app`: direct ones first, then through groups (each once).
fn assigned_users(sim: &Sim, app: &AppCore) -> Vec<Value> {
    let world = &sim.world;
    let data = users(world);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut add = |index: u64, direct: bool| {
        let Some(r) = data.get(index) else { return };
        let u = profiles::user(world, &r);
        // Deactivation removes a user's app assignments.
        if u.status != Status::Deprovisioned && seen.insert(index) {
            out.push(render::app_user(sim, app, &u, direct));
        }
    };
    for u in app_direct_users(world, app.index, app.version) {
        add(u, true);
    }
    let changes = Changes::of(world);
    for g in render::assigned_groups(sim, app) {
        for e in members(world, &changes, g, None, usize::MAX) {
            add(e.user, false);
        }
    }
    out
}

pub async fn users_of(State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri) -> Response {
    let params = match params_of(&uri) {
        Ok(p) => p,
        Err(bad) => return bad.respond(),
    };
    let Some(app) = find(&sim, &id) else {
        return not_found(&id, "AppInstance");
    };
    let page = paging::limit(&params, USER_LIMITS)
        .and_then(|limit| paging::slice(assigned_users(&sim, &app), &params, limit));
    match page {
        Ok(page) => paging::respond(&sim, &format!("/api/v1/apps/{id}/users"), &params, page),
        Err(e) => validation("after", &e),
    }
}

pub async fn groups_of(State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri) -> Response {
    let params = match params_of(&uri) {
        Ok(p) => p,
        Err(bad) => return bad.respond(),
    };
    let Some(app) = find(&sim, &id) else {
        return not_found(&id, "AppInstance");
    };
    let all = render::assigned_groups(&sim, &app)
        .into_iter()
        .enumerate()
        .map(|(priority, g)| render::app_group(&sim, &app, g, priority))
        .collect();
    let page =
        paging::limit(&params, GROUP_LIMITS).and_then(|limit| paging::slice(all, &params, limit));
    match page {
        Ok(page) => paging::respond(&sim, &format!("/api/v1/apps/{id}/groups"), &params, page),
        Err(e) => validation("after", &e),
    }
}
