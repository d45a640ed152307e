//! SentinelOne over real HTTP: ApiToken auth, cursor paging with exact totals, every
//! list filter, and the agent ↔ threat link.

use std::collections::HashSet;

use serde_json::Value;
use tributary_simulators::SimVendor;

use crate::support::*;

#[tokio::test]
async fn api_token_auth_succeeds_and_fails_in_the_vendor_shape() {
    let sim = sim(SimVendor::Sentinelone, 5, 5).await;
    assert_eq!(s1(&sim, "/agents", &[]).await.status, 200);
    let bad = s1_with(&sim, "not-a-token", "/threats", &[]).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["errors"][0]["code"], 4010010);
    assert_eq!(bad.body["errors"][0]["title"], "Authentication Failed");
    let url = format!("{}/web/api/v2.1/agents", sim.base_url());
    let token = sim.credentials()["api_token"].as_str().unwrap().to_owned();
    let bearer = client().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bearer.status(), 401, "the scheme is ApiToken, not Bearer");
    assert_eq!(client().get(&url).send().await.unwrap().status(), 401);
    let creds = sim.credentials();
    assert_eq!(creds.as_object().unwrap().len(), 2);
    assert_eq!(creds["base_url"], sim.base_url());
}

#[tokio::test]
async fn cursor_paging_reaches_the_last_page_with_exact_totals() {
    let sim = sim(SimVendor::Sentinelone, 37, 123).await;
    let first = s1(&sim, "/threats", &[("limit", "10")]).await;
    assert_eq!(first.body["pagination"]["totalItems"], 123);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 10);
    let (threats, pages) = s1_all(
        &sim,
        "/threats",
        &[("sortBy", "updatedAt"), ("sortOrder", "asc")],
        10,
    )
    .await;
    assert_eq!((threats.len(), pages), (123, 13));
    let ids: HashSet<String> = strings(&threats, "id").into_iter().collect();
    assert_eq!(ids.len(), 123, "no duplicates across pages");
    let updated = strings(&threats, "threatInfo.updatedAt");
    assert!(
        updated.windows(2).all(|w| w[0] <= w[1]),
        "ascending update times"
    );
    assert!(
        updated[0].len() == 27 && updated[0].ends_with('Z'),
        "microseconds: {}",
        updated[0]
    );
    let (agents, _) = s1_all(&sim, "/agents", &[], 1000).await;
    assert_eq!(agents.len(), 37);
    // Exactly full last page: 37 agents at limit 37 → one page, no next cursor.
    let exact = s1(&sim, "/agents", &[("limit", "37")]).await;
    assert_eq!(exact.body["pagination"]["nextCursor"], Value::Null);
}

#[tokio::test]
async fn threats_concern_agents_listed_by_the_agents_endpoint() {
    let sim = sim(SimVendor::Sentinelone, 20, 60).await;
    let (agents, _) = s1_all(&sim, "/agents", &[], 100).await;
    let agent_ids: HashSet<String> = strings(&agents, "id").into_iter().collect();
    let (threats, _) = s1_all(&sim, "/threats", &[], 100).await;
    for t in &threats {
        let id = t["agentRealtimeInfo"]["agentId"].as_str().unwrap();
        assert!(agent_ids.contains(id), "threat agent {id} is listed");
        assert_eq!(t["id"], t["threatInfo"]["threatId"]);
        assert!((18..=19).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()));
        let agent = agents.iter().find(|a| a["id"] == id).unwrap();
        assert_eq!(
            agent["computerName"],
            t["agentRealtimeInfo"]["agentComputerName"]
        );
    }
}

