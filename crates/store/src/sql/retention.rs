//! Retention: history pruned in small batches (each a short transaction, so syncs
//! interleave), and the table figures behind `/metrics` and the fleet benchmark.
//! What is always kept is written once, as the SQL conditions below.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::{Dialect, Query},
    retention::*,
    time::{from_micros, opt_from_micros, to_micros},
    traits::{MaintenanceStore, Result},
};

/// Job `j` is finished and a newer finished job of its connection exists: never the
/// connection's most recent finished job, never a queued or running one.
const SUPERSEDED_JOB: &str = "j.finished_at IS NOT NULL AND EXISTS (SELECT 1 FROM jobs n \
    WHERE n.connection_id = j.connection_id AND n.finished_at IS NOT NULL \
    AND (n.created_at > j.created_at OR (n.created_at = j.created_at AND n.id > j.id)))";

/// Job `j` is not named by a health event of its connection's open failure (the events
/// since the connection became unhealthy).
const NOT_OPEN_FAILURE_JOB: &str = "NOT EXISTS (SELECT 1 FROM health_events e \
    JOIN connections c ON c.id = e.connection_id \
    WHERE e.job_id = j.id AND c.unhealthy_since IS NOT NULL AND e.at >= c.unhealthy_since)";

/// Health event `e` is not its connection's most recent one.
const SUPERSEDED_EVENT: &str = "EXISTS (SELECT 1 FROM health_events n \
    WHERE n.connection_id = e.connection_id AND (n.at > e.at OR (n.at = e.at AND n.id > e.id)))";

/// Health event `e` does not describe its connection's open failure.
const NOT_OPEN_FAILURE_EVENT: &str = "NOT EXISTS (SELECT 1 FROM connections c \
    WHERE c.id = e.connection_id AND c.unhealthy_since IS NOT NULL AND e.at >= c.unhealthy_since)";

/// Quarantined record `q` is not from its connection's most recent (or a running) job.
const NOT_LATEST_JOB_QUARANTINE: &str = "NOT EXISTS (SELECT 1 FROM jobs l WHERE l.id = q.job_id \
    AND NOT EXISTS (SELECT 1 FROM jobs n WHERE n.connection_id = l.connection_id \
    AND n.finished_at IS NOT NULL \
    AND (n.created_at > l.created_at OR (n.created_at = l.created_at AND n.id > l.id))))";

/// The history tables the count rule applies to: table, alias, time column, and the
/// conditions that must hold for a row to go (beyond being old or beyond the count).
struct Kind {
    table: &'static str,
    alias: &'static str,
    at: &'static str,
    prunable: &'static [&'static str],
}

const JOBS: Kind = Kind {
    table: "jobs",
    alias: "j",
    at: "finished_at",
    prunable: &[SUPERSEDED_JOB, NOT_OPEN_FAILURE_JOB],
};
const EVENTS: Kind = Kind {
    table: "health_events",
    alias: "e",
    at: "at",
    prunable: &[SUPERSEDED_EVENT, NOT_OPEN_FAILURE_EVENT],
};
const QUARANTINE: Kind = Kind {
    table: "quarantine",
    alias: "q",
    at: "created_at",
    prunable: &[NOT_LATEST_JOB_QUARANTINE],
};

impl Kind {
    /// Up to `batch` ids older than `cutoff`, oldest first.
    fn aged(&self, cutoff: i64, batch: i64) -> Query {
        let Kind {
            table,
            alias: a,
            at,
            ..
        } = self;
        Query::new(format!(
            "SELECT {a}.id FROM {table} {a} WHERE {a}.{at} < $1 AND {} ORDER BY {a}.{at} LIMIT $2",
            self.prunable.join(" AND ")
        ))
        .bind(cutoff)
        .bind(batch)
    }

