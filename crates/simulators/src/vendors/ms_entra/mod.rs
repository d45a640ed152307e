//! Microsoft Entra ID through Microsoft Graph v1.0: the Entra login host
//! (`POST /{tenant}/oauth2/v2.0/token`, scope `https://graph.microsoft.com/.default`,
//! shared with Defender for Endpoint) and Graph's directory: users, groups and their
//! members, app registrations, service principals and the users and groups assigned to
//! them (`appRoleAssignedTo`), and conditional-access policies
//! (`$select`, `$top`, `@odata.nextLink`), delta queries for users and groups with
//! `@removed` and `members@delta`, Graph's error envelope, 429 with `Retry-After`, and
//! each credential's app registration with its client secrets' expiry (`secrets.rs`).

mod delta;
mod errors;
mod ids;
mod lists;
pub(crate) mod login;
mod render;
mod secrets;

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{Method, Uri},
    response::Response,
    routing::get,
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::Secret,
    dataset::RecordRef,
    faults::Decision,
    idp::{
        collections::{all_specs, APPLICATIONS, GROUPS, MEMBERSHIPS, POLICIES, USERS},
        members::membership_label,
    },
    sim::{Render, Sim, SummaryExtra, VendorApi, VendorSpec},
};

use lists::Set;
use login::{client_pair, tenant_id, LoginSpec};

/// Graph's times have whole seconds.
const COLLECTIONS: [crate::collection::CollectionSpec; 5] = all_specs(1_000_000_000);

const SPEC: VendorSpec = VendorSpec {
    name: "ms_entra",
    title: "Microsoft Entra ID (Microsoft Graph v1.0 directory)",
    endpoints: &[
        "token",
        "users",
        "groups",
        "applications",
        "service_principals",
        "policies",
    ],
    collections: &COLLECTIONS,
    faults: &[],
};

/// A Graph token is for Graph (by URI or by its app id).
static LOGIN: LoginSpec = LoginSpec {
    resources: &[
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
    ],
    roles: &[
        "User.Read.All",
        "Group.Read.All",
        "Application.Read.All",
        "Policy.Read.All",
    ],
};

/// The Entra ID (Graph) simulator.
pub struct Entra;

fn routes() -> Router<Arc<Sim>> {
    let list =
        |set: Set| get(move |State(sim): State<Arc<Sim>>, uri: Uri| lists::list(sim, set, uri));
    let one = |set: Set| {
        get(
            move |State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri| {
                lists::get(sim, set, id, uri)
            },
        )
    };
    Router::new()
        .route("/v1.0/users", list(Set::Users))
        .route("/v1.0/users/delta", get(delta::users))
        // Microsoft's SDKs call the delta function as `delta()`.
        .route("/v1.0/users/delta()", get(delta::users))
        .route("/v1.0/users/{id}", one(Set::Users))
        .route("/v1.0/groups", list(Set::Groups))
        .route("/v1.0/groups/delta", get(delta::groups_delta))
        .route("/v1.0/groups/delta()", get(delta::groups_delta))
        .route("/v1.0/groups/{id}", one(Set::Groups))
        .route(
            "/v1.0/groups/{id}/members",
            get(
                |State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri| {
                    lists::members_of(sim, id, uri, false)
                },
            ),
        )
        .route(
            "/v1.0/groups/{id}/transitiveMembers",
            get(
                |State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri| {
                    lists::members_of(sim, id, uri, true)
                },
            ),
        )
        .route(
            "/v1.0/applications",
            get(|State(sim): State<Arc<Sim>>, uri: Uri| secrets::applications(sim, uri)),
        )
        .route("/v1.0/applications/{id}", one(Set::Applications))
        .route("/v1.0/servicePrincipals", list(Set::ServicePrincipals))
        .route("/v1.0/servicePrincipals/{id}", one(Set::ServicePrincipals))
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
            get(
                |State(sim): State<Arc<Sim>>, Path(id): Path<String>, uri: Uri| {
                    lists::assigned_to(sim, id, uri)
                },
            ),
        )
        .route(
            "/v1.0/identity/conditionalAccess/policies",
            list(Set::Policies),
        )
        .route(
            "/v1.0/identity/conditionalAccess/policies/{id}",
            one(Set::Policies),
        )
}

