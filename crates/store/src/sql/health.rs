use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::Health;
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::{Query, Tx},
    models::{ConnectionRecord, ExportRun, HealthEvent, JobFinish, ProbeRecord},
    time::to_micros,
    traits::{HealthStore, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
};

const EVENT_COLUMNS: &str = "e.id, e.connection_id, e.job_id, e.from_name, e.to_name, e.at, \
     e.health, e.advisory_change, e.advisory";

#[async_trait]
impl HealthStore for SqlStore {
    async fn list_health_events(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<HealthEvent>> {
        let total = if window.with_total {
            let q = Query::new(
                "SELECT count(*) AS n FROM health_events WHERE connection_id = $1 AND account_id = $2",
            )
            .bind(connection_id)
            .bind(account_id);
            let row: CountRow = self.db.reader().fetch_one(q).await?;
            Some(row.n)
        } else {
            None
        };
        let mut q = Query::new("");
        let pc = q.push_arg(connection_id);
        let pa = q.push_arg(account_id);
        let mut sql = format!(
            "SELECT {EVENT_COLUMNS} FROM health_events e \
             WHERE e.connection_id = {pc} AND e.account_id = {pa}"
        );
        let keyset = Keyset {
            key_col: "e.at",
            id_col: "e.id",
            descending: true,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<HealthEventRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(HealthEvent::try_from)
                .collect::<Result<_>>()?,
            total,
            has_more,
        })
    }