    /// Up to `batch` ids beyond the newest `keep` of each of `connections`.
    fn beyond(&self, connections: &[Uuid], keep: i64, batch: i64) -> Query {
        let Kind {
            table,
            alias: a,
            at,
            ..
        } = self;
        let mut q = Query::new("");
        let ids = q.push_ids(connections);
        // A job's place is by creation (a finished job has both times); the others' by
        // their own time.
        let order = if self.table == "jobs" {
            "created_at"
        } else {
            at
        };
        let pk = q.push_arg(keep);
        let pb = q.push_arg(batch);
        // Rank every row (finished jobs only: a queued or running job has no place yet);
        // rows beyond the newest `keep` go unless a condition keeps them (an open
        // failure's rows stay beyond the count).
        let ranked = if self.table == "jobs" {
            " AND r.finished_at IS NOT NULL"
        } else {
            ""
        };
        q.sql = format!(
            "SELECT {a}.id FROM {table} {a} WHERE {a}.id IN (SELECT k.id FROM (SELECT r.id, \
             ROW_NUMBER() OVER (PARTITION BY r.connection_id ORDER BY r.{order} DESC, r.id DESC) \
             AS rn FROM {table} r WHERE r.connection_id IN ({ids}){ranked}) k WHERE k.rn > {pk}) \
             AND {} LIMIT {pb}",
            self.prunable.join(" AND ")
        )
        .into();
        q
    }
}

impl SqlStore {
    async fn ids(&self, q: Query) -> Result<Vec<Uuid>> {
        let rows: Vec<IdRow> = self.db.reader().fetch_all(q).await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Deletes `ids` of `kind` (a job with its per-export results) in one transaction.
    async fn delete(&self, kind: &Kind, ids: &[Uuid], pruned: &mut Pruned) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        if kind.table == "jobs" {
            let mut q = Query::new("");
            q.sql = format!(
                "DELETE FROM job_exports WHERE job_id IN ({})",
                q.push_ids(ids)
            )
            .into();
            pruned.job_exports += tx.exec().execute(q).await?;
        }
        let mut q = Query::new("");
        let list = q.push_ids(ids);
        // Re-checked at delete time: a job queued again after the select stays.
        let guard = if kind.table == "jobs" {
            " AND finished_at IS NOT NULL"
        } else {
            ""
        };
        q.sql = format!("DELETE FROM {} WHERE id IN ({list}){guard}", kind.table).into();
        let n = tx.exec().execute(q).await?;
        tx.commit().await?;
        match kind.table {
            "jobs" => pruned.jobs += n,
            "health_events" => pruned.health_events += n,
            _ => pruned.quarantine += n,
        }
        Ok(())
    }

    /// Finished deliveries older than `cutoff` with their attempts, then messages no
    /// delivery needs any more. True when a batch came back full.
    async fn prune_deliveries(&self, cutoff: i64, batch: i64, pruned: &mut Pruned) -> Result<bool> {
        let ids = self
            .ids(
                Query::new(
                    "SELECT d.id FROM webhook_deliveries d WHERE d.finished_at < $1 \
                     AND d.status <> 'PENDING' ORDER BY d.finished_at LIMIT $2",
                )
                .bind(cutoff)
                .bind(batch),
            )
            .await?;
        let mut full = ids.len() as i64 == batch;
        if !ids.is_empty() {
            let mut tx = self.db.begin().await?;
            let mut q = Query::new("");
            q.sql = format!(
                "DELETE FROM webhook_attempts WHERE delivery_id IN ({})",
                q.push_ids(&ids)
            )
            .into();
            pruned.webhook_attempts += tx.exec().execute(q).await?;
            let mut q = Query::new("");
            q.sql = format!(
                "DELETE FROM webhook_deliveries WHERE id IN ({}) AND status <> 'PENDING'",
                q.push_ids(&ids)
            )
            .into();
            pruned.webhook_deliveries += tx.exec().execute(q).await?;
            tx.commit().await?;
        }
        let ids = self
            .ids(
                Query::new(
                    "SELECT m.id FROM webhook_messages m WHERE m.created_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id) \
                     ORDER BY m.created_at LIMIT $2",
                )
                .bind(cutoff)
                .bind(batch),
            )
            .await?;
        full |= ids.len() as i64 == batch;
        if !ids.is_empty() {
            let mut q = Query::new("");
            let list = q.push_ids(&ids);
            q.sql = format!(
                "DELETE FROM webhook_messages WHERE id IN ({list}) AND NOT EXISTS \
                 (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = webhook_messages.id)"
            )
            .into();
            pruned.webhook_messages += self.db.writer().execute(q).await?;
        }
        Ok(full)
    }
}

