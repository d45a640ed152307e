//! The engine: workers that lease and run jobs, and the scheduler that queues due
//! connections and recovers the jobs of dead workers. `enqueue` is the one place a job is
//! queued (it wakes this process's workers). Tests step the engine instead of waiting for
//! its loops: `run_one`, `run_until_idle`, `schedule_once`, `deliver_once`.

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tributary_connectors::{guard::UrlGuard, http::build_client, Registry};
use tributary_model::{
    job::{JobStatus, JobTrigger},
    ConnectionState, HealthName,
};
use tributary_store::{
    models::{ClaimedJob, JobFinish, JobRecord},
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
    pub(crate) wake: Notify,
    pub(crate) id: String,
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
    pub(crate) async fn run_one_as(
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
        let Some(finish) = finish else {
            heartbeat.abort();
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
        // The heartbeat keeps the lease while the result waits for the store to return.
        let recorded = self
            .record_finish(job_id, worker, finish, &lost, shutdown)
            .await;
        heartbeat.abort();
        if !recorded? {
            return Ok(None);
        }
        tracing::info!(job = %job_id, connection = %connection_id, health = %health, elapsed_ms = started.elapsed().as_millis() as u64, "job finished");
        Ok(Some(JobOutcome {
            job_id,
            connection_id,
            status,
            health: Some(health),
        }))
    }

    /// Records a finished job. While the store is unavailable (a restart, a pool
    /// timeout) the worker keeps the result and tries again, backing off, for up to one
    /// lease: the failure it met is recorded once the store is back, so the connection's
    /// health says what happened and its retry is scheduled. Beyond that, or when the
    /// lease is lost, the job is left to `requeue_expired`. Ok(false): not recorded.
    async fn record_finish(
        &self,
        job_id: Uuid,
        worker: &str,
        finish: JobFinish,
        lost: &CancellationToken,
        shutdown: &CancellationToken,
    ) -> Result<bool, StoreError> {
        let give_up = Instant::now() + self.settings.lease;
        let mut wait = RECORD_RETRY_FIRST;
        loop {
            match self
                .store
                .finish_job(job_id, Some(worker), finish.clone())
                .await
            {
                Ok(()) => return Ok(true),
                Err(StoreError::LeaseLost(_)) => {
                    tracing::warn!(job = %job_id, "finished after losing the lease; result dropped");
                    return Ok(false);
                }
                Err(e) if e.is_transient() && Instant::now() + wait < give_up => {
                    tracing::warn!(job = %job_id, error = %e, retry_in_ms = wait.as_millis() as u64,
                        "could not record the finished job; the store is unavailable");
                }
                Err(e) => return Err(e),
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = lost.cancelled() => return Ok(false),
                _ = shutdown.cancelled() => return Ok(false),
            }
            wait = (wait * 2).min(RECORD_RETRY_MAX);
        }
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

    /// Sends due webhook deliveries once (tests drive delivery with this).
    pub async fn deliver_once(&self) -> Result<usize, StoreError> {
        crate::webhooks::deliver_due(self, &format!("{}-webhooks-step", self.id), 100).await
    }
}

/// First and longest wait between attempts to record a finished job while the store is
/// unavailable.
const RECORD_RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(100);
const RECORD_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(5);

/// A scheduler pass queues at most this many batches (500,000 jobs at the default
/// batch): bounded, and far beyond any fleet's due work in one pass.
const MAX_BATCHES_PER_PASS: usize = 1_000;

fn record_job_metrics(claimed: &ClaimedJob, health: HealthName, secs: f64) {
    let labels = [
        ("vendor", claimed.connection.vendor.as_str().to_owned()),
        ("outcome", health.as_str().to_owned()),
    ];
    metrics::counter!("tributary_jobs_total", &labels).increment(1);
    metrics::histogram!("tributary_job_duration_seconds", &labels).record(secs);
}
