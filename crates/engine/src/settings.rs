//! Engine settings (from configuration).

use std::time::Duration;

use tributary_connectors::http::HttpSettings;
use tributary_store::incidents::IncidentPolicy;

use crate::{
    advisories::AdvisoryThresholds, health::PlatformRetry, retention::RetentionSettings,
    webhooks::WebhookSettings,
};

#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Jobs run at once by this process.
    pub workers: usize,
    /// How often idle workers look for jobs queued by another process.
    pub poll_interval: Duration,
    /// How often the scheduler re-queues expired leases and publishes queue gauges, and
    /// the longest it waits between passes that queue due connections.
    pub schedule_interval: Duration,
    /// The shortest wait between passes: the scheduler sleeps until the next connection
    /// is due, but not less than this.
    pub schedule_min_interval: Duration,
    /// Due connections queued per transaction; a pass repeats full batches until none
    /// is due.
    pub schedule_batch: i64,
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// A job whose worker died this many times is failed instead of re-queued.
    pub max_attempts: u32,
    /// Fraction of the refresh interval used as random jitter.
    pub schedule_jitter: f64,
    /// Vendor call policy.
    pub http: HttpSettings,
    /// Webhook delivery and flap control.
    pub webhooks: WebhookSettings,
    /// How much history to keep, and how pruning runs.
    pub retention: RetentionSettings,
    /// When advisories are raised (docs/health.md).
    pub advisories: AdvisoryThresholds,
    /// How often each connection is probed between jobs (one request per export).
    pub probe_interval: Duration,
    /// How soon a job that met one of our own transient failures is retried.
    pub platform_retry: PlatformRetry,
    /// When connections failing at one vendor host become one incident.
    pub incidents: IncidentPolicy,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            workers: 4,
            poll_interval: Duration::from_secs(2),
            schedule_interval: Duration::from_secs(5),
            schedule_min_interval: Duration::from_millis(200),
            schedule_batch: 500,
            lease: Duration::from_secs(60),
            max_attempts: 5,
            schedule_jitter: 0.1,
            http: HttpSettings::default(),
            webhooks: WebhookSettings::default(),
            retention: RetentionSettings::default(),
            advisories: AdvisoryThresholds::default(),
            probe_interval: Duration::from_secs(600),
            platform_retry: PlatformRetry::default(),
            incidents: IncidentPolicy::default(),
        }
    }
}