#[tokio::test]
async fn update_time_filters_are_exact() {
    let sim = sim(SimVendor::Sentinelone, 10, 80).await;
    let (all, _) = s1_all(&sim, "/threats", &[("sortBy", "updatedAt")], 1000).await;
    let times = strings(&all, "threatInfo.updatedAt");
    let pivot = times[30].clone();
    let count = |pred: &dyn Fn(&str) -> bool| times.iter().filter(|t| pred(t)).count();
    for (param, expected) in [
        ("updatedAt__gte", count(&|t| t >= pivot.as_str())),
        ("updatedAt__gt", count(&|t| t > pivot.as_str())),
        ("updatedAt__lt", count(&|t| t < pivot.as_str())),
        ("updatedAt__lte", count(&|t| t <= pivot.as_str())),
    ] {
        let (got, _) = s1_all(
            &sim,
            "/threats",
            &[
                (param, &pivot),
                ("sortBy", "updatedAt"),
                ("sortOrder", "asc"),
            ],
            7,
        )
        .await;
        assert_eq!(got.len(), expected, "{param}");
        let r = s1(&sim, "/threats", &[(param, &pivot), ("limit", "1")]).await;
        assert_eq!(
            r.body["pagination"]["totalItems"], expected,
            "{param} total"
        );
    }
    let (gte, _) = s1_all(
        &sim,
        "/threats",
        &[("updatedAt__gte", &pivot), ("sortBy", "updatedAt")],
        1000,
    )
    .await;
    assert_eq!(strings(&gte, "threatInfo.updatedAt")[0], pivot);
    let r = s1(&sim, "/threats", &[("updatedAt__gte", "yesterday")]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errors"][0]["code"], 4000010);
}

#[tokio::test]
async fn sorting_skip_counts_and_ids() {
    let sim = sim(SimVendor::Sentinelone, 30, 10).await;
    let (asc, _) = s1_all(
        &sim,
        "/agents",
        &[("sortBy", "updatedAt"), ("sortOrder", "asc")],
        1000,
    )
    .await;
    let (desc, _) = s1_all(
        &sim,
        "/agents",
        &[("sortBy", "updatedAt"), ("sortOrder", "desc")],
        4,
    )
    .await;
    let mut rev = strings(&desc, "id");
    rev.reverse();
    assert_eq!(rev, strings(&asc, "id"));
    let (by_id, _) = s1_all(&sim, "/agents", &[("sortBy", "id")], 1000).await;
    let ids: Vec<u64> = strings(&by_id, "id")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend");
    let (created_desc, _) = s1_all(
        &sim,
        "/agents",
        &[("sortBy", "createdAt"), ("sortOrder", "desc")],
        1000,
    )
    .await;
    assert_eq!(created_desc.len(), 30);
    let skipped = s1(
        &sim,
        "/agents",
        &[("sortBy", "id"), ("skip", "5"), ("limit", "3")],
    )
    .await;
    assert_eq!(
        strings(skipped.body["data"].as_array().unwrap(), "id"),
        strings(&by_id[5..8], "id")
    );
    let no_count = s1(&sim, "/agents", &[("skipCount", "true"), ("limit", "2")]).await;
    assert_eq!(no_count.body["pagination"]["totalItems"], Value::Null);
    assert!(no_count.body["pagination"]["nextCursor"].is_string());
    let count_only = s1(&sim, "/agents", &[("countOnly", "true")]).await;
    assert_eq!(count_only.body["pagination"]["totalItems"], 30);
    assert_eq!(count_only.body["data"], serde_json::json!([]));
    let pick = format!(
        "{},{}",
        by_id[3]["id"].as_str().unwrap(),
        by_id[9]["id"].as_str().unwrap()
    );
    let by_ids = s1(&sim, "/agents", &[("ids", &pick)]).await;
    assert_eq!(by_ids.body["pagination"]["totalItems"], 2);
    assert_eq!(
        strings(by_ids.body["data"].as_array().unwrap(), "id"),
        strings(&[by_id[3].clone(), by_id[9].clone()], "id")
    );
}

/// (path, query, expected count).
type Case<'a> = (&'a str, Vec<(&'a str, String)>, usize);

#[tokio::test]
async fn list_filters_match_the_records_they_return() {
    let sim = sim(SimVendor::Sentinelone, 40, 150).await;
    let (agents, _) = s1_all(&sim, "/agents", &[], 1000).await;
    let (threats, _) = s1_all(&sim, "/threats", &[], 1000).await;
    let expect = |records: &[Value], path: &str, values: &[&str]| {
        records
            .iter()
            .filter(|r| {
                let v = path.split('.').try_fold(*r, |v, k| v.get(k)).unwrap();
                values.iter().any(|x| {
                    v.as_str() == Some(x)
                        || v.as_bool().map(|b| b.to_string()).as_deref() == Some(x)
                })
            })
            .count()
    };
    let site = agents[0]["siteId"].as_str().unwrap().to_owned();
    let cases: Vec<Case> = vec![
        (
            "/agents",
            vec![("osTypes", "windows,linux".into())],
            expect(&agents, "osType", &["windows", "linux"]),
        ),
        (
            "/agents",
            vec![("osTypesNin", "windows".into())],
            agents.len() - expect(&agents, "osType", &["windows"]),
        ),
        (
            "/agents",
            vec![("siteIds", site.clone())],
            expect(&agents, "siteId", &[&site]),
        ),
        (
            "/agents",
            vec![("isActive", "true".into())],
            expect(&agents, "isActive", &["true"]),
        ),
        (
            "/agents",
            vec![("networkStatuses", "connected".into())],
            expect(&agents, "networkStatus", &["connected"]),
        ),
        (
            "/agents",
            vec![(
                "computerName",
                agents[4]["computerName"].as_str().unwrap().into(),
            )],
            1,
        ),
        (
            "/threats",
            vec![("incidentStatuses", "unresolved,in_progress".into())],
            expect(
                &threats,
                "threatInfo.incidentStatus",
                &["unresolved", "in_progress"],
            ),
        ),
        (
            "/threats",
            vec![("resolved", "true".into())],
            expect(&threats, "threatInfo.incidentStatus", &["resolved"]),
        ),
        (
            "/threats",
            vec![("confidenceLevels", "malicious".into())],
            expect(&threats, "threatInfo.confidenceLevel", &["malicious"]),
        ),
        (
            "/threats",
            vec![("mitigationStatuses", "mitigated".into())],
            expect(&threats, "threatInfo.mitigationStatus", &["mitigated"]),
        ),
        (
            "/threats",
            vec![("analystVerdicts", "true_positive,false_positive".into())],
            expect(
                &threats,
                "threatInfo.analystVerdict",
                &["true_positive", "false_positive"],
            ),
        ),
        (
            "/threats",
            vec![("agentIds", agents[0]["id"].as_str().unwrap().into())],
            expect(
                &threats,
                "agentRealtimeInfo.agentId",
                &[agents[0]["id"].as_str().unwrap()],
            ),
        ),
    ];
    for (path, params, expected) in cases {
        let q: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (got, _) = s1_all(&sim, path, &q, 1000).await;
        assert_eq!(got.len(), expected, "{path} {params:?}");
        let r = s1(&sim, path, &q).await;
        assert_eq!(
            r.body["pagination"]["totalItems"], expected,
            "{path} {params:?} total"
        );
    }
}

#[tokio::test]
async fn invalid_list_requests_get_400() {
    let sim = sim(SimVendor::Sentinelone, 5, 5).await;
    for q in [
        vec![("limit", "0")],
        vec![("limit", "1001")],
        vec![("skip", "1001")],
        vec![("sortBy", "colour")],
        vec![("sortOrder", "sideways")],
        vec![("noSuchFilter", "1")],
        vec![("cursor", "bm90IGEgY3Vyc29y")],
    ] {
        let r = s1(&sim, "/agents", &q).await;
        assert_eq!(r.status, 400, "{q:?}");
        assert_eq!(r.body["errors"][0]["title"], "Validation Error");
    }
    let page = s1(&sim, "/agents", &[("limit", "2"), ("sortBy", "updatedAt")]).await;
    let cursor = page.body["pagination"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_sort = s1(&sim, "/agents", &[("cursor", &cursor), ("sortBy", "id")]).await;
    assert_eq!(other_sort.status, 400, "a cursor belongs to its sort");
    let threat_cursor = s1(
        &sim,
        "/threats",
        &[("cursor", &cursor), ("sortBy", "updatedAt")],
    )
    .await;
    assert_eq!(
        threat_cursor.status, 400,
        "an agents cursor is not a threats cursor"
    );
    assert_eq!(s1(&sim, "/nope", &[]).await.status, 404);
}
