//! Identity documents. A record is stored as its JSON without `is_deleted` (a column, so a
//! deletion flips without rewriting the document), `updated_at` and the membership lists
//! (rows of `idp_memberships`, kept once and read from either side), plus what a
//! membership reference shows of it. Rendering splices `is_deleted`, Tributary's
//! `updated_at` and the lists an include asked for back in.

use serde::Serialize;
use tributary_model::{
    idp::{
        IdpObject, IdpRef, IdpUserRef, MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy,
        MappedIdpUser, Membership,
    },
    ids::record_id,
    micros,
};
use uuid::Uuid;

use super::json::{content_hash, extend_object};
use crate::{
    models::{
        IdpDocument, IdpKind, IdpRelation, IdpRow, MemberId, MembershipChange, MembershipOp,
        StoredIdpRecord, StoredIdpRef,
    },
    time::from_micros,
};

/// Members that are not part of the stored document.
const SPLICED: [&str; 5] = [
    "is_deleted",
    "updated_at",
    "users",
    "groups",
    "applications",
];

/// The stored document of a present record.
fn document(
    record: &impl Serialize,
    is_deleted: bool,
    label: Option<&String>,
    email: Option<&String>,
) -> IdpDocument {
    let mut value = serde_json::to_value(record).expect("identity records serialize");
    if let Some(map) = value.as_object_mut() {
        for key in SPLICED {
            map.remove(key);
        }
    }
    let data = value.to_string();
    let label = label.cloned();
    let email = email.cloned();
    IdpDocument {
        is_deleted,
        content_hash: content_hash(&[
            &data,
            if is_deleted { "deleted" } else { "" },
            label.as_deref().unwrap_or(""),
            email.as_deref().unwrap_or(""),
        ]),
        label,
        email,
        data,
    }
}

/// The membership change of `relation` a mapping reported, with the members' record ids.
fn change(connection_id: Uuid, relation: IdpRelation, m: &Membership) -> MembershipChange {
    let export = relation.member().export();
    let member = |vendor_id: &String| MemberId {
        id: record_id(connection_id, export, vendor_id),
        vendor_id: vendor_id.clone(),
    };
    let op = match m {
        Membership::Replace(all) => MembershipOp::Replace(all.iter().map(member).collect()),
        Membership::Delta { added, removed } => MembershipOp::Delta {
            added: added.iter().map(member).collect(),
            removed: removed
                .iter()
                .map(|v| record_id(connection_id, export, v))
                .collect(),
        },
    };
    MembershipChange { relation, op }
}

/// A row of `kind`: the record's id must be the one derived from its vendor id (others
/// name it by that id); a tombstone carries no document and no memberships.
fn row<T>(
    connection_id: Uuid,
    kind: IdpKind,
    vendor_id: &str,
    object: &IdpObject<T>,
    present: impl FnOnce(&T) -> (Uuid, IdpDocument),
    lists: &[(IdpRelation, &Option<Membership>)],
) -> Result<IdpRow, String> {
    let id = record_id(connection_id, kind.export(), vendor_id);
    let document = match object.present() {
        None => None,
        Some(t) => {
            let (own_id, document) = present(t);
            if own_id != id {
                return Err(format!(
                    "the {} record's id is not the one derived from its vendor id",
                    kind.export()
                ));
            }
            Some(document)
        }
    };
    // A deleted record is a member of nothing and lists nothing.
    let memberships = match &document {
        Some(d) if !d.is_deleted => lists
            .iter()
            .filter_map(|(relation, m)| m.as_ref().map(|m| change(connection_id, *relation, m)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(IdpRow {
        id,
        vendor_id: vendor_id.to_owned(),
        document,
        memberships,
    })
}

/// A user's row.
pub fn user_row(connection_id: Uuid, m: &MappedIdpUser) -> Result<IdpRow, String> {
    let present = |u: &tributary_model::idp::IdpUser| {
        let doc = document(u, u.is_deleted, u.username.as_ref(), u.email.as_ref());
        (u.id, doc)
    };
    row(
        connection_id,
        IdpKind::Users,
        &m.vendor_id,
        &m.user,
        present,
        &[],
    )
}

/// A group's row, with its members when the mapping reported them.
pub fn group_row(connection_id: Uuid, m: &MappedIdpGroup) -> Result<IdpRow, String> {
    let present = |g: &tributary_model::idp::IdpGroup| {
        (g.id, document(g, g.is_deleted, g.name.as_ref(), None))
    };
    let lists = [(IdpRelation::GroupUsers, &m.members)];
    row(
        connection_id,
        IdpKind::Groups,
        &m.vendor_id,
        &m.group,
        present,
        &lists,
    )
}

/// An application's row, with its assignments when the mapping reported them.
pub fn application_row(connection_id: Uuid, m: &MappedIdpApplication) -> Result<IdpRow, String> {
    let present = |a: &tributary_model::idp::IdpApplication| {
        (a.id, document(a, a.is_deleted, a.name.as_ref(), None))
    };
    let lists = [
        (IdpRelation::ApplicationUsers, &m.users),
        (IdpRelation::ApplicationGroups, &m.groups),
    ];
    let kind = IdpKind::Applications;
    row(
        connection_id,
        kind,
        &m.vendor_id,
        &m.application,
        present,
        &lists,
    )
}

/// A policy's row, with its targets when the mapping reported them.
pub fn policy_row(connection_id: Uuid, m: &MappedIdpPolicy) -> Result<IdpRow, String> {
    let present = |p: &tributary_model::idp::IdpPolicy| {
        (p.id, document(p, p.is_deleted, p.name.as_ref(), None))
    };
    let lists = [
        (IdpRelation::PolicyGroups, &m.groups),
        (IdpRelation::PolicyApplications, &m.applications),
        (IdpRelation::PolicyUsers, &m.users),
    ];
    row(
        connection_id,
        IdpKind::Policies,
        &m.vendor_id,
        &m.policy,
        present,
        &lists,
    )
}

/// The references to records of `kind`, as a JSON array: users as
/// `{id, vendor_id, username, email}`, groups and applications as `{id, vendor_id, name}`.
pub fn render_refs<'a>(kind: IdpKind, refs: impl Iterator<Item = &'a StoredIdpRef>) -> String {
    let json = match kind {
        IdpKind::Users => serde_json::to_string(
            &refs
                .map(|r| IdpUserRef {
                    id: r.id,
                    vendor_id: r.vendor_id.clone(),
                    username: r.label.clone(),
                    email: r.email.clone(),
                })
                .collect::<Vec<_>>(),
        ),
        _ => serde_json::to_string(
            &refs
                .map(|r| IdpRef {
                    id: r.id,
                    vendor_id: r.vendor_id.clone(),
                    name: r.label.clone(),
                })
                .collect::<Vec<_>>(),
        ),
    };
    json.expect("references serialize")
}

/// One record as the API serves it: its document with `is_deleted`, `updated_at` and the
/// membership lists asked for (`lists`: each field's name and its JSON array).
pub fn render_idp(r: &StoredIdpRecord, lists: &[(&str, String)]) -> String {
    let updated = format!("\"{}\"", micros::format(from_micros(r.updated_at)));
    let mut members: Vec<(&str, &str)> = vec![
        ("is_deleted", if r.is_deleted { "true" } else { "false" }),
        ("updated_at", &updated),
    ];
    members.extend(lists.iter().map(|(k, v)| (*k, v.as_str())));
    extend_object(&r.data, &members)
}

#[cfg(test)]
#[path = "idp_tests.rs"]
mod tests;
