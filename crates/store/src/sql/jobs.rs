use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::{
    job::{ExportResult, JobTrigger},
    DataExportType,
};
use uuid::Uuid;

use super::{connections::fetch_connection, rows::*, SqlStore};
use crate::{
    db::{Dialect, Exec, Query},
    models::*,
    time::{now_micros, to_micros},
    traits::{JobStore, QueueStats, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
    StoreError,
};

async fn load_exports(
    exec: Exec<'_>,
    job_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ExportResult>>> {
    let mut map: HashMap<Uuid, Vec<ExportResult>> = HashMap::new();
    if job_ids.is_empty() {
        return Ok(map);
    }
    let mut q = Query::new("");
    let ps: Vec<String> = job_ids.iter().map(|id| q.push_arg(*id)).collect();
    q.sql = format!(
        "SELECT job_id, data_export_type, endpoints, records_upserted, records_quarantined, \
         pages, http_status, error, health_name, records_received, full_listing, \
         rate_limited_responses, rate_limit_wait_ms FROM job_exports \
         WHERE job_id IN ({}) ORDER BY position",
        ps.join(", ")
    )
    .into();
    let rows: Vec<ExportRow> = exec.fetch_all(q).await?;
    for row in rows {
        let job_id = row.job_id;
        map.entry(job_id).or_default().push(row.try_into()?);
    }
    Ok(map)
}

async fn fetch_job(exec: Exec<'_>, id: Uuid, account_id: Option<Uuid>) -> Result<Option<JobRow>> {
    let mut q = Query::new("");
    let pid = q.push_arg(id);
    let mut sql = format!("SELECT {JOB_COLUMNS} FROM jobs j WHERE j.id = {pid}");
    if let Some(a) = account_id {
        let pa = q.push_arg(a);
        sql.push_str(&format!(" AND j.account_id = {pa}"));
    }
    q.sql = sql.into();
    exec.fetch_optional(q).await
}

impl SqlStore {
    async fn job_record(&self, row: JobRow) -> Result<JobRecord> {
        let mut exports = load_exports(self.db.reader(), &[row.id]).await?;
        let id = row.id;
        row.into_record(exports.remove(&id).unwrap_or_default())
    }

    async fn active_job_id(&self, connection_id: Uuid) -> Result<Option<Uuid>> {
        let q = Query::new(
            "SELECT id FROM jobs WHERE connection_id = $1 AND status IN ('QUEUED', 'RUNNING')",
        )
        .bind(connection_id);
        let row: Option<IdRow> = self.db.writer().fetch_optional(q).await?;
        Ok(row.map(|r| r.id))
    }

    /// Queues a job for an ACTIVE connection. With `due_by`, only if the connection is
    /// still due then: a scheduler pass selects due connections first, and a job that
    /// finishes in between has already moved `next_run_at` on.
    async fn insert_job(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        trigger: JobTrigger,
        due_by: Option<i64>,
    ) -> Result<Option<Uuid>> {
        let id = Uuid::now_v7();
        // A scheduled job was due at the connection's next_run_at; a requested one, now.
        let (due_at, due) = if due_by.is_some() {
            (
                "c.next_run_at",
                " AND c.next_run_at IS NOT NULL AND c.next_run_at <= $6",
            )
        } else {
            ("$5", "")
        };
        let mut q = Query::new(format!(
            "INSERT INTO jobs (id, account_id, connection_id, status, trigger, created_at, due_at) \
             SELECT $1, $2, c.id, 'QUEUED', $4, $5, {due_at} FROM connections c \
             WHERE c.id = $3 AND c.account_id = $2 AND c.state = 'ACTIVE'{due}"
        ))
        .bind(id)
        .bind(account_id)
        .bind(connection_id)
        .bind(trigger.as_str())
        .bind(now_micros());
        if let Some(t) = due_by {
            q = q.bind(t);
        }
        match self.db.writer().execute(q).await {
            Ok(1) => Ok(Some(id)),
            Ok(_) => Ok(None),
            Err(e) if e.is_unique_violation() => match self.active_job_id(connection_id).await? {
                Some(active) => Err(StoreError::JobAlreadyActive(active)),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl JobStore for SqlStore {
    async fn enqueue_job(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        trigger: JobTrigger,
    ) -> Result<JobRecord> {
        let Some(id) = self
            .insert_job(account_id, connection_id, trigger, None)
            .await?
        else {
            return Err(StoreError::Invalid(
                "connection is not ACTIVE in this account".into(),
            ));
        };
        let row = fetch_job(self.db.writer(), id, Some(account_id))
            .await?
            .ok_or_else(|| StoreError::Corrupt("job vanished after insert".into()))?;
        self.job_record(row).await
    }

    async fn enqueue_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>> {
        #[derive(sqlx::FromRow)]
        struct Due {
            id: Uuid,
            account_id: Uuid,
        }
        let q = Query::new(
            "SELECT c.id, c.account_id FROM connections c \
             WHERE c.state = 'ACTIVE' AND c.next_run_at IS NOT NULL AND c.next_run_at <= $1 \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = c.id \
                             AND j.status IN ('QUEUED', 'RUNNING')) \
             ORDER BY c.next_run_at LIMIT $2",
        )
        .bind(to_micros(now))
        .bind(limit);
        let mut due: Vec<Due> = self.db.writer().fetch_all(q).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        // The same order in every scheduler, so two inserting at once cannot deadlock.
        due.sort_by_key(|d| d.id);
        // One transaction for the batch (one commit, not one per job). A connection
        // another scheduler or a request queued meanwhile hits the one-active-job index
        // and is skipped; one no longer due (a job just finished) is skipped too.
        let mut tx = self.db.begin().await?;
        let mut queued = Vec::with_capacity(due.len());
        for d in due {
            let id = Uuid::now_v7();
            let q = Query::new(
                "INSERT INTO jobs (id, account_id, connection_id, status, trigger, created_at, due_at) \
                 SELECT $1, c.account_id, c.id, 'QUEUED', $3, $4, c.next_run_at FROM connections c \
                 WHERE c.id = $2 AND c.account_id = $5 AND c.state = 'ACTIVE' \
                 AND c.next_run_at IS NOT NULL AND c.next_run_at <= $6 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(d.id)
            .bind(JobTrigger::Schedule.as_str())
            .bind(now_micros())
            .bind(d.account_id)
            .bind(to_micros(now));
            if tx.exec().execute(q).await? == 1 {
                queued.push(id);
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            next_run_at: i64,
        }
        // Walks the due index from its start; connections with a job in flight (at most
        // the queue's length) are skipped on the way.
        let q = Query::new(
            "SELECT c.next_run_at FROM connections c \
             WHERE c.state = 'ACTIVE' AND c.next_run_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.connection_id = c.id \
                             AND j.status IN ('QUEUED', 'RUNNING')) \
             ORDER BY c.next_run_at LIMIT 1",
        );
        let row: Option<Row> = self.db.reader().fetch_optional(q).await?;
        Ok(row.map(|r| crate::time::from_micros(r.next_run_at)))
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>> {
        // PostgreSQL: concurrent workers skip rows another worker is claiming.
        // SQLite: the single writer connection serializes claims.
        let lock = match self.db.dialect() {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let q = Query::new(format!(
            "UPDATE jobs SET status = 'RUNNING', lease_owner = $1, lease_expires_at = $2, \
             started_at = COALESCE(started_at, $3), attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'QUEUED' \
                         ORDER BY created_at, id LIMIT 1{lock}) \
             AND status = 'QUEUED' RETURNING id"
        ))
        .bind(worker)
        .bind(to_micros(lease_until))
        .bind(to_micros(now));
        let Some(claimed): Option<IdRow> = self.db.writer().fetch_optional(q).await? else {
            return Ok(None);
        };
        // Read back on a reader: the claim is committed, and SQLite's one writer
        // connection is the bottleneck every job's writes queue for.
        let row = fetch_job(self.db.reader(), claimed.id, None)
            .await?
            .ok_or_else(|| StoreError::Corrupt("claimed job vanished".into()))?;
        let job = self.job_record(row).await?;
        let connection = fetch_connection(self.db.reader(), job.account_id, job.connection_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("job without connection".into()))?;
        Ok(Some(ClaimedJob { job, connection }))
    }

    async fn heartbeat(
        &self,
        job_id: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let q = Query::new(
            "UPDATE jobs SET lease_expires_at = $3 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
        )
        .bind(job_id)
        .bind(worker)
        .bind(to_micros(lease_until));
        Ok(self.db.writer().execute(q).await? == 1)
    }

    async fn release_job(&self, job_id: Uuid, worker: &str) -> Result<bool> {
        let q = Query::new(
            "UPDATE jobs SET status = 'QUEUED', lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
        )
        .bind(job_id)
        .bind(worker);
        Ok(self.db.writer().execute(q).await? == 1)
    }

    async fn requeue_expired(
        &self,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<RequeueOutcome> {
        let now = to_micros(now);
        let q = Query::new(format!(
            "SELECT {JOB_COLUMNS} FROM jobs j \
             WHERE j.status = 'RUNNING' AND j.lease_expires_at < $1 AND j.attempts >= $2"
        ))
        .bind(now)
        .bind(max_attempts as i64);
        let exhausted_rows: Vec<JobRow> = self.db.writer().fetch_all(q).await?;
        let mut exhausted = Vec::with_capacity(exhausted_rows.len());
        for row in exhausted_rows {
            exhausted.push(self.job_record(row).await?);
        }
        let q = Query::new(
            "UPDATE jobs SET status = 'QUEUED', lease_owner = NULL, lease_expires_at = NULL \
             WHERE status = 'RUNNING' AND lease_expires_at < $1 AND attempts < $2 RETURNING id",
        )
        .bind(now)
        .bind(max_attempts as i64);
        let requeued: Vec<IdRow> = self.db.writer().fetch_all(q).await?;
        Ok(RequeueOutcome {
            requeued: requeued.into_iter().map(|r| r.id).collect(),
            exhausted,
        })
    }

    async fn begin_exports(
        &self,
        job_id: Uuid,
        exports: &[(DataExportType, Vec<String>)],
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (position, (export, endpoints)) in exports.iter().enumerate() {
            let q = Query::new(
                "INSERT INTO job_exports (job_id, data_export_type, position, endpoints) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (job_id, data_export_type) DO NOTHING",
            )
            .bind(job_id)
            .bind(export.as_str())
            .bind(position as i64)
            .bind(serde_json::to_string(endpoints)?);
            tx.exec().execute(q).await?;
        }
        tx.commit().await
    }

    async fn finish_job(
        &self,
        job_id: Uuid,
        worker: Option<&str>,
        finish: JobFinish,
    ) -> Result<()> {
        let finished = to_micros(finish.finished_at);
        let mut tx = self.db.begin().await?;
        let mut q = Query::new(
            "UPDATE jobs SET status = $2, finished_at = $3, health_name = $4, error = $5, \
             lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND status = 'RUNNING'",
        )
        .bind(job_id)
        .bind(finish.status.as_str())
        .bind(finished)
        .bind(finish.health_name.as_str())
        .bind(finish.error.clone());
        if let Some(w) = worker {
            let p = q.push_arg(w);
            q.sql = format!("{} AND lease_owner = {p}", q.sql).into();
        }
        if tx.exec().execute(q).await? == 0 {
            return Err(StoreError::LeaseLost(job_id));
        }
        for (position, export) in finish.exports.iter().enumerate() {
            write_export_outcome(tx.exec(), job_id, position, export).await?;
        }
        let job = fetch_job(tx.exec(), job_id, None)
            .await?
            .ok_or_else(|| StoreError::Corrupt("finished job vanished".into()))?;
        super::freshness::record_pulls(
            &mut tx,
            job.connection_id,
            finish.finished_at,
            &finish.exports,
        )
        .await?;
        update_connection_health(tx.exec(), &job, &finish).await?;
        if let Some(event) = &finish.health_event {
            let q = Query::new(
                "INSERT INTO health_events (id, account_id, connection_id, job_id, from_name, \
                 to_name, at, health) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind(job.account_id)
            .bind(job.connection_id)
            .bind(job_id)
            .bind(event.from.map(|h| h.as_str()))
            .bind(event.to.as_str())
            .bind(to_micros(event.at))
            .bind(serde_json::to_string(&finish.connection.health)?);
            tx.exec().execute(q).await?;
        }
        super::health::record_advisories(&mut tx, &job, &finish).await?;
        super::incidents::record_notifications(
            &mut tx,
            job.connection_id,
            finish.vendor.as_ref(),
            &finish.webhook_events,
            finish.notified_health.as_ref(),
        )
        .await?;
        tx.commit().await
    }

    async fn cancel_job(&self, job_id: Uuid, reason: &str) -> Result<bool> {
        let q = Query::new(
            "UPDATE jobs SET status = 'CANCELLED', finished_at = $2, error = $3, \
             lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')",
        )
        .bind(job_id)
        .bind(now_micros())
        .bind(reason);
        Ok(self.db.writer().execute(q).await? == 1)
    }

    async fn get_job(&self, account_id: Uuid, job_id: Uuid) -> Result<Option<JobRecord>> {
        match fetch_job(self.db.reader(), job_id, Some(account_id)).await? {
            Some(row) => Ok(Some(self.job_record(row).await?)),
            None => Ok(None),
        }
    }

    async fn list_jobs(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<JobRecord>> {
        let total = if window.with_total {
            let q = Query::new(
                "SELECT count(*) AS n FROM jobs WHERE connection_id = $1 AND account_id = $2",
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
            "SELECT {JOB_COLUMNS} FROM jobs j WHERE j.connection_id = {pc} AND j.account_id = {pa}"
        );
        let keyset = Keyset {
            key_col: "j.created_at",
            id_col: "j.id",
            descending: true,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<JobRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut exports = load_exports(self.db.reader(), &ids).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let e = exports.remove(&r.id).unwrap_or_default();
                r.into_record(e)
            })
            .collect::<Result<_>>()?;
        Ok(ListPage {
            items,
            total,
            has_more,
        })
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats> {
        #[derive(sqlx::FromRow)]
        struct Row {
            queued: i64,
            running: i64,
            oldest: Option<i64>,
        }
        let q = Query::new(
            "SELECT \
               (SELECT count(*) FROM jobs WHERE status = 'QUEUED') AS queued, \
               (SELECT count(*) FROM jobs WHERE status = 'RUNNING') AS running, \
               (SELECT min(created_at) FROM jobs WHERE status = 'QUEUED') AS oldest",
        );
        let row: Row = self.db.reader().fetch_one(q).await?;
        let oldest_queued_secs = row
            .oldest
            .map(|o| ((to_micros(now) - o).max(0)) as f64 / 1e6)
            .unwrap_or(0.0);
        Ok(QueueStats {
            queued: row.queued,
            running: row.running,
            oldest_queued_secs,
        })
    }
}

/// Records how an export ended. Counters were accumulated page by page.
async fn write_export_outcome(
    exec: Exec<'_>,
    job_id: Uuid,
    position: usize,
    e: &ExportResult,
) -> Result<()> {
    let q = Query::new(
        "INSERT INTO job_exports (job_id, data_export_type, position, endpoints, http_status, \
         error, health_name, records_received, full_listing, rate_limited_responses, \
         rate_limit_wait_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (job_id, data_export_type) DO UPDATE SET \
         http_status = excluded.http_status, error = excluded.error, \
         health_name = excluded.health_name, endpoints = excluded.endpoints, \
         records_received = excluded.records_received, full_listing = excluded.full_listing, \
         rate_limited_responses = excluded.rate_limited_responses, \
         rate_limit_wait_ms = excluded.rate_limit_wait_ms",
    )
    .bind(job_id)
    .bind(e.data_export_type.as_str())
    .bind(position as i64)
    .bind(serde_json::to_string(&e.endpoints)?)
    .bind(e.http_status.map(i64::from))
    .bind(e.error.clone())
    .bind(e.health.as_str())
    .bind(e.records_received.min(i64::MAX as u64) as i64)
    .bind(e.full_listing)
    .bind(i64::from(e.rate_limited_responses))
    .bind(e.rate_limit_wait_ms.min(i64::MAX as u64) as i64);
    exec.execute(q).await?;
    Ok(())
}

/// Stores the connection's new health. New credentials saved while the job ran keep
/// the connection due at once, so they are tried without waiting a refresh interval.
async fn update_connection_health(exec: Exec<'_>, job: &JobRow, finish: &JobFinish) -> Result<()> {
    let c = &finish.connection;
    let started = job.started_at.unwrap_or(job.created_at);
    let q = Query::new(
        "UPDATE connections SET health = $2, health_name = $3, consecutive_failures = $4, \
         unhealthy_since = $5, platform_retries = $9, \
         next_run_at = CASE WHEN credentials_updated_at > $6 THEN $7 ELSE $8 END \
         WHERE id = $1",
    )
    .bind(job.connection_id)
    .bind(serde_json::to_string(&c.health)?)
    .bind(c.health.name.as_str())
    .bind(c.consecutive_failures as i64)
    .bind(c.unhealthy_since.map(to_micros))
    .bind(started)
    .bind(to_micros(finish.finished_at))
    .bind(c.next_run_at.map(to_micros))
    .bind(i64::from(c.platform_retries));
    exec.execute(q).await?;
    Ok(())
}
