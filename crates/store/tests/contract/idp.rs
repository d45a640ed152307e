//! Identity records on both stores: page commits with their membership lists (whole or
//! delta, idempotent), tombstones, memberships read from both sides, and the reads of
//! `/v1/idp/*` scoped to the account.

use tributary_store::{models::*, ListWindow, Position, SortKey};

use crate::{idp_support::*, support::each_backend};

use IdpKind::{Applications, Groups, Policies, Users};
use IdpRelation::*;

#[tokio::test]
async fn records_and_memberships_commit_once_and_read_both_ways() {
    each_backend("idp_commit", |store, _| async move {
        let s = idp(&store).await;
        let users: Vec<IdpRow> = ["u1", "u2", "u3"]
            .iter()
            .map(|u| s.row(Users, u, 1))
            .collect();
        let done = s.commit(Users, users.clone()).await;
        assert_eq!((done.upserted, done.inserted), (3, 3));
        // g1 names u4, a user not synced yet: its reference has no name until it is.
        let groups = vec![
            s.replace(s.row(Groups, "g1", 1), GroupUsers, &["u1", "u2", "u4"]),
            s.replace(s.row(Groups, "g2", 1), GroupUsers, &["u2"]),
        ];
        assert_eq!(s.commit(Groups, groups.clone()).await.upserted, 2);
        let again = s.commit(Groups, groups).await;
        assert_eq!(
            (again.upserted, again.inserted),
            (0, 0),
            "a retried page changes nothing"
        );
        let app = s.replace(s.row(Applications, "a1", 1), ApplicationUsers, &["u3"]);
        let app = s.replace(app, ApplicationGroups, &["g1", "g2"]);
        s.commit(Applications, vec![app]).await;
        let policy = s.replace(s.row(Policies, "p1", 1), PolicyGroups, &["g2"]);
        let policy = s.replace(policy, PolicyApplications, &["a1"]);
        let policy = s.replace(policy, PolicyUsers, &["u1"]);
        s.commit(Policies, vec![policy]).await;

        let g1 = s.id(Groups, "g1");
        assert_eq!(
            s.vendor_ids(Users, Some((GroupUsers, g1))).await,
            ["u1", "u2"]
        );
        let u2 = s.id(Users, "u2");
        assert_eq!(
            s.vendor_ids(Groups, Some((GroupUsers, u2))).await,
            ["g1", "g2"]
        );
        let a1 = s.id(Applications, "a1");
        assert_eq!(
            s.vendor_ids(Groups, Some((ApplicationGroups, a1))).await,
            ["g1", "g2"]
        );
        assert_eq!(
            s.vendor_ids(Applications, Some((ApplicationGroups, g1)))
                .await,
            ["a1"]
        );
        assert_eq!(
            s.vendor_ids(Users, Some((ApplicationUsers, a1))).await,
            ["u3"]
        );
        let p1 = s.id(Policies, "p1");
        assert_eq!(s.vendor_ids(Groups, Some((PolicyGroups, p1))).await, ["g2"]);
        assert_eq!(
            s.vendor_ids(Applications, Some((PolicyApplications, p1)))
                .await,
            ["a1"]
        );
        assert_eq!(s.vendor_ids(Users, Some((PolicyUsers, p1))).await, ["u1"]);
        assert_eq!(
            s.vendor_ids(Policies, Some((PolicyUsers, s.id(Users, "u1"))))
                .await,
            ["p1"]
        );

        let members = s.refs(GroupUsers, IdpSide::Parent, g1).await;
        let named = |v: &str| (v.to_owned(), Some(format!("{v}-name")));
        assert_eq!(members, [named("u1"), named("u2"), ("u4".to_owned(), None)]);
        s.commit(Users, vec![s.row(Users, "u4", 1)]).await;
        assert_eq!(
            s.refs(GroupUsers, IdpSide::Parent, g1).await[2],
            named("u4")
        );
        assert_eq!(
            s.refs(ApplicationGroups, IdpSide::Member, g1).await,
            [named("a1")]
        );
        // One query serves a page of anchors, at most `per_anchor` references each.
        let both = store
            .list_idp_refs(
                s.account,
                s.conn,
                GroupUsers,
                IdpSide::Parent,
                &[g1, s.id(Groups, "g2")],
                2,
            )
            .await
            .unwrap();
        let mut anchors: Vec<_> = both
            .iter()
            .map(|r| (r.anchor_id != g1, r.vendor_id.as_str()))
            .collect();
        anchors.sort();
        assert_eq!(anchors, [(false, "u1"), (false, "u2"), (true, "u2")]);
    })
    .await;
}

