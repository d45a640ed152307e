//! `/v2/vulnerability_findings` against its documentation, on both stores: every field of
//! every item, every filter (checked against the full list), keyset paging both ways,
//! one finding by id, and every error.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{support::*, vms::*};

/// Documented fields, then Tributary's additive ones.
const FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "analytic_output",
    "severity",
    "state",
    "type",
    "first_seen",
    "last_seen",
    "ticket",
    "has_fix",
    "remediation",
    "product",
    "analytic",
    "resource_related",
    "vendor_data",
    "vulnerabilities",
    "vendor",
    "vendor_id",
    "state_updated_at",
    "fixed_at",
    "resource_id",
    "resource",
    "updated_at",
];
const RESOURCE_RELATED: &[&str] = &[
    "affected_code",
    "affected_image",
    "affected_os",
    "affected_package",
    "port",
    "protocol",
    "service",
];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

fn check_item(f: &Value) {
    assert_eq!(keys(f), sorted(FIELDS), "{f}");
    assert_eq!(
        keys(&f["resource_related"]),
        sorted(RESOURCE_RELATED),
        "{f}"
    );
    assert_eq!(keys(&f["product"]), sorted(&["vendor_name", "name"]));
    let one_of = |field: &str, allowed: &[&str]| {
        let v = f[field].as_str().unwrap();
        assert!(allowed.contains(&v), "{field} = {v}");
    };
    one_of(
        "severity",
        &[
            "UNKNOWN",
            "INFORMATIONAL",
            "LOW",
            "MEDIUM",
            "HIGH",
            "CRITICAL",
        ],
    );
    one_of(
        "state",
        &["OPEN", "REOPENED", "FIXED", "SUPPRESSED", "UNKNOWN"],
    );
    one_of(
        "type",
        &[
            "HOST",
            "DEPENDENCY",
            "CONTAINER",
            "CODE",
            "CONFIGURATION",
            "SECRET",
            "OTHER",
        ],
    );
    for v in f["vulnerabilities"].as_array().unwrap() {
        for k in [
            "uid",
            "published",
            "last_modified",
            "status",
            "severity",
            "cvss",
            "cwes",
        ] {
            assert!(v.get(k).is_some(), "vulnerability lacks {k}: {v}");
        }
    }
    if let Some(analytic) = f["analytic"].as_object() {
        for k in ["type", "uid", "name", "url"] {
            assert!(analytic.contains_key(k), "{f}");
        }
    }
    let resource = &f["resource"];
    assert_eq!(resource["id"], f["resource_id"], "{f}");
    assert!(
        resource["source_vendors"].is_array(),
        "the EDR device shape: {resource}"
    );
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| s.parse().unwrap())
}

/// `query` applied by the server equals `keep` applied to `all`.
async fn filter_matches(
    app: &TestApp,
    conn: &str,
    all: &[Value],
    query: &str,
    keep: impl Fn(&Value) -> bool,
) {
    let mut want: Vec<&str> = all
        .iter()
        .filter(|f| keep(f))
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let got_items = app.all_findings(conn, query).await;
    let mut got: Vec<&str> = got_items
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{query}");
}

async fn check_filters(app: &TestApp, conn: &str, all: &[Value]) {
    filter_matches(app, conn, all, "severity=CRITICAL,high", |f| {
        matches!(f["severity"].as_str(), Some("CRITICAL" | "HIGH"))
    })
    .await;
    filter_matches(app, conn, all, "state=REOPENED", |f| {
        f["state"] == "REOPENED"
    })
    .await;
    filter_matches(app, conn, all, "has_fix=true", |f| f["has_fix"] == true).await;
    filter_matches(app, conn, all, "has_fix=false", |f| f["has_fix"] == false).await;
    let mut seen: Vec<DateTime<Utc>> = all.iter().filter_map(|f| time(&f["first_seen"])).collect();
    seen.sort();
    let mid = seen[seen.len() / 2];
    let at = mid.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    filter_matches(app, conn, all, &format!("first_seen_since={at}"), |f| {
        time(&f["first_seen"]).is_some_and(|t| t >= mid)
    })
    .await;
    filter_matches(app, conn, all, &format!("last_seen_since={at}"), |f| {
        time(&f["last_seen"]).is_some_and(|t| t >= mid)
    })
    .await;
    filter_matches(app, conn, all, &format!("state_updated_since={at}"), |f| {
        time(&f["state_updated_at"]).is_some_and(|t| t >= mid)
    })
    .await;
    let resources: Vec<&str> = all
        .iter()
        .filter_map(|f| f["resource_id"].as_str())
        .take(2)
        .collect();
    filter_matches(
        app,
        conn,
        all,
        &format!("resourceId={}", resources.join(",")),
        |f| resources.contains(&f["resource_id"].as_str().unwrap_or("")),
    )
    .await;
    let ids: Vec<&str> = all
        .iter()
        .step_by(3)
        .take(5)
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    filter_matches(
        app,
        conn,
        all,
        &format!("ids={}&severity=CRITICAL", ids.join(",")),
        |f| ids.contains(&f["id"].as_str().unwrap()) && f["severity"] == "CRITICAL",
    )
    .await;
}

