use chrono::{Duration, Utc};
use serde_json::json;
use tributary_store::{
    audit::{ActorType, AuditFilter, NewAuditEvent},
    models::NewApiKey,
    ListWindow, Position, SortKey,
};
use uuid::Uuid;

use crate::support::*;

fn event(account: Uuid, action: &str, target_type: &str, target: Uuid) -> NewAuditEvent {
    NewAuditEvent {
        account_id: account,
        actor_type: ActorType::ApiKey,
        api_key_id: Some(Uuid::nil()),
        session_id: None,
        client_addr: Some("192.0.2.7".into()),
        action: action.into(),
        target_type: target_type.into(),
        target_id: target,
        changes: Some(json!({"name": {"from": null, "to": "a"}})),
    }
}

#[tokio::test]
async fn audit_events_are_listed_newest_first_filtered_and_scoped() {
    each_backend("audit_events", |store, _| async move {
        let account = store.create_account("acme").await.unwrap().id;
        let other = store.create_account("other").await.unwrap().id;
        let (org, conn) = (Uuid::now_v7(), Uuid::now_v7());
        let first = store
            .record_audit(event(account, "created", "organization", org))
            .await
            .unwrap();
        assert_eq!(first.client_addr.as_deref(), Some("192.0.2.7"));
        assert_eq!(first.changes.as_ref().unwrap()["name"]["to"], "a");
        for action in ["created", "updated", "deleted"] {
            store
                .record_audit(event(account, action, "connection", conn))
                .await
                .unwrap();
        }
        store
            .record_audit(event(other, "created", "organization", org))
            .await
            .unwrap();
        let all = AuditFilter::default();
        let page = store
            .list_audit(account, &all, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(page.total, Some(4), "scoped to the account");
        let actions: Vec<&str> = page.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["deleted", "updated", "created", "created"]);
        let filter = AuditFilter {
            target_id: Some(conn),
            actions: vec!["created".into(), "deleted".into()],
            ..Default::default()
        };
        let page = store
            .list_audit(account, &filter, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(page.total, Some(2));
        let since = AuditFilter {
            since: Some(Utc::now() + Duration::hours(1)),
            ..Default::default()
        };
        let none = store
            .list_audit(account, &since, ListWindow::first(10))
            .await;
        assert_eq!(none.unwrap().total, Some(0));
        // Keyset pages walk the same order.
        let top = store
            .list_audit(account, &all, ListWindow::first(2))
            .await
            .unwrap();
        let last = top.items.last().unwrap();
        let window = ListWindow {
            limit: 10,
            position: Position::After(SortKey {
                key: last.at.timestamp_micros(),
                id: last.id,
            }),
            with_total: false,
        };
        let rest = store.list_audit(account, &all, window).await.unwrap();
        assert_eq!(rest.items.len(), 2);
        assert_eq!(rest.items[1].id, first.id);
    })
    .await;
}

#[tokio::test]
async fn sessions_end_on_logout_expiry_or_key_revocation() {
    each_backend("dashboard_sessions", |store, _| async move {
        let account = store.create_account("acme").await.unwrap().id;
        let key = |hash: &str| NewApiKey {
            id: Uuid::now_v7(),
            account_id: account,
            name: "k".into(),
            prefix: "trb_x".into(),
            key_hash: hash.into(),
        };
        let k1 = store.create_api_key(key("h1")).await.unwrap().id;
        let k2 = store.create_api_key(key("h2")).await.unwrap().id;
        let now = Utc::now();
        let later = now + Duration::hours(1);
        let s = store.create_session(account, k1, later).await.unwrap();
        assert_eq!(
            store.live_session(s.id, now).await.unwrap().unwrap().key_id,
            k1
        );
        assert!(
            store.live_session(s.id, later).await.unwrap().is_none(),
            "expired"
        );
        let other = store.create_account("other").await.unwrap().id;
        assert!(
            !store.end_session(other, s.id).await.unwrap(),
            "cross-account"
        );
        assert!(store.end_session(account, s.id).await.unwrap());
        assert!(
            store.live_session(s.id, now).await.unwrap().is_none(),
            "ended"
        );
        assert!(
            !store.end_session(account, s.id).await.unwrap(),
            "ended twice"
        );
        let s2 = store.create_session(account, k2, later).await.unwrap();
        store.revoke_api_key(account, k2).await.unwrap();
        assert!(
            store.live_session(s2.id, now).await.unwrap().is_none(),
            "key revoked"
        );
    })
    .await;
}
