//! Vulnerability findings: upserts from page commits (a finding found again after it
//! was fixed is REOPENED, whatever the vendor calls it), FIXED marks from a complete
//! snapshot's reconciliation, and the keyset-paginated, filtered reads of
//! `/v2/vulnerability_findings` (the affected asset joined from `devices`).

use std::{borrow::Cow, collections::HashMap};

use async_trait::async_trait;
use tributary_model::vms::FindingState;
use uuid::Uuid;

use super::{
    listing::scoped_where,
    upsert::{insert_chunk, pow2_chunks, values_sql, IN_CHUNK},
    SqlStore,
};
use crate::{
    db::{Dialect, Query, Tx},
    documents::{edr::UNKNOWN_TIME, vms::restate},
    models::{FindingQuery, FindingRow, StoredFinding},
    time::from_micros,
    traits::{FindingStore, Result},
    window::{finish_page, Keyset, ListPage},
};

#[derive(sqlx::FromRow)]
struct StateRow {
    id: Uuid,
    state: String,
    state_updated_key: i64,
}

/// The page's rows with the state model applied: a row the vendor reports OPEN whose
/// stored finding is FIXED becomes REOPENED now; one already REOPENED stays REOPENED
/// since its reopening (a snapshot vendor lists what is found, fixed or not before).
pub(super) async fn carry_state<'a>(
    tx: &mut Tx,
    rows: &'a [FindingRow],
    now: i64,
) -> Result<Cow<'a, [FindingRow]>> {
    let open: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.state == FindingState::Open.as_str())
        .map(|r| r.id)
        .collect();
    let mut stored = HashMap::new();
    for chunk in open.chunks(IN_CHUNK) {
        let mut q = Query::new("");
        let ps = q.push_ids(chunk);
        q.sql = format!(
            "SELECT id, state, state_updated_key FROM vulnerability_findings \
             WHERE id IN ({ps}) AND state IN ('FIXED', 'REOPENED')"
        )
        .into();
        let found: Vec<StateRow> = tx.exec().fetch_all(q).await?;
        stored.extend(found.into_iter().map(|r| (r.id, r)));
    }
    if stored.is_empty() {
        return Ok(Cow::Borrowed(rows));
    }
    let mut out = rows.to_vec();
    for row in out.iter_mut() {
        let Some(s) = stored.get(&row.id).filter(|_| row.state == "OPEN") else {
            continue;
        };
        let since =
            if s.state == FindingState::Fixed.as_str() || s.state_updated_key == UNKNOWN_TIME {
                now
            } else {
                s.state_updated_key
            };
        let snapshot = row.resource_snapshot.as_deref();
        let reopened = FindingState::Reopened;
        if let Some((data, hash)) = restate(&row.data, snapshot, reopened, Some(from_micros(since)))
        {
            row.state = reopened.as_str().to_owned();
            row.state_updated_key = since;
            row.data = data;
            row.content_hash = hash;
        }
    }
    Ok(Cow::Owned(out))
}

#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: Uuid,
    data: String,
    resource_snapshot: Option<String>,
}

/// Marks `ids` FIXED now (their documents say so too, with `fixed_at`); returns how many.
pub(super) async fn mark_fixed(tx: &mut Tx, ids: &[Uuid], now: i64) -> Result<u64> {
    let fixed = FindingState::Fixed;
    let mut marked = 0;
    for chunk in ids.chunks(IN_CHUNK) {
        let mut q = Query::new("");
        let ps = q.push_ids(chunk);
        q.sql = format!(
            "SELECT id, data, resource_snapshot FROM vulnerability_findings WHERE id IN ({ps})"
        )
        .into();
        let docs: Vec<DocumentRow> = tx.exec().fetch_all(q).await?;
        for doc in docs {
            let at = Some(from_micros(now));
            let Some((data, hash)) =
                restate(&doc.data, doc.resource_snapshot.as_deref(), fixed, at)
            else {
                continue; // not a finding document: left as it is
            };
            let q = Query::new(
                "UPDATE vulnerability_findings SET state = $1, state_updated_key = $2, \
                 updated_at = $2, data = $3, content_hash = $4 WHERE id = $5",
            )
            .bind(fixed.as_str())
            .bind(now)
            .bind(data)
            .bind(hash)
            .bind(doc.id);
            marked += tx.exec().execute(q).await?;
        }
    }
    Ok(marked)
}

const FINDING_COLUMNS: &str = "id, connection_id, vendor_id, vendor, resource_id, severity, \
     state, has_fix, first_seen_key, last_seen_key, state_updated_key, created_at, updated_at, \
     content_hash, data, resource_snapshot";

const FINDING_UPDATE: &str = "ON CONFLICT (id) DO UPDATE SET \
     resource_id = excluded.resource_id, severity = excluded.severity, \
     state = excluded.state, has_fix = excluded.has_fix, \
     first_seen_key = excluded.first_seen_key, last_seen_key = excluded.last_seen_key, \
     state_updated_key = excluded.state_updated_key, updated_at = excluded.updated_at, \
     content_hash = excluded.content_hash, data = excluded.data, \
     resource_snapshot = excluded.resource_snapshot";