async fn check_paging_and_one(app: &TestApp, conn: &str, all: &[Value]) {
    // Forward then back: previous_cursor returns the page before.
    let (_, p1) = app.v2(conn, "vulnerability_findings?limit=10").await;
    assert!(p1["previous_cursor"].is_null(), "{p1}");
    let next = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = app
        .v2(
            conn,
            &format!("vulnerability_findings?limit=10&cursor={next}"),
        )
        .await;
    let back = p2["previous_cursor"].as_str().unwrap();
    let (_, p1b) = app
        .v2(
            conn,
            &format!("vulnerability_findings?limit=10&cursor={back}"),
        )
        .await;
    assert_eq!(p1b["items"], p1["items"]);
    assert_eq!(p2["count"], 10);
    // A cursor is bound to its filters.
    let (s, e) = app
        .v2(
            conn,
            &format!("vulnerability_findings?limit=10&severity=LOW&cursor={next}"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // One finding by id: the list's item.
    let one = &all[7];
    let (s, got) = app
        .v2(
            conn,
            &format!("vulnerability_findings/{}", one["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(&got, one);
    let (s, _) = app
        .v2(
            conn,
            "vulnerability_findings/00000000-0000-0000-0000-000000000000",
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn check_errors(app: &TestApp, conn: &str) {
    let many: Vec<String> = (0..101)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    for (query, loc) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=10", "offset"),
        ("severity=SEVERE", "severity"),
        ("state=CLOSED", "state"),
        ("has_fix=maybe", "has_fix"),
        ("first_seen_since=yesterday", "first_seen_since"),
        ("resourceId=not-a-uuid", "resourceId"),
        ("cursor=forged", "cursor"),
        (&format!("ids={}", many.join(",")), "ids"),
    ] {
        let (s, body) = app
            .v2(conn, &format!("vulnerability_findings?{query}"))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["detail"][0]["loc"][1], loc, "{query}: {body}");
    }
    let (s, body) = app.v2(conn, "vulnerability_findings/not-a-uuid").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // No connection header; a connection of another account.
    let resp = app
        .client
        .get(app.url("/v2/vulnerability_findings"))
        .header("X-API-KEY", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let store = app.app.as_ref().unwrap().store();
    let other = store.create_account("other").await.unwrap().id;
    let (_, key) = tributary::commands::create_key(store.as_ref(), other, "k")
        .await
        .unwrap();
    let resp = app
        .client
        .get(app.url("/v2/vulnerability_findings"))
        .header("X-API-KEY", key)
        .header("X-CONNECTION-ID", conn)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_findings_api_behaves_as_documented() {
    for db in backends("vms_api") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("vms").await;
        for (vendor, name) in VMS_VENDORS {
            let sim = vms_sim(vendor, 20, 300).await;
            let conn = app.connect(&org, name, sim.credentials()).await;
            let job = app.first_job(&org, &conn).await;
            assert_eq!(job["health"], "HEALTHY", "{name}: {job}");
            let all = app.all_findings(&conn, "").await;
            assert!(all.len() > 100, "{name}");
            all.iter().for_each(check_item);
            check_filters(&app, &conn, &all).await;
            check_paging_and_one(&app, &conn, &all).await;
            check_errors(&app, &conn).await;
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}
