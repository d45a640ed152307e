//! Signed webhooks: events written to the outbox with the state change that caused them,
//! delivered by a sender loop with retries over about a day, per-endpoint ordering, a
//! delivery log, and disabling of endpoints that keep failing.

pub mod events;
mod sender;
pub mod signing;

use std::time::Duration;

pub use events::FlapControl;
pub use sender::deliver_due;

/// Delivery policy.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Waits before each retry; after the last one the delivery is FAILED. The default
    /// spans about 27 hours: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    pub retry_schedule: Vec<Duration>,
    /// Time a receiver has to answer.
    pub request_timeout: Duration,
    /// An endpoint failing this long without a success is disabled.
    pub disable_after: Duration,
    /// How often the sender looks for due deliveries.
    pub poll_interval: Duration,
    /// How long a previous secret keeps signing after a rotation.
    pub rotation_overlap: Duration,
    pub flap: FlapControl,
    /// Where users reach Tributary (fix links in webhooks are absolute under it; a path
    /// otherwise).
    pub public_url: Option<String>,
    /// How long the fix link a webhook carries stays valid.
    pub fix_link_lifetime: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_schedule: [5, 300, 1800, 7200, 18_000, 36_000, 36_000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            request_timeout: Duration::from_secs(15),
            disable_after: Duration::from_secs(24 * 3600),
            poll_interval: Duration::from_secs(1),
            rotation_overlap: Duration::from_secs(24 * 3600),
            flap: FlapControl::default(),
            public_url: None,
            fix_link_lifetime: Duration::from_secs(72 * 3600),
        }
    }
}
