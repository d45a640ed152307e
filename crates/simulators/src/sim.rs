//! The state one simulator shares between its handlers, and the seam each vendor module
//! implements.

use std::{
    sync::{atomic::AtomicU64, Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    http::{request::Parts, Method},
    response::Response,
    Router,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{Registry, Secret},
    config::{SimConfig, SimVendor},
    fake::ns_of,
    faults::{Decision, FaultTable},
    requests::RequestLog,
    world::World,
};

/// Who a request says it is, worked out without side effects.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The credential label, if the request names a known credential or token.
    pub credential: Option<String>,
    /// Scheme and masked token, for the request log.
    pub auth: Option<String>,
    /// Token-request form fields with secrets masked.
    pub form: Option<Vec<(String, String)>>,
}

/// What each vendor module provides.
pub trait VendorApi: Send + Sync + 'static {
    /// The endpoint name for a request path, for faults and the log (None: not an API path).
    fn endpoint(&self, method: &Method, path: &str) -> Option<&'static str>;
    /// Timestamp precision of (devices, alerts), in nanoseconds.
    fn resolution(&self) -> (i64, i64);
    fn router(&self) -> Router<Arc<Sim>>;
    /// A credential's secret, deterministic from the seed and the label.
    fn new_secret(&self, seed: u64, label: &str) -> Secret;
    /// The create-connection `credentials` object for a secret.
    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value;
    fn identify(&self, sim: &Sim, parts: &Parts, body: &[u8]) -> Identity;
    /// Whether the request's credentials are valid now (not asked for token endpoints);
    /// counts the request toward a credential's scheduled changes.
    fn authorized(&self, sim: &Sim, parts: &Parts) -> bool;
    /// An error response in the vendor's shape for `endpoint`.
    fn error(
        &self,
        sim: &Sim,
        endpoint: Option<&str>,
        status: u16,
        retry_after_secs: u64,
    ) -> Response;
    /// Adds the vendor's per-response headers (rate limits).
    fn decorate(
        &self,
        _sim: &Sim,
        _endpoint: Option<&str>,
        _decision: &Decision,
        _resp: &mut Response,
    ) {
    }
    /// The key of the records array in `endpoint`'s success body.
    fn records_key(&self, endpoint: &str) -> Option<&'static str>;
    /// The id field of `endpoint`'s records (a malformed page drops it).
    fn id_key(&self, endpoint: &str) -> &'static str;
    /// Puts enum values the vendor might add later into a record of `endpoint`.
    fn unknown_enum(&self, endpoint: &str, record: &mut Value);
    fn device_id(&self, sim: &Sim, index: u64) -> String;
    fn alert_id(&self, sim: &Sim, index: u64) -> String;
}

/// A fixed one-minute request counter (CrowdStrike's rate-limit headers).
#[derive(Debug)]
pub struct RateWindow {
    state: Mutex<(Instant, u32)>,
}

impl RateWindow {
    fn new() -> RateWindow {
        RateWindow {
            state: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Counts one request; returns (requests so far in this window, time until it resets).
    pub fn hit(&self, now: Instant) -> (u32, Duration) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let minute = Duration::from_secs(60);
        if now.duration_since(s.0) >= minute {
            *s = (now, 0);
        }
        s.1 += 1;
        (s.1, minute.saturating_sub(now.duration_since(s.0)))
    }
}

/// One running simulator's state.
pub struct Sim {
    pub vendor: SimVendor,
    pub api: &'static dyn VendorApi,
    pub config: SimConfig,
    pub world: World,
    pub faults: FaultTable,
    pub creds: Registry,
    pub log: RequestLog,
    /// Where clients reach the API (no trailing slash).
    pub base_url: String,
    pub shutdown: CancellationToken,
    pub rate: RateWindow,
    /// Tokens issued so far (makes each token distinct and deterministic).
    pub tokens_issued: AtomicU64,
}

/// The label of the credential every simulator starts with.
pub const PRIMARY: &str = "primary";

impl Sim {
    pub fn new(config: SimConfig, base_url: String) -> anyhow::Result<Arc<Sim>> {
        config.validate()?;
        let api = api_for(config.vendor);
        let start = config
            .start_time
            .map(ns_of)
            .unwrap_or_else(|| ns_of(chrono::Utc::now()));
        let world = World::new(
            config.seed,
            config.devices,
            config.alerts,
            start,
            api.resolution(),
        );
        let sim = Arc::new(Sim {
            vendor: config.vendor,
            api,
            world,
            faults: FaultTable::default(),
            creds: Registry::default(),
            log: RequestLog::new(config.request_log_capacity),
            base_url: base_url.trim_end_matches('/').to_owned(),
            shutdown: CancellationToken::new(),
            rate: RateWindow::new(),
            tokens_issued: AtomicU64::new(0),
            config,
        });
        sim.creds
            .add(PRIMARY, api.new_secret(sim.config.seed, PRIMARY));
        Ok(sim)
    }

    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The credentials JSON for `label`.
    pub fn credentials_of(&self, label: &str) -> Option<Value> {
        self.creds
            .secret(label)
            .map(|s| self.api.credentials_json(self, &s))
    }
}

fn api_for(vendor: SimVendor) -> &'static dyn VendorApi {
    match vendor {
        SimVendor::Crowdstrike => &crate::crowdstrike::CrowdStrike,
        SimVendor::Sentinelone => &crate::sentinelone::SentinelOne,
        SimVendor::MsDefenderEndpoint => &crate::defender::Defender,
    }
}
