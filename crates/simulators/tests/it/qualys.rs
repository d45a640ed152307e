//! The Qualys simulator over real HTTP (Qualys publishes no widely used official SDK to
//! drive it with): Basic auth and `X-Requested-With`, Host List Detection in host order
//! with truncation links followed to the end, `status` and `detection_updated_since`,
//! changes over time, the KnowledgeBase, rate and concurrency headers, and the protocol
//! faults (409 codes 1965/1960, an error inside a 200, an answer cut mid-stream).

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Response, StatusCode};
use tributary_simulators::{Change, RunningSimulator, SimVendor};

use crate::{support::*, vms_support::vms_sim};

const HLD: &str = "/api/2.0/fo/asset/host/vm/detection/";
const KB: &str = "/api/2.0/fo/knowledge_base/vuln/";

async fn get(sim: &RunningSimulator, url: &str) -> Response {
    let creds = sim.credentials();
    client()
        .get(url)
        .basic_auth(
            creds["username"].as_str().unwrap(),
            creds["password"].as_str(),
        )
        .header("X-Requested-With", "curl")
        .send()
        .await
        .expect("request")
}

/// The text between `<tag>` and `</tag>`, every time it occurs.
fn all<'a>(body: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    body.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(|t| t.trim_start_matches("<![CDATA[").trim_end_matches("]]>"))
        .collect()
}

/// Every detection (`UNIQUE_VULN_ID` → `STATUS`) listed for `query`, following the
/// truncation links, and the number of answers it took.
async fn list(sim: &RunningSimulator, query: &str) -> (BTreeMap<u64, String>, usize) {
    let mut next = Some(format!("{}{HLD}?action=list&{query}", sim.base_url()));
    let (mut out, mut answers, mut last_host) = (BTreeMap::new(), 0, 0u64);
    while let Some(url) = next.take() {
        let resp = get(sim, &url).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body = resp.text().await.unwrap();
        answers += 1;
        assert!(body.starts_with("<?xml"), "{body}");
        for host in body.split("<HOST>").skip(1) {
            let id: u64 = all(host, "ID")[0].parse().unwrap();
            assert!(id > last_host, "hosts ascend across batches");
            last_host = id;
            for (uid, status) in all(host, "UNIQUE_VULN_ID").iter().zip(all(host, "STATUS")) {
                assert!(
                    out.insert(uid.parse().unwrap(), status.to_owned())
                        .is_none(),
                    "{uid} twice"
                );
            }
        }
        next = all(&body, "URL").first().map(|u| (*u).to_owned());
    }
    (out, answers)
}

#[tokio::test]
async fn detections_page_by_truncation_and_change_over_time() {
    let sim = vms_sim(SimVendor::Qualys, 20, 600).await;
    let (open, answers) = list(&sim, "truncation_limit=3&include_ignored=1").await;
    assert_eq!(answers, 7, "20 hosts in batches of 3");
    assert!(open
        .values()
        .all(|s| matches!(s.as_str(), "Active" | "Re-Opened")));
    let (every, one) = list(
        &sim,
        "truncation_limit=0&include_ignored=1&status=New,Active,Re-Opened,Fixed",
    )
    .await;
    assert_eq!(one, 1, "truncation_limit=0: no truncation");
    assert_eq!(every.len(), 600, "every detection once");
    let fixed = every.values().filter(|s| *s == "Fixed").count();
    assert_eq!(open.len() + fixed, 600);
    let (not_ignored, _) = list(&sim, "truncation_limit=100").await;
    assert!(
        not_ignored.len() < open.len(),
        "ignored ones need include_ignored=1"
    );

    // Changes: only they are listed since a time, fixes included.
    let before = get(
        &sim,
        &format!("{}{HLD}?action=list&truncation_limit=1", sim.base_url()),
    )
    .await
    .text()
    .await
    .unwrap();
    let now = all(&before, "DATETIME")[0].to_owned();
    let changes = BTreeMap::from([(
        "findings".to_owned(),
        Change {
            new: 5,
            updated: 12,
            deleted: 0,
        },
    )]);
    let report = sim.control().advance_collections(&changes).unwrap();
    let changed = &report.collections["findings"];
    let (since, _) = list(
        &sim,
        &format!(
            "include_ignored=1&status=New,Active,Re-Opened,Fixed&detection_updated_since={now}"
        ),
    )
    .await;
    let want: BTreeSet<u64> = changed
        .new_ids
        .iter()
        .chain(&changed.updated_ids)
        .map(|i| i.parse().unwrap())
        .collect();
    assert_eq!(since.keys().copied().collect::<BTreeSet<_>>(), want);
    for id in &changed.new_ids {
        assert_eq!(since[&id.parse::<u64>().unwrap()], "New");
    }
    assert!(since.values().any(|s| s == "Fixed"), "{since:?}");
    for id in &changed.updated_ids {
        let id: u64 = id.parse().unwrap();
        let was = &every[&id];
        let now = &since[&id];
        assert_ne!(was, now, "a change fixes or reopens: {id}");
    }
}

