//! Freshness (docs/health.md, "Freshness"): each export's newest committed watermark time
//! and last successful pull, kept per (connection, export) as pages and jobs commit, so
//! connection reads, the between-jobs pass and the fleet gauges never walk job history.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::{
    job::ExportResult, AdvisoryCode, DataExportType, FreshnessFacts, HealthName,
};
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::{Exec, Query, Tx},
    models::*,
    time::{opt_from_micros, to_micros},
    traits::{FreshnessStore, Result},
};

#[derive(sqlx::FromRow)]
struct FreshnessRow {
    connection_id: Uuid,
    data_export_type: String,
    newest_record_at: Option<i64>,
    last_success_at: Option<i64>,
}

impl FreshnessRow {
    fn facts(&self) -> Result<FreshnessFacts> {
        Ok(FreshnessFacts {
            data_export_type: parse::<DataExportType>("data export type", &self.data_export_type)?,
            newest_record_at: opt_from_micros(self.newest_record_at),
            last_successful_pull_at: opt_from_micros(self.last_success_at),
        })
    }
}

/// A page's watermark was committed: the export's newest record time moves to it (a
/// resume token stands for the commit time, `now`).
pub(super) async fn record_watermark(tx: &mut Tx, page: &PageCommit, now: i64) -> Result<()> {
    if page.watermark.is_none() {
        return Ok(());
    }
    let at = page.watermark_at.map_or(now, to_micros);
    let q = Query::new(
        "INSERT INTO export_freshness (connection_id, data_export_type, newest_record_at) \
         VALUES ($1, $2, $3) ON CONFLICT (connection_id, data_export_type) \
         DO UPDATE SET newest_record_at = excluded.newest_record_at",
    )
    .bind(page.connection_id)
    .bind(page.export.as_str())
    .bind(at);
    tx.exec().execute(q).await?;
    Ok(())
}

/// A job finished: each export it ran gets a row, and those that pulled to their end
/// without a failure their `last_success_at`.
pub(super) async fn record_pulls(
    tx: &mut Tx,
    connection_id: Uuid,
    finished_at: DateTime<Utc>,
    exports: &[ExportResult],
) -> Result<()> {
    for e in exports {
        let success = (e.health == HealthName::Healthy).then(|| to_micros(finished_at));
        let q = Query::new(
            "INSERT INTO export_freshness (connection_id, data_export_type, last_success_at) \
             VALUES ($1, $2, $3) ON CONFLICT (connection_id, data_export_type) \
             DO UPDATE SET last_success_at = \
                 COALESCE(excluded.last_success_at, export_freshness.last_success_at)",
        )
        .bind(connection_id)
        .bind(e.data_export_type.as_str())
        .bind(success);
        tx.exec().execute(q).await?;
    }
    Ok(())
}

/// Fills `freshness` of each connection with one query (never one per connection).
pub(super) async fn attach(exec: Exec<'_>, conns: &mut [ConnectionRecord]) -> Result<()> {
    if conns.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = conns.iter().map(|c| c.id).collect();
    let mut q = Query::new("");
    let list = q.push_ids(&ids);
    q.sql = format!(
        "SELECT connection_id, data_export_type, newest_record_at, last_success_at \
         FROM export_freshness WHERE connection_id IN ({list}) \
         ORDER BY connection_id, data_export_type"
    )
    .into();
    let rows: Vec<FreshnessRow> = exec.fetch_all(q).await?;
    for c in conns.iter_mut() {
        c.freshness = rows
            .iter()
            .filter(|r| r.connection_id == c.id)
            .map(FreshnessRow::facts)
            .collect::<Result<_>>()?;
    }
    Ok(())
}

