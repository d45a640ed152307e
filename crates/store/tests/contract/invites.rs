use chrono::{Duration, Utc};
use serde_json::json;
use tributary_model::Vendor;
use tributary_store::invites::{InviteKind, InviteRefusal, NewInvite};
use uuid::Uuid;

use crate::support::*;

fn invite(org: Uuid, hash: &str, connection: Option<Uuid>, expires_in: Duration) -> NewInvite {
    NewInvite {
        id: Uuid::now_v7(),
        organization_id: org,
        token_hash: hash.into(),
        kind: if connection.is_some() {
            InviteKind::Update
        } else {
            InviteKind::Create
        },
        vendor: Vendor::named("SENTINELONE"),
        connection_id: connection,
        identifier: Some("customer-7".into()),
        options: Some(json!({"k": 1})),
        created_by_key_id: Some(Uuid::now_v7()),
        expires_at: Utc::now() + expires_in,
    }
}

#[tokio::test]
async fn invites_are_found_by_hash_used_once_and_scoped() {
    each_backend("invites_used_once", |store, _| async move {
        let f = fixture(&store).await;
        let other = store.create_account("other").await.unwrap().id;
        let new = invite(f.org, "hash-a", None, Duration::minutes(30));
        let created = store.create_invite(f.account, new.clone()).await.unwrap();
        assert_eq!(created.kind, InviteKind::Create);
        assert_eq!(created.options, Some(json!({"k": 1})));
        assert_eq!(created.identifier.as_deref(), Some("customer-7"));
        assert_eq!(created.created_by_key_id, new.created_by_key_id);
        assert_eq!(created.refusal(Utc::now()), None);

        let found = store.find_invite("hash-a").await.unwrap().unwrap();
        assert_eq!(found, created);
        assert!(store.find_invite("hash-b").await.unwrap().is_none());
        assert!(store.get_invite(other, created.id).await.unwrap().is_none());
        assert!(store
            .get_invite(f.account, created.id)
            .await
            .unwrap()
            .is_some());

        // Checked credentials wait on the invite until it is used.
        assert!(store
            .set_invite_pending(created.id, Some(b"sealed".to_vec()))
            .await
            .unwrap());
        let pending = store.find_invite("hash-a").await.unwrap().unwrap();
        assert_eq!(pending.pending_credentials.as_deref(), Some(&b"sealed"[..]));

        // Single use: the second of two uses loses.
        let conn = Uuid::now_v7();
        let at = Utc::now();
        assert!(store.consume_invite(created.id, at, conn).await.unwrap());
        assert!(!store
            .consume_invite(created.id, at, Uuid::now_v7())
            .await
            .unwrap());
        let used = store.find_invite("hash-a").await.unwrap().unwrap();
        assert_eq!(used.used_connection_id, Some(conn));
        assert_eq!(used.refusal(Utc::now()), Some(InviteRefusal::Used));
        assert_eq!(used.pending_credentials, None, "using it drops them");
        assert!(!store
            .set_invite_pending(created.id, Some(b"late".to_vec()))
            .await
            .unwrap());
        // A used invite cannot be revoked (there is nothing left to revoke).
        assert!(!store.revoke_invite(f.account, created.id).await.unwrap());

        // A failed change gives the use back.
        let used_at = used.used_at.unwrap();
        assert!(store.release_invite(created.id, used_at).await.unwrap());
        let released = store.find_invite("hash-a").await.unwrap().unwrap();
        assert_eq!(released.used_at, None);
        assert_eq!(released.used_connection_id, None);
        assert!(store
            .consume_invite(created.id, Utc::now(), conn)
            .await
            .unwrap());
    })
    .await;
}

#[tokio::test]
async fn expired_and_revoked_invites_cannot_be_used() {
    each_backend("invites_expired_revoked", |store, _| async move {
        let f = fixture(&store).await;
        let other = store.create_account("other").await.unwrap().id;
        let expired = store
            .create_invite(
                f.account,
                invite(f.org, "h-exp", None, Duration::seconds(-1)),
            )
            .await
            .unwrap();
        assert_eq!(expired.refusal(Utc::now()), Some(InviteRefusal::Expired));
        assert!(!store
            .consume_invite(expired.id, Utc::now(), Uuid::now_v7())
            .await
            .unwrap());

        let conn = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        let update = store
            .create_invite(
                f.account,
                invite(f.org, "h-upd", Some(conn.id), Duration::minutes(5)),
            )
            .await
            .unwrap();
        assert_eq!(update.kind, InviteKind::Update);
        assert_eq!(update.connection_id, Some(conn.id));
        // Another account cannot revoke it; its own can, once.
        assert!(!store.revoke_invite(other, update.id).await.unwrap());
        assert!(store.revoke_invite(f.account, update.id).await.unwrap());
        assert!(!store.revoke_invite(f.account, update.id).await.unwrap());
        let revoked = store.find_invite("h-upd").await.unwrap().unwrap();
        assert_eq!(revoked.refusal(Utc::now()), Some(InviteRefusal::Revoked));
        assert!(!store
            .consume_invite(update.id, Utc::now(), conn.id)
            .await
            .unwrap());
    })
    .await;
}
