use std::time::{Duration, Instant};

use tributary_store::{
    models::*, open, testing::TestDatabase, ListWindow, OpenOptions, Position, SortKey,
};
use uuid::Uuid;

use crate::support::*;

/// A key of `account` whose hash is `hash`.
async fn new_key(
    store: &std::sync::Arc<dyn tributary_store::Store>,
    account: Uuid,
    hash: &str,
) -> ApiKey {
    store
        .create_api_key(NewApiKey {
            id: Uuid::now_v7(),
            account_id: account,
            name: format!("key {hash}"),
            prefix: format!("trb_{hash}"),
            key_hash: hash.into(),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn api_keys_are_found_by_hash_until_revoked() {
    each_backend("api_keys", |store, _| async move {
        let account = store.create_account("acme").await.unwrap();
        let key = new_key(&store, account.id, "h1").await;
        assert_eq!(store.find_api_key("h1").await.unwrap().unwrap().id, key.id);
        assert!(store.find_api_key("h2").await.unwrap().is_none());
        let other = store.create_account("other").await.unwrap();
        assert!(
            !store.revoke_api_key(other.id, key.id).await.unwrap(),
            "cross-account revoke"
        );
        assert!(store.revoke_api_key(account.id, key.id).await.unwrap());
        assert!(store.find_api_key("h1").await.unwrap().is_none());
        assert!(
            !store.revoke_api_key(account.id, key.id).await.unwrap(),
            "revoked twice"
        );
        let keys = store.list_api_keys(account.id).await.unwrap();
        assert_eq!(keys.len(), 1);
        assert!(keys[0].revoked_at.is_some());
        store.set_meta("k", "v1").await.unwrap();
        store.set_meta("k", "v2").await.unwrap();
        assert_eq!(store.get_meta("k").await.unwrap().as_deref(), Some("v2"));
    })
    .await;
}

/// A verified key is remembered for `api_key_memo`: a revocation through the same store
/// is seen at once, one through another process once the memory expires.
#[tokio::test]
async fn a_key_revoked_elsewhere_is_refused_once_its_memory_expires() {
    for db in TestDatabase::all("api_key_memo") {
        let memo = Duration::from_millis(300);
        let here = open(
            &db.url,
            &OpenOptions {
                api_key_memo: Some(memo),
                ..db.options()
            },
        )
        .await
        .unwrap();
        let elsewhere = db.open().await;
        let account = here.create_account("acme").await.unwrap();
        let key = new_key(&here, account.id, "h1").await;
        assert!(here.find_api_key("h1").await.unwrap().is_some());
        assert!(elsewhere.find_api_key("h1").await.unwrap().is_some());
        let read = Instant::now();
        assert!(elsewhere.revoke_api_key(account.id, key.id).await.unwrap());
        assert!(
            elsewhere.find_api_key("h1").await.unwrap().is_none(),
            "{:?}: the revoking store forgets at once",
            db.backend
        );
        if read.elapsed() < memo {
            assert!(
                here.find_api_key("h1").await.unwrap().is_some(),
                "{:?}: remembered until the memory expires",
                db.backend
            );
        }
        tokio::time::sleep(memo.saturating_sub(read.elapsed()) + Duration::from_millis(50)).await;
        assert!(
            here.find_api_key("h1").await.unwrap().is_none(),
            "{:?}: read again once the memory expired",
            db.backend
        );
        // Remembering nothing reads every time.
        let never = open(
            &db.url,
            &OpenOptions {
                api_key_memo: Some(Duration::ZERO),
                ..db.options()
            },
        )
        .await
        .unwrap();
        let key2 = new_key(&never, account.id, "h2").await;
        assert!(never.find_api_key("h2").await.unwrap().is_some());
        assert!(elsewhere.revoke_api_key(account.id, key2.id).await.unwrap());
        assert!(never.find_api_key("h2").await.unwrap().is_none());
        for s in [here, elsewhere, never] {
            s.close().await;
        }
    }
}

#[tokio::test]
async fn organizations_are_scoped_paged_and_soft_deleted() {
    each_backend("organizations", |store, _| async move {
        let f = fixture(&store).await;
        for i in 0..4 {
            let org = NewOrganization {
                name: format!("org{i}"),
                identifier: Some(format!("ext{i}")),
            };
            store.create_organization(f.account, org).await.unwrap();
        }
        let other = store.create_account("other").await.unwrap().id;
        assert!(store
            .get_organization(other, f.org)
            .await
            .unwrap()
            .is_none());
        let all = store
            .list_organizations(f.account, false, ListWindow::first(100))
            .await
            .unwrap();
        assert_eq!(all.total, Some(5));
        assert_eq!(all.items.len(), 5);

        // Keyset: forward two pages, then back.
        let mut w = ListWindow {
            limit: 2,
            position: Position::Offset(0),
            with_total: false,
        };
        let p1 = store.list_organizations(f.account, false, w).await.unwrap();
        assert!(p1.has_more && p1.total.is_none());
        let last = p1.items.last().unwrap();
        w.position = Position::After(SortKey {
            key: last.created_at.timestamp_micros(),
            id: last.id,
        });
        let p2 = store.list_organizations(f.account, false, w).await.unwrap();
        assert_eq!(p2.items[0].id, all.items[2].id);
        let first = &p2.items[0];
        w.position = Position::Before(SortKey {
            key: first.created_at.timestamp_micros(),
            id: first.id,
        });
        let back = store.list_organizations(f.account, false, w).await.unwrap();
        assert_eq!(
            back.items.iter().map(|o| o.id).collect::<Vec<_>>(),
            p1.items.iter().map(|o| o.id).collect::<Vec<_>>()
        );
        assert!(!back.has_more, "nothing before the first page");
        let off = ListWindow {
            limit: 2,
            position: Position::Offset(4),
            with_total: true,
        };
        let tail = store
            .list_organizations(f.account, false, off)
            .await
            .unwrap();
        assert_eq!((tail.items.len(), tail.has_more), (1, false));

        let conn = store
            .create_connection(
                f.account,
                new_connection(f.org, tributary_model::Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        let deleted = store
            .delete_organization(f.account, f.org)
            .await
            .unwrap()
            .unwrap();
        assert!(deleted.deleted_at.is_some());
        assert!(store
            .delete_organization(other, f.org)
            .await
            .unwrap()
            .is_none());
        let c = store
            .get_connection(f.account, conn.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.state, tributary_model::ConnectionState::Deleted);
        let live = store
            .list_organizations(f.account, false, ListWindow::first(100))
            .await
            .unwrap();
        assert_eq!(live.total, Some(4));
        let with_deleted = store
            .list_organizations(f.account, true, ListWindow::first(100))
            .await
            .unwrap();
        assert_eq!(with_deleted.total, Some(5));
    })
    .await;
}
