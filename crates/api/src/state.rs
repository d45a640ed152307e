//! What every handler can reach. Passed explicitly; nothing global but the metrics
//! recorder (the `metrics` facade is process-wide by design).

use std::{sync::Arc, time::Duration};

use metrics_exporter_prometheus::PrometheusHandle;
use tributary_connectors::guard::UrlGuard;
use tributary_engine::{Engine, Keyring};
use tributary_store::Store;

use crate::rate_limit::{RateLimitSettings, RateLimiter};

/// API behaviour settings (from configuration).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Time a client has to send a request's headers, and the longest a kept-alive
    /// connection may sit idle (a slow or stalled client is disconnected).
    pub header_read_timeout: Duration,
    /// Where users reach Tributary, e.g. `https://tributary.example.com`: with https,
    /// dashboard cookies are `Secure` whatever the request says.
    pub public_url: Option<String>,
    /// How long a dashboard session lasts after login.
    pub session_lifetime: Duration,
    /// Requests per API key and failed authentications per client address.
    pub rate_limit: RateLimitSettings,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            body_limit_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            public_url: None,
            session_lifetime: Duration::from_secs(12 * 3600),
            rate_limit: RateLimitSettings::default(),
        }
    }
}

impl ApiSettings {
    /// True when the public URL is https.
    pub fn public_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keyring: Arc<Keyring>,
    /// Checks customer-supplied vendor base URLs.
    pub guard: UrlGuard,
    pub settings: Arc<ApiSettings>,
    /// Renders `/metrics`; None when metrics are disabled.
    pub metrics: Option<PrometheusHandle>,
    /// Queues jobs (waking this process's workers), probes vendor credentials (PATCH,
    /// `/test`) and knows the vendor registry; its loops run only with the worker roles.
    pub engine: Arc<Engine>,
    /// This process's request budgets (see [`crate::rate_limit`]).
    pub limiter: Arc<RateLimiter>,
}
