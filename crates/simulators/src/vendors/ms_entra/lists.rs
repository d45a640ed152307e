//! Graph lists and objects: `GET /v1.0/users`, `/groups`, `/applications`,
//! `/servicePrincipals`, `/identity/conditionalAccess/policies` (`$select`, `$top` 1–999,
//! default 100, `@odata.nextLink` with an opaque `$skiptoken`), each object by id,
//! `/groups/{id}/members` and `/transitiveMembers` (no nested groups: the same users), and
//! `/servicePrincipals/{id}/appRoleAssignedTo` (the users and groups assigned to an app).

use std::sync::Arc;

use axum::{http::Uri, response::Response};
use serde_json::{json, Value};

use super::{
    errors::{bad_request, error, not_found},
    ids,
    render::{self, Principal, Type},
};
use crate::{
    dataset::{Dataset, Key, Order, RecordRef, TimeRange},
    idp::{
        assignments::{app_direct_users, app_groups},
        collections::{applications, groups, policies, users},
        members::{members, Changes},
        profiles,
    },
    listing::Token,
    odata,
    respond::{self, Params},
    sim::Sim,
    world::World,
};

/// Most records one page holds.
pub const MAX_TOP: u64 = 999;
const DEFAULT_TOP: u64 = 100;

/// A directory object set Graph lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    Users,
    Groups,
    Applications,
    ServicePrincipals,
    Policies,
}

impl Set {
    pub fn object_type(self) -> &'static Type {
        match self {
            Set::Users => &render::USER_TYPE,
            Set::Groups => &render::GROUP_TYPE,
            Set::Applications => &render::APPLICATION_TYPE,
            Set::ServicePrincipals => &render::SERVICE_PRINCIPAL_TYPE,
            Set::Policies => &render::POLICY_TYPE,
        }
    }

    pub fn data(self, world: &World) -> &Dataset {
        match self {
            Set::Users => users(world),
            Set::Groups => groups(world),
            Set::Applications | Set::ServicePrincipals => applications(world),
            Set::Policies => policies(world),
        }
    }

    /// The id of record `index`.
    pub fn id(self, seed: u64, index: u64) -> String {
        ids::encode(self.kind(), seed, index)
    }

    fn kind(self) -> ids::Kind {
        match self {
            Set::Users => ids::USER,
            Set::Groups => ids::GROUP,
            Set::Applications => ids::APPLICATION,
            Set::ServicePrincipals => ids::SERVICE_PRINCIPAL,
            Set::Policies => ids::POLICY,
        }
    }

    /// Every property of record `r`.
    pub fn render(self, world: &World, r: &RecordRef) -> Value {
        match self {
            Set::Users => render::user(world, &profiles::user(world, r)),
            Set::Groups => render::group(world, &profiles::group(world, r)),
            Set::Applications => render::application(world, &profiles::application(world, r)),
            Set::ServicePrincipals => {
                render::service_principal(world, &profiles::application(world, r))
            }
            Set::Policies => render::policy(world, &profiles::policy(world, r)),
        }
    }
}

/// `$select` and `$top` of a list request; other `$` options are refused.
pub struct ListQuery {
    pub params: Params,
    pub select: Option<Vec<String>>,
    pub top: u64,
}

/// Parses a list request for objects of type `t`.
pub fn parse(t: &Type, uri: &Uri, allowed: &[&str]) -> Result<ListQuery, String> {
    let params = Params::parse(uri)?;
    if let Some((k, _)) = params
        .0
        .iter()
        .find(|(k, _)| k.starts_with('$') && !allowed.contains(&k.as_str()))
    {
        return Err(format!(
            "Query option '{k}' is not supported by this simulator on this resource."
        ));
    }
    let select = render::parse_select(t, params.get("$select"))?;
    let top = params
        .uint("$top", DEFAULT_TOP)
        .map_err(|_| "Invalid value for $top.".to_owned())?;
    if !(1..=MAX_TOP).contains(&top) {
        return Err(format!(
            "Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP} inclusive."
        ));
    }
    Ok(ListQuery {
        params,
        select,
        top,
    })
}

/// `@odata.context` for `set` (with the selected properties, as Graph writes it).
pub fn context(sim: &Sim, set: &str, select: Option<&[String]>) -> String {
    match select {
        Some(s) => format!("{}/v1.0/$metadata#{set}({})", sim.base_url, s.join(",")),
        None => format!("{}/v1.0/$metadata#{set}", sim.base_url),
    }
}

/// The same request with `$skiptoken` moved on.
pub fn next_link(sim: &Sim, path: &str, params: &Params, token: &str) -> String {
    let mut pairs: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| k != "$skiptoken")
        .cloned()
        .collect();
    pairs.push(("$skiptoken".into(), token.to_owned()));
    odata::link(&sim.base_url, path, &pairs)
}

/// A page body: context, records, and the next link while more remain.
pub fn page(context: String, items: Vec<Value>, next: Option<String>) -> Response {
    let mut body = json!({"@odata.context": context, "value": items});
    if let Some(n) = next {
        body["@odata.nextLink"] = json!(n);
    }
    respond::json(200, &body)
}

