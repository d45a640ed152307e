//! Retention: history pruned in small steps with pauses between them (syncs get the
//! database in between), and the sizes of the tables it bounds as `/metrics` gauges.
//! Runs with the scheduler role; several schedulers pruning at once is safe (each
//! delete re-checks what it deletes).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tributary_store::{
    retention::{PruneCursor, Pruned, RetentionPolicy},
    StoreError,
};

use crate::Engine;

/// How retention runs.
#[derive(Debug, Clone)]
pub struct RetentionSettings {
    pub policy: RetentionPolicy,
    /// Time between passes (and between refreshes of the table-size gauges).
    pub interval: Duration,
    /// Rows deleted per table per step.
    pub batch: i64,
    /// Pause between steps.
    pub pause: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            policy: RetentionPolicy {
                max_age: Some(chrono::Duration::days(30)),
                keep_per_connection: Some(500),
            },
            interval: Duration::from_secs(300),
            batch: 500,
            pause: Duration::from_millis(50),
        }
    }
}

/// A pass stops after this many steps even if there is more to prune (the next pass
/// continues), so one pass cannot run unbounded.
const MAX_STEPS_PER_PASS: usize = 10_000;

impl Engine {
    /// Prunes everything the policy allows at `now`, step after step without pauses,
    /// and returns what went. Tests step time with `now` instead of waiting.
    pub async fn prune_once(&self, now: DateTime<Utc>) -> Result<Pruned, StoreError> {
        self.prune_pass(now, Duration::ZERO, &CancellationToken::new())
            .await
    }

    async fn prune_pass(
        &self,
        now: DateTime<Utc>,
        pause: Duration,
        shutdown: &CancellationToken,
    ) -> Result<Pruned, StoreError> {
        let r = &self.settings.retention;
        let mut total = Pruned::default();
        if r.policy.keeps_all() {
            return Ok(total);
        }
        let mut cursor = PruneCursor::default();
        for _ in 0..MAX_STEPS_PER_PASS {
            let step = self
                .store
                .prune_step(&r.policy, now, r.batch, cursor)
                .await?;
            total.add(step.pruned);
            if !step.more {
                break;
            }
            cursor = step.next;
            if shutdown.is_cancelled() {
                break;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
        Ok(total)
    }

    /// Sets `tributary_table_rows{table=…}` and `tributary_database_bytes`.
    pub async fn publish_table_sizes(&self) -> Result<(), StoreError> {
        for (table, rows) in self.store.table_rows().await? {
            metrics::gauge!("tributary_table_rows", "table" => table).set(rows as f64);
        }
        let bytes = self.store.database_bytes().await?;
        metrics::gauge!("tributary_database_bytes").set(bytes as f64);
        Ok(())
    }

    /// Prunes and publishes table sizes every interval until shutdown.
    pub(crate) async fn retention_loop(&self, shutdown: CancellationToken) {
        let interval = self.settings.retention.interval;
        while !shutdown.is_cancelled() {
            let pause = self.settings.retention.pause;
            match self.prune_pass(Utc::now(), pause, &shutdown).await {
                Ok(p) if p.total() > 0 => tracing::info!(
                    jobs = p.jobs,
                    health_events = p.health_events,
                    quarantine = p.quarantine,
                    webhook_deliveries = p.webhook_deliveries,
                    webhook_messages = p.webhook_messages,
                    "retention pruned history"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention pass failed; will retry"),
            }
            if let Err(e) = self.publish_table_sizes().await {
                tracing::warn!(error = %e, "could not read table sizes");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }
}
