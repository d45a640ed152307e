//! render(split(x)) is the documented serialization of x, for every include option.

use chrono::{DateTime, Utc};
use proptest::{option, prelude::*};
use serde_json::{json, Value};
use tributary_model::{
    idp::{
        IdpApplication, IdpApplicationStatus, IdpGroup, IdpGroupType, IdpPolicy, IdpPolicyStatus,
        IdpPolicyType, IdpUser, IdpUserStatus,
    },
    DataExportType,
};

use super::*;
use crate::documents::strategies::{text, time};

const CONNECTION: Uuid = Uuid::from_u128(7);

fn id(export: DataExportType, vendor_id: &str) -> Uuid {
    record_id(CONNECTION, export, vendor_id)
}

fn user() -> impl Strategy<Value = IdpUser> {
    (
        (
            text(),
            option::of(text()),
            option::of(text()),
            option::of(text()),
        ),
        (
            prop::sample::select(IdpUserStatus::ALL.to_vec()),
            option::of(any::<bool>()),
            option::of(time()),
            any::<bool>(),
        ),
    )
        .prop_map(|((vendor_id, username, email, name), rest)| {
            let (status, admin, seen, deleted) = rest;
            IdpUser {
                id: id(DataExportType::Users, &vendor_id),
                vendor_id,
                username,
                email,
                first_name: name.clone(),
                last_name: None,
                display_name: name,
                status,
                vendor_status: Some("LOCKED_OUT".into()),
                title: None,
                department: Some("R&D \"core\"".into()),
                manager: None,
                is_admin: admin,
                mfa_enrolled: admin.map(|a| !a),
                vendor_created_at: seen,
                last_login_at: None,
                last_updated_at: seen,
                is_deleted: deleted,
                vendor_data: json!({"profile": {"employeeNumber": "42"}}),
                updated_at: None,
            }
        })
}

fn group() -> impl Strategy<Value = IdpGroup> {
    (
        text(),
        option::of(text()),
        prop::collection::vec(prop::sample::select(IdpGroupType::ALL.to_vec()), 0..3),
        option::of(time()),
    )
        .prop_map(|(vendor_id, name, types, t)| IdpGroup {
            id: id(DataExportType::Groups, &vendor_id),
            types,
            description: Some("All \"engineers\"".into()),
            name,
            vendor_id,
            vendor_created_at: t,
            last_membership_updated_at: t,
            last_updated_at: None,
            is_deleted: false,
            vendor_data: json!({"objectClass": ["okta:user_group"]}),
            updated_at: None,
            users: None,
            applications: None,
        })
}

fn application() -> impl Strategy<Value = IdpApplication> {
    (
        text(),
        option::of(text()),
        prop::collection::vec(text(), 0..3),
        prop::sample::select(IdpApplicationStatus::ALL.to_vec()),
    )
        .prop_map(|(vendor_id, name, labels, status)| IdpApplication {
            id: id(DataExportType::Applications, &vendor_id),
            labels,
            name,
            vendor_id,
            version: None,
            vendor_status: Some(status.as_str().into()),
            vendor_created_at: None,
            last_updated_at: None,
            is_deleted: false,
            status,
            vendor_data: json!({"signOnMode": "SAML_2_0"}),
            updated_at: None,
            users: None,
            groups: None,
        })
}

fn policy() -> impl Strategy<Value = IdpPolicy> {
    (
        text(),
        option::of(text()),
        prop::sample::select(IdpPolicyType::ALL.to_vec()),
        prop::sample::select(IdpPolicyStatus::ALL.to_vec()),
        option::of(0i64..100),
    )
        .prop_map(
            |(vendor_id, name, policy_type, status, priority)| IdpPolicy {
                id: id(DataExportType::Policies, &vendor_id),
                vendor_id,
                name,
                description: None,
                policy_type,
                vendor_type: Some("OKTA_SIGN_ON".into()),
                status,
                vendor_status: None,
                priority,
                vendor_created_at: None,
                last_updated_at: None,
                is_deleted: false,
                vendor_data: json!({"conditions": null}),
                updated_at: None,
            },
        )
}

