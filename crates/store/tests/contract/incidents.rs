//! Vendor incidents as stored: the threshold within the window, one incident per vendor
//! host, joins, each account reading only its own connections, the held down
//! notification, and resolution when every member recovered.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tributary_model::{HealthName, Vendor};
use tributary_store::{incidents::*, models::*, ListWindow, Store};
use uuid::Uuid;

use crate::support::*;

const S1: Vendor = Vendor::named("SENTINELONE");
const HOST: &str = "acme.sentinelone.net";

/// One event per affected account, naming the change and that account's members.
fn render(change: &IncidentChange) -> Vec<NewWebhookEvent> {
    change
        .incident
        .accounts()
        .into_iter()
        .map(|account| {
            let ids: Vec<Uuid> = change
                .incident
                .members_of(account)
                .map(|m| m.connection_id)
                .collect();
            NewWebhookEvent {
                id: Uuid::now_v7(),
                account_id: account,
                event_type: format!("vendor_incident.{:?}", change.kind).to_lowercase(),
                payload: json!({"connections": ids}).to_string(),
            }
        })
        .collect()
}

/// Finishes a job of `conn` whose health is `name`, observed at `at` on `host`, with a
/// down notification the store holds back while the connection is in an open incident.
async fn finish_at(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    name: HealthName,
    host: &str,
    at: DateTime<Utc>,
) {
    let job = start_job(store, account, conn).await;
    let mut f = finish(name, job.id, None);
    let down = NewWebhookEvent {
        id: Uuid::now_v7(),
        account_id: account,
        event_type: "connection.health_changed".into(),
        payload: json!({"connection_id": conn}).to_string(),
    };
    let failing = (name == HealthName::VendorServerError).then_some(name);
    f.notified_health = Some(f.connection.health.clone());
    f.vendor = Some(VendorObservation {
        vendor: S1,
        scope: host.into(),
        failing,
        at,
        policy: IncidentPolicy::default(),
        held_notification: failing.map(|_| down.id),
        render,
    });
    f.webhook_events = vec![down];
    store.finish_job(job.id, Some("w"), f).await.unwrap();
}

async fn connection(store: &Arc<dyn Store>, account: Uuid, org: Uuid) -> Uuid {
    store
        .create_connection(account, new_connection(org, S1))
        .await
        .unwrap()
        .id
}

async fn endpoint(store: &Arc<dyn Store>, account: Uuid) -> Uuid {
    store
        .create_endpoint(
            account,
            NewWebhookEndpoint {
                id: Uuid::now_v7(),
                url: "http://127.0.0.1:9/hook".into(),
                description: None,
                event_types: None,
                enabled: true,
                sealed_secret: b"s".to_vec(),
                include_fix_link: false,
            },
        )
        .await
        .unwrap()
        .id
}

/// The (type, payload) of every delivery an endpoint has, oldest first.
async fn deliveries(
    store: &Arc<dyn Store>,
    account: Uuid,
    endpoint: Uuid,
) -> Vec<(String, String)> {
    let mut d: Vec<_> = store
        .list_deliveries(account, endpoint, ListWindow::first(1000))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|d| (d.event_type, d.payload))
        .collect();
    d.reverse();
    d
}

async fn incidents(
    store: &Arc<dyn Store>,
    account: Uuid,
    status: Option<IncidentStatus>,
) -> Vec<VendorIncident> {
    store
        .list_vendor_incidents(account, status, ListWindow::first(100))
        .await
        .unwrap()
        .items
}

fn members(i: &VendorIncident) -> Vec<Uuid> {
    i.connections.iter().map(|m| m.connection_id).collect()
}

