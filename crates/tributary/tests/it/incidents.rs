//! Vendor incidents (docs/health.md, "Vendor incidents"): a fleet-wide outage of one
//! simulated vendor, seen by five connections of two accounts over real HTTP, is one
//! incident; each account's webhook endpoint and API see only its own connections; the
//! per-connection down notifications after the threshold are folded into it; it
//! resolves when the outage ends. A connection to another vendor and a customer-owned
//! failure never join. Stepped, on every store.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tributary_simulators::SimVendor;

use crate::{receiver::Receiver, support::*, sync::*};

const INCIDENT_EVENTS: [&str; 3] = [
    "vendor_incident.opened",
    "vendor_incident.updated",
    "vendor_incident.resolved",
];

/// One account of the test: its key, organization, webhook receiver.
struct Tenant {
    key: String,
    org: String,
    hook: Receiver,
}

impl Tenant {
    async fn new(app: &TestApp, key: String, name: &str) -> Tenant {
        let hook = Receiver::start(200).await;
        let types: Vec<&str> = INCIDENT_EVENTS
            .iter()
            .copied()
            .chain(["connection.health_changed"])
            .collect();
        let (s, body) = call(
            app,
            &key,
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": hook.url(), "event_types": types})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (s, org) = call(
            app,
            &key,
            Method::POST,
            "/v1/provisioning/organizations",
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{org}");
        Tenant {
            key,
            org: org["id"].as_str().unwrap().to_owned(),
            hook,
        }
    }

    async fn connect(&self, app: &TestApp, vendor: &str, credentials: Value) -> String {
        let (s, conn) = call(
            app,
            &self.key,
            Method::POST,
            &connections_path(&self.org),
            Some(json!({"vendor": vendor, "credentials": credentials})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{conn}");
        conn["id"].as_str().unwrap().to_owned()
    }

    async fn run_now(&self, app: &TestApp, conn: &str) {
        let path = format!("{}/{conn}/jobs", connections_path(&self.org));
        let (s, job) = call(app, &self.key, Method::POST, &path, Some(json!({}))).await;
        assert!(s.is_success(), "{s} {job}");
    }

    async fn incidents(&self, app: &TestApp, query: &str) -> Value {
        let (s, page) = call(
            app,
            &self.key,
            Method::GET,
            &format!("/v1/health/incidents{query}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        page
    }

    /// The bodies received so far, of `kind`.
    fn events(&self, kind: &str) -> Vec<Value> {
        self.hook
            .received()
            .iter()
            .map(|r| r.json())
            .filter(|e| e["type"] == kind)
            .collect()
    }
}

async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("X-API-KEY", key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["connection_id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The connections whose `connection.health_changed` a tenant received, going `to`.
fn health_changes(t: &Tenant, to_healthy: bool) -> BTreeSet<String> {
    t.events("connection.health_changed")
        .iter()
        .filter(|e| (e["data"]["health"]["name"] == "HEALTHY") == to_healthy)
        .map(|e| e["data"]["connection_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The dashboard's connections page as `key`'s account sees it (logged in over plain
/// HTTP: the login form's CSRF cookie and token, then the session cookie).
async fn dashboard(app: &TestApp, key: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = |r: &reqwest::Response| {
        let set = r.headers()["set-cookie"].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    };
    let form = client
        .get(app.url("/dashboard/login"))
        .send()
        .await
        .unwrap();
    let csrf_cookie = cookie(&form);
    let html = form.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the login form carries a CSRF token");
    let login = client
        .post(app.url("/dashboard/login"))
        .header("cookie", csrf_cookie)
        .form(&[("csrf", csrf), ("api_key", key)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let session = cookie(&login);
    let page = client
        .get(app.url("/dashboard"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.unwrap()
}

async fn deliver_all(app: &TestApp) {
    while app.deliver().await > 0 {}
}

#[tokio::test]
async fn a_fleet_wide_outage_is_one_vendor_incident_folding_each_accounts_connections() {
    for db in backends("vendor_incident") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        // Every failure notifies at once, so what the incident folds is visible; no
        // retries, so an outage fails a job at once.
        config.webhooks.down_after_failures = 1;
        config.engine.max_retries = 0;
        let app = TestApp::spawn_with(db, dir, config).await;
        let a = Tenant::new(&app, app.key.clone(), "Acme").await;
        let b = Tenant::new(&app, app.other_account_key().await, "Globex").await;

        let s1 = sim(SimVendor::Sentinelone, 3, 3).await;
        let cs = sim(SimVendor::Crowdstrike, 3, 3).await;
        let mut s1_conns = Vec::new();
        for (i, tenant) in [&a, &a, &b, &a, &b].into_iter().enumerate() {
            let creds = s1
                .control()
                .add_credential(&format!("tenant-{i}"), &[])
                .unwrap();
            s1_conns.push(tenant.connect(&app, "SENTINELONE", creds).await);
        }
        // A customer-owned failure at the same vendor host: its credential is refused
        // (its rule comes before the outage's, so it keeps answering 401).
        let refused = s1
            .control()
            .add_credential("refused", &["all:401"])
            .unwrap();
        let refused = a.connect(&app, "SENTINELONE", refused).await;
        let other_vendor = a
            .connect(&app, "CROWDSTRIKE", cs.control().credentials())
            .await;
        app.step().await;
        let (a0, a1, b2, a3, b4) = (
            &s1_conns[0],
            &s1_conns[1],
            &s1_conns[2],
            &s1_conns[3],
            &s1_conns[4],
        );

        // The vendor goes down for every tenant. Jobs run in this order: a0 and a1 go
        // down (notified: below the threshold of 3), b2 opens the incident, a3 and b4
        // join it.
        let outage = s1.control().fault("outage").unwrap().unwrap();
        for (t, c) in [(&a, a0), (&a, a1), (&b, b2), (&a, a3), (&b, b4)] {
            t.run_now(&app, c).await;
        }
        a.run_now(&app, &refused).await;
        a.run_now(&app, &other_vendor).await;
        app.step().await;
        // A second round while still down: members stay folded, nothing new is sent.
        for (t, c) in [(&a, a0), (&a, a1), (&b, b2), (&a, a3), (&b, b4)] {
            t.run_now(&app, c).await;
        }
        app.step().await;
        deliver_all(&app).await;

        for t in [&a, &b] {
            let page = t.incidents(&app, "?status=open").await;
            assert_eq!(page["total"], 1, "{page}");
            let incident = &page["items"][0];
            assert_eq!(incident["vendor"], "SENTINELONE", "{incident}");
            assert_eq!(incident["status"], "open");
            assert_eq!(incident["health_name"], "VENDOR_SERVER_ERROR");
            assert!(incident["host"].as_str().unwrap().starts_with("127.0.0.1:"));
            assert_eq!(t.incidents(&app, "?status=resolved").await["total"], 0);
        }
        let a_open = a.incidents(&app, "").await["items"][0].clone();
        let b_open = b.incidents(&app, "").await["items"][0].clone();
        assert_eq!(a_open["id"], b_open["id"], "one incident for both accounts");
        assert_eq!(ids(&a_open["connections"]), set(&[a0, a1, a3]), "{a_open}");
        assert_eq!(ids(&b_open["connections"]), set(&[b2, b4]), "{b_open}");

        // Webhooks: one `opened` per account, listing only its own connections; the
        // joins as `updated`; down notifications only for those below the threshold.
        let opened_a = a.events("vendor_incident.opened");
        let opened_b = b.events("vendor_incident.opened");
        assert_eq!((opened_a.len(), opened_b.len()), (1, 1));
        let listed = |e: &Value| ids(&e["data"]["incident"]["connections"]);
        assert_eq!(listed(&opened_a[0]), set(&[a0, a1]), "{}", opened_a[0]);
        assert_eq!(listed(&opened_b[0]), set(&[b2]), "{}", opened_b[0]);
        let updated_a = a.events("vendor_incident.updated");
        assert_eq!(updated_a.len(), 1);
        assert_eq!(listed(&updated_a[0]), set(&[a0, a1, a3]));
        let updated_b = b.events("vendor_incident.updated");
        assert_eq!(updated_b.len(), 1);
        assert_eq!(listed(&updated_b[0]), set(&[b2, b4]));
        assert_eq!(health_changes(&a, false), set(&[a0, a1, &refused]));
        assert!(
            health_changes(&b, false).is_empty(),
            "{:?}",
            b.hook.received()
        );
        for (t, others) in [(&a, vec![b2, b4]), (&b, vec![a0, a1, a3])] {
            for r in t.hook.received() {
                for other in &others {
                    assert!(
                        !r.body.contains(other.as_str()),
                        "leaked {other}: {}",
                        r.body
                    );
                }
            }
        }
        // The dashboard shows the open incident with the account's failing count.
        let id = a_open["id"].as_str().unwrap();
        let html = dashboard(&app, &a.key).await;
        assert!(html.contains(&format!("data-incident=\"{id}\"")), "{html}");
        assert!(html.contains("3 of your connections failing"), "{html}");
        assert!(dashboard(&app, &b.key)
            .await
            .contains("2 of your connections failing"));
        let refused_health = app.connection(&a.org, &refused).await["health"].clone();
        assert_eq!(refused_health["name"], "UNAUTHORIZED", "{refused_health}");
        let cs_health = app.connection(&a.org, &other_vendor).await["health"].clone();
        assert_eq!(cs_health["name"], "HEALTHY", "{cs_health}");

        // The outage ends: each connection recovers at its next job; the last one
        // resolves the incident.
        assert!(s1.control().remove_fault(outage));
        for (t, c) in [(&a, a0), (&a, a1), (&b, b2), (&a, a3), (&b, b4)] {
            t.run_now(&app, c).await;
        }
        app.step().await;
        deliver_all(&app).await;
        for (t, mine) in [(&a, set(&[a0, a1, a3])), (&b, set(&[b2, b4]))] {
            assert_eq!(t.incidents(&app, "?status=open").await["total"], 0);
            let page = t.incidents(&app, "?status=resolved").await;
            assert_eq!(page["total"], 1, "{page}");
            let incident = &page["items"][0];
            assert_eq!(incident["status"], "resolved");
            assert!(incident["resolved_at"].is_string(), "{incident}");
            assert_eq!(ids(&incident["connections"]), mine);
            assert!(incident["connections"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["recovered_at"].is_string()));
            let resolved = t.events("vendor_incident.resolved");
            assert_eq!(resolved.len(), 1);
            assert_eq!(listed(&resolved[0]), mine);
        }
        assert!(!dashboard(&app, &a.key).await.contains("data-incident="));
        // Recovery is sent exactly to the connections whose down was sent.
        assert_eq!(health_changes(&a, true), set(&[a0, a1]));
        assert!(health_changes(&b, true).is_empty());
        eprintln!(
            "{:?}: 5 connections of 2 accounts in one incident: {} of 5 down notifications sent; \
             webhook deliveries per account {} + {}",
            app.backend(),
            health_changes(&a, false).len() - 1,
            a.hook.received().len(),
            b.hook.received().len(),
        );
        a.hook.stop();
        b.hook.stop();
        s1.shutdown().await.unwrap();
        cs.shutdown().await.unwrap();
        app.stop().await;
    }
}

/// Probes between jobs see an outage too: three healthy connections, the vendor goes
/// down, one probe pass opens the incident (no job runs); the outage ends, the next pass
/// clears what only probes saw and resolves it. The list refuses a bad filter.
#[tokio::test]
async fn probes_open_and_resolve_a_vendor_incident_between_jobs() {
    for db in backends("vendor_incident_probes") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        config.engine.probe_interval_secs = 0;
        config.engine.max_retries = 0;
        let app = TestApp::spawn_with(db, dir, config).await;
        let engine = || app.app.as_ref().unwrap().engine();
        let a = Tenant::new(&app, app.key.clone(), "Acme").await;
        let s1 = sim(SimVendor::Sentinelone, 2, 2).await;
        let mut conns = BTreeSet::new();
        for i in 0..3 {
            let creds = s1.control().add_credential(&format!("p{i}"), &[]).unwrap();
            conns.insert(a.connect(&app, "SENTINELONE", creds).await);
        }
        app.step().await;

        let outage = s1.control().fault("outage").unwrap().unwrap();
        let probed = engine().probe_once().await.unwrap();
        assert_eq!(probed.len(), 3, "{probed:?}");
        let page = a.incidents(&app, "?status=open").await;
        assert_eq!(page["total"], 1, "{page}");
        assert_eq!(ids(&page["items"][0]["connections"]), conns);
        for c in &conns {
            let h = app.connection(&a.org, c).await["health"].clone();
            assert_eq!(h["name"], "VENDOR_SERVER_ERROR", "{h}");
            assert!(h["details"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["source"] == "probe"));
        }

        assert!(s1.control().remove_fault(outage));
        engine().probe_once().await.unwrap();
        assert_eq!(a.incidents(&app, "?status=open").await["total"], 0);
        let resolved = a.incidents(&app, "?status=resolved&limit=1").await;
        assert_eq!(resolved["count"], 1, "{resolved}");

        for bad in ["?status=closed", "?limit=0", "?limit=1001"] {
            let (s, body) = app.get(&format!("/v1/health/incidents{bad}")).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert_eq!(body["detail"][0]["loc"][0], "query", "{body}");
        }
        let (s, _) = call(&app, "trb_nope", Method::GET, "/v1/health/incidents", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        a.hook.stop();
        s1.shutdown().await.unwrap();
        app.stop().await;
    }
}