fn user_refs() -> impl Strategy<Value = Vec<IdpUserRef>> {
    prop::collection::vec(
        (text(), option::of(text()), option::of(text())).prop_map(|(v, username, email)| {
            IdpUserRef {
                id: id(DataExportType::Users, &v),
                vendor_id: v,
                username,
                email,
            }
        }),
        0..3,
    )
}

fn refs(export: DataExportType) -> impl Strategy<Value = Vec<IdpRef>> {
    prop::collection::vec(
        (text(), option::of(text())).prop_map(move |(v, name)| IdpRef {
            id: id(export, &v),
            vendor_id: v,
            name,
        }),
        0..3,
    )
}

fn stored_user_refs(anchor: Uuid, refs: &[IdpUserRef]) -> Vec<StoredIdpRef> {
    let to = |r: &IdpUserRef| StoredIdpRef {
        anchor_id: anchor,
        id: r.id,
        vendor_id: r.vendor_id.clone(),
        label: r.username.clone(),
        email: r.email.clone(),
    };
    refs.iter().map(to).collect()
}

fn stored_refs(anchor: Uuid, refs: &[IdpRef]) -> Vec<StoredIdpRef> {
    let to = |r: &IdpRef| StoredIdpRef {
        anchor_id: anchor,
        id: r.id,
        vendor_id: r.vendor_id.clone(),
        label: r.name.clone(),
        email: None,
    };
    refs.iter().map(to).collect()
}

/// The stored record of `row` as a read returns it.
fn stored(row: &IdpRow, is_deleted: bool, us: i64) -> StoredIdpRecord {
    StoredIdpRecord {
        id: row.id,
        sort_key: us,
        updated_at: us,
        is_deleted,
        data: row.document.as_ref().expect("present").data.clone(),
    }
}

fn rendered(r: &StoredIdpRecord, lists: &[(&str, String)]) -> Value {
    serde_json::from_str(&render_idp(r, lists)).expect("rendered JSON")
}

fn at(us: i64) -> Option<DateTime<Utc>> {
    Some(from_micros(us))
}

proptest! {
    #[test]
    fn users_render_as_they_serialize(
        u in user(),
        deleted in any::<bool>(),
        us in 0i64..4_000_000_000_000_000,
    ) {
        let m = MappedIdpUser {
            vendor_id: u.vendor_id.clone(),
            vendor_updated_at: None,
            user: IdpObject::Present(u.clone()),
        };
        let row = user_row(CONNECTION, &m).unwrap();
        let doc = row.document.as_ref().unwrap();
        prop_assert_eq!((&doc.label, &doc.email), (&u.username, &u.email));
        prop_assert_eq!(doc.is_deleted, u.is_deleted);
        // The column wins: a reconciliation flips it without rewriting the document.
        let expected = IdpUser { is_deleted: deleted, updated_at: at(us), ..u };
        prop_assert_eq!(
            rendered(&stored(&row, deleted, us), &[]),
            serde_json::to_value(expected).unwrap()
        );
    }

    #[test]
    fn groups_render_with_every_include(
        g in group(),
        members in user_refs(),
        apps in refs(DataExportType::Applications),
        (with_users, with_apps) in (any::<bool>(), any::<bool>()),
        us in 0i64..4_000_000_000_000_000,
    ) {
        let m = MappedIdpGroup {
            vendor_id: g.vendor_id.clone(),
            vendor_updated_at: None,
            group: IdpObject::Present(g.clone()),
            members: None,
        };
        let row = group_row(CONNECTION, &m).unwrap();
        prop_assert_eq!(&row.document.as_ref().unwrap().label, &g.name);
        let mut lists = Vec::new();
        if with_users {
            lists.push(("users", render_refs(IdpKind::Users, stored_user_refs(g.id, &members).iter())));
        }
        if with_apps {
            let apps = stored_refs(g.id, &apps);
            lists.push(("applications", render_refs(IdpKind::Applications, apps.iter())));
        }
        let expected = IdpGroup {
            updated_at: at(us),
            users: with_users.then_some(members),
            applications: with_apps.then_some(apps),
            ..g
        };
        prop_assert_eq!(
            rendered(&stored(&row, false, us), &lists),
            serde_json::to_value(expected).unwrap()
        );
    }

    #[test]
    fn applications_render_with_every_include(
        a in application(),
        users in user_refs(),
        groups in refs(DataExportType::Groups),
        (with_users, with_groups) in (any::<bool>(), any::<bool>()),
        us in 0i64..4_000_000_000_000_000,
    ) {
        let m = MappedIdpApplication {
            vendor_id: a.vendor_id.clone(),
            vendor_updated_at: None,
            application: IdpObject::Present(a.clone()),
            users: None,
            groups: None,
        };
        let row = application_row(CONNECTION, &m).unwrap();
        let mut lists = Vec::new();
        if with_users {
            lists.push(("users", render_refs(IdpKind::Users, stored_user_refs(a.id, &users).iter())));
        }
        if with_groups {
            lists.push(("groups", render_refs(IdpKind::Groups, stored_refs(a.id, &groups).iter())));
        }
        let expected = IdpApplication {
            updated_at: at(us),
            users: with_users.then_some(users),
            groups: with_groups.then_some(groups),
            ..a
        };
        prop_assert_eq!(
            rendered(&stored(&row, false, us), &lists),
            serde_json::to_value(expected).unwrap()
        );
    }

    #[test]
    fn policies_render_as_they_serialize(
        p in policy(),
        deleted in any::<bool>(),
        us in 0i64..4_000_000_000_000_000,
    ) {
        let m = MappedIdpPolicy {
            vendor_id: p.vendor_id.clone(),
            vendor_updated_at: None,
            policy: IdpObject::Present(p.clone()),
            groups: None,
            applications: None,
            users: None,
        };
        let row = policy_row(CONNECTION, &m).unwrap();
        let expected = IdpPolicy { is_deleted: deleted, updated_at: at(us), ..p };
        prop_assert_eq!(
            rendered(&stored(&row, deleted, us), &[]),
            serde_json::to_value(expected).unwrap()
        );
    }
}