#[async_trait]
impl MaintenanceStore for SqlStore {
    async fn prune_step(
        &self,
        policy: &RetentionPolicy,
        now: DateTime<Utc>,
        batch: i64,
        cursor: PruneCursor,
    ) -> Result<PruneStep> {
        let batch = batch.max(1);
        let mut pruned = Pruned::default();
        let mut more = false;
        if let Some(age) = policy.max_age {
            let cutoff = to_micros(now - age);
            for kind in [&JOBS, &EVENTS, &QUARANTINE] {
                let ids = self.ids(kind.aged(cutoff, batch)).await?;
                more |= ids.len() as i64 == batch;
                self.delete(kind, &ids, &mut pruned).await?;
            }
            more |= self.prune_deliveries(cutoff, batch, &mut pruned).await?;
        }
        let mut next = PruneCursor::default();
        if let Some(keep) = policy.keep_per_connection {
            let size = (batch / 10).max(1);
            let mut q = Query::new("");
            let mut sql = "SELECT id FROM connections".to_owned();
            if let Some(after) = cursor.after_connection {
                sql.push_str(&format!(" WHERE id > {}", q.push_arg(after)));
            }
            sql.push_str(&format!(" ORDER BY id LIMIT {}", q.push_arg(size)));
            q.sql = sql.into();
            let slice = self.ids(q).await?;
            // A slice some table could not finish in one batch is taken again.
            let mut unfinished = false;
            for kind in [&JOBS, &EVENTS, &QUARANTINE] {
                if slice.is_empty() {
                    break;
                }
                let ids = self.ids(kind.beyond(&slice, keep.max(1), batch)).await?;
                unfinished |= ids.len() as i64 == batch;
                self.delete(kind, &ids, &mut pruned).await?;
            }
            next.after_connection = if unfinished {
                cursor.after_connection
            } else if slice.len() as i64 == size {
                slice.last().copied()
            } else {
                None
            };
            more |= unfinished || next.after_connection.is_some();
        }
        Ok(PruneStep { pruned, next, more })
    }

    async fn table_rows(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::with_capacity(RETAINED_TABLES.len());
        for table in RETAINED_TABLES {
            let q = Query::new(format!("SELECT count(*) AS n FROM {table}"));
            let row: CountRow = self.db.reader().fetch_one(q).await?;
            out.push((*table, row.n));
        }
        Ok(out)
    }

    async fn database_bytes(&self) -> Result<i64> {
        let sql = match self.db.dialect() {
            Dialect::Sqlite => {
                "SELECT (p.page_count - f.freelist_count) * s.page_size AS n \
                 FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s"
            }
            Dialect::Postgres => {
                "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::BIGINT AS n \
                 FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace \
                 AND c.relkind = 'r'"
            }
        };
        let row: CountRow = self.db.reader().fetch_one(Query::new(sql)).await?;
        Ok(row.n)
    }

    async fn job_timings(&self, since: DateTime<Utc>) -> Result<Vec<JobTiming>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            due_at: Option<i64>,
            created_at: i64,
            started_at: Option<i64>,
            finished_at: Option<i64>,
        }
        let q = Query::new(
            "SELECT due_at, created_at, started_at, finished_at FROM jobs WHERE started_at >= $1",
        )
        .bind(to_micros(since));
        let rows: Vec<Row> = self.db.reader().fetch_all(q).await?;
        Ok(rows
            .into_iter()
            .map(|r| JobTiming {
                due_at: opt_from_micros(r.due_at),
                created_at: from_micros(r.created_at),
                started_at: opt_from_micros(r.started_at),
                finished_at: opt_from_micros(r.finished_at),
            })
            .collect())
    }
}