impl VendorApi for Entra {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        if let Some(rest) = path.strip_prefix("/v1.0/") {
            return match rest.split('/').next()? {
                "users" => Some("users"),
                "groups" => Some("groups"),
                "applications" => Some("applications"),
                "servicePrincipals" => Some("service_principals"),
                "identity" => Some("policies"),
                _ => None,
            };
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        login::endpoint(&segments)
    }

    fn router(&self) -> Router<Arc<Sim>> {
        login::router(&LOGIN).merge(routes())
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        login::new_secret(seed, label)
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let (id, secret) = client_pair(secret);
        json!({
            "tenant_id": tenant_id(sim.seed()),
            "client_id": id,
            "client_secret": secret,
            "login_base_url": sim.base_url,
            "graph_base_url": sim.base_url,
        })
    }

    fn error(&self, sim: &Sim, endpoint: Option<&str>, status: u16, _retry: u64) -> Response {
        match endpoint {
            Some("token") => login::aad_error(sim, status, None),
            Some(e @ ("users" | "groups")) if status == 410 => delta::resync(
                sim,
                if e == "users" {
                    Set::Users
                } else {
                    Set::Groups
                },
            ),
            _ => errors::for_status(sim.world.clock.now_ns(), status),
        }
    }

    fn decorate(
        &self,
        _sim: &Sim,
        _endpoint: Option<&str>,
        decision: &Decision,
        resp: &mut Response,
    ) {
        crate::respond::add_retry_after(resp, decision);
    }

    fn records_key(&self, endpoint: &str) -> Option<&'static str> {
        (endpoint != "token").then_some("value")
    }

    fn id_key(&self, _endpoint: &str) -> &'static str {
        "id"
    }

    fn unknown_enum(&self, endpoint: &str, record: &mut Value) {
        if !record.is_object() {
            return;
        }
        match endpoint {
            "users" => record["userType"] = json!("ExternalMember"),
            "groups" => {
                record["groupTypes"] = json!(["Unified", "DynamicMembership", "ClassicTeam"])
            }
            "policies" => record["state"] = json!("enabledForReportingAndEnforced"),
            _ => record["servicePrincipalType"] = json!("SocialIdp2"),
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        let seed = sim.seed();
        Some(match collection {
            USERS => Set::Users.id(seed, index),
            GROUPS => Set::Groups.id(seed, index),
            // An application is named by its client id (`appId`), shared by the app
            // registration and its service principal.
            APPLICATIONS => ids::encode(ids::APP_ID, seed, index),
            POLICIES => Set::Policies.id(seed, index),
            MEMBERSHIPS => membership_id(sim, index),
            _ => return None,
        })
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        let set = match collection {
            USERS => Set::Users,
            GROUPS => Set::Groups,
            APPLICATIONS => Set::ServicePrincipals,
            POLICIES => Set::Policies,
            MEMBERSHIPS => {
                return Some(Arc::new(
                    move |r: &RecordRef| json!({"id": membership_id(&sim, r.index)}),
                ))
            }
            _ => return None,
        };
        Some(Arc::new(move |r: &RecordRef| set.render(&sim.world, r)))
    }

    /// The token endpoint lives on a separate login host (served on the same listener).
    fn summary_extras(&self, sim: &Sim) -> Vec<SummaryExtra> {
        vec![
            SummaryExtra {
                key: "login_base_url",
                label: "login base URL",
                value: sim.base_url.clone(),
            },
            SummaryExtra {
                key: "graph_base_url",
                label: "Graph base URL",
                value: sim.base_url.clone(),
            },
        ]
    }
}

/// A membership as `<group id>:<user id>` (Graph has no id for it).
fn membership_id(sim: &Sim, index: u64) -> String {
    let seed = sim.seed();
    membership_label(
        &sim.world,
        index,
        |g| Set::Groups.id(seed, g),
        |u| Set::Users.id(seed, u),
    )
}
