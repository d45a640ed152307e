//! The loops a process runs, by role (`Roles`): workers that lease and run jobs, the
//! scheduler, retention, probes and freshness (scheduler role, one task each) and the webhook
//! sender. Each loop repeats a step that tests call directly instead (`run_one`,
//! `schedule_once`, `prune_once`, `probe_once`, `freshness_once_at`, `deliver_once`).

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::Engine;

/// How often the freshness pass runs.
const FRESHNESS_PASS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Which loops a process runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Roles {
    pub workers: bool,
    pub scheduler: bool,
    /// The webhook sender.
    pub delivery: bool,
}

impl Engine {
    /// Starts the loops this process runs: workers; the scheduler with retention and
    /// probes (each its own task, so a slow pass of one never delays another); the
    /// webhook sender.
    pub fn spawn(
        self: &Arc<Self>,
        roles: Roles,
        shutdown: CancellationToken,
        tasks: &mut JoinSet<anyhow::Result<()>>,
    ) {
        let Roles {
            workers,
            scheduler,
            delivery,
        } = roles;
        if delivery {
            let (engine, token) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                engine.delivery_loop(token).await;
                Ok(())
            });
        }
        if workers {
            for n in 0..self.settings.workers {
                let (engine, token) = (self.clone(), shutdown.clone());
                tasks.spawn(async move {
                    engine.worker_loop(n, token).await;
                    Ok(())
                });
            }
        }
        if scheduler {
            let (engine, token) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                engine.scheduler_loop(token).await;
                Ok(())
            });
            let (engine, token) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                engine.retention_loop(token).await;
                Ok(())
            });
            let (engine, token) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                engine.probe_loop(token).await;
                Ok(())
            });
            let (engine, token) = (self.clone(), shutdown.clone());
            tasks.spawn(async move {
                engine.freshness_loop(token).await;
                Ok(())
            });
        }
    }

    async fn worker_loop(&self, n: usize, shutdown: CancellationToken) {
        let worker = format!("{}-w{n}", self.id);
        while !shutdown.is_cancelled() {
            // Register for a wake-up before looking, so a job queued meanwhile is not missed.
            let woken = self.wake.notified();
            match self.run_one_as(&worker, &shutdown).await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "worker could not run a job"),
            }
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// Sends due webhook deliveries until shutdown.
    async fn delivery_loop(&self, shutdown: CancellationToken) {
        let worker = format!("{}-webhooks", self.id);
        while !shutdown.is_cancelled() {
            match crate::webhooks::deliver_due(self, &worker, 20).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "webhook sender failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.webhooks.poll_interval) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// Full passes every `schedule_interval`; in between, passes that only queue due
    /// connections, each as soon as the next connection is due (not sooner than
    /// `schedule_min_interval`), so a job starts close to its time at any fleet size.
    async fn scheduler_loop(&self, shutdown: CancellationToken) {
        let mut last_full: Option<Instant> = None;
        while !shutdown.is_cancelled() {
            let full = last_full.is_none_or(|t| t.elapsed() >= self.settings.schedule_interval);
            let pass = if full {
                last_full = Some(Instant::now());
                self.schedule_once().await
            } else {
                self.enqueue_due().await
            };
            if let Err(e) = pass {
                tracing::error!(error = %e, "scheduler pass failed");
            }
            let wait = self.until_next_pass().await;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// Probe passes a few times per probe interval (not more often than the scheduler's
    /// longest wait), so each connection is probed about once per interval; a pass only
    /// probes the connections that are due. Its own task: a pass that waits on slow
    /// vendors delays neither scheduling nor lease recovery.
    async fn probe_loop(&self, shutdown: CancellationToken) {
        let every = (self.settings.probe_interval / 4).max(self.settings.schedule_interval);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.cancelled() => return,
            }
            let pass = tokio::select! {
                pass = self.probe_once() => pass,
                _ = shutdown.cancelled() => return,
            };
            if let Err(e) = pass {
                tracing::error!(error = %e, "probe pass failed");
            }
        }
    }

    /// A freshness pass a minute (`crate::freshness`): targets are whole minutes at
    /// least, so a stalled export is flagged within a minute of its target at a bounded
    /// cost. Its own task, like probes.
    async fn freshness_loop(&self, shutdown: CancellationToken) {
        loop {
            let pass = tokio::select! {
                pass = self.freshness_once_at(Utc::now()) => pass,
                _ = shutdown.cancelled() => return,
            };
            if let Err(e) = pass {
                tracing::error!(error = %e, "freshness pass failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(FRESHNESS_PASS_INTERVAL) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// Until the next connection is due, within the scheduler's shortest and longest waits.
    async fn until_next_pass(&self) -> std::time::Duration {
        let longest = self.settings.schedule_interval;
        let shortest = self.settings.schedule_min_interval.min(longest);
        match self.store.next_due_at().await {
            Ok(Some(at)) => (at - Utc::now())
                .to_std()
                .unwrap_or_default()
                .clamp(shortest, longest),
            Ok(None) => longest,
            Err(e) => {
                tracing::warn!(error = %e, "could not read when the next connection is due");
                longest
            }
        }
    }
}
