//! Membership lists, stored once in `idp_memberships` (and read from either side by
//! [`super::idp_reads`]): applying what a page reports (a whole list or a delta) as the
//! smallest set of inserts and deletes, and ending the memberships of deleted records. A
//! change to a list moves its owner's `updated_at`, so `updatedSince` sees it.

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use super::upsert::{insert_chunk, pow2_chunks, values_sql, IN_CHUNK};
use crate::{
    db::{Query, Tx},
    models::{IdpKind, IdpRelation, IdpRow, MemberId, MembershipOp},
    traits::Result,
};

#[derive(sqlx::FromRow)]
struct PairRow {
    parent_id: Uuid,
    member_id: Uuid,
}

/// One reported change: the list's owner, its vendor id, and the change.
type Op<'a> = (Uuid, &'a str, &'a MembershipOp);

/// Moves `updated_at` of `kind`'s records `ids` to `now`.
async fn touch(tx: &mut Tx, kind: IdpKind, ids: &[Uuid], now: i64) -> Result<()> {
    for chunk in ids.chunks(IN_CHUNK) {
        let mut q = Query::new("");
        let pn = q.push_arg(now);
        let ps = q.push_ids(chunk);
        q.sql = format!(
            "UPDATE {} SET updated_at = {pn} WHERE id IN ({ps})",
            kind.table()
        )
        .into();
        tx.exec().execute(q).await?;
    }
    Ok(())
}

/// The stored memberships the changes can affect: every member of an owner whose whole
/// list is reported, and only the named members of an owner that reports a delta.
async fn load(
    tx: &mut Tx,
    connection_id: Uuid,
    relation: IdpRelation,
    ops: &[Op<'_>],
) -> Result<HashMap<Uuid, HashSet<Uuid>>> {
    let mut full = HashSet::new();
    let mut touched: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for (parent, _, op) in ops {
        match op {
            MembershipOp::Replace(_) => {
                full.insert(*parent);
            }
            MembershipOp::Delta { added, removed } => touched
                .entry(*parent)
                .or_default()
                .extend(added.iter().map(|m| m.id).chain(removed.iter().copied())),
        }
    }
    touched.retain(|p, _| !full.contains(p));
    let full: Vec<Uuid> = full.into_iter().collect();
    let partial: Vec<Uuid> = touched.keys().copied().collect();
    let members: Vec<Uuid> = touched.values().flatten().copied().collect();
    let mut rows: Vec<PairRow> = Vec::new();
    let base = "SELECT parent_id, member_id FROM idp_memberships \
                WHERE connection_id = $1 AND relation = $2";
    for parents in full.chunks(IN_CHUNK) {
        let mut q = Query::new("").bind(connection_id).bind(relation.as_str());
        let ps = q.push_ids(parents);
        q.sql = format!("{base} AND parent_id IN ({ps})").into();
        rows.extend(tx.exec().fetch_all::<PairRow>(q).await?);
    }
    for parents in partial.chunks(IN_CHUNK) {
        for chunk in members.chunks(IN_CHUNK) {
            let mut q = Query::new("").bind(connection_id).bind(relation.as_str());
            let ps = q.push_ids(parents);
            let ms = q.push_ids(chunk);
            q.sql = format!("{base} AND parent_id IN ({ps}) AND member_id IN ({ms})").into();
            rows.extend(tx.exec().fetch_all::<PairRow>(q).await?);
        }
    }
    let mut stored: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for r in rows {
        let wanted = touched
            .get(&r.parent_id)
            .is_none_or(|t| t.contains(&r.member_id));
        if wanted {
            stored.entry(r.parent_id).or_default().insert(r.member_id);
        }
    }
    Ok(stored)
}

/// Memberships to add (owner, owner's vendor id, member) and to remove (owner → members).
type Diff<'a> = (Vec<(Uuid, &'a str, MemberId)>, HashMap<Uuid, Vec<Uuid>>);

/// Applies the changes in page order to the stored state and returns the difference.
fn diff<'a>(stored: &HashMap<Uuid, HashSet<Uuid>>, ops: &[Op<'a>]) -> Diff<'a> {
    let empty = HashSet::new();
    // Owner → (its vendor id, member → vendor id when newly named).
    let mut state: HashMap<Uuid, (&str, HashMap<Uuid, Option<&str>>)> = HashMap::new();
    for (parent, vendor_id, op) in ops {
        let (_, members) = state.entry(*parent).or_insert_with(|| {
            let known = stored.get(parent).unwrap_or(&empty);
            (*vendor_id, known.iter().map(|m| (*m, None)).collect())
        });
        match op {
            MembershipOp::Replace(all) => {
                *members = all
                    .iter()
                    .map(|m| (m.id, Some(m.vendor_id.as_str())))
                    .collect();
            }
            MembershipOp::Delta { added, removed } => {
                for m in added {
                    members.entry(m.id).or_insert(Some(m.vendor_id.as_str()));
                }
                for m in removed {
                    members.remove(m);
                }
            }
        }
    }
    let mut add = Vec::new();
    let mut remove: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (parent, (vendor_id, members)) in state {
        let before = stored.get(&parent).unwrap_or(&empty);
        for (id, member_vendor_id) in &members {
            if let (false, Some(v)) = (before.contains(id), member_vendor_id) {
                let member = MemberId {
                    id: *id,
                    vendor_id: (*v).to_owned(),
                };
                add.push((parent, vendor_id, member));
            }
        }
        let gone: Vec<Uuid> = before
            .iter()
            .filter(|m| !members.contains_key(m))
            .copied()
            .collect();
        if !gone.is_empty() {
            remove.insert(parent, gone);
        }
    }
    (add, remove)
}

