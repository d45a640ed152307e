//! What every record table's page commit shares: multi-row INSERT statements sized per
//! dialect, and skipping rows whose content did not change.

use std::collections::HashMap;

use uuid::Uuid;

use super::rows::IdRow;
use crate::{
    db::{Exec, Query, Tx},
    traits::Result,
    StoreError,
};

/// Rows per multi-row INSERT. PostgreSQL likes big statements. SQLite binds the
/// anonymous `?` placeholders these statements get (see `db::sqlite_sql`) in constant
/// time each, so a statement may hold as many rows as its 32,766-parameter limit allows,
/// up to a page of 1,000. (With numbered `?NNN` placeholders binding was quadratic: a
/// 500-row statement cost ~300 µs a row against ~40 µs for 20-row ones.)
pub(super) fn insert_chunk(tx: &Tx, width: usize) -> usize {
    match tx.dialect() {
        crate::db::Dialect::Sqlite => (SQLITE_MAX_PARAMS / width.max(1)).clamp(1, 1_000),
        crate::db::Dialect::Postgres => 500,
    }
}

/// Cuts `items` into chunks of at most `max`, each a power of two long (1,000 rows go as
/// 512 + 256 + 128 + 64 + 32 + 8): a statement's text depends on its row count, and each
/// distinct text is a prepared statement in the connection's cache (~1 MB for a
/// thousand-row insert), so a page of any size reuses a dozen shapes at most.
pub(super) fn pow2_chunks<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let cap = 1usize << max.max(1).ilog2();
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let n = 1usize << items.len().min(cap).ilog2();
        let (head, rest) = items.split_at(n);
        items = rest;
        Some(head)
    })
}

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` (since 3.32).
const SQLITE_MAX_PARAMS: usize = 32_766;

/// Ids per `IN (…)` list of a write.
pub(super) const IN_CHUNK: usize = 500;

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_are_powers_of_two_up_to_the_cap() {
        let sizes = |n: usize, max| {
            let items = vec![0u8; n];
            super::pow2_chunks(&items, max)
                .map(<[u8]>::len)
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(1_000, 1_000), [512, 256, 128, 64, 32, 8]);
        assert_eq!(sizes(1_000, 300), [256, 256, 256, 128, 64, 32, 8]);
        assert_eq!(sizes(3, 1_000), [2, 1]);
        assert!(sizes(0, 1_000).is_empty());
    }
}

#[derive(sqlx::FromRow)]
struct HashRow {
    id: Uuid,
    content_hash: i64,
}

/// Which of `ids` already exist, with their content hashes.
pub(super) async fn existing_hashes(
    exec: Exec<'_>,
    table: &str,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let q = match exec {
        // One statement of one shape whatever the page's size.
        Exec::PgTx(_) | Exec::PgPool(_) => Query::new(format!(
            "SELECT id, content_hash FROM {table} WHERE id = ANY($1)"
        ))
        .bind(ids.to_vec()),
        _ => {
            let mut q = Query::new("");
            let ps: Vec<String> = ids.iter().map(|id| q.push_arg(*id)).collect();
            q.sql = format!(
                "SELECT id, content_hash FROM {table} WHERE id IN ({})",
                ps.join(", ")
            )
            .into();
            q
        }
    };
    let rows: Vec<HashRow> = exec.fetch_all(q).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.content_hash)).collect())
}

/// Appends `(…), (…)` value tuples of `width` placeholders per row.
pub(super) fn values_sql(
    q: &mut Query,
    rows: usize,
    width: usize,
    mut bind_row: impl FnMut(&mut Query, usize),
) -> String {
    let first = q.args.len() + 1;
    let mut tuples = Vec::with_capacity(rows);
    for r in 0..rows {
        bind_row(q, r);
        let start = first + r * width;
        let ps: Vec<String> = (start..start + width).map(|i| format!("${i}")).collect();
        tuples.push(format!("({})", ps.join(", ")));
    }
    tuples.join(", ")
}

/// Splits a page into rows to write (new or changed) and counts the new ones.
pub(super) fn changed<'a, T>(
    rows: &'a [T],
    id: impl Fn(&T) -> Uuid,
    hash: impl Fn(&T) -> i64,
    existing: &HashMap<Uuid, i64>,
) -> (Vec<&'a T>, u64) {
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    let mut write = Vec::with_capacity(rows.len());
    let mut inserted = 0;
    // The last copy of a duplicated record in one page wins.
    for r in rows.iter().rev() {
        if !seen.insert(id(r)) {
            continue;
        }
        match existing.get(&id(r)) {
            None => {
                inserted += 1;
                write.push(r);
            }
            Some(h) if *h != hash(r) => write.push(r),
            Some(_) => {}
        }
    }
    write.reverse();
    (write, inserted)
}

/// Refuses with `LeaseLost` unless `owner` still runs `job_id`: a worker whose lease
/// expired (its job re-queued to another) must not write for it.
pub(super) async fn hold_lease(tx: &mut Tx, job_id: Uuid, owner: &str) -> Result<()> {
    let q =
        Query::new("SELECT id FROM jobs WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'")
            .bind(job_id)
            .bind(owner);
    match tx.exec().fetch_optional::<IdRow>(q).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::LeaseLost(job_id)),
    }
}
