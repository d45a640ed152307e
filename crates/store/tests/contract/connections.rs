use tributary_model::{ConnectionState, HealthName, Vendor};
use tributary_store::{models::*, ListWindow, StoreError};

use crate::support::*;

#[tokio::test]
async fn connections_filter_by_every_field() {
    each_backend("connection_filters", |store, _| async move {
        let f = fixture(&store).await;
        let mut ids = vec![];
        for (vendor, ident) in [
            (Vendor::named("SENTINELONE"), "a"),
            (Vendor::named("CROWDSTRIKE"), "b"),
            (Vendor::named("MS_DEFENDER_ENDPOINT"), "c"),
        ] {
            let mut c = new_connection(f.org, vendor);
            c.identifier = Some(ident.into());
            ids.push(store.create_connection(f.account, c).await.unwrap().id);
        }
        let list = |filter: ConnectionFilter| {
            let store = store.clone();
            async move {
                store
                    .list_connections(f.account, &filter, ListWindow::first(100))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(list(ConnectionFilter::default()).await, ids);
        let by_vendor = ConnectionFilter {
            vendors: vec![Vendor::named("CROWDSTRIKE")],
            ..Default::default()
        };
        assert_eq!(list(by_vendor).await, vec![ids[1]]);
        let by_ident = ConnectionFilter {
            identifier: Some("c".into()),
            ..Default::default()
        };
        assert_eq!(list(by_ident).await, vec![ids[2]]);

        let paused = ConnectionChanges {
            state: Some(ConnectionState::Paused),
            ..Default::default()
        };
        let c = store
            .update_connection(f.account, ids[0], paused)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.state, c.identifier.as_deref()),
            (ConnectionState::Paused, Some("a"))
        );
        let active = ConnectionFilter {
            is_active: Some(true),
            ..Default::default()
        };
        assert_eq!(list(active).await, vec![ids[1], ids[2]]);
        let inactive = ConnectionFilter {
            is_active: Some(false),
            ..Default::default()
        };
        assert_eq!(list(inactive).await, vec![ids[0]]);

        // Health filter: give one connection a health through a finished job.
        let job = store
            .enqueue_job(f.account, ids[1], tributary_model::job::JobTrigger::Manual)
            .await
            .unwrap();
        let now = chrono::Utc::now();
        store
            .claim_job("w", now, now + chrono::Duration::minutes(1))
            .await
            .unwrap()
            .unwrap();
        store
            .finish_job(
                job.id,
                Some("w"),
                finish(HealthName::Unauthorized, job.id, None),
            )
            .await
            .unwrap();
        let unauthorized = ConnectionFilter {
            health_names: vec![HealthName::Unauthorized, HealthName::VendorServerError],
            ..Default::default()
        };
        assert_eq!(list(unauthorized).await, vec![ids[1]]);
        let healthy = ConnectionFilter {
            health_names: vec![HealthName::Healthy],
            ..Default::default()
        };
        assert!(list(healthy).await.is_empty());

        let deleted = ConnectionChanges {
            state: Some(ConnectionState::Deleted),
            ..Default::default()
        };
        store
            .update_connection(f.account, ids[2], deleted)
            .await
            .unwrap();
        assert_eq!(
            list(ConnectionFilter::default()).await,
            vec![ids[0], ids[1]]
        );
        let only_deleted = ConnectionFilter {
            states: vec![ConnectionState::Deleted],
            ..Default::default()
        };
        assert_eq!(list(only_deleted).await, vec![ids[2]]);
        let by_org = ConnectionFilter {
            organization_id: Some(uuid::Uuid::now_v7()),
            ..Default::default()
        };
        assert!(list(by_org).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn connections_are_scoped_to_their_account() {
    each_backend("connection_scope", |store, _| async move {
        let f = fixture(&store).await;
        let other = fixture(&store).await;
        let err = store
            .create_connection(
                other.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        let c = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        assert_eq!(c.organization_name.as_deref(), Some("customer"));
        assert!(store
            .get_connection(other.account, c.id)
            .await
            .unwrap()
            .is_none());
        let changes = ConnectionChanges {
            identifier: Some(Some("x".into())),
            ..Default::default()
        };
        assert!(store
            .update_connection(other.account, c.id, changes)
            .await
            .unwrap()
            .is_none());
        let page = store
            .list_connections(
                other.account,
                &ConnectionFilter::default(),
                ListWindow::first(10),
            )
            .await
            .unwrap();
        assert_eq!(page.total, Some(0));
        assert!(c.health.is_none());
    })
    .await;
}