#[tokio::test]
async fn an_incident_opens_at_the_threshold_lists_each_account_its_own_and_resolves() {
    each_backend("vendor_incidents", |store, _| async move {
        let (f1, f2) = (fixture(&store).await, fixture(&store).await);
        let (h1, h2) = (
            endpoint(&store, f1.account).await,
            endpoint(&store, f2.account).await,
        );
        let c1 = connection(&store, f1.account, f1.org).await;
        let c2 = connection(&store, f1.account, f1.org).await;
        let c3 = connection(&store, f2.account, f2.org).await;
        let elsewhere = connection(&store, f1.account, f1.org).await;
        let late = connection(&store, f2.account, f2.org).await;
        let vse = HealthName::VendorServerError;
        let now = Utc::now();

        // Two at the host and one at another host: below the threshold of 3.
        finish_at(&store, f1.account, c1, vse, HOST, now).await;
        finish_at(&store, f1.account, elsewhere, vse, "other.example", now).await;
        finish_at(&store, f1.account, c2, vse, HOST, now).await;
        assert!(incidents(&store, f1.account, None).await.is_empty());
        // The third opens it; its down notification is held.
        finish_at(&store, f2.account, c3, vse, HOST, now).await;
        let mine = incidents(&store, f1.account, Some(IncidentStatus::Open)).await;
        assert_eq!(mine.len(), 1);
        assert_eq!((mine[0].vendor, mine[0].scope.as_str()), (S1, HOST));
        assert_eq!(mine[0].health_name, vse);
        assert_eq!(
            members(&mine[0]),
            vec![c1, c2],
            "only account 1's connections"
        );
        let theirs = incidents(&store, f2.account, None).await;
        assert_eq!(members(&theirs[0]), vec![c3]);
        assert_eq!(theirs[0].id, mine[0].id);
        let stranger = fixture(&store).await;
        assert!(incidents(&store, stranger.account, None).await.is_empty());
        assert!(
            incidents(&store, f1.account, Some(IncidentStatus::Resolved))
                .await
                .is_empty()
        );
        let c3_row = store.get_connection(f2.account, c3).await.unwrap().unwrap();
        assert_eq!(
            c3_row.notified_health, None,
            "the held notification reports nothing"
        );
        let c1_row = store.get_connection(f1.account, c1).await.unwrap().unwrap();
        assert_eq!(c1_row.notified_health.map(|h| h.name), Some(vse));

        // A later failure at the host joins; its notification is held too.
        finish_at(&store, f2.account, late, vse, HOST, now).await;
        assert_eq!(
            members(&incidents(&store, f2.account, None).await[0]),
            vec![c3, late]
        );
        let d1: Vec<String> = deliveries(&store, f1.account, h1)
            .await
            .into_iter()
            .map(|d| d.0)
            .collect();
        assert_eq!(
            d1,
            [
                "connection.health_changed",
                "connection.health_changed",
                "connection.health_changed",
                "vendor_incident.opened",
                "vendor_incident.joined"
            ],
            "c1, elsewhere, c2 notified; then the incident (c3's down held)"
        );
        let d2 = deliveries(&store, f2.account, h2).await;
        let kinds: Vec<&str> = d2.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(kinds, ["vendor_incident.opened", "vendor_incident.joined"]);
        assert!(!d2.iter().any(|d| d.1.contains(&c1.to_string())), "{d2:?}");

        // Recovering one by one; the last resolves it.
        for (account, c) in [(f1.account, c1), (f1.account, c2), (f2.account, c3)] {
            finish_at(&store, account, c, HealthName::Healthy, HOST, now).await;
            assert_eq!(
                incidents(&store, f1.account, Some(IncidentStatus::Open))
                    .await
                    .len(),
                1
            );
        }
        finish_at(&store, f2.account, late, HealthName::Healthy, HOST, now).await;
        let resolved = incidents(&store, f2.account, Some(IncidentStatus::Resolved)).await;
        assert_eq!(resolved.len(), 1);
        assert!(resolved[0].resolved_at.is_some());
        assert!(resolved[0]
            .connections
            .iter()
            .all(|m| m.recovered_at.is_some()));
        assert!(incidents(&store, f2.account, Some(IncidentStatus::Open))
            .await
            .is_empty());
        let last = deliveries(&store, f1.account, h1).await.pop().unwrap();
        assert_eq!(last.0, "vendor_incident.resolved");

        // Failures that began longer than the window apart are not one incident; a
        // customer-owned failure is not a vendor failure at all.
        let long_ago = now - Duration::hours(1);
        finish_at(&store, f1.account, c1, vse, HOST, long_ago).await;
        finish_at(&store, f1.account, c2, HealthName::Unauthorized, HOST, now).await;
        finish_at(&store, f2.account, c3, vse, HOST, now).await;
        finish_at(&store, f2.account, late, vse, HOST, now).await;
        assert!(incidents(&store, f1.account, Some(IncidentStatus::Open))
            .await
            .is_empty());
        // A third failure within the window of the two recent ones opens a new one.
        finish_at(&store, f1.account, elsewhere, vse, HOST, now).await;
        let open = incidents(&store, f2.account, Some(IncidentStatus::Open)).await;
        assert_eq!(open.len(), 1);
        assert_eq!(members(&open[0]), vec![c3, late]);
        assert_eq!(
            incidents(&store, f1.account, None).await.len(),
            2,
            "newest first"
        );
        assert_eq!(incidents(&store, f1.account, None).await[0].id, open[0].id);
        let page = store
            .list_vendor_incidents(f1.account, None, ListWindow::first(1))
            .await
            .unwrap();
        assert_eq!(
            (page.items.len(), page.total, page.has_more),
            (1, Some(2), true)
        );
    })
    .await;
}
