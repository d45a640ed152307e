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

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` (since 3.32).
const SQLITE_MAX_PARAMS: usize = 32_766;

/// Ids per `IN (…)` list of a write.
pub(super) const IN_CHUNK: usize = 500;

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
    let mut q = Query::new("");
    let ps: Vec<String> = ids.iter().map(|id| q.push_arg(*id)).collect();
    q.sql = format!(
        "SELECT id, content_hash FROM {table} WHERE id IN ({})",
        ps.join(", ")
    )
    .into();
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
