//! Writing a page's devices and alerts by the fastest statement each store has: on
//! SQLite multi-row `INSERT … VALUES` statements of up to a page of rows (anonymous
//! placeholders, prepared once and reused), on PostgreSQL one `INSERT … SELECT FROM
//! UNNEST(…)` per page with every column bound as one array. Both upsert on the record
//! id; the caller has removed duplicate ids from the page (the last copy wins), which
//! PostgreSQL's `ON CONFLICT DO UPDATE` requires of one statement.
//!
//! The same alert writer fills the bare table of `bench ingest`'s physical limit
//! ([`bare_alerts`]): the same row bytes, the same statement, one index.

use uuid::Uuid;

use super::upsert::{insert_chunk, pow2_chunks, values_sql};
use crate::{
    db::{Arg, Db, Dialect, Query, Tx},
    models::{AlertRow, DeviceRow},
    traits::Result,
};

const DEVICE_COLUMNS: &str = "id, connection_id, vendor_id, vendor, platform, status, \
     last_seen_key, created_at, updated_at, content_hash, data, device_groups";

const DEVICE_UPDATE: &str = "ON CONFLICT (id) DO UPDATE SET \
     platform = excluded.platform, status = excluded.status, \
     last_seen_key = excluded.last_seen_key, updated_at = excluded.updated_at, \
     content_hash = excluded.content_hash, data = excluded.data, \
     device_groups = excluded.device_groups";

const ALERT_COLUMNS: &str = "id, connection_id, vendor_id, vendor, device_id, severity, \
     severity_rank, status, first_event_key, last_event_key, created_at, updated_at, \
     content_hash, data, observables, device_snapshot, device_snapshot_groups";

const ALERT_UPDATE: &str = "ON CONFLICT (id) DO UPDATE SET \
     device_id = excluded.device_id, severity = excluded.severity, \
     severity_rank = excluded.severity_rank, status = excluded.status, \
     first_event_key = excluded.first_event_key, last_event_key = excluded.last_event_key, \
     updated_at = excluded.updated_at, content_hash = excluded.content_hash, \
     data = excluded.data, observables = excluded.observables, \
     device_snapshot = excluded.device_snapshot, \
     device_snapshot_groups = excluded.device_snapshot_groups";

/// Upserts new and changed devices (ids unique within `rows`).
pub(super) async fn upsert_devices(
    tx: &mut Tx,
    connection_id: Uuid,
    rows: &[&DeviceRow],
    now: i64,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if tx.dialect() == Dialect::Postgres {
        let col = |f: fn(&DeviceRow) -> String| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let q = Query::new(format!(
            "INSERT INTO devices ({DEVICE_COLUMNS}) \
             SELECT u.id, $1::uuid, u.vendor_id, u.vendor, u.platform, u.status, \
             u.last_seen_key, $2::int8, $2::int8, u.content_hash, u.data, u.device_groups \
             FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], \
             $8::int8[], $9::int8[], $10::text[], $11::text[]) \
             AS u(id, vendor_id, vendor, platform, status, last_seen_key, content_hash, \
             data, device_groups) {DEVICE_UPDATE}"
        ))
        .bind(connection_id)
        .bind(now)
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(col(|r| r.vendor_id.clone()))
        .bind(col(|r| r.vendor.clone()))
        .bind(col(|r| r.platform.clone()))
        .bind(Arg::OptTextArray(
            rows.iter().map(|r| r.status.clone()).collect(),
        ))
        .bind(rows.iter().map(|r| r.last_seen_key).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.content_hash).collect::<Vec<_>>())
        .bind(col(|r| r.data.clone()))
        .bind(col(|r| r.device_groups.clone()));
        tx.exec().execute(q).await?;
        return Ok(());
    }
    for chunk in pow2_chunks(rows, insert_chunk(tx, 12)) {
        let mut q = Query::new("");
        let values = values_sql(&mut q, chunk.len(), 12, |q, i| {
            let r = chunk[i];
            let args = [
                Arg::Uuid(r.id),
                Arg::Uuid(connection_id),
                Arg::Text(r.vendor_id.clone()),
                Arg::Text(r.vendor.clone()),
                Arg::Text(r.platform.clone()),
                Arg::OptText(r.status.clone()),
                Arg::I64(r.last_seen_key),
                Arg::I64(now),
                Arg::I64(now),
                Arg::I64(r.content_hash),
                Arg::Text(r.data.clone()),
                Arg::Text(r.device_groups.clone()),
            ];
            q.args.extend(args);
        });
        q.sql = format!("INSERT INTO devices ({DEVICE_COLUMNS}) VALUES {values} {DEVICE_UPDATE}")
            .into();
        tx.exec().execute(q).await?;
    }
    Ok(())
}

/// Upserts new and changed alerts (ids unique within `rows`).
pub(super) async fn upsert_alerts(
    tx: &mut Tx,
    connection_id: Uuid,
    rows: &[&AlertRow],
    now: i64,
) -> Result<()> {
    write_alerts(tx, "alerts", ALERT_UPDATE, connection_id, rows, now).await
}