#[async_trait]
impl FreshnessStore for SqlStore {
    async fn freshness_candidates(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ConnectionRecord>> {
        let code = AdvisoryCode::FreshnessTargetMissed.as_str();
        // An export is overdue when no pull succeeded within the target, counting from
        // the connection's creation when none ever did.
        let overdue = "COALESCE(f.last_success_at, c.created_at) \
                       < $1 - c.freshness_target_secs * 1000000";
        let q = Query::new(format!(
            "SELECT {CONNECTION_COLUMNS} FROM connections c \
             JOIN organizations o ON o.id = c.organization_id \
             WHERE c.health IS NOT NULL AND c.state <> 'DELETED' AND ( \
               (c.freshness_target_secs IS NOT NULL AND c.state = 'ACTIVE' AND EXISTS ( \
                 SELECT 1 FROM export_freshness f WHERE f.connection_id = c.id AND {overdue} \
                 AND NOT EXISTS (SELECT 1 FROM connection_advisories a \
                   WHERE a.connection_id = c.id AND a.code = $2 \
                   AND a.data_export_type = f.data_export_type))) \
               OR EXISTS (SELECT 1 FROM connection_advisories a \
                 WHERE a.connection_id = c.id AND a.code = $2 \
                 AND (c.freshness_target_secs IS NULL OR c.state <> 'ACTIVE' OR NOT EXISTS ( \
                   SELECT 1 FROM export_freshness f WHERE f.connection_id = c.id \
                   AND f.data_export_type = a.data_export_type AND {overdue})))) \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = c.id \
                             AND j.status IN ('QUEUED', 'RUNNING')) \
             ORDER BY c.id LIMIT $3"
        ))
        .bind(to_micros(now))
        .bind(code)
        .bind(limit);
        let rows: Vec<ConnectionRow> = self.db.reader().fetch_all(q).await?;
        let mut conns: Vec<ConnectionRecord> = rows
            .into_iter()
            .map(ConnectionRecord::try_from)
            .collect::<Result<_>>()?;
        attach(self.db.reader(), &mut conns).await?;
        Ok(conns)
    }

    async fn record_advisory_update(&self, update: AdvisoryUpdate) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let health = serde_json::to_string(&update.health)?;
        let q = Query::new(
            "UPDATE connections SET health = $2 WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = $1 \
                 AND (j.status IN ('QUEUED', 'RUNNING') OR j.finished_at >= $3))",
        )
        .bind(update.connection_id)
        .bind(health.clone())
        .bind(to_micros(update.started_at));
        if tx.exec().execute(q).await? == 0 {
            return Ok(false);
        }
        let q = Query::new("DELETE FROM connection_advisories WHERE connection_id = $1")
            .bind(update.connection_id);
        tx.exec().execute(q).await?;
        for a in &update.health.advisories {
            let q = Query::new(
                "INSERT INTO connection_advisories (connection_id, account_id, code, \
                 data_export_type, since, advisory) \
                 SELECT id, account_id, $2, $3, $4, $5 FROM connections WHERE id = $1",
            )
            .bind(update.connection_id)
            .bind(a.code.as_str())
            .bind(a.data_export_type.map_or("", |e| e.as_str()))
            .bind(to_micros(a.since))
            .bind(serde_json::to_string(a)?);
            tx.exec().execute(q).await?;
        }
        let name = update.health.name.as_str();
        for event in &update.events {
            let q = Query::new(
                "INSERT INTO health_events (id, account_id, connection_id, job_id, from_name, \
                 to_name, at, health, advisory_change, advisory) \
                 SELECT $1, account_id, id, NULL, $3, $3, $4, $5, $6, $7 \
                 FROM connections WHERE id = $2",
            )
            .bind(Uuid::now_v7())
            .bind(update.connection_id)
            .bind(name)
            .bind(to_micros(event.at))
            .bind(health.clone())
            .bind(event.change.as_str())
            .bind(serde_json::to_string(&event.advisory)?);
            tx.exec().execute(q).await?;
        }
        for event in &update.webhook_events {
            super::webhooks::insert_event(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn freshness_samples(&self) -> Result<Vec<FreshnessSample>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            vendor: String,
            #[sqlx(flatten)]
            f: FreshnessRow,
        }
        let q = Query::new(
            "SELECT c.vendor, f.connection_id, f.data_export_type, f.newest_record_at, \
             f.last_success_at FROM export_freshness f \
             JOIN connections c ON c.id = f.connection_id WHERE c.state = 'ACTIVE'",
        );
        let rows: Vec<Row> = self.db.reader().fetch_all(q).await?;
        rows.iter()
            .map(|r| {
                Ok(FreshnessSample {
                    vendor: parse("connection vendor", &r.vendor)?,
                    facts: r.f.facts()?,
                })
            })
            .collect()
    }
}
