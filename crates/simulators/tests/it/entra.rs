//! Entra ID (Graph) over real HTTP: the login host, every list paged to the end by
//! `@odata.nextLink`, `$select`, delta queries with `@removed` and `members@delta`,
//! expired and unknown delta tokens, faults (per-resource 403, 429, 401), and an app
//! reading its own registration (its client secrets' expiry).

use std::collections::HashSet;

use serde_json::Value;
use tributary_simulators::{spawn, SimVendor};

use crate::{idp_support::*, support::strings};

#[tokio::test]
async fn client_credentials_for_graph_and_graph_errors() {
    let sim = idp_sim(SimVendor::MsEntra, 5, 2, 4).await;
    let creds = sim.credentials();
    let keys: HashSet<&str> = creds
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from([
            "tenant_id",
            "client_id",
            "client_secret",
            "login_base_url",
            "graph_base_url"
        ])
    );
    assert_eq!(creds["graph_base_url"], sim.base_url());
    let token = graph_token(&creds).await;
    assert_eq!(token.split('.').count(), 3);
    let defender_scope =
        graph_token_reply(&creds, "https://api.securitycenter.microsoft.com/.default").await;
    assert_eq!(defender_scope.body["error"], "invalid_scope");
    let discovery = graph(
        &sim,
        "",
        &format!(
            "/{}/v2.0/.well-known/openid-configuration",
            creds["tenant_id"].as_str().unwrap()
        ),
    )
    .await;
    assert!(discovery.body["token_endpoint"]
        .as_str()
        .unwrap()
        .ends_with("/oauth2/v2.0/token"));
}

#[tokio::test]
async fn graph_errors_have_graphs_envelope() {
    let sim = idp_sim(SimVendor::MsEntra, 5, 2, 4).await;
    let token = graph_token(&sim.credentials()).await;
    let denied = graph(&sim, "forged", "/v1.0/users").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.body["error"]["code"], "InvalidAuthenticationToken");
    assert!(denied.body["error"]["innerError"]["request-id"].is_string());
    let missing = graph(
        &sim,
        &token,
        "/v1.0/users/00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(
        (
            missing.status.as_u16(),
            missing.body["error"]["code"].as_str()
        ),
        (404, Some("Request_ResourceNotFound"))
    );
    let too_big = graph(&sim, &token, "/v1.0/users?$top=1000").await;
    assert_eq!(too_big.status, 400);
    assert!(too_big.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("between 1 and 999"));
    let unknown = graph(&sim, &token, "/v1.0/users?$select=nickName").await;
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn every_list_pages_to_the_end() {
    let sim = idp_sim(SimVendor::MsEntra, 345, 23, 400).await;
    let token = graph_token(&sim.credentials()).await;
    let (users, pages, _) = graph_all(&sim, &token, "/v1.0/users?$top=50").await;
    assert_eq!((users.len(), pages), (345, 7));
    assert_eq!(
        strings(&users, "id")
            .into_iter()
            .collect::<HashSet<_>>()
            .len(),
        345
    );
    let default_keys: HashSet<&str> = users[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        default_keys.len(),
        11,
        "the documented default set: {default_keys:?}"
    );
    let (default_page, ..) = graph_all(&sim, &token, "/v1.0/users").await;
    assert_eq!(default_page.len(), 345);
    let first = graph(&sim, &token, "/v1.0/users").await;
    assert_eq!(
        first.body["value"].as_array().unwrap().len(),
        100,
        "100 per page by default"
    );
    let (selected, ..) = graph_all(
        &sim,
        &token,
        "/v1.0/users?$select=id,accountEnabled,userType&$top=999",
    )
    .await;
    assert!(selected
        .iter()
        .all(|u| u.as_object().unwrap().len() == 3 && u["accountEnabled"].is_boolean()));
    let (groups, pages, _) = graph_all(&sim, &token, "/v1.0/groups?$top=10").await;
    assert_eq!((groups.len(), pages), (23, 3));
    let mut members = 0;
    for g in &groups {
        let id = g["id"].as_str().unwrap();
        let (m, ..) = graph_all(&sim, &token, &format!("/v1.0/groups/{id}/members?$top=9")).await;
        assert!(m
            .iter()
            .all(|x| x["@odata.type"] == "#microsoft.graph.user"));
        let (t, ..) = graph_all(
            &sim,
            &token,
            &format!("/v1.0/groups/{id}/transitiveMembers"),
        )
        .await;
        assert_eq!(t.len(), m.len(), "no nested groups");
        members += m.len();
    }
    assert_eq!(members, 400);
}

