//! Synced devices and alerts: page commits (idempotent upserts with the watermark in the
//! same transaction) and the EDR API's filtered, sorted, keyset-paginated reads.

use async_trait::async_trait;
use tributary_model::DataExportType;
use uuid::Uuid;

use super::{
    edr_writes::{
        bare_alerts, create_bare_alerts, drop_bare_alerts, upsert_alerts, upsert_devices,
    },
    listing::{scoped_where, Listing},
    rows::*,
    upsert::{changed, existing_hashes, hold_lease},
    SqlStore,
};
use crate::{
    db::{Query, Tx},
    models::*,
    time::now_micros,
    traits::{QuarantineEntry, RecordStore, Result},
    window::ListPage,
    StoreError,
};

/// Raw quarantined records are cut to this size.
const MAX_RAW_BYTES: usize = 64 * 1024;

async fn write_quarantine(tx: &mut Tx, page: &PageCommit, now: i64) -> Result<()> {
    for rec in &page.quarantined {
        let mut raw = rec.raw.clone();
        if raw.len() > MAX_RAW_BYTES {
            let mut cut = MAX_RAW_BYTES;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            raw.truncate(cut);
        }
        let q = Query::new(
            "INSERT INTO quarantine (id, connection_id, job_id, data_export_type, vendor_id, \
             error, raw, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Uuid::now_v7())
        .bind(page.connection_id)
        .bind(page.job_id)
        .bind(page.export.as_str())
        .bind(rec.vendor_id.clone())
        .bind(rec.error.clone())
        .bind(raw)
        .bind(now);
        tx.exec().execute(q).await?;
    }
    Ok(())
}

async fn write_progress(
    tx: &mut Tx,
    page: &PageCommit,
    done: &PageCommitted,
    now: i64,
) -> Result<()> {
    if let Some(w) = &page.watermark {
        let q = Query::new(
            "INSERT INTO watermarks (connection_id, data_export_type, value, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (connection_id, data_export_type) \
             DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(page.connection_id)
        .bind(page.export.as_str())
        .bind(w.clone())
        .bind(now);
        tx.exec().execute(q).await?;
        super::freshness::record_watermark(tx, page, now).await?;
    }
    let q = Query::new(
        "UPDATE job_exports SET records_upserted = records_upserted + $3, \
         records_quarantined = records_quarantined + $4, pages = pages + 1 \
         WHERE job_id = $1 AND data_export_type = $2",
    )
    .bind(page.job_id)
    .bind(page.export.as_str())
    .bind(done.upserted as i64)
    .bind(done.quarantined as i64);
    tx.exec().execute(q).await?;
    if done.inserted > 0 {
        let q = Query::new(
            "INSERT INTO record_counts (connection_id, data_export_type, count) VALUES ($1, $2, $3) \
             ON CONFLICT (connection_id, data_export_type) \
             DO UPDATE SET count = record_counts.count + excluded.count",
        )
        .bind(page.connection_id)
        .bind(page.export.as_str())
        .bind(done.inserted as i64);
        tx.exec().execute(q).await?;
    }
    Ok(())
}

#[async_trait]
impl RecordStore for SqlStore {
    async fn commit_page(&self, page: PageCommit) -> Result<PageCommitted> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        hold_lease(&mut tx, page.job_id, &page.lease_owner).await?;
        let mut done = PageCommitted {
            quarantined: page.quarantined.len() as u64,
            ..Default::default()
        };
        match &page.records {
            PageRecords::Devices(rows) => {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let existing = existing_hashes(tx.exec(), "devices", &ids).await?;
                let (write, inserted) = changed(rows, |r| r.id, |r| r.content_hash, &existing);
                upsert_devices(&mut tx, page.connection_id, &write, now).await?;
                done.upserted = write.len() as u64;
                done.inserted = inserted;
            }
            PageRecords::Alerts(rows) => {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let existing = existing_hashes(tx.exec(), "alerts", &ids).await?;
                let (write, inserted) = changed(rows, |r| r.id, |r| r.content_hash, &existing);
                upsert_alerts(&mut tx, page.connection_id, &write, now).await?;
                done.upserted = write.len() as u64;
                done.inserted = inserted;
            }
            PageRecords::Findings(rows) => {
                let rows = super::findings::carry_state(&mut tx, rows, now).await?;
                let rows = rows.as_ref();
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let existing = existing_hashes(tx.exec(), "vulnerability_findings", &ids).await?;
                let (write, inserted) = changed(rows, |r| r.id, |r| r.content_hash, &existing);
                super::findings::upsert(&mut tx, page.connection_id, &write, now).await?;
                done.upserted = write.len() as u64;
                done.inserted = inserted;
            }
            PageRecords::Idp(kind, rows) => {
                let c = super::idp::commit(&mut tx, page.connection_id, *kind, rows, now).await?;
                done.upserted = c.upserted;
                done.inserted = c.inserted;
            }
        }
        write_quarantine(&mut tx, &page, now).await?;
        write_progress(&mut tx, &page, &done, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn create_bare_alerts(&self) -> Result<()> {
        create_bare_alerts(&self.db).await
    }

    async fn bare_insert_alerts(&self, connection_id: Uuid, rows: &[AlertRow]) -> Result<()> {
        bare_alerts(&self.db, connection_id, rows, now_micros()).await
    }

    async fn drop_bare_alerts(&self) -> Result<()> {
        drop_bare_alerts(&self.db).await
    }

    async fn reconcile_listing(&self, listing: CompleteListing) -> Result<Reconciled> {
        super::reconcile::run(&self.db, listing).await
    }

    async fn get_watermark(
        &self,
        connection_id: Uuid,
        export: DataExportType,
    ) -> Result<Option<String>> {
        let q = Query::new(
            "SELECT value FROM watermarks WHERE connection_id = $1 AND data_export_type = $2",
        )
        .bind(connection_id)
        .bind(export.as_str());
        let row: Option<MetaRow> = self.db.reader().fetch_optional(q).await?;
        Ok(row.map(|r| r.value))
    }

    async fn list_alerts(
        &self,
        account_id: Uuid,
        query: &RecordQuery,
    ) -> Result<ListPage<StoredAlert>> {
        let sort_col = match query.sort.field {
            RecordSortField::UpdatedAt => "a.updated_at",
            RecordSortField::FirstEventTime => "a.first_event_key",
            RecordSortField::LastEventTime => "a.last_event_key",
            RecordSortField::Severity => "a.severity_rank",
            RecordSortField::LastSeen => {
                return Err(StoreError::Invalid(
                    "alerts cannot sort by last_seen".into(),
                ))
            }
        };
        let parts = query.parts;
        let observables = part(parts.observables, "a.observables");
        let groups = part(parts.device_groups, "d.device_groups");
        let snapshot_groups = part(parts.device_groups, "a.device_snapshot_groups");
        let select = format!(
            "SELECT a.id, {sort_col} AS sort_key, a.updated_at, a.data, \
             {observables} AS observables, d.data AS device_data, {groups} AS device_groups, \
             a.device_snapshot, {snapshot_groups} AS device_snapshot_groups \
             FROM alerts a LEFT JOIN devices d ON d.id = a.device_id"
        );
        let f = &query.filter;
        let filters = [
            ("a.vendor", &f.vendors),
            ("a.severity", &f.severities),
            ("a.status", &f.statuses),
        ];
        self.list_records(
            account_id,
            query,
            "alerts",
            "a",
            &select,
            sort_col,
            &filters,
            DataExportType::Alerts,
            true,
        )
        .await
    }

    async fn list_devices(
        &self,
        account_id: Uuid,
        query: &RecordQuery,
    ) -> Result<ListPage<StoredDevice>> {
        let sort_col = match query.sort.field {
            RecordSortField::UpdatedAt => "a.updated_at",
            RecordSortField::LastSeen => "a.last_seen_key",
            other => {
                return Err(StoreError::Invalid(format!(
                    "devices cannot sort by {other:?}"
                )))
            }
        };
        let groups = part(query.parts.device_groups, "a.device_groups");
        let select = format!(
            "SELECT a.id, {sort_col} AS sort_key, a.updated_at, a.data, \
             {groups} AS device_groups FROM devices a"
        );
        let f = &query.filter;
        let filters = [
            ("a.vendor", &f.vendors),
            ("a.status", &f.statuses),
            ("a.platform", &f.platforms),
        ];
        self.list_records(
            account_id,
            query,
            "devices",
            "a",
            &select,
            sort_col,
            &filters,
            DataExportType::Devices,
            false,
        )
        .await
    }

    async fn record_counts(&self, account_id: Uuid, connection_id: Uuid) -> Result<RecordCounts> {
        #[derive(sqlx::FromRow)]
        struct Row {
            data_export_type: String,
            count: i64,
        }
        let q = Query::new(
            "SELECT r.data_export_type, r.count FROM record_counts r \
             JOIN connections c ON c.id = r.connection_id \
             WHERE r.connection_id = $1 AND c.account_id = $2",
        )
        .bind(connection_id)
        .bind(account_id);
        let rows: Vec<Row> = self.db.reader().fetch_all(q).await?;
        let mut counts = RecordCounts::default();
        for r in rows {
            // A count of an export this version does not know is left out.
            if let Ok(export) = r.data_export_type.parse() {
                counts.0.insert(export, r.count);
            }
        }
        Ok(counts)
    }

    async fn list_quarantine(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        export: Option<DataExportType>,
        limit: i64,
    ) -> Result<Vec<QuarantineEntry>> {
        let q = Query::new(
            "SELECT q.id, q.job_id, q.data_export_type, q.vendor_id, q.error, q.raw, q.created_at \
             FROM quarantine q JOIN connections c ON c.id = q.connection_id \
             WHERE q.connection_id = $1 AND c.account_id = $2 \
             AND ($3 = '' OR q.data_export_type = $3) \
             ORDER BY q.created_at DESC, q.id DESC LIMIT $4",
        )
        .bind(connection_id)
        .bind(account_id)
        .bind(export.map_or("", |e| e.as_str()))
        .bind(limit);
        let rows: Vec<QuarantineRow> = self.db.reader().fetch_all(q).await?;
        rows.into_iter().map(QuarantineEntry::try_from).collect()
    }
}

/// An optional column, or NULL when the caller does not want it (not read, not sent).
fn part(wanted: bool, column: &str) -> &str {
    if wanted {
        column
    } else {
        "NULL"
    }
}

impl SqlStore {
    /// The shared body of the alert and device listings.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn list_records<T: crate::db::Row>(
        &self,
        account_id: Uuid,
        query: &RecordQuery,
        table: &str,
        alias: &str,
        select: &str,
        sort_col: &str,
        filters: &[(&str, &Vec<String>)],
        export: DataExportType,
        with_device_filter: bool,
    ) -> Result<ListPage<T>> {
        let mut q = Query::new("");
        let mut where_sql = scoped_where(alias, query.connection_id, account_id, &mut q);
        let mut filtered = false;
        for (col, values) in filters {
            if values.is_empty() {
                continue;
            }
            filtered = true;
            let ps: Vec<String> = values.iter().map(|v| q.push_arg(v.clone())).collect();
            where_sql.push_str(&format!(" AND {col} IN ({})", ps.join(", ")));
        }
        if with_device_filter && !query.filter.device_ids.is_empty() {
            filtered = true;
            let ps: Vec<String> = query
                .filter
                .device_ids
                .iter()
                .map(|v| q.push_arg(*v))
                .collect();
            where_sql.push_str(&format!(" AND {alias}.device_id IN ({})", ps.join(", ")));
        }
        if let Some(since) = query.filter.updated_since {
            filtered = true;
            let p = q.push_arg(since);
            where_sql.push_str(&format!(" AND {alias}.updated_at >= {p}"));
        }
        // A scanner's assets are devices too.
        let counted: &[DataExportType] = match export {
            DataExportType::Devices => &[DataExportType::Devices, DataExportType::Assets],
            _ => &[export],
        };
        let listing = Listing {
            table,
            alias,
            select,
            sort_col,
            descending: query.sort.descending,
            counted,
        };
        self.list_page(
            account_id,
            query.connection_id,
            &listing,
            q,
            &where_sql,
            filtered,
            &query.window,
        )
        .await
    }
}