    async fn health_events_between(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HealthEvent>> {
        let (from, to) = (to_micros(from), to_micros(to));
        let q = Query::new(format!(
            "SELECT {EVENT_COLUMNS} FROM health_events e \
             WHERE e.connection_id = $1 AND e.account_id = $2 AND e.at < $3 \
             AND e.advisory_change IS NULL ORDER BY e.at DESC, e.id DESC LIMIT 1"
        ))
        .bind(connection_id)
        .bind(account_id)
        .bind(from);
        let before: Option<HealthEventRow> = self.db.reader().fetch_optional(q).await?;
        let q = Query::new(format!(
            "SELECT {EVENT_COLUMNS} FROM health_events e \
             WHERE e.connection_id = $1 AND e.account_id = $2 AND e.at >= $3 AND e.at < $4 \
             AND e.advisory_change IS NULL ORDER BY e.at, e.id"
        ))
        .bind(connection_id)
        .bind(account_id)
        .bind(from)
        .bind(to);
        let rows: Vec<HealthEventRow> = self.db.reader().fetch_all(q).await?;
        before
            .into_iter()
            .chain(rows)
            .map(HealthEvent::try_from)
            .collect()
    }

    async fn connection_health(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
    ) -> Result<Option<Health>> {
        Ok(self
            .get_connection_inner(account_id, connection_id)
            .await?
            .and_then(|c| c.health))
    }

    async fn probe_candidates(
        &self,
        probed_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ConnectionRecord>> {
        let q = Query::new(format!(
            "SELECT {CONNECTION_COLUMNS} FROM connections c \
             JOIN organizations o ON o.id = c.organization_id \
             WHERE c.state = 'ACTIVE' AND c.health IS NOT NULL \
             AND (c.last_probe_at IS NULL OR c.last_probe_at < $1) \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = c.id \
                             AND j.status IN ('QUEUED', 'RUNNING')) \
             ORDER BY c.last_probe_at NULLS FIRST, c.id LIMIT $2"
        ))
        .bind(to_micros(probed_before))
        .bind(limit);
        let rows: Vec<ConnectionRow> = self.db.reader().fetch_all(q).await?;
        rows.into_iter().map(ConnectionRecord::try_from).collect()
    }

    async fn record_probe(&self, probe: ProbeRecord) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let q = Query::new(
            "UPDATE connections SET last_probe_at = $2 WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = $1 \
                 AND (j.status IN ('QUEUED', 'RUNNING') OR j.finished_at >= $2))",
        )
        .bind(probe.connection_id)
        .bind(to_micros(probe.started_at));
        if tx.exec().execute(q).await? == 0 {
            return Ok(false);
        }
        if let Some(u) = &probe.update {
            let q = Query::new(
                "UPDATE connections SET health = $2, health_name = $3, unhealthy_since = $4 \
                 WHERE id = $1",
            )
            .bind(probe.connection_id)
            .bind(serde_json::to_string(&u.health)?)
            .bind(u.health.name.as_str())
            .bind(u.health.unhealthy_since.map(to_micros));
            tx.exec().execute(q).await?;
            let q = Query::new(
                "INSERT INTO health_events (id, account_id, connection_id, job_id, from_name, \
                 to_name, at, health) SELECT $1, account_id, id, NULL, $3, $4, $5, $6 \
                 FROM connections WHERE id = $2",
            )
            .bind(Uuid::now_v7())
            .bind(probe.connection_id)
            .bind(u.event.from.map(|h| h.as_str()))
            .bind(u.event.to.as_str())
            .bind(to_micros(u.event.at))
            .bind(serde_json::to_string(&u.health)?);
            tx.exec().execute(q).await?;
            super::incidents::record_notifications(
                &mut tx,
                probe.connection_id,
                u.vendor.as_ref(),
                &u.webhook_events,
                u.notified_health.as_ref(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn export_history(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        jobs: i64,
    ) -> Result<Vec<ExportRun>> {
        let q = Query::new(
            "SELECT x.job_id, j.finished_at, x.data_export_type, x.health_name, \
             x.records_upserted, x.records_quarantined, x.records_received, x.full_listing \
             FROM job_exports x JOIN jobs j ON j.id = x.job_id \
             WHERE x.job_id IN (SELECT id FROM jobs WHERE connection_id = $1 AND account_id = $2 \
             AND finished_at IS NOT NULL AND status IN ('SUCCEEDED', 'FAILED') \
             ORDER BY finished_at DESC, id DESC LIMIT $3) \
             ORDER BY j.finished_at DESC, j.id DESC, x.position",
        )
        .bind(connection_id)
        .bind(account_id)
        .bind(jobs);
        let rows: Vec<ExportRunRow> = self.db.reader().fetch_all(q).await?;
        rows.into_iter().map(ExportRun::try_from).collect()
    }
}

/// Writes the advisories a finished job leaves: the connection's rows (what the list
/// filter reads) are replaced by `finish`'s, and each raise or clear joins the history.
pub(super) async fn record_advisories(tx: &mut Tx, job: &JobRow, finish: &JobFinish) -> Result<()> {
    let q = Query::new("DELETE FROM connection_advisories WHERE connection_id = $1")
        .bind(job.connection_id);
    tx.exec().execute(q).await?;
    for a in &finish.connection.health.advisories {
        let q = Query::new(
            "INSERT INTO connection_advisories (connection_id, account_id, code, \
             data_export_type, since, advisory) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(job.connection_id)
        .bind(job.account_id)
        .bind(a.code.as_str())
        .bind(a.data_export_type.map_or("", |e| e.as_str()))
        .bind(to_micros(a.since))
        .bind(serde_json::to_string(a)?);
        tx.exec().execute(q).await?;
    }
    let name = finish.connection.health.name.as_str();
    for event in &finish.advisory_events {
        let q = Query::new(
            "INSERT INTO health_events (id, account_id, connection_id, job_id, from_name, \
             to_name, at, health, advisory_change, advisory) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7())
        .bind(job.account_id)
        .bind(job.connection_id)
        .bind(job.id)
        .bind(name)
        .bind(to_micros(event.at))
        .bind(serde_json::to_string(&finish.connection.health)?)
        .bind(event.change.as_str())
        .bind(serde_json::to_string(&event.advisory)?);
        tx.exec().execute(q).await?;
    }
    Ok(())
}

impl SqlStore {
    async fn get_connection_inner(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<Option<crate::models::ConnectionRecord>> {
        super::connections::fetch_connection(self.db.reader(), account_id, id).await
    }
}
