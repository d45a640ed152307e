//! Okta over real HTTP: SSWS auth, every list endpoint paged to the end by `Link` headers,
//! increments by `filter` after changes (deactivations, deletions, memberships), the
//! rate-limit headers and the per-object-type 403.

use std::collections::HashSet;

use tributary_simulators::SimVendor;

use crate::{idp_support::*, support::strings};

#[tokio::test]
async fn ssws_auth_and_okta_errors() {
    let sim = idp_sim(SimVendor::OktaIdp, 5, 2, 10).await;
    let creds = sim.credentials();
    let keys: HashSet<&str> = creds
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(["domain", "api_token"]));
    assert_eq!(creds["domain"], sim.base_url());
    let token = creds["api_token"].as_str().unwrap();
    assert!(token.starts_with("00") && token.len() == 42);
    let bad = okta_with(&sim, "00nope", "/api/v1/users").await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["errorCode"], "E0000011");
    assert_eq!(bad.body["errorSummary"], "Invalid token provided");
    assert_eq!(bad.body["errorLink"], "E0000011");
    assert!(bad.body["errorId"].as_str().unwrap().starts_with("oae"));
    assert!(bad.body["errorCauses"].is_array());
    // Okta's own Python SDK sends `SSWS<token>` without a space.
    let r = crate::support::read(
        crate::support::client()
            .get(format!("{}/api/v1/users", sim.base_url()))
            .header("Authorization", format!("SSWS{token}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let missing = okta(&sim, "/api/v1/users/00u00000000000000000").await;
    assert_eq!(
        (missing.status.as_u16(), missing.body["errorCode"].as_str()),
        (404, Some("E0000007"))
    );
    let no_type = okta(&sim, "/api/v1/policies").await;
    assert_eq!(
        (no_type.status.as_u16(), no_type.body["errorCode"].as_str()),
        (400, Some("E0000001"))
    );
    let bad_filter = okta(&sim, "/api/v1/users?filter=nickName%20eq%20%22x%22").await;
    assert_eq!(bad_filter.body["errorCode"], "E0000031");
}

#[tokio::test]
async fn every_list_pages_to_the_end_with_link_headers() {
    let sim = idp_sim(SimVendor::OktaIdp, 457, 23, 600).await;
    let (users, pages) = okta_all(&sim, "/api/v1/users?limit=100").await;
    assert_eq!((users.len(), pages), (457, 5));
    assert_eq!(
        strings(&users, "id")
            .into_iter()
            .collect::<HashSet<_>>()
            .len(),
        457
    );
    let logins: HashSet<String> = strings(&users, "profile.login").into_iter().collect();
    assert_eq!(logins.len(), 457, "logins are unique");
    let first = okta(&sim, "/api/v1/users?limit=2").await;
    let links: Vec<&str> = first
        .headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(links.len(), 2);
    assert!(links[0].ends_with("rel=\"self\""));
    assert!(
        next_link(&first).unwrap().contains("after=00u"),
        "{links:?}"
    );
    let (capped, _) = (okta(&sim, "/api/v1/users?limit=5000").await, ());
    assert_eq!(
        capped.body.as_array().unwrap().len(),
        200,
        "users cap limit at 200"
    );
}

#[tokio::test]
async fn groups_and_members_page_to_the_end() {
    let sim = idp_sim(SimVendor::OktaIdp, 457, 23, 600).await;
    let (groups, pages) = okta_all(&sim, "/api/v1/groups?limit=10").await;
    assert_eq!((groups.len(), pages), (23, 3));
    let mut members = 0;
    for g in &groups {
        let id = g["id"].as_str().unwrap();
        let (m, _) = okta_all(&sim, &format!("/api/v1/groups/{id}/users?limit=7")).await;
        assert_eq!(
            strings(&m, "id").into_iter().collect::<HashSet<_>>().len(),
            m.len(),
            "no user twice"
        );
        members += m.len();
        assert_eq!(
            okta(&sim, &format!("/api/v1/groups/{id}")).await.body["id"],
            g["id"]
        );
    }
    assert_eq!(members, 600, "every membership record is a member");
}

#[tokio::test]
async fn apps_assignments_and_policies_page_to_the_end() {
    let sim = idp_sim(SimVendor::OktaIdp, 457, 23, 600).await;
    let (apps, _) = okta_all(&sim, "/api/v1/apps?limit=5").await;
    assert_eq!(apps.len(), 12);
    for a in &apps {
        let id = a["id"].as_str().unwrap();
        let (au, _) = okta_all(&sim, &format!("/api/v1/apps/{id}/users?limit=50")).await;
        assert!(au
            .iter()
            .all(|u| u["scope"] == "USER" || u["scope"] == "GROUP"));
        assert_eq!(
            strings(&au, "id").into_iter().collect::<HashSet<_>>().len(),
            au.len()
        );
        let (ag, _) = okta_all(&sim, &format!("/api/v1/apps/{id}/groups")).await;
        assert!(ag
            .iter()
            .all(|g| g["id"].as_str().unwrap().starts_with("00g")));
    }
    let mut policies = 0;
    let mut mapped_apps = Vec::new();
    for t in [
        "OKTA_SIGN_ON",
        "PASSWORD",
        "MFA_ENROLL",
        "IDP_DISCOVERY",
        "ACCESS_POLICY",
        "PROFILE_ENROLLMENT",
        "POST_AUTH_SESSION",
        "ENTITY_RISK",
        "DEVICE_SIGNAL_COLLECTION",
    ] {
        let (p, _) = okta_all(&sim, &format!("/api/v1/policies?type={t}&limit=1")).await;
        assert!(p.iter().all(|p| p["type"] == t));
        assert_eq!(
            p.last().unwrap()["system"],
            true,
            "the default policy comes last"
        );
        policies += p.len();
        // Apps are mapped to authentication policies only, each app to exactly one.
        for policy in &p {
            let id = policy["id"].as_str().unwrap();
            let (mapped, _) = okta_all(&sim, &format!("/api/v1/policies/{id}/app?limit=1")).await;
            if t != "ACCESS_POLICY" {
                assert!(mapped.is_empty(), "{t}");
            }
            assert!(mapped
                .iter()
                .all(|a| a["id"].as_str().unwrap().starts_with("0oa")));
            mapped_apps.extend(strings(&mapped, "id"));
        }
    }
    assert_eq!(policies, 12);
    mapped_apps.sort();
    let mut all_apps = strings(&apps, "id");
    all_apps.sort();
    assert_eq!(
        mapped_apps, all_apps,
        "every app has exactly one access policy"
    );
    let missing = okta(&sim, "/api/v1/policies/00pnosuchpolicy/app").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn increments_by_last_updated_show_changes_deactivations_and_not_deletions() {
    let sim = idp_sim(SimVendor::OktaIdp, 300, 10, 200).await;
    let control = sim.control();
    let (before, _) = okta_all(&sim, "/api/v1/users").await;
    let watermark = strings(&before, "lastUpdated").into_iter().max().unwrap();
    let report = control
        .advance_collections(&change("users", 4, 24, 3))
        .unwrap();
    let c = &report.collections["users"];
    let filter = format!("/api/v1/users?filter=lastUpdated%20gt%20%22{watermark}%22&limit=7");
    let (changed, _) = okta_all(&sim, &filter).await;
    let changed_ids: HashSet<String> = strings(&changed, "id").into_iter().collect();
    // Updates come first in an advance, so a user may be updated and then deleted.
    let expected: HashSet<String> = c
        .new_ids
        .iter()
        .chain(&c.updated_ids)
        .filter(|id| !c.deleted_ids.contains(id))
        .cloned()
        .collect();
    assert_eq!(
        changed_ids, expected,
        "new and updated users, not deleted ones"
    );
    assert!(changed
        .iter()
        .all(|u| u["lastUpdated"].as_str().unwrap() > watermark.as_str()));
    let stamps = strings(&changed, "lastUpdated");
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "oldest change first"
    );
    let deprovisioned: Vec<String> = changed
        .iter()
        .filter(|u| u["status"] == "DEPROVISIONED")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!deprovisioned.is_empty(), "some updates deactivate");
    let (now, _) = okta_all(&sim, "/api/v1/users").await;
    let listed: HashSet<String> = strings(&now, "id").into_iter().collect();
    assert_eq!(listed.len(), 300 + 4 - 3 - deprovisioned.len());
    for id in &deprovisioned {
        assert!(
            !listed.contains(id),
            "the plain list leaves deprovisioned users out"
        );
        assert_eq!(
            okta(&sim, &format!("/api/v1/users/{id}")).await.body["status"],
            "DEPROVISIONED"
        );
    }
    for id in &c.deleted_ids {
        assert!(!listed.contains(id) && !changed_ids.contains(id));
        let gone = okta(&sim, &format!("/api/v1/users/{id}")).await;
        assert_eq!(
            (gone.status.as_u16(), gone.body["errorCode"].as_str()),
            (404, Some("E0000007"))
        );
    }
}

async fn member_count(
    sim: &tributary_simulators::RunningSimulator,
    groups: &[serde_json::Value],
) -> usize {
    let mut n = 0;
    for g in groups {
        let url = format!(
            "/api/v1/groups/{}/users?limit=13",
            g["id"].as_str().unwrap()
        );
        n += okta_all(sim, &url).await.0.len();
    }
    n
}

#[tokio::test]
async fn membership_changes_move_last_membership_updated() {
    let sim = idp_sim(SimVendor::OktaIdp, 300, 10, 200).await;
    let (groups, _) = okta_all(&sim, "/api/v1/groups").await;
    assert_eq!(member_count(&sim, &groups).await, 200);
    let mut stamps = strings(&groups, "lastMembershipUpdated");
    stamps.extend(strings(&groups, "lastUpdated"));
    let mark = stamps.into_iter().max().unwrap();
    let report = sim
        .control()
        .advance_collections(&change("memberships", 3, 0, 2))
        .unwrap();
    assert_eq!(report.collections["memberships"].new_ids.len(), 3);
    assert!(report.collections["memberships"]
        .new_ids
        .iter()
        .all(|id| id.starts_with("00g") && id.contains(":00u")));
    assert_eq!(
        member_count(&sim, &groups).await,
        201,
        "three added, two removed"
    );
    let url = format!("/api/v1/groups?filter=lastMembershipUpdated%20gt%20%22{mark}%22%20or%20lastUpdated%20gt%20%22{mark}%22");
    let (moved, _) = okta_all(&sim, &url).await;
    assert!((1..=5).contains(&moved.len()), "{}", moved.len());
    for g in &moved {
        assert!(g["lastMembershipUpdated"].as_str().unwrap() > mark.as_str());
        assert!(g["lastMembershipUpdated"].as_str().unwrap() >= g["created"].as_str().unwrap());
    }
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_429_is_e0000047() {
    let sim = idp_sim(SimVendor::OktaIdp, 5, 2, 4).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = okta(&sim, "/api/v1/users").await;
        assert_eq!(r.headers["x-rate-limit-limit"], "600");
        remaining.push(
            r.headers["x-rate-limit-remaining"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
        let reset: i64 = r.headers["x-rate-limit-reset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let date =
            chrono::DateTime::parse_from_rfc2822(r.headers["date"].to_str().unwrap()).unwrap();
        assert!(
            (1..=60).contains(&(reset - date.timestamp())),
            "reset is epoch seconds within the minute"
        );
    }
    assert_eq!(remaining, vec![599, 598, 597]);
    let groups = okta(&sim, "/api/v1/groups").await;
    assert_eq!(
        groups.headers["x-rate-limit-limit"], "500",
        "groups have their own bucket"
    );
    assert_eq!(groups.headers["x-rate-limit-remaining"], "499");
    sim.control().fault("users:429x1").unwrap();
    let r = okta(&sim, "/api/v1/users").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body["errorCode"], "E0000047");
    assert_eq!(r.headers["x-rate-limit-remaining"], "0");
    assert!(
        r.headers.get("retry-after").is_none(),
        "Okta sends no Retry-After"
    );
    sim.control().fault("all:quota=2/60s").unwrap();
    let q: Vec<u16> = futures_statuses(&sim, 3).await;
    assert_eq!(q, vec![200, 200, 429]);
}

async fn futures_statuses(sim: &tributary_simulators::RunningSimulator, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(okta(sim, "/api/v1/apps").await.status.as_u16());
    }
    out
}

#[tokio::test]
async fn a_token_without_policy_or_app_rights_gets_403_only_there() {
    let sim = idp_sim(SimVendor::OktaIdp, 5, 2, 4).await;
    let limited = sim
        .control()
        .add_credential("no-policies", &["policies:403", "apps:403"])
        .unwrap();
    let token = limited["api_token"].as_str().unwrap();
    for ok in ["/api/v1/users", "/api/v1/groups"] {
        assert_eq!(okta_with(&sim, token, ok).await.status, 200, "{ok}");
    }
    for denied in ["/api/v1/policies?type=PASSWORD", "/api/v1/apps"] {
        let r = okta_with(&sim, token, denied).await;
        assert_eq!(r.status, 403, "{denied}");
        assert_eq!(r.body["errorCode"], "E0000006");
        assert_eq!(
            r.body["errorSummary"],
            "You do not have permission to perform the requested action"
        );
    }
    assert_eq!(
        okta(&sim, "/api/v1/apps").await.status,
        200,
        "the primary token still reads apps"
    );
}
