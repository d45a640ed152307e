//! `GET /api/v1/policies?type=…` (`type` required: `OKTA_SIGN_ON`, `PASSWORD`,
//! `MFA_ENROLL`, `IDP_DISCOVERY`, `ACCESS_POLICY`, `PROFILE_ENROLLMENT`,
//! `POST_AUTH_SESSION`, `ENTITY_RISK`, `DEVICE_SIGNAL_COLLECTION`; `status`, `limit`,
//! `after`), in priority order with the type's default policy last,
//! `GET /api/v1/policies/{id}`, and `GET /api/v1/policies/{id}/app` (the apps mapped to an
//! authentication policy, `ACCESS_POLICY`: every app is mapped to exactly one; other
//! types list none).

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};

use super::{
    errors::{not_found, validation},
    ids::{self, POLICY},
    paging::{self, Limits},
    render,
};
use crate::{
    idp::{
        assignments::access_policy_apps,
        catalog::POLICY_TYPES,
        collections::{applications, policies},
        profiles,
    },
    respond::{self, Params},
    sim::Sim,
};

const LIMITS: Limits = Limits {
    default: 20,
    max: 200,
};

pub async fn list(State(sim): State<Arc<Sim>>, uri: Uri) -> Response {
    let params = match Params::parse(&uri) {
        Ok(p) => p,
        Err(e) => return validation("query", &e),
    };
    let Some(kind) = params.get("type").filter(|t| !t.is_empty()) else {
        return validation("type", "The field cannot be left blank");
    };
    if !POLICY_TYPES.contains(&kind) {
        return validation("type", &format!("'{kind}' is not a valid policy type"));
    }
    let status = params.get("status");
    let data = policies(&sim.world);
    let mut found: Vec<_> = (0..data.created())
        .filter_map(|i| data.get(i))
        .map(|r| profiles::policy(&sim.world, &r))
        .filter(|p| p.kind == kind)
        .filter(|p| {
            status.is_none_or(|s| {
                s.eq_ignore_ascii_case(if p.active { "ACTIVE" } else { "INACTIVE" })
            })
        })
        .collect();
    found.sort_by_key(|p| (p.priority, p.index));
    let all = found.iter().map(|p| render::policy(&sim, p)).collect();
    let page = paging::limit(&params, LIMITS).and_then(|limit| paging::slice(all, &params, limit));
    match page {
        Ok(page) => paging::respond(&sim, "/api/v1/policies", &params, page),
        Err(e) => validation("after", &e),
    }
}

pub async fn get(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let found = ids::decode(POLICY, sim.seed(), &id).and_then(|i| policies(&sim.world).get(i));
    match found {
        Some(r) => respond::json(
            200,
            &render::policy(&sim, &profiles::policy(&sim.world, &r)),
        ),
        None => not_found(&id, "Policy"),
    }
}

pub async fn apps_of(State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri) -> Response {
    let params = match Params::parse(&uri) {
        Ok(p) => p,
        Err(e) => return validation("query", &e),
    };
    let found = ids::decode(POLICY, sim.seed(), &id).and_then(|i| policies(&sim.world).get(i));
    let Some(r) = found else {
        return not_found(&id, "Policy");
    };
    let policy = profiles::policy(&sim.world, &r);
    let apps = applications(&sim.world);
    let all = access_policy_apps(&sim.world, &policy)
        .into_iter()
        .filter_map(|a| apps.get(a))
        .map(|a| render::app(&sim, &profiles::application(&sim.world, &a)))
        .collect();
    let page = paging::limit(&params, LIMITS).and_then(|limit| paging::slice(all, &params, limit));
    match page {
        Ok(page) => paging::respond(&sim, &format!("/api/v1/policies/{id}/app"), &params, page),
        Err(e) => validation("after", &e),
    }
}