fn group_of(vendor_id: &str) -> IdpGroup {
    IdpGroup {
        id: id(DataExportType::Groups, vendor_id),
        types: vec![IdpGroupType::Native],
        description: None,
        name: Some("Engineering".into()),
        vendor_id: vendor_id.into(),
        vendor_created_at: None,
        last_membership_updated_at: None,
        last_updated_at: None,
        is_deleted: false,
        vendor_data: json!({}),
        updated_at: None,
        users: None,
        applications: None,
    }
}

#[test]
fn memberships_name_members_by_their_record_ids() {
    let mut m = MappedIdpGroup {
        vendor_id: "g1".into(),
        vendor_updated_at: None,
        group: IdpObject::Present(group_of("g1")),
        members: Some(Membership::Delta {
            added: vec!["u1".into()],
            removed: vec!["u2".into()],
        }),
    };
    let row = group_row(CONNECTION, &m).unwrap();
    let added = MemberId {
        id: id(DataExportType::Users, "u1"),
        vendor_id: "u1".into(),
    };
    assert_eq!(
        row.memberships,
        vec![MembershipChange {
            relation: IdpRelation::GroupUsers,
            op: MembershipOp::Delta {
                added: vec![added],
                removed: vec![id(DataExportType::Users, "u2")],
            },
        }]
    );
    // A tombstone keeps no document and no memberships; so does a deleted record.
    m.group = IdpObject::Deleted;
    let tombstone = group_row(CONNECTION, &m).unwrap();
    assert_eq!(tombstone.id, row.id);
    assert!(tombstone.document.is_none() && tombstone.memberships.is_empty());
    let mut gone = group_of("g1");
    gone.is_deleted = true;
    m.group = IdpObject::Present(gone);
    let deleted = group_row(CONNECTION, &m).unwrap();
    assert!(deleted.document.unwrap().is_deleted && deleted.memberships.is_empty());
    // A record whose id is not derived from its vendor id could never be named: refused.
    m.group = IdpObject::Present(group_of("another"));
    assert!(group_row(CONNECTION, &m).is_err());
}
