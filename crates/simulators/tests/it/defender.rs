//! Defender for Endpoint over real HTTP: the Entra token endpoint (v2.0 and v1, AAD
//! errors), OData lists with `$filter`/`$top`/`$skip`/`$expand`/`@odata.nextLink`, and
//! entities by id.

use std::collections::HashSet;

use serde_json::Value;
use tributary_simulators::SimVendor;

use crate::support::*;

#[tokio::test]
async fn client_credentials_tokens_and_aad_errors() {
    let sim = sim(SimVendor::MsDefenderEndpoint, 3, 3).await;
    let creds = sim.credentials();
    let keys: HashSet<&str> = creds
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "tenant_id",
            "client_id",
            "client_secret",
            "login_base_url",
            "api_base_url"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(creds["login_base_url"], sim.login_base_url());
    let ok = mde_token_reply(&creds, creds["client_secret"].as_str().unwrap()).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["expires_in"], 3599);
    assert_eq!(
        ok.body["access_token"].as_str().unwrap().split('.').count(),
        3,
        "JWT-shaped"
    );
    let bad = mde_token_reply(&creds, "wrong").await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["error"], "invalid_client");
    assert_eq!(bad.body["error_codes"][0], 7000215);
    assert!(bad.body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215"));
    let mut other_tenant = creds.clone();
    other_tenant["tenant_id"] = "00000000-0000-0000-0000-000000000000".into();
    assert_eq!(
        mde_token_reply(&other_tenant, creds["client_secret"].as_str().unwrap())
            .await
            .status,
        400
    );
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        sim.base_url(),
        creds["tenant_id"].as_str().unwrap()
    );
    let form = |scope: &'static str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", creds["client_id"].as_str().unwrap().to_owned()),
            (
                "client_secret",
                creds["client_secret"].as_str().unwrap().to_owned(),
            ),
            ("scope", scope.to_owned()),
        ]
    };
    let no_default = read(
        client()
            .post(&url)
            .form(&form("https://api.securitycenter.microsoft.com"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_default.body["error"], "invalid_scope");
    let alias = read(
        client()
            .post(&url)
            .form(&form(
                "https://securitycenter.onmicrosoft.com/windowsatpservice/.default",
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(alias.status, 200);
    let v1 = read(
        client()
            .post(format!(
                "{}/{}/oauth2/token",
                sim.base_url(),
                creds["tenant_id"].as_str().unwrap()
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", creds["client_secret"].as_str().unwrap()),
                ("resource", "https://api.securitycenter.microsoft.com"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v1.status, 200);
    assert_eq!(
        v1.body["resource"],
        "https://api.securitycenter.microsoft.com"
    );
    let token = ok.body["access_token"].as_str().unwrap();
    assert_eq!(
        mde_get(token, &format!("{}/api/machines", sim.base_url()))
            .await
            .status,
        200
    );
    let denied = mde_get("forged", &format!("{}/api/alerts", sim.base_url())).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.body["error"]["code"], "Unauthorized");
    assert!(denied.body["error"]["target"].is_string());
}

#[tokio::test]
async fn odata_paging_follows_next_links_to_the_end() {
    let sim = sim(SimVendor::MsDefenderEndpoint, 23, 95).await;
    let token = mde_token(&sim.credentials()).await;
    let base = sim.base_url();
    let (alerts, pages) = mde_all(&token, &format!("{base}/api/alerts?$top=10")).await;
    assert_eq!((alerts.len(), pages), (95, 10));
    assert_eq!(
        strings(&alerts, "id")
            .into_iter()
            .collect::<HashSet<_>>()
            .len(),
        95
    );
    let first = mde_get(&token, &format!("{base}/api/alerts?$top=10")).await;
    assert_eq!(
        first.body["@odata.context"],
        format!("{base}/api/$metadata#Alerts")
    );
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{base}/api/alerts?")) && next.contains("$skip=10"),
        "{next}"
    );
    let last = mde_get(&token, &format!("{base}/api/alerts?$top=10&$skip=90")).await;
    assert_eq!(last.body["value"].as_array().unwrap().len(), 5);
    assert!(last.body.get("@odata.nextLink").is_none());
    let past = mde_get(&token, &format!("{base}/api/alerts?$top=10&$skip=95")).await;
    assert_eq!(past.body["value"], serde_json::json!([]));
    let mut by_skip = Vec::new();
    for skip in (0..95).step_by(30) {
        let r = mde_get(&token, &format!("{base}/api/alerts?$top=30&$skip={skip}")).await;
        by_skip.extend(strings(r.body["value"].as_array().unwrap(), "id"));
    }
    assert_eq!(by_skip, strings(&alerts, "id"));
    let (machines, _) = mde_all(&token, &format!("{base}/api/machines")).await;
    assert_eq!(machines.len(), 23);
    let ids: HashSet<String> = strings(&machines, "id").into_iter().collect();
    for a in &alerts {
        assert!(
            ids.contains(a["machineId"].as_str().unwrap()),
            "alert concerns a listed machine"
        );
        assert_eq!(
            a["evidence"],
            serde_json::json!([]),
            "no evidence without $expand"
        );
    }
    let machine = &machines[0];
    assert_eq!(machine["id"].as_str().unwrap().len(), 40);
    let mac = machine["ipAddresses"][0]["macAddress"].as_str().unwrap();
    assert!(
        mac.len() == 12 && mac.bytes().all(|b| b.is_ascii_hexdigit()),
        "{mac}"
    );
    for bad in [
        "$top=10001",
        "$select=id",
        "$skip=-1",
        "$filter=nosuch eq 1",
        "$filter=status eq",
        "$expand=comments",
    ] {
        assert_eq!(
            mde_get(&token, &format!("{base}/api/alerts?{bad}"))
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn last_update_filters_are_exact_at_seven_digits() {
    let sim = sim(SimVendor::MsDefenderEndpoint, 10, 70).await;
    let token = mde_token(&sim.credentials()).await;
    let base = sim.base_url();
    let (all, _) = mde_all(&token, &format!("{base}/api/alerts")).await;
    let times = strings(&all, "lastUpdateTime");
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(times[0].len(), 28, "seven fractional digits: {}", times[0]);
    let pivot = &times[40];
    for (op, expected) in [("ge", 30), ("gt", 29), ("lt", 40), ("le", 41)] {
        let (got, _) = mde_all(
            &token,
            &format!("{base}/api/alerts?$filter=lastUpdateTime {op} {pivot}&$top=7"),
        )
        .await;
        assert_eq!(got.len(), expected, "lastUpdateTime {op}");
    }
    let (machines, _) = mde_all(&token, &format!("{base}/api/machines")).await;
    let seen = strings(&machines, "lastSeen");
    let (recent, _) = mde_all(
        &token,
        &format!("{base}/api/machines?$filter=lastSeen ge {}", seen[6]),
    )
    .await;
    assert_eq!(recent.len(), 4);
    let count = |pred: &dyn Fn(&Value) -> bool| all.iter().filter(|a| pred(a)).count();
    for (filter, expected) in [
        ("status eq 'New'", count(&|a| a["status"] == "New")),
        (
            "severity in ('High','Medium')",
            count(&|a| a["severity"] == "High" || a["severity"] == "Medium"),
        ),
        (
            "status ne 'Resolved' and severity eq 'Low'",
            count(&|a| a["status"] != "Resolved" && a["severity"] == "Low"),
        ),
        ("assignedTo eq null", count(&|a| a["assignedTo"].is_null())),
        (
            "category eq 'Execution' or category eq 'Persistence'",
            count(&|a| a["category"] == "Execution" || a["category"] == "Persistence"),
        ),
    ] {
        let (got, _) = mde_all(&token, &format!("{base}/api/alerts?$filter={filter}")).await;
        assert_eq!(got.len(), expected, "{filter}");
    }
}

#[tokio::test]
async fn evidence_expands_and_entities_resolve_by_id() {
    let sim = sim(SimVendor::MsDefenderEndpoint, 8, 20).await;
    let token = mde_token(&sim.credentials()).await;
    let base = sim.base_url();
    let r = mde_get(
        &token,
        &format!("{base}/api/alerts?$expand=evidence&$top=5"),
    )
    .await;
    for a in r.body["value"].as_array().unwrap() {
        let evidence = a["evidence"].as_array().unwrap();
        assert!(evidence.len() >= 3);
        let keys: Vec<HashSet<&String>> = evidence
            .iter()
            .map(|e| e.as_object().unwrap().keys().collect())
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] == w[1]),
            "every evidence item has the same keys"
        );
        let process = evidence
            .iter()
            .find(|e| e["entityType"] == "Process")
            .unwrap();
        assert!(
            !process["filePath"]
                .as_str()
                .unwrap()
                .ends_with(process["fileName"].as_str().unwrap()),
            "filePath is the folder"
        );
    }
    let id = r.body["value"][0]["id"].as_str().unwrap();
    assert!(id.starts_with("da") && id.contains('_'));
    let one = mde_get(&token, &format!("{base}/api/alerts/{id}")).await;
    assert_eq!(one.body["id"], id);
    assert_eq!(
        one.body["@odata.context"],
        format!("{base}/api/$metadata#Alerts/$entity")
    );
    let machine_id = one.body["machineId"].as_str().unwrap();
    let machine = mde_get(&token, &format!("{base}/api/machines/{machine_id}")).await;
    assert_eq!(machine.status, 200);
    assert_eq!(machine.body["computerDnsName"], one.body["computerDnsName"]);
    let missing = mde_get(&token, &format!("{base}/api/machines/{}", "0".repeat(40))).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "ResourceNotFound");
}

#[tokio::test]
async fn no_machines_is_the_documented_404() {
    let sim = sim(SimVendor::MsDefenderEndpoint, 0, 0).await;
    let token = mde_token(&sim.credentials()).await;
    let r = mde_get(&token, &format!("{}/api/machines", sim.base_url())).await;
    assert_eq!(r.status, 404);
    let alerts = mde_get(&token, &format!("{}/api/alerts", sim.base_url())).await;
    assert_eq!(alerts.status, 200);
    assert_eq!(alerts.body["value"], serde_json::json!([]));
}