/// `GET /v1.0/{set}`.
pub async fn list(sim: Arc<Sim>, set: Set, uri: Uri) -> Response {
    let now = sim.world.clock.now_ns();
    let t = set.object_type();
    let q = match parse(t, &uri, &["$select", "$top", "$skiptoken", "$count"]) {
        Ok(q) => q,
        Err(e) => return bad_request(now, &e),
    };
    let after = match q.params.get("$skiptoken").map(Token::decode) {
        None => None,
        Some(Some(Token::Key(k))) => Some(k),
        Some(_) => return bad_request(now, "Invalid $skiptoken."),
    };
    let data = set.data(&sim.world);
    let mut recs = data.chunk(
        TimeRange::default(),
        Order::IndexAsc,
        after,
        q.top as usize + 1,
    );
    let more = recs.len() > q.top as usize;
    recs.truncate(q.top as usize);
    let items = recs
        .iter()
        .map(|r| render::project(t, set.render(&sim.world, r), q.select.as_deref()))
        .collect();
    let next = recs.last().filter(|_| more).map(|r| {
        next_link(
            &sim,
            &format!("/v1.0/{}", t.set),
            &q.params,
            &Token::Key(Key::of(r)).encode(),
        )
    });
    page(context(&sim, t.set, q.select.as_deref()), items, next)
}

/// `GET /v1.0/{set}/{id}`.
pub async fn get(sim: Arc<Sim>, set: Set, id: String, uri: Uri) -> Response {
    let now = sim.world.clock.now_ns();
    let t = set.object_type();
    let q = match parse(t, &uri, &["$select"]) {
        Ok(q) => q,
        Err(e) => return bad_request(now, &e),
    };
    let found = ids::decode(set.kind(), sim.seed(), &id).and_then(|i| set.data(&sim.world).get(i));
    let Some(r) = found else {
        return not_found(now, &id);
    };
    let mut body = render::project(t, set.render(&sim.world, &r), q.select.as_deref());
    body["@odata.context"] = json!(format!(
        "{}/$entity",
        context(&sim, t.set, q.select.as_deref())
    ));
    respond::json(200, &body)
}

/// `GET /v1.0/groups/{id}/members` (and `transitiveMembers`): users as directoryObjects.
pub async fn members_of(sim: Arc<Sim>, id: String, uri: Uri, transitive: bool) -> Response {
    let now = sim.world.clock.now_ns();
    let t = &render::USER_TYPE;
    let q = match parse(t, &uri, &["$select", "$top", "$skiptoken", "$count"]) {
        Ok(q) => q,
        Err(e) => return bad_request(now, &e),
    };
    let Some(group) =
        ids::decode(ids::GROUP, sim.seed(), &id).filter(|g| groups(&sim.world).get(*g).is_some())
    else {
        return not_found(now, &id);
    };
    let after = match q.params.get("$skiptoken").map(Token::decode) {
        None => None,
        Some(Some(Token::Key(k))) => Some(k.index),
        Some(_) => return error(now, 400, "BadRequest", "Invalid $skiptoken."),
    };
    let changes = Changes::of(&sim.world);
    let mut edges = members(&sim.world, &changes, group, after, q.top as usize + 1);
    let more = edges.len() > q.top as usize;
    edges.truncate(q.top as usize);
    let data = users(&sim.world);
    let items = edges
        .iter()
        .filter_map(|e| data.get(e.user))
        .map(|r| {
            let mut v = render::project(t, Set::Users.render(&sim.world, &r), q.select.as_deref());
            v["@odata.type"] = json!("#microsoft.graph.user");
            v
        })
        .collect();
    let rel = if transitive {
        "transitiveMembers"
    } else {
        "members"
    };
    let next = edges.last().filter(|_| more).map(|e| {
        let token = Token::Key(Key {
            updated: 0,
            index: e.record,
        })
        .encode();
        next_link(&sim, &format!("/v1.0/groups/{id}/{rel}"), &q.params, &token)
    });
    page(
        format!("{}/v1.0/$metadata#directoryObjects", sim.base_url),
        items,
        next,
    )
}

/// `GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo`: the users assigned to the app
/// directly, then its groups (an assignment to a group covers its direct members, who are
/// not listed). Paged by position.
pub async fn assigned_to(sim: Arc<Sim>, id: String, uri: Uri) -> Response {
    let now = sim.world.clock.now_ns();
    let t = &render::APP_ROLE_ASSIGNMENT_TYPE;
    let q = match parse(t, &uri, &["$select", "$top", "$skiptoken", "$count"]) {
        Ok(q) => q,
        Err(e) => return bad_request(now, &e),
    };
    let found = ids::decode(ids::SERVICE_PRINCIPAL, sim.seed(), &id)
        .and_then(|i| applications(&sim.world).get(i));
    let Some(r) = found else {
        return not_found(now, &id);
    };
    let skip = match q.params.get("$skiptoken").map(Token::decode) {
        None => 0,
        Some(Some(Token::Offset(n))) => n as usize,
        Some(_) => return bad_request(now, "Invalid $skiptoken."),
    };
    let world = &sim.world;
    let app = profiles::application(world, &r);
    let (user_data, group_data) = (users(world), groups(world));
    let direct = app_direct_users(world, app.index, app.version);
    let assigned = app_groups(world, app.index, app.version);
    let total = direct.len() + assigned.len();
    let items = (skip..total.min(skip + q.top as usize))
        .filter_map(|k| {
            let v = match k.checked_sub(direct.len()) {
                None => user_data.get(direct[k]).map(|u| {
                    let u = profiles::user(world, &u);
                    render::app_role_assignment(world, &app, Principal::User(&u))
                }),
                Some(g) => group_data.get(assigned[g]).map(|g| {
                    let g = profiles::group(world, &g);
                    render::app_role_assignment(world, &app, Principal::Group(&g))
                }),
            }?;
            Some(render::project(t, v, q.select.as_deref()))
        })
        .collect();
    let end = skip + q.top as usize;
    let next = (end < total).then(|| {
        next_link(
            &sim,
            &format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo"),
            &q.params,
            &Token::Offset(end as u64).encode(),
        )
    });
    page(
        format!("{}/v1.0/$metadata#appRoleAssignments", sim.base_url),
        items,
        next,
    )
}