/// Writes new and changed findings (ids unique within `rows`): on PostgreSQL one
/// `INSERT … SELECT FROM UNNEST(…)` with every column bound as one array, on SQLite
/// multi-row statements of power-of-two sizes (as `edr_writes` does for alerts).
pub(super) async fn upsert(
    tx: &mut Tx,
    connection_id: Uuid,
    rows: &[&FindingRow],
    now: i64,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if tx.dialect() == Dialect::Postgres {
        let text = |f: fn(&FindingRow) -> String| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let int = |f: fn(&FindingRow) -> i64| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let q = Query::new(format!(
            "INSERT INTO vulnerability_findings ({FINDING_COLUMNS}) \
             SELECT u.id, $1::uuid, u.vendor_id, u.vendor, u.resource_id, u.severity, \
             u.state, u.has_fix, u.first_seen_key, u.last_seen_key, u.state_updated_key, \
             $2::int8, $2::int8, u.content_hash, u.data, u.resource_snapshot \
             FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], \
             $8::text[], $9::bool[], $10::int8[], $11::int8[], $12::int8[], $13::int8[], \
             $14::text[], $15::text[]) \
             AS u(id, vendor_id, vendor, resource_id, severity, state, has_fix, \
             first_seen_key, last_seen_key, state_updated_key, content_hash, data, \
             resource_snapshot) {FINDING_UPDATE}"
        ))
        .bind(connection_id)
        .bind(now)
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(text(|r| r.vendor_id.clone()))
        .bind(text(|r| r.vendor.clone()))
        .bind(rows.iter().map(|r| r.resource_id).collect::<Vec<_>>())
        .bind(text(|r| r.severity.clone()))
        .bind(text(|r| r.state.clone()))
        .bind(rows.iter().map(|r| r.has_fix).collect::<Vec<_>>())
        .bind(int(|r| r.first_seen_key))
        .bind(int(|r| r.last_seen_key))
        .bind(int(|r| r.state_updated_key))
        .bind(int(|r| r.content_hash))
        .bind(text(|r| r.data.clone()))
        .bind(
            rows.iter()
                .map(|r| r.resource_snapshot.clone())
                .collect::<Vec<_>>(),
        );
        tx.exec().execute(q).await?;
        return Ok(());
    }
    for chunk in pow2_chunks(rows, insert_chunk(tx, 16)) {
        let mut q = Query::new("");
        let values = values_sql(&mut q, chunk.len(), 16, |q, i| {
            let r = chunk[i];
            *q = std::mem::replace(q, Query::new(""))
                .bind(r.id)
                .bind(connection_id)
                .bind(r.vendor_id.clone())
                .bind(r.vendor.clone())
                .bind(r.resource_id)
                .bind(r.severity.clone())
                .bind(r.state.clone())
                .bind(r.has_fix)
                .bind(r.first_seen_key)
                .bind(r.last_seen_key)
                .bind(r.state_updated_key)
                .bind(now)
                .bind(now)
                .bind(r.content_hash)
                .bind(r.data.clone())
                .bind(r.resource_snapshot.clone());
        });
        q.sql = format!(
            "INSERT INTO vulnerability_findings ({FINDING_COLUMNS}) VALUES {values} {FINDING_UPDATE}"
        )
        .into();
        tx.exec().execute(q).await?;
    }
    Ok(())
}

const SELECT: &str = "SELECT f.id, f.updated_at AS sort_key, f.updated_at, f.data, \
     f.resource_id, d.data AS resource_data, f.resource_snapshot \
     FROM vulnerability_findings f LEFT JOIN devices d ON d.id = f.resource_id";

/// The WHERE clause of a query (scoped to the account), its arguments bound in `q`.
fn where_clause(account_id: Uuid, query: &FindingQuery, q: &mut Query) -> String {
    let mut sql = scoped_where("f", query.connection_id, account_id, q);
    let f = &query.filter;
    for (col, values) in [("f.severity", &f.severities), ("f.state", &f.states)] {
        if !values.is_empty() {
            let ps: Vec<String> = values.iter().map(|v| q.push_arg(v.clone())).collect();
            sql.push_str(&format!(" AND {col} IN ({})", ps.join(", ")));
        }
    }
    for (col, ids) in [("f.resource_id", &f.resource_ids), ("f.id", &f.ids)] {
        if !ids.is_empty() {
            let ps: Vec<String> = ids.iter().map(|v| q.push_arg(*v)).collect();
            sql.push_str(&format!(" AND {col} IN ({})", ps.join(", ")));
        }
    }
    if let Some(has_fix) = f.has_fix {
        let p = q.push_arg(has_fix);
        sql.push_str(&format!(" AND f.has_fix = {p}"));
    }
    for (col, since) in [
        ("f.first_seen_key", f.first_seen_since),
        ("f.last_seen_key", f.last_seen_since),
        ("f.state_updated_key", f.state_updated_since),
    ] {
        if let Some(since) = since {
            let p = q.push_arg(since);
            sql.push_str(&format!(" AND {col} >= {p}"));
        }
    }
    sql
}

#[async_trait]
impl FindingStore for SqlStore {
    async fn list_findings(
        &self,
        account_id: Uuid,
        query: &FindingQuery,
    ) -> Result<ListPage<StoredFinding>> {
        let mut q = Query::new("");
        let where_sql = where_clause(account_id, query, &mut q);
        let mut sql = format!("{SELECT}{where_sql}");
        let keyset = Keyset {
            key_col: "f.updated_at",
            id_col: "f.id",
            descending: false,
        };
        let reversed = keyset.apply(&query.window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<StoredFinding> = self.db.reader().fetch_all(q).await?;
        let (items, has_more) = finish_page(rows, &query.window, reversed);
        Ok(ListPage {
            items,
            // Keyset pages never count: a count of a million findings per page would cost
            // more than the page.
            total: None,
            has_more,
        })
    }

    async fn get_finding(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        id: Uuid,
    ) -> Result<Option<StoredFinding>> {
        let mut q = Query::new("");
        let query = FindingQuery {
            connection_id,
            filter: crate::models::FindingFilter {
                ids: vec![id],
                ..Default::default()
            },
            window: crate::ListWindow::first(1),
        };
        let where_sql = where_clause(account_id, &query, &mut q);
        q.sql = format!("{SELECT}{where_sql}").into();
        self.db.reader().fetch_optional(q).await
    }
}