/// Writes `rows` into `table` (the alert columns) with `conflict` after the insert.
async fn write_alerts(
    tx: &mut Tx,
    table: &str,
    conflict: &str,
    connection_id: Uuid,
    rows: &[&AlertRow],
    now: i64,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if tx.dialect() == Dialect::Postgres {
        let text = |f: fn(&AlertRow) -> String| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let opt = |f: fn(&AlertRow) -> Option<String>| {
            Arg::OptTextArray(rows.iter().map(|r| f(r)).collect())
        };
        let int = |f: fn(&AlertRow) -> i64| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
        let q = Query::new(format!(
            "INSERT INTO {table} ({ALERT_COLUMNS}) \
             SELECT u.id, $1::uuid, u.vendor_id, u.vendor, u.device_id, u.severity, \
             u.severity_rank, u.status, u.first_event_key, u.last_event_key, $2::int8, \
             $2::int8, u.content_hash, u.data, u.observables, u.device_snapshot, \
             u.device_snapshot_groups \
             FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], \
             $8::int8[], $9::text[], $10::int8[], $11::int8[], $12::int8[], $13::text[], \
             $14::text[], $15::text[], $16::text[]) \
             AS u(id, vendor_id, vendor, device_id, severity, severity_rank, status, \
             first_event_key, last_event_key, content_hash, data, observables, \
             device_snapshot, device_snapshot_groups) {conflict}"
        ))
        .bind(connection_id)
        .bind(now)
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(text(|r| r.vendor_id.clone()))
        .bind(text(|r| r.vendor.clone()))
        .bind(Arg::OptUuidArray(
            rows.iter().map(|r| r.device_id).collect(),
        ))
        .bind(text(|r| r.severity.clone()))
        .bind(int(|r| r.severity_rank))
        .bind(text(|r| r.status.clone()))
        .bind(int(|r| r.first_event_key))
        .bind(int(|r| r.last_event_key))
        .bind(int(|r| r.content_hash))
        .bind(text(|r| r.data.clone()))
        .bind(text(|r| r.observables.clone()))
        .bind(opt(|r| r.device_snapshot.clone()))
        .bind(opt(|r| r.device_snapshot_groups.clone()));
        tx.exec().execute(q).await?;
        return Ok(());
    }
    for chunk in pow2_chunks(rows, insert_chunk(tx, 17)) {
        let mut q = Query::new("");
        let values = values_sql(&mut q, chunk.len(), 17, |q, i| {
            let r = chunk[i];
            let args = [
                Arg::Uuid(r.id),
                Arg::Uuid(connection_id),
                Arg::Text(r.vendor_id.clone()),
                Arg::Text(r.vendor.clone()),
                Arg::OptUuid(r.device_id),
                Arg::Text(r.severity.clone()),
                Arg::I64(r.severity_rank),
                Arg::Text(r.status.clone()),
                Arg::I64(r.first_event_key),
                Arg::I64(r.last_event_key),
                Arg::I64(now),
                Arg::I64(now),
                Arg::I64(r.content_hash),
                Arg::Text(r.data.clone()),
                Arg::Text(r.observables.clone()),
                Arg::OptText(r.device_snapshot.clone()),
                Arg::OptText(r.device_snapshot_groups.clone()),
            ];
            q.args.extend(args);
        });
        q.sql = format!("INSERT INTO {table} ({ALERT_COLUMNS}) VALUES {values} {conflict}").into();
        tx.exec().execute(q).await?;
    }
    Ok(())
}

/// The bare table of `bench ingest`'s physical limit: the alert columns, one index (the
/// primary key). Created on first use, never by migrations: the service never reads it.
const BARE_TABLE: &str = "bench_bare_alerts";

/// Creates [`BARE_TABLE`] if missing (before the physical limit's timed part).
pub(super) async fn create_bare_alerts(db: &Db) -> Result<()> {
    let uuid = match db.dialect() {
        Dialect::Sqlite => "BLOB",
        Dialect::Postgres => "UUID",
    };
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id {uuid} PRIMARY KEY, \
         connection_id {uuid} NOT NULL, vendor_id TEXT NOT NULL, vendor TEXT NOT NULL, \
         device_id {uuid}, severity TEXT NOT NULL, severity_rank BIGINT NOT NULL, \
         status TEXT NOT NULL, first_event_key BIGINT NOT NULL, \
         last_event_key BIGINT NOT NULL, created_at BIGINT NOT NULL, \
         updated_at BIGINT NOT NULL, content_hash BIGINT NOT NULL, data TEXT NOT NULL, \
         observables TEXT NOT NULL, device_snapshot TEXT, device_snapshot_groups TEXT)"
    );
    db.writer().execute(Query::new(create)).await?;
    Ok(())
}

/// `bench ingest`'s physical limit: writes `rows` into [`BARE_TABLE`] in one
/// transaction, by the statement page commits use, with nothing else: no lease check,
/// no content hashes, no quarantine, progress or watermark, four fewer indexes.
pub(super) async fn bare_alerts(
    db: &Db,
    connection_id: Uuid,
    rows: &[AlertRow],
    now: i64,
) -> Result<()> {
    let refs: Vec<&AlertRow> = rows.iter().collect();
    let mut tx = db.begin().await?;
    write_alerts(&mut tx, BARE_TABLE, "", connection_id, &refs, now).await?;
    tx.commit().await
}

/// Drops [`BARE_TABLE`] (the end of a benchmark).
pub(super) async fn drop_bare_alerts(db: &Db) -> Result<()> {
    let sql = format!("DROP TABLE IF EXISTS {BARE_TABLE}");
    db.writer().execute(Query::new(sql)).await?;
    Ok(())
}
