//! Reconciling a complete listing on both stores: what the listing did not see is marked
//! deleted (memberships end), once, under the job's lease; exports whose records have no
//! gone state are refused (findings reconcile as FIXED: `findings_reconcile.rs`).

use tributary_model::DataExportType;
use tributary_store::{models::*, StoreError};
use uuid::Uuid;

use crate::{idp_support::*, support::each_backend};

use IdpKind::{Groups, Users};
use IdpRelation::GroupUsers;

fn listing(s: &Idp, export: DataExportType, seen: Vec<Uuid>, owner: &str) -> CompleteListing {
    CompleteListing {
        connection_id: s.conn,
        job_id: s.job,
        lease_owner: owner.into(),
        export,
        seen,
    }
}

#[tokio::test]
async fn a_complete_listing_marks_what_it_did_not_see() {
    each_backend("idp_reconcile", |store, _| async move {
        let s = idp(&store).await;
        let users: Vec<IdpRow> = ["u1", "u2", "u3"]
            .iter()
            .map(|u| s.row(Users, u, 1))
            .collect();
        s.commit(Users, users).await;
        s.commit(
            Groups,
            vec![s.replace(s.row(Groups, "g", 1), GroupUsers, &["u1", "u3"])],
        )
        .await;
        let other = idp(&store).await;
        other.commit(Users, vec![other.row(Users, "u3", 1)]).await;

        let seen = vec![s.id(Users, "u1"), s.id(Users, "u2")];
        let lost = store
            .reconcile_listing(listing(&s, DataExportType::Users, seen.clone(), "x"))
            .await;
        assert!(matches!(lost, Err(StoreError::LeaseLost(_))), "{lost:?}");
        assert!(
            !s.get(Users, "u3").await.is_deleted,
            "a refused reconciliation changes nothing"
        );
        let done = store
            .reconcile_listing(listing(&s, DataExportType::Users, seen.clone(), "w"))
            .await
            .unwrap();
        assert_eq!(done.deleted, 1);
        assert!(s.get(Users, "u3").await.is_deleted);
        assert!(!s.get(Users, "u1").await.is_deleted && !s.get(Users, "u2").await.is_deleted);
        let g = s.id(Groups, "g");
        assert_eq!(
            s.refs(GroupUsers, IdpSide::Parent, g).await.len(),
            1,
            "u3 left the group"
        );
        assert!(
            !other.get(Users, "u3").await.is_deleted,
            "other connections are untouched"
        );
        let again = store
            .reconcile_listing(listing(&s, DataExportType::Users, seen, "w"))
            .await
            .unwrap();
        assert_eq!(again.deleted, 0, "reconciling twice changes nothing");
        // Groups reconcile on their own: an empty complete listing deletes every group.
        let groups = store
            .reconcile_listing(listing(&s, DataExportType::Groups, vec![], "w"))
            .await
            .unwrap();
        assert_eq!(groups.deleted, 1);
        assert!(s
            .refs(GroupUsers, IdpSide::Member, s.id(Users, "u1"))
            .await
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn exports_without_a_deleted_state_are_refused() {
    each_backend("idp_reconcile_refused", |store, _| async move {
        let s = idp(&store).await;
        for export in [
            DataExportType::Alerts,
            DataExportType::Devices,
            DataExportType::Assets,
        ] {
            let err = store
                .reconcile_listing(listing(&s, export, vec![], "w"))
                .await;
            match err {
                Err(StoreError::Invalid(msg)) => assert!(msg.contains(export.as_str()), "{msg}"),
                other => panic!("{export}: {other:?}"),
            }
        }
    })
    .await;
}