#[tokio::test]
async fn auth_parameters_and_headers() {
    let sim = vms_sim(SimVendor::Qualys, 4, 30).await;
    let url = format!("{}{HLD}?action=list", sim.base_url());
    let anonymous = client()
        .get(&url)
        .header("X-Requested-With", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body = anonymous.text().await.unwrap();
    assert!(
        body.contains("<SIMPLE_RETURN>") && body.contains("Bad Login/Password"),
        "{body}"
    );
    let creds = sim.credentials();
    let no_header = client()
        .get(&url)
        .basic_auth(
            creds["username"].as_str().unwrap(),
            creds["password"].as_str(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), 400);
    let bad = get(
        &sim,
        &format!("{}{HLD}?action=list&status=Gone", sim.base_url()),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(all(&bad.text().await.unwrap(), "CODE"), ["1905"]);
    let missing = get(&sim, &format!("{}{HLD}", sim.base_url())).await;
    assert_eq!(all(&missing.text().await.unwrap(), "CODE"), ["1903"]);
    let ok = get(&sim, &url).await;
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-window-sec",
        "x-ratelimit-remaining",
        "x-ratelimit-towait-sec",
        "x-concurrency-limit-limit",
        "x-concurrency-limit-running",
    ] {
        assert!(ok.headers().contains_key(h), "{h}");
    }
    assert_eq!(ok.headers()["x-concurrency-limit-limit"], "2");
    // Other API versions route to the same handler.
    let v5 = get(
        &sim,
        &format!(
            "{}/api/5.0/fo/asset/host/vm/detection/?action=list",
            sim.base_url()
        ),
    )
    .await;
    assert_eq!(v5.status(), 200);
}

#[tokio::test]
async fn the_knowledge_base_answers_by_qid_and_form_post() {
    let sim = vms_sim(SimVendor::Qualys, 4, 60).await;
    let (every, _) = list(
        &sim,
        "truncation_limit=0&status=New,Active,Re-Opened,Fixed&include_ignored=1",
    )
    .await;
    assert!(!every.is_empty());
    let body = get(
        &sim,
        &format!("{}{HLD}?action=list&truncation_limit=0", sim.base_url()),
    )
    .await
    .text()
    .await
    .unwrap();
    let qids: BTreeSet<&str> = all(&body, "QID").into_iter().collect();
    assert!(qids.len() > 5, "detections of many checks: {qids:?}");
    let creds = sim.credentials();
    let ids = qids.iter().copied().collect::<Vec<_>>().join(",");
    let kb = client()
        .post(format!("{}{KB}", sim.base_url()))
        .basic_auth(
            creds["username"].as_str().unwrap(),
            creds["password"].as_str(),
        )
        .header("X-Requested-With", "curl")
        .form(&[
            ("action", "list"),
            ("details", "All"),
            ("ids", &format!("{ids},1")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(kb.status(), 200);
    let kb = kb.text().await.unwrap();
    assert!(kb.contains("<!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->"));
    let listed: BTreeSet<&str> = kb
        .split("<VULN>")
        .skip(1)
        .map(|v| all(v, "QID")[0])
        .collect();
    assert_eq!(listed, qids, "each known QID once; unknown ids left out");
    assert!(all(&kb, "TITLE").iter().all(|t| !t.is_empty()));
    let none = get(&sim, &format!("{}{KB}?action=list&ids=1", sim.base_url())).await;
    let none = none.text().await.unwrap();
    assert!(
        !none.contains("<VULN_LIST>") && none.contains("<DATETIME>"),
        "{none}"
    );
}

#[tokio::test]
async fn protocol_faults_arrive_in_qualys_shapes() {
    let sim = vms_sim(SimVendor::Qualys, 6, 60).await;
    let url = format!("{}{HLD}?action=list", sim.base_url());
    let control = sim.control();

    control.fault("detections:error_in_200x1").unwrap();
    let r = get(&sim, &url).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("<SIMPLE_RETURN>"), "{body}");
    assert_eq!(all(&body, "CODE"), ["2001"]);

    control.fault("detections:rate_limitedx1").unwrap();
    let r = get(&sim, &url).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let wait: u64 = r.headers()["x-ratelimit-towait-sec"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 3600);
    assert_eq!(all(&r.text().await.unwrap(), "CODE"), ["1965"]);

    control.fault("detections:concurrency_limitedx1").unwrap();
    let r = get(&sim, &url).await;
    assert_eq!(r.status(), 409);
    assert_eq!(all(&r.text().await.unwrap(), "CODE"), ["1960"]);

    // The generic grammar's 429 is Qualys' 409 code 1965.
    control.fault("detections:429x1").unwrap();
    let r = get(&sim, &url).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["x-ratelimit-towait-sec"], "1");

    control.fault("detections:cut_mid_streamx1").unwrap();
    let r = get(&sim, &url).await;
    assert_eq!(r.status(), 200, "the cut comes after the headers");
    assert!(r.text().await.is_err(), "the body breaks off");
    assert!(get(&sim, &url)
        .await
        .text()
        .await
        .unwrap()
        .ends_with("</HOST_LIST_VM_DETECTION_OUTPUT>\n"));
}

#[tokio::test]
async fn detections_have_the_published_elements() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/samples/qualys");
    let Ok(sample) = std::fs::read_to_string(dir.join("host_detection_list_elastic_mock.xml"))
    else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let tags = |xml: &str| -> BTreeSet<String> {
        xml.split('<')
            .skip(1)
            .filter_map(|t| {
                let name: String = t
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                (!name.is_empty()).then_some(name)
            })
            .collect()
    };
    let sim = vms_sim(SimVendor::Qualys, 10, 200).await;
    let body = get(
        &sim,
        &format!(
            "{}{HLD}?action=list&show_qds=1&status=New,Active,Re-Opened,Fixed",
            sim.base_url()
        ),
    )
    .await
    .text()
    .await
    .unwrap();
    let have = tags(&body);
    // RESULTS needs show_results=1 and QDS_FACTORS show_qds_factors=1, which the
    // connector does not ask for.
    let missing: Vec<String> = tags(&sample)
        .into_iter()
        .filter(|t| {
            !have.contains(t) && !["RESULTS", "QDS_FACTORS", "QDS_FACTOR"].contains(&t.as_str())
        })
        .collect();
    assert_eq!(missing, Vec::<String>::new());
}
