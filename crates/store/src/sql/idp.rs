//! Identity page commits: upserts of present records, tombstones that mark a stored record
//! deleted without touching its document, and the membership lists the page reports —
//! all in the page's transaction, so a page and its memberships land together with the
//! watermark. A retried page changes nothing: unchanged documents are skipped and a
//! membership list already as reported writes no row.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::{
    memberships,
    upsert::{insert_chunk, pow2_chunks, values_sql, IN_CHUNK},
};
use crate::{
    db::{Dialect, Query, Tx},
    models::{IdpDocument, IdpKind, IdpRow},
    traits::Result,
};

#[derive(sqlx::FromRow)]
struct StateRow {
    id: Uuid,
    content_hash: i64,
    is_deleted: bool,
}

/// The stored hash and deletion flag of each of `ids` that exists.
async fn stored_state(
    tx: &mut Tx,
    kind: IdpKind,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (i64, bool)>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        let mut q = Query::new("");
        let ps = q.push_ids(chunk);
        q.sql = format!(
            "SELECT id, content_hash, is_deleted FROM {} WHERE id IN ({ps})",
            kind.table()
        )
        .into();
        let rows: Vec<StateRow> = tx.exec().fetch_all(q).await?;
        out.extend(
            rows.into_iter()
                .map(|r| (r.id, (r.content_hash, r.is_deleted))),
        );
    }
    Ok(out)
}

/// Writes new and changed identity records (ids unique within `rows`): on PostgreSQL one
/// `INSERT … SELECT FROM UNNEST(…)` with every column bound as one array, on SQLite
/// multi-row statements of power-of-two sizes.
async fn upsert(
    tx: &mut Tx,
    connection_id: Uuid,
    kind: IdpKind,
    rows: &[(&IdpRow, &IdpDocument)],
    now: i64,
) -> Result<()> {
    const COLUMNS: &str =
        "id, connection_id, vendor_id, is_deleted, label, email, created_at, updated_at, \
         content_hash, data";
    const UPDATE: &str = "ON CONFLICT (id) DO UPDATE SET is_deleted = excluded.is_deleted, \
         label = excluded.label, email = excluded.email, \
         updated_at = excluded.updated_at, content_hash = excluded.content_hash, \
         data = excluded.data";
    if rows.is_empty() {
        return Ok(());
    }
    let table = kind.table();
    if tx.dialect() == Dialect::Postgres {
        let q = Query::new(format!(
            "INSERT INTO {table} ({COLUMNS}) \
             SELECT u.id, $1::uuid, u.vendor_id, u.is_deleted, u.label, u.email, $2::int8, \
             $2::int8, u.content_hash, u.data \
             FROM UNNEST($3::uuid[], $4::text[], $5::bool[], $6::text[], $7::text[], \
             $8::int8[], $9::text[]) \
             AS u(id, vendor_id, is_deleted, label, email, content_hash, data) {UPDATE}"
        ))
        .bind(connection_id)
        .bind(now)
        .bind(rows.iter().map(|(r, _)| r.id).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|(r, _)| r.vendor_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|(_, d)| d.is_deleted).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|(_, d)| d.label.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|(_, d)| d.email.clone())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|(_, d)| d.content_hash).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, d)| d.data.clone()).collect::<Vec<_>>());
        tx.exec().execute(q).await?;
        return Ok(());
    }
    for chunk in pow2_chunks(rows, insert_chunk(tx, 10)) {
        let mut q = Query::new("");
        let values = values_sql(&mut q, chunk.len(), 10, |q, i| {
            let (r, d) = chunk[i];
            *q = std::mem::replace(q, Query::new(""))
                .bind(r.id)
                .bind(connection_id)
                .bind(r.vendor_id.clone())
                .bind(d.is_deleted)
                .bind(d.label.clone())
                .bind(d.email.clone())
                .bind(now)
                .bind(now)
                .bind(d.content_hash)
                .bind(d.data.clone());
        });
        q.sql = format!("INSERT INTO {table} ({COLUMNS}) VALUES {values} {UPDATE}").into();
        tx.exec().execute(q).await?;
    }
    Ok(())
}

/// Marks stored records deleted (their documents stay as last known) and ends their
/// memberships. Returns how many were not deleted before.
pub(super) async fn mark_deleted(
    tx: &mut Tx,
    connection_id: Uuid,
    kind: IdpKind,
    ids: &[Uuid],
    now: i64,
) -> Result<u64> {
    let mut marked = 0;
    for chunk in ids.chunks(IN_CHUNK) {
        let mut q = Query::new("");
        let pn = q.push_arg(now);
        let pc = q.push_arg(connection_id);
        let ps = q.push_ids(chunk);
        q.sql = format!(
            "UPDATE {} SET is_deleted = TRUE, updated_at = {pn} \
             WHERE connection_id = {pc} AND is_deleted = FALSE AND id IN ({ps})",
            kind.table()
        )
        .into();
        marked += tx.exec().execute(q).await?;
    }
    memberships::end(tx, connection_id, kind, ids, now).await?;
    Ok(marked)
}

/// What a page commit of identity records changed.
pub(super) struct Committed {
    /// Records written, marked deleted, or whose membership lists changed.
    pub upserted: u64,
    /// Records new to the store.
    pub inserted: u64,
}

/// Commits one page of `kind`'s rows.
pub(super) async fn commit(
    tx: &mut Tx,
    connection_id: Uuid,
    kind: IdpKind,
    rows: &[IdpRow],
    now: i64,
) -> Result<Committed> {
    // The last copy of a record in a page is its state; every copy's memberships apply.
    let mut last: HashMap<Uuid, &IdpRow> = HashMap::with_capacity(rows.len());
    for r in rows {
        last.insert(r.id, r);
    }
    let ids: Vec<Uuid> = last.keys().copied().collect();
    let stored = stored_state(tx, kind, &ids).await?;
    let mut write = Vec::new();
    let mut tombstones = Vec::new();
    let mut inserted = 0;
    for (id, r) in &last {
        match (&r.document, stored.get(id)) {
            (Some(d), None) => {
                inserted += 1;
                write.push((*r, d));
            }
            (Some(d), Some((hash, deleted))) => {
                if *hash != d.content_hash || *deleted != d.is_deleted {
                    write.push((*r, d));
                }
            }
            (None, Some((_, false))) => tombstones.push(*id),
            // A tombstone of a record never stored (or already deleted) changes nothing.
            (None, _) => {}
        }
    }
    upsert(tx, connection_id, kind, &write, now).await?;
    // A record the vendor itself lists as deleted is a member of nothing any more.
    let ended: Vec<Uuid> = write
        .iter()
        .filter(|(_, d)| d.is_deleted)
        .map(|(r, _)| r.id)
        .collect();
    memberships::end(tx, connection_id, kind, &ended, now).await?;
    mark_deleted(tx, connection_id, kind, &tombstones, now).await?;
    let mut changed: HashSet<Uuid> = write.iter().map(|(r, _)| r.id).collect();
    changed.extend(&tombstones);
    let lists = memberships::apply(tx, connection_id, kind, rows, now).await?;
    changed.extend(lists);
    Ok(Committed {
        upserted: changed.len() as u64,
        inserted,
    })
}
