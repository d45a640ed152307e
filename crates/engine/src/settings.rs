//! Engine settings (from configuration).

use std::time::Duration;

use tributary_connectors::http::HttpSettings;

use crate::{advisories::AdvisoryThresholds, webhooks::WebhookSettings};

#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Jobs run at once by this process.
    pub workers: usize,
    /// How often idle workers look for jobs queued by another process.
    pub poll_interval: Duration,
    /// How often the scheduler queues due connections and re-queues expired leases.
    pub schedule_interval: Duration,
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
    /// When advisories are raised (docs/health.md).
    pub advisories: AdvisoryThresholds,
    /// How often each connection is probed between jobs (one request per export).
    pub probe_interval: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            workers: 4,
            poll_interval: Duration::from_secs(2),
            schedule_interval: Duration::from_secs(5),
            lease: Duration::from_secs(60),
            max_attempts: 5,
            schedule_jitter: 0.1,
            http: HttpSettings::default(),
            webhooks: WebhookSettings::default(),
            advisories: AdvisoryThresholds::default(),
            probe_interval: Duration::from_secs(600),
        }
    }
}