#[tokio::test]
async fn membership_changes_apply_in_order_and_move_the_owner() {
    each_backend("idp_membership_changes", |store, _| async move {
        let s = idp(&store).await;
        s.commit(
            Groups,
            vec![s.replace(s.row(Groups, "g", 1), GroupUsers, &["u1", "u2"])],
        )
        .await;
        let before = s.get(Groups, "g").await.updated_at;
        // Graph sends a large group's members in slices: the same group again and again.
        let slices = vec![
            s.delta(s.row(Groups, "g", 1), GroupUsers, &["u3", "u4"], &["u1"]),
            s.delta(s.row(Groups, "g", 1), GroupUsers, &["u5"], &["u4", "u9"]),
        ];
        let done = s.commit(Groups, slices.clone()).await;
        assert_eq!(
            (done.upserted, done.inserted),
            (1, 0),
            "the list changed, the document not"
        );
        let g = s.id(Groups, "g");
        let members = |v: &[&str]| v.iter().map(|m| (m.to_string(), None)).collect::<Vec<_>>();
        assert_eq!(
            s.refs(GroupUsers, IdpSide::Parent, g).await,
            members(&["u2", "u3", "u5"])
        );
        let after = s.get(Groups, "g").await.updated_at;
        assert!(after > before, "updatedSince sees a membership change");
        assert_eq!(s.list(Groups, None, Some(after)).await.len(), 1);
        assert_eq!(
            s.commit(Groups, slices).await.upserted,
            0,
            "deltas are idempotent"
        );
        assert_eq!(s.get(Groups, "g").await.updated_at, after);
        // A whole list replaces the stored one; None leaves it alone.
        s.commit(
            Groups,
            vec![s.replace(s.row(Groups, "g", 1), GroupUsers, &["u5", "u6"])],
        )
        .await;
        assert_eq!(
            s.refs(GroupUsers, IdpSide::Parent, g).await,
            members(&["u5", "u6"])
        );
        s.commit(Groups, vec![s.row(Groups, "g", 2)]).await;
        assert_eq!(
            s.refs(GroupUsers, IdpSide::Parent, g).await,
            members(&["u5", "u6"])
        );
        s.commit(
            Groups,
            vec![s.replace(s.row(Groups, "g", 2), GroupUsers, &[])],
        )
        .await;
        assert!(s.refs(GroupUsers, IdpSide::Parent, g).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn tombstones_mark_records_deleted_and_end_their_memberships() {
    each_backend("idp_tombstones", |store, _| async move {
        let s = idp(&store).await;
        s.commit(Users, vec![s.row(Users, "u1", 1), s.row(Users, "u2", 1)])
            .await;
        let g = s.replace(s.row(Groups, "g", 1), GroupUsers, &["u1", "u2"]);
        s.commit(Groups, vec![g]).await;
        let group_before = s.get(Groups, "g").await.updated_at;
        let done = s
            .commit(
                Users,
                vec![s.tombstone(Users, "u1"), s.tombstone(Users, "never")],
            )
            .await;
        assert_eq!(
            (done.upserted, done.inserted),
            (1, 0),
            "an unknown tombstone is nothing"
        );
        let u1 = s.get(Users, "u1").await;
        assert!(u1.is_deleted);
        assert_eq!(
            u1.data, "{\"vendor_id\":\"u1\",\"v\":1}",
            "the last known fields stay"
        );
        assert_eq!(
            s.vendor_ids(Users, None).await,
            ["u1", "u2"],
            "deleted records stay listed"
        );
        let g = s.id(Groups, "g");
        assert_eq!(s.refs(GroupUsers, IdpSide::Parent, g).await.len(), 1);
        assert!(
            s.get(Groups, "g").await.updated_at > group_before,
            "the group lost a member"
        );
        assert_eq!(
            s.commit(Users, vec![s.tombstone(Users, "u1")])
                .await
                .upserted,
            0
        );
        // Listed again (restored), even unchanged, it is live again.
        assert_eq!(
            s.commit(Users, vec![s.row(Users, "u1", 1)]).await.upserted,
            1
        );
        assert!(!s.get(Users, "u1").await.is_deleted);
        // A group the vendor lists as deleted lists nobody.
        let mut gone = s.replace(s.row(Groups, "g", 2), GroupUsers, &["u1"]);
        gone.document.as_mut().unwrap().is_deleted = true;
        gone.memberships.clear();
        s.commit(Groups, vec![gone]).await;
        assert!(s.refs(GroupUsers, IdpSide::Parent, g).await.is_empty());
        assert!(s
            .refs(GroupUsers, IdpSide::Member, s.id(Users, "u2"))
            .await
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn identity_reads_page_by_keyset_and_stay_in_the_account() {
    each_backend("idp_reads", |store, _| async move {
        let s = idp(&store).await;
        let names: Vec<String> = (0..30).map(|i| format!("u{i:02}")).collect();
        for chunk in names.chunks(7) {
            s.commit(Users, chunk.iter().map(|u| s.row(Users, u, 1)).collect())
                .await;
        }
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        s.commit(
            Groups,
            vec![s.replace(s.row(Groups, "big", 1), GroupUsers, &all)],
        )
        .await;
        let big = s.id(Groups, "big");
        let mut seen = Vec::new();
        let mut position = Position::Offset(0);
        loop {
            let query = IdpQuery {
                connection_id: s.conn,
                kind: Users,
                related: Some(IdpRelated {
                    relation: GroupUsers,
                    anchor: big,
                }),
                updated_since: None,
                window: ListWindow {
                    limit: 4,
                    position,
                    with_total: true,
                },
            };
            let page = store.list_idp(s.account, &query).await.unwrap();
            assert_eq!(page.total, Some(30));
            seen.extend(page.items.iter().map(|r| r.id));
            match (page.has_more, page.items.last()) {
                (true, Some(l)) => {
                    position = Position::After(SortKey {
                        key: l.sort_key,
                        id: l.id,
                    })
                }
                _ => break,
            }
        }
        seen.sort();
        let mut want: Vec<_> = names.iter().map(|u| s.id(Users, u)).collect();
        want.sort();
        assert_eq!(seen, want, "every member once");
        // Unfiltered totals come from the counters.
        let counts = store.record_counts(s.account, s.conn).await.unwrap();
        assert_eq!(counts.get(Users.export()), 30);
        // Another account sees nothing of it.
        let other = idp(&store).await;
        let query = IdpQuery {
            connection_id: s.conn,
            kind: Users,
            related: None,
            updated_since: None,
            window: ListWindow::first(10),
        };
        assert!(store
            .list_idp(other.account, &query)
            .await
            .unwrap()
            .items
            .is_empty());
        assert!(store
            .get_idp(other.account, s.conn, Users, s.id(Users, "u01"))
            .await
            .unwrap()
            .is_none());
        let refs = store
            .list_idp_refs(
                other.account,
                s.conn,
                GroupUsers,
                IdpSide::Parent,
                &[big],
                10,
            )
            .await
            .unwrap();
        assert!(refs.is_empty());
        // A kind a relation does not list is refused, not answered wrongly.
        let wrong = IdpQuery {
            related: Some(IdpRelated {
                relation: GroupUsers,
                anchor: big,
            }),
            kind: Policies,
            ..query
        };
        assert!(store.list_idp(s.account, &wrong).await.is_err());
    })
    .await;
}
