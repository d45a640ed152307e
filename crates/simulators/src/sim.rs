//! The state one simulator shares between its handlers, and the seam each vendor folder
//! implements ([`VendorApi`]). Nothing here knows a particular vendor: the registry in
//! `vendors` picks the implementation.

use std::{
    any::Any,
    collections::HashMap,
    sync::{atomic::AtomicU64, Arc, Mutex, OnceLock},
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
    collection::CollectionSpec,
    dataset::RecordRef,
    faults::{Decision, FaultTable},
    identity::{bearer_authorized, bearer_identity, identify_form, Identity},
    requests::RequestLog,
    world::World,
};

/// Renders one record in a vendor's format.
pub type Render = Arc<dyn Fn(&RecordRef) -> Value + Send + Sync>;

/// What a vendor declares about itself: facts that hold before any request is made.
#[derive(Debug)]
pub struct VendorSpec {
    /// The vendor's id: `--vendor`, the `vendor` member of JSON output.
    pub name: &'static str,
    /// The product, for `--help` (e.g. "Example EDR API v2").
    pub title: &'static str,
    /// The endpoint names faults can target (besides `all`).
    pub endpoints: &'static [&'static str],
    /// The record collections it serves, at its timestamp precision.
    pub collections: &'static [CollectionSpec],
    /// Its own protocol faults (`Fault::Named`), e.g. an export ending in `ERROR`.
    pub faults: &'static [&'static str],
}

/// The credential label a request was identified as (None: unknown), for handlers that
/// take vendor faults ([`crate::faults::FaultTable::take_named`]).
#[derive(Debug, Clone, Default)]
pub struct Caller(pub Option<String>);

/// A line the vendor adds to `tributary simulate`'s summary (and a member of its JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryExtra {
    /// The JSON member, e.g. `login_base_url`.
    pub key: &'static str,
    /// The text summary's label, e.g. `login base URL`.
    pub label: &'static str,
    pub value: String,
}

/// What each vendor folder provides.
pub trait VendorApi: Send + Sync + 'static {
    fn spec(&self) -> &'static VendorSpec;
    /// The endpoint name for a request path, for faults and the log (None: not an API path).
    fn endpoint(&self, method: &Method, path: &str) -> Option<&'static str>;
    fn router(&self) -> Router<Arc<Sim>>;
    /// A credential's secret, deterministic from the seed and the label.
    fn new_secret(&self, seed: u64, label: &str) -> Secret;
    /// The create-connection `credentials` object for a secret.
    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value;
    /// Who a request says it is (default: OAuth2 client credentials, the form of a
    /// request to the `token` endpoint, else a `Bearer` token).
    fn identify(&self, sim: &Sim, parts: &Parts, body: &[u8]) -> Identity {
        if self.endpoint(&parts.method, parts.uri.path()) == Some("token") {
            return identify_form(&sim.creds, body);
        }
        bearer_identity(&sim.creds, parts)
    }
    /// Whether the request's credentials are valid now (not asked for token endpoints);
    /// counts the request toward a credential's scheduled changes (default: a live
    /// `Bearer` token this simulator issued).
    fn authorized(&self, sim: &Sim, parts: &Parts) -> bool {
        bearer_authorized(&sim.creds, parts)
    }
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
    /// The key of the records array in `endpoint`'s success body (`""`: the body is the
    /// array).
    fn records_key(&self, endpoint: &str) -> Option<&'static str>;
    /// The id field of `endpoint`'s records (a malformed page drops it).
    fn id_key(&self, endpoint: &str) -> &'static str;
    /// Puts enum values the vendor might add later into a record of `endpoint`.
    fn unknown_enum(&self, endpoint: &str, record: &mut Value);
    /// The vendor id of record `index` of `collection` (None: not a collection it serves).
    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String>;
    /// Renders records of `collection` as the vendor's export of them serves them (the
    /// benchmark's baseline, `render_records`); None: not a collection it serves.
    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render>;
    /// Lines the vendor adds to `tributary simulate`'s output (e.g. a separate login URL).
    fn summary_extras(&self, _sim: &Sim) -> Vec<SummaryExtra> {
        vec![]
    }
}

/// Fixed one-minute request counters (for rate-limit headers that count requests per
/// minute): one window for the whole API, or one per bucket for vendors whose limits are
/// per endpoint family.
#[derive(Debug)]
pub struct RateWindow {
    state: Mutex<HashMap<&'static str, (Instant, u32)>>,
}

impl RateWindow {
    fn new() -> RateWindow {
        RateWindow {
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; returns (requests so far in this window, time until it resets).
    pub fn hit(&self, now: Instant) -> (u32, Duration) {
        self.hit_bucket("", now)
    }

    /// Counts one request against `bucket`'s own window.
    pub fn hit_bucket(&self, bucket: &'static str, now: Instant) -> (u32, Duration) {
        let mut all = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let s = all.entry(bucket).or_insert((now, 0));
        let minute = Duration::from_secs(60);
        if now.duration_since(s.0) >= minute {
            *s = (now, 0);
        }
        s.1 += 1;
        (s.1, minute.saturating_sub(now.duration_since(s.0)))
    }
}

/// The parts of a simulator's configuration its handlers read.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Lifetime of issued OAuth tokens (None: the vendor's default).
    pub token_ttl: Option<Duration>,
    /// Requests kept in the request log.
    pub request_log_capacity: usize,
}

/// One running simulator's state.
pub struct Sim {
    pub api: &'static dyn VendorApi,
    pub settings: Settings,
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
    /// State a vendor keeps between requests (export jobs), made on first use.
    vendor_state: OnceLock<Box<dyn Any + Send + Sync>>,
}

/// The label of the credential every simulator starts with.
pub const PRIMARY: &str = "primary";

impl Sim {
    /// A simulator of `api` over `world`, with the primary credential.
    pub fn new(
        api: &'static dyn VendorApi,
        world: World,
        settings: Settings,
        base_url: &str,
    ) -> Arc<Sim> {
        let sim = Arc::new(Sim {
            api,
            world,
            faults: FaultTable::default(),
            creds: Registry::default(),
            log: RequestLog::new(settings.request_log_capacity),
            base_url: base_url.trim_end_matches('/').to_owned(),
            shutdown: CancellationToken::new(),
            rate: RateWindow::new(),
            tokens_issued: AtomicU64::new(0),
            vendor_state: OnceLock::new(),
            settings,
        });
        sim.creds.add(PRIMARY, api.new_secret(sim.seed(), PRIMARY));
        sim
    }

    /// Same seed, same data and credentials.
    pub fn seed(&self) -> u64 {
        self.world.seed
    }

    /// The vendor's own state of type `T` (one type per vendor), made on first use.
    pub fn vendor_state<T: Default + Send + Sync + 'static>(&self) -> &T {
        self.vendor_state
            .get_or_init(|| Box::new(T::default()))
            .downcast_ref::<T>()
            .expect("a vendor keeps one type of state")
    }

    /// The credentials JSON for `label`.
    pub fn credentials_of(&self, label: &str) -> Option<Value> {
        self.creds
            .secret(label)
            .map(|s| self.api.credentials_json(self, &s))
    }
}
