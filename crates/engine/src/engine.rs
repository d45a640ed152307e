//! The engine: workers that lease and run jobs, and the scheduler that queues due
//! connections and recovers the jobs of dead workers. `enqueue` is the one place a job is
//! queued (it wakes this process's workers). Tests step the engine instead of waiting for
//! its loops: `run_one`, `run_until_idle`, `schedule_once`, `deliver_once`.

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use tokio::{sync::Notify, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tributary_connectors::{guard::UrlGuard, http::build_client, Registry};
use tributary_model::{
    job::{JobStatus, JobTrigger},
    ConnectionState, HealthName,
};
use tributary_store::{
    models::{ClaimedJob, JobRecord},
    Store, StoreError,
};
use uuid::Uuid;

use crate::{settings::EngineSettings, Keyring};

/// What happened to a job `run_one` picked up.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutcome {
    pub job_id: Uuid,
    pub connection_id: Uuid,
    pub status: JobStatus,
    pub health: Option<HealthName>,
}

pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    /// The vendors this process can sync.
    pub(crate) registry: Arc<Registry>,
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) settings: Arc<EngineSettings>,
    pub(crate) client: reqwest::Client,
    /// For webhook deliveries: guarded, no redirects.
    pub(crate) webhook_client: reqwest::Client,
    /// Wakes this process's workers when a job is queued (other processes poll).
    wake: Notify,
    id: String,
}

