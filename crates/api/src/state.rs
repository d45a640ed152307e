//! What every handler can reach. Passed explicitly; nothing global but the metrics
//! recorder (the `metrics` facade is process-wide by design).

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use tributary_connectors::guard::UrlGuard;
use tributary_engine::{Engine, Keyring};
use tributary_store::Store;

/// API behaviour settings (from configuration).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            body_limit_bytes: 1024 * 1024,
        }
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
}