#[tokio::test]
async fn applications_service_principals_and_policies_page_to_the_end() {
    let sim = idp_sim(SimVendor::MsEntra, 20, 3, 10).await;
    let token = graph_token(&sim.credentials()).await;
    let (users, ..) = graph_all(&sim, &token, "/v1.0/users").await;
    let (apps, ..) = graph_all(&sim, &token, "/v1.0/applications?$top=5").await;
    let (sps, ..) = graph_all(&sim, &token, "/v1.0/servicePrincipals?$top=5").await;
    assert_eq!((apps.len(), sps.len()), (12, 12));
    assert_eq!(
        strings(&apps, "appId"),
        strings(&sps, "appId"),
        "one service principal per app"
    );
    assert_ne!(strings(&apps, "id"), strings(&sps, "id"));
    let (policies, ..) = graph_all(&sim, &token, "/v1.0/identity/conditionalAccess/policies").await;
    assert_eq!(policies.len(), 12);
    // Policies target every application or some, named by client id.
    let app_ids = strings(&sps, "appId");
    let mut named = 0;
    for p in &policies {
        let include = &p["conditions"]["applications"]["includeApplications"];
        let include: Vec<String> = serde_json::from_value(include.clone()).unwrap();
        if include != ["All"] {
            assert!(
                !include.is_empty() && include.iter().all(|a| app_ids.contains(a)),
                "{p}"
            );
            named += 1;
        }
    }
    assert!(named > 0 && named < policies.len(), "{named}");
    // Who each app is assigned to, paged to the end at any page size.
    let user_ids = strings(&users, "id");
    let mut assigned = 0;
    for sp in &sps {
        let id = sp["id"].as_str().unwrap();
        let path = format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo");
        let (small, pages, _) = graph_all(&sim, &token, &format!("{path}?$top=2")).await;
        let (whole, ..) = graph_all(&sim, &token, &format!("{path}?$top=999")).await;
        assert_eq!(small, whole, "{id}");
        assert_eq!(pages, small.len().div_ceil(2).max(1), "{id}");
        for a in &whole {
            assert_eq!(a["resourceId"], sp["id"]);
            assert_eq!(a["resourceDisplayName"], sp["displayName"]);
            assert_eq!(a["appRoleId"], "00000000-0000-0000-0000-000000000000");
            assert_eq!(a["id"].as_str().unwrap().len(), 43);
            match a["principalType"].as_str().unwrap() {
                "User" => {
                    assert!(user_ids.contains(&a["principalId"].as_str().unwrap().to_owned()))
                }
                t => assert_eq!(t, "Group"),
            }
        }
        assigned += whole.len();
    }
    assert!(assigned > 0);
    let sp = sps[0]["id"].as_str().unwrap();
    let selected = graph(
        &sim,
        &token,
        &format!(
            "/v1.0/servicePrincipals/{sp}/appRoleAssignedTo?$select=principalId,principalType"
        ),
    )
    .await;
    assert_eq!(selected.status, 200);
    let missing = graph(
        &sim,
        &token,
        "/v1.0/servicePrincipals/00000000-0000-0000-0000-000000000001/appRoleAssignedTo",
    )
    .await;
    assert_eq!(missing.status, 404);
    let one = graph(
        &sim,
        &token,
        &format!(
            "/v1.0/users/{}?$select=displayName",
            users[0]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert!(one.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#users(displayName)/$entity"));
}

/// A delta round from `url` to its deltaLink: (objects, deltaLink).
async fn delta_round(
    sim: &tributary_simulators::RunningSimulator,
    token: &str,
    url: &str,
) -> (Vec<Value>, String) {
    let (items, _, last) = graph_all(sim, token, url).await;
    let link = last["@odata.deltaLink"]
        .as_str()
        .expect("a deltaLink on the last page");
    assert!(link.contains("$deltatoken="));
    (items, link.to_owned())
}

#[tokio::test]
async fn users_delta_reports_changes_and_removals() {
    let sim = idp_sim(SimVendor::MsEntra, 250, 5, 50).await;
    let token = graph_token(&sim.credentials()).await;
    let (all, link) = delta_round(
        &sim,
        &token,
        "/v1.0/users/delta?$select=displayName,accountEnabled",
    )
    .await;
    assert_eq!(all.len(), 250);
    assert!(all.iter().all(|u| u.as_object().unwrap().len() == 3));
    let (none, link) = delta_round(&sim, &token, &link).await;
    assert!(none.is_empty(), "nothing changed");
    let report = sim
        .control()
        .advance_collections(&change("users", 3, 4, 2))
        .unwrap();
    let c = &report.collections["users"];
    let (changes, link) = delta_round(&sim, &token, &link).await;
    let removed: Vec<&Value> = changes
        .iter()
        .filter(|v| v.get("@removed").is_some())
        .collect();
    let removed_ids: HashSet<String> = strings(
        &removed.iter().map(|v| (*v).clone()).collect::<Vec<_>>(),
        "id",
    )
    .into_iter()
    .collect();
    assert_eq!(removed_ids, c.deleted_ids.iter().cloned().collect());
    assert!(removed
        .iter()
        .all(|v| ["changed", "deleted"].contains(&v["@removed"]["reason"].as_str().unwrap())));
    let changed: HashSet<String> = changes
        .iter()
        .filter(|v| v.get("@removed").is_none())
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        changed,
        c.new_ids.iter().chain(&c.updated_ids).cloned().collect()
    );
    assert!(
        changes
            .iter()
            .filter(|v| v.get("@removed").is_none())
            .all(|v| v.get("displayName").is_some()),
        "the query's $select is kept"
    );
    let (after, _) = delta_round(&sim, &token, &link).await;
    assert!(after.is_empty());
    let latest = graph(&sim, &token, "/v1.0/users/delta?$deltatoken=latest").await;
    assert!(
        latest.body["value"].as_array().unwrap().is_empty()
            && latest.body["@odata.deltaLink"].is_string()
    );
}

#[tokio::test]
async fn groups_delta_carries_membership_changes() {
    let sim = idp_sim(SimVendor::MsEntra, 120, 8, 60).await;
    let token = graph_token(&sim.credentials()).await;
    let (all, link) = delta_round(
        &sim,
        &token,
        "/v1.0/groups/delta?$select=displayName,members",
    )
    .await;
    assert_eq!(all.len(), 8);
    let initial: usize = all
        .iter()
        .map(|g| g["members@delta"].as_array().unwrap().len())
        .sum();
    assert_eq!(initial, 60);
    sim.control()
        .advance_collections(&change("memberships", 4, 0, 3))
        .unwrap();
    let (changes, _) = delta_round(&sim, &token, &link).await;
    let refs: Vec<&Value> = changes
        .iter()
        .flat_map(|g| g["members@delta"].as_array().unwrap())
        .collect();
    let removed = refs
        .iter()
        .filter(|r| r["@removed"]["reason"] == "deleted")
        .count();
    assert_eq!((refs.len() - removed, removed), (4, 3));
    assert!(refs
        .iter()
        .all(|r| r["@odata.type"] == "#microsoft.graph.user"));
    sim.control()
        .advance_collections(&change("groups", 0, 0, 1))
        .unwrap();
}

#[tokio::test]
async fn unknown_and_expired_delta_tokens_need_a_resync() {
    let sim = idp_sim(SimVendor::MsEntra, 10, 2, 4).await;
    let token = graph_token(&sim.credentials()).await;
    let unknown = graph(
        &sim,
        &token,
        "/v1.0/users/delta?$deltatoken=bm90LWEtdG9rZW4",
    )
    .await;
    assert_eq!(
        (
            unknown.status.as_u16(),
            unknown.body["error"]["code"].as_str()
        ),
        (400, Some("syncStateNotFound"))
    );
    let (_, link) = delta_round(&sim, &token, "/v1.0/users/delta").await;
    // The same tenant eight days later: the token has expired.
    let later = spawn(
        idp_config(SimVendor::MsEntra, 10, 2, 4)
            .start_time(crate::support::start() + chrono::Duration::days(8)),
    )
    .await
    .unwrap();
    let later_token = graph_token(&later.credentials()).await;
    let path = &link[link.find("/v1.0").unwrap()..];
    let gone = graph(&later, &later_token, path).await;
    assert_eq!(
        (gone.status.as_u16(), gone.body["error"]["code"].as_str()),
        (410, Some("resyncRequired"))
    );
    let location = gone.headers["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("/v1.0/users/delta?$deltatoken="));
    let (fresh, _) = delta_round(&later, &later_token, &location).await;
    assert_eq!(fresh.len(), 10, "an empty token starts over");
    sim.control().fault("users:410x1").unwrap();
    assert_eq!(
        graph(&sim, &token, path).await.body["error"]["code"],
        "resyncRequired"
    );
}

#[tokio::test]
async fn a_credential_without_application_or_policy_rights_gets_403_there_only() {
    let sim = idp_sim(SimVendor::MsEntra, 5, 2, 4).await;
    let limited = sim
        .control()
        .add_credential(
            "directory-only",
            &["applications:403", "service_principals:403", "policies:403"],
        )
        .unwrap();
    let token = graph_token(&limited).await;
    for ok in ["/v1.0/users", "/v1.0/groups", "/v1.0/users/delta"] {
        assert_eq!(graph(&sim, &token, ok).await.status, 200, "{ok}");
    }
    for denied in [
        "/v1.0/applications",
        "/v1.0/servicePrincipals",
        "/v1.0/servicePrincipals/00000000-0000-0000-0000-000000000001/appRoleAssignedTo",
        "/v1.0/identity/conditionalAccess/policies",
    ] {
        let r = graph(&sim, &token, denied).await;
        assert_eq!(r.status, 403, "{denied}");
        assert_eq!(r.body["error"]["code"], "Authorization_RequestDenied");
        assert_eq!(
            r.body["error"]["message"],
            "Insufficient privileges to complete the operation."
        );
    }
    sim.control().fault("users:429x1").unwrap();
    let throttled = graph(&sim, &token, "/v1.0/users").await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.body["error"]["code"], "TooManyRequests");
    assert_eq!(throttled.headers["retry-after"], "1");
}

#[tokio::test]
async fn an_app_reads_its_own_registration_and_its_secrets_expiry() {
    let sim = idp_sim(SimVendor::MsEntra, 5, 2, 4).await;
    let creds = sim.credentials();
    let token = graph_token(&creds).await;
    let app_id = creds["client_id"].as_str().unwrap();
    let secret = creds["client_secret"].as_str().unwrap();
    let url = format!(
        "/v1.0/applications?$filter=appId%20eq%20'{app_id}'&$select=id,appId,passwordCredentials"
    );
    let r = graph(&sim, &token, &url).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#applications(id,appId,passwordCredentials)"));
    let apps = r.body["value"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "{}", r.body);
    let app = apps[0].as_object().unwrap();
    let keys: HashSet<&str> = app.keys().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["id", "appId", "passwordCredentials"]));
    assert_eq!(app["appId"], app_id);
    let secrets = app["passwordCredentials"].as_array().unwrap();
    assert_eq!(secrets.len(), 2);
    let in_use: Vec<&Value> = secrets
        .iter()
        .filter(|s| s["hint"] == secret[..3])
        .collect();
    assert_eq!(
        in_use.len(),
        1,
        "one secret carries the hint of the one in use"
    );
    for s in secrets {
        assert!(s["secretText"].is_null() && s["keyId"].is_string(), "{s}");
        assert!(s["endDateTime"].as_str().unwrap().ends_with('Z'), "{s}");
    }
    let other = graph(
        &sim,
        &token,
        "/v1.0/applications?$filter=appId%20eq%20'nope'",
    )
    .await;
    assert_eq!(other.body["value"].as_array().unwrap().len(), 0);
    let bad = graph(
        &sim,
        &token,
        "/v1.0/applications?$filter=startswith(displayName,'a')",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["code"], "BadRequest");

    // `token_expires_in` moves the secret in use; `applications:403` is Graph's refusal.
    let expiring = sim
        .control()
        .add_credential("expiring", &["all:token_expires_in=5"])
        .unwrap();
    let token = graph_token(&expiring).await;
    let url = format!(
        "/v1.0/applications?$filter=appId%20eq%20'{}'",
        expiring["client_id"].as_str().unwrap()
    );
    let hint = &expiring["client_secret"].as_str().unwrap()[..3];
    let r = graph(&sim, &token, &url).await;
    let secrets = r.body["value"][0]["passwordCredentials"]
        .as_array()
        .unwrap();
    let end = |in_use: bool| {
        secrets
            .iter()
            .find(|s| (s["hint"] == hint) == in_use)
            .unwrap()["endDateTime"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    // The secret in use ends in 5 days of the simulator's clock, the other one in 3.
    assert_eq!((end(true) - end(false)).num_seconds(), 2 * 86_400);
    sim.control().fault("expiring/applications:403").unwrap();
    let denied = graph(&sim, &token, &url).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"]["code"], "Authorization_RequestDenied");
}