/// What [`Engine::enqueue`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Enqueued {
    /// A new job.
    Queued(JobRecord),
    /// A job was already queued or running; it reads the connection's current state
    /// when it runs.
    AlreadyActive(Uuid),
    /// The connection is not ACTIVE: nothing runs.
    NotActive,
}

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        keyring: Arc<Keyring>,
        guard: &UrlGuard,
        settings: EngineSettings,
    ) -> Self {
        let client = build_client(guard, settings.http.request_timeout);
        let webhook_client = reqwest::Client::builder()
            .user_agent(concat!("tributary-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(guard.resolver())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.webhooks.request_timeout)
            .build()
            .expect("the webhook client configuration is valid");
        Engine {
            store,
            registry,
            keyring,
            settings: Arc::new(settings),
            client,
            webhook_client,
            wake: Notify::new(),
            id: format!(
                "{}-{}",
                std::process::id(),
                &Uuid::new_v4().simple().to_string()[..8]
            ),
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Queues a job for a connection of `account_id` now and wakes this process's
    /// workers: the one place jobs are queued by request.
    pub async fn enqueue(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        trigger: JobTrigger,
    ) -> Result<Enqueued, StoreError> {
        let enqueued = match self
            .store
            .enqueue_job(account_id, connection_id, trigger)
            .await
        {
            Ok(job) => Enqueued::Queued(job),
            Err(StoreError::JobAlreadyActive(id)) => Enqueued::AlreadyActive(id),
            Err(StoreError::Invalid(_)) => return Ok(Enqueued::NotActive),
            Err(e) => return Err(e),
        };
        self.wake.notify_waiters();
        Ok(enqueued)
    }

    /// Runs queued jobs one after another until none is left; returns what each did.
    /// With workers off, this is how tests and tools step the engine.
    pub async fn run_until_idle(&self) -> Result<Vec<JobOutcome>, StoreError> {
        let mut outcomes = Vec::new();
        while let Some(outcome) = self.run_one().await? {
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Claims the oldest queued job and runs it to the end. None when the queue is empty.
    pub async fn run_one(&self) -> Result<Option<JobOutcome>, StoreError> {
        self.run_one_as(&format!("{}-step", self.id), &CancellationToken::new())
            .await
    }

    /// `run_one` for worker `worker`; `shutdown` stops the job and gives its lease back.
    async fn run_one_as(
        &self,
        worker: &str,
        shutdown: &CancellationToken,
    ) -> Result<Option<JobOutcome>, StoreError> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let Some(claimed) = self.store.claim_job(worker, now, now + lease).await? else {
            return Ok(None);
        };
        let (job_id, connection_id) = (claimed.job.id, claimed.connection.id);
        if claimed.connection.state != ConnectionState::Active {
            self.store
                .cancel_job(
                    job_id,
                    &format!("connection is {}", claimed.connection.state),
                )
                .await?;
            return Ok(Some(JobOutcome {
                job_id,
                connection_id,
                status: JobStatus::Cancelled,
                health: None,
            }));
        }
        let started = Instant::now();
        tracing::info!(job = %job_id, connection = %connection_id, vendor = %claimed.connection.vendor, "job started");
        let lost = CancellationToken::new();
        let heartbeat = self.spawn_heartbeat(job_id, worker.to_owned(), lost.clone());
        let finish = tokio::select! {
            f = self.run_job(&claimed, worker) => Some(f),
            _ = lost.cancelled() => None,
            _ = shutdown.cancelled() => None,
        };
        heartbeat.abort();
        let Some(finish) = finish else {
            if shutdown.is_cancelled() && !lost.is_cancelled() {
                self.store.release_job(job_id, worker).await?;
                tracing::info!(job = %job_id, "job released at shutdown");
            } else {
                tracing::warn!(job = %job_id, "lease lost: another worker owns the job now");
            }
            return Ok(None);
        };
        let (status, health) = (finish.status, finish.health_name);
        record_job_metrics(&claimed, health, started.elapsed().as_secs_f64());
        match self.store.finish_job(job_id, Some(worker), finish).await {
            Ok(()) => {}
            Err(StoreError::LeaseLost(_)) => {
                tracing::warn!(job = %job_id, "finished after losing the lease; result dropped");
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
        tracing::info!(job = %job_id, connection = %connection_id, health = %health, elapsed_ms = started.elapsed().as_millis() as u64, "job finished");
        Ok(Some(JobOutcome {
            job_id,
            connection_id,
            status,
            health: Some(health),
        }))
    }

    /// Extends the lease every third of its length; cancels `lost` if it was taken away.
    fn spawn_heartbeat(
        &self,
        job_id: Uuid,
        worker: String,
        lost: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        let lease = self.settings.lease;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
                match store.heartbeat(job_id, &worker, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.cancel();
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(job = %job_id, error = %e, "heartbeat failed; will retry")
                    }
                }
            }
        })
    }

    /// Queues every connection due now, a batch per transaction, repeating while
    /// batches come back full (up to [`MAX_BATCHES_PER_PASS`]): the scheduler keeps up
    /// with any number of due connections instead of a fixed number per pass.
    pub async fn enqueue_due(&self) -> Result<usize, StoreError> {
        let now = Utc::now();
        let batch = self.settings.schedule_batch.max(1);
        let mut total = 0;
        for _ in 0..MAX_BATCHES_PER_PASS {
            let queued = self.store.enqueue_due(now, batch).await?;
            total += queued.len();
            if !queued.is_empty() {
                self.wake.notify_waiters();
            }
            if (queued.len() as i64) < batch {
                break;
            }
        }
        Ok(total)
    }

    /// One full scheduler pass: queue due connections, recover expired leases, publish
    /// queue gauges.
    pub async fn schedule_once(&self) -> Result<usize, StoreError> {
        let queued = self.enqueue_due().await?;
        let now = Utc::now();
        let expired = self
            .store
            .requeue_expired(now, self.settings.max_attempts)
            .await?;
        if !expired.requeued.is_empty() {
            tracing::warn!(jobs = ?expired.requeued, "re-queued jobs whose worker stopped heartbeating");
            self.wake.notify_waiters();
        }
        for job in expired.exhausted {
            self.fail_abandoned(job).await;
        }
        let stats = self.store.queue_stats(now).await?;
        metrics::gauge!("tributary_jobs_queued").set(stats.queued as f64);
        metrics::gauge!("tributary_jobs_running").set(stats.running as f64);
        metrics::gauge!("tributary_job_queue_lag_seconds").set(stats.oldest_queued_secs);
        Ok(queued)
    }

    /// A job that lost its worker too often is finished as INTERNAL_ERROR.
    async fn fail_abandoned(&self, job: JobRecord) {
        let Ok(Some(connection)) = self
            .store
            .get_connection(job.account_id, job.connection_id)
            .await
        else {
            return;
        };
        let claimed = ClaimedJob { job, connection };
        let mut finish = self.abandoned_finish(&claimed);
        finish.error = Some(format!(
            "the job lost its worker {} times and was abandoned",
            claimed.job.attempts
        ));
        if let Err(e) = self.store.finish_job(claimed.job.id, None, finish).await {
            tracing::warn!(job = %claimed.job.id, error = %e, "could not fail an abandoned job");
        }
    }

    /// Starts the worker and scheduler loops this process runs.
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

    /// Sends due webhook deliveries once (tests drive delivery with this).
    pub async fn deliver_once(&self) -> Result<usize, StoreError> {
        crate::webhooks::deliver_due(self, &format!("{}-webhooks-step", self.id), 100).await
    }

    /// Full passes every `schedule_interval`; in between, passes that only queue due
    /// connections, each as soon as the next connection is due (not sooner than
    /// `schedule_min_interval`), so a job starts close to its time at any fleet size.
    async fn scheduler_loop(&self, shutdown: CancellationToken) {
        let mut last_full: Option<Instant> = None;
        let mut last_probe = Instant::now();
        let mut last_freshness: Option<Instant> = None;
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
            // Targets are whole minutes at least: a pass a minute flags a stalled
            // connection within a minute of its target, at a bounded cost.
            if last_freshness.is_none_or(|t| t.elapsed() >= FRESHNESS_PASS_INTERVAL) {
                last_freshness = Some(Instant::now());
                if let Err(e) = self.freshness_once_at(Utc::now()).await {
                    tracing::error!(error = %e, "freshness pass failed");
                }
            }
            // Probes run a few times per interval, so each connection is probed about
            // once per interval; a pass only probes the connections that are due.
            if last_probe.elapsed()
                >= (self.settings.probe_interval / 4).max(self.settings.schedule_interval)
            {
                last_probe = Instant::now();
                if let Err(e) = self.probe_once().await {
                    tracing::error!(error = %e, "probe pass failed");
                }
            }
            let wait = self.until_next_pass().await;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.cancelled() => {}
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

/// How often the scheduler runs the freshness pass (crate::freshness).
const FRESHNESS_PASS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// A scheduler pass queues at most this many batches (500,000 jobs at the default
/// batch): bounded, and far beyond any fleet's due work in one pass.
const MAX_BATCHES_PER_PASS: usize = 1_000;

/// Which loops a process runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Roles {
    pub workers: bool,
    pub scheduler: bool,
    /// The webhook sender.
    pub delivery: bool,
}

fn record_job_metrics(claimed: &ClaimedJob, health: HealthName, secs: f64) {
    let labels = [
        ("vendor", claimed.connection.vendor.as_str().to_owned()),
        ("outcome", health.as_str().to_owned()),
    ];
    metrics::counter!("tributary_jobs_total", &labels).increment(1);
    metrics::histogram!("tributary_job_duration_seconds", &labels).record(secs);
}