async fn write(
    tx: &mut Tx,
    connection_id: Uuid,
    relation: IdpRelation,
    (add, remove): &Diff<'_>,
    now: i64,
) -> Result<()> {
    for chunk in pow2_chunks(add, insert_chunk(tx, 7)) {
        let mut q = Query::new("");
        let values = values_sql(&mut q, chunk.len(), 7, |q, i| {
            let (parent, parent_vendor_id, member) = &chunk[i];
            *q = std::mem::replace(q, Query::new(""))
                .bind(connection_id)
                .bind(relation.as_str())
                .bind(*parent)
                .bind(member.id)
                .bind(*parent_vendor_id)
                .bind(member.vendor_id.clone())
                .bind(now);
        });
        q.sql = format!(
            "INSERT INTO idp_memberships (connection_id, relation, parent_id, member_id, \
             parent_vendor_id, member_vendor_id, created_at) VALUES {values} \
             ON CONFLICT DO NOTHING"
        )
        .into();
        tx.exec().execute(q).await?;
    }
    for (parent, members) in remove {
        for chunk in members.chunks(IN_CHUNK) {
            let mut q = Query::new("")
                .bind(connection_id)
                .bind(relation.as_str())
                .bind(*parent);
            let ms = q.push_ids(chunk);
            q.sql = format!(
                "DELETE FROM idp_memberships WHERE connection_id = $1 AND relation = $2 \
                 AND parent_id = $3 AND member_id IN ({ms})"
            )
            .into();
            tx.exec().execute(q).await?;
        }
    }
    Ok(())
}

/// Applies the membership changes of a page of `kind`'s rows; returns the owners whose
/// lists changed (their `updated_at` moved).
pub(super) async fn apply(
    tx: &mut Tx,
    connection_id: Uuid,
    kind: IdpKind,
    rows: &[IdpRow],
    now: i64,
) -> Result<HashSet<Uuid>> {
    let mut by_relation: BTreeMap<IdpRelation, Vec<Op<'_>>> = BTreeMap::new();
    for r in rows {
        for c in &r.memberships {
            by_relation
                .entry(c.relation)
                .or_default()
                .push((r.id, r.vendor_id.as_str(), &c.op));
        }
    }
    let mut changed = HashSet::new();
    for (relation, ops) in by_relation {
        let stored = load(tx, connection_id, relation, &ops).await?;
        let diff = diff(&stored, &ops);
        write(tx, connection_id, relation, &diff, now).await?;
        changed.extend(diff.0.iter().map(|(p, _, _)| *p));
        changed.extend(diff.1.keys());
    }
    let ids: Vec<Uuid> = changed.iter().copied().collect();
    touch(tx, kind, &ids, now).await?;
    Ok(changed)
}

/// Ends every membership of `kind`'s records `ids` (deleted records): the lists they own,
/// and their places in others' lists, whose owners' `updated_at` moves.
pub(super) async fn end(
    tx: &mut Tx,
    connection_id: Uuid,
    kind: IdpKind,
    ids: &[Uuid],
    now: i64,
) -> Result<()> {
    for relation in IdpRelation::ALL {
        for (side, column) in [
            (relation.parent(), "parent_id"),
            (relation.member(), "member_id"),
        ] {
            if side != kind {
                continue;
            }
            for chunk in ids.chunks(IN_CHUNK) {
                let mut q = Query::new("").bind(connection_id).bind(relation.as_str());
                let ps = q.push_ids(chunk);
                q.sql = format!(
                    "DELETE FROM idp_memberships WHERE connection_id = $1 AND relation = $2 \
                     AND {column} IN ({ps}) RETURNING parent_id, member_id"
                )
                .into();
                let gone: Vec<PairRow> = tx.exec().fetch_all(q).await?;
                if column == "member_id" {
                    let owners: Vec<Uuid> = gone.iter().map(|r| r.parent_id).collect();
                    touch(tx, relation.parent(), &owners, now).await?;
                }
            }
        }
    }
    Ok(())
}
