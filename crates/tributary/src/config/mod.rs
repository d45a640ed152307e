//! Configuration: built-in defaults, then a TOML file, then `TRIBUTARY_*` environment
//! variables (nested keys with `__`, e.g. `TRIBUTARY_ENGINE__WORKERS=4`), then
//! `DATABASE_URL`. Validated at start with messages that say what to change.

mod api;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

pub use self::api::{DashboardConfig, RateLimitConfig};

/// Everything Tributary can be configured with. Every field has a default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the embedded database and the generated master key live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; defaults to `DATA_DIR/tributary.db`.
    pub database_url: Option<String>,
    /// PostgreSQL schema to use (created if missing).
    pub database_schema: Option<String>,
    /// Database pool size (0: a default per backend).
    pub database_max_connections: u32,
    /// Seconds an operation waits for a database connection before it fails with a
    /// storage error (PostgreSQL: also while the server restarts); 0: 30 (SQLite's
    /// writer: 60). A sync that fails so is retried with the platform backoff
    /// (docs/health.md, "Our own failures").
    pub database_acquire_timeout_secs: u64,
    /// Seconds a verified API key is remembered by each process, so requests need not
    /// each read it; a key revoked by another process (the CLI, another node) is refused
    /// once this passes (at once by the process that revoked it). 0: read every time.
    pub api_key_cache_secs: u64,
    /// The 32-byte master key (64 hex characters or base64). Seals credentials.
    pub master_key: Option<String>,
    /// File holding the master key; created (mode 0600) when neither is set.
    pub master_key_file: Option<PathBuf>,
    /// Address the API listens on.
    pub listen: String,
    /// Roles this process runs: `api`, `worker`, `scheduler`, `delivery` (webhooks); all by default.
    /// A list in TOML, or comma-separated in `TRIBUTARY_ROLES`.
    #[serde(deserialize_with = "list_or_csv")]
    pub roles: Vec<String>,
    /// `text` or `json`.
    pub log_format: String,
    /// Log filter when `RUST_LOG` is unset, e.g. `info` or `tributary=debug`.
    pub log_level: String,
    /// Hosts that may be called over http and on private addresses (tests, the demo),
    /// comma-separated, e.g. `127.0.0.1,localhost`. Empty: https to public addresses only.
    pub allow_vendor_hosts: String,
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Where users reach Tributary, e.g. `https://tributary.example.com`. With https,
    /// dashboard cookies are `Secure`.
    pub public_url: Option<String>,
    /// Seconds a client has to send a request's headers; also the longest a kept-alive
    /// connection may sit idle.
    pub header_read_timeout_secs: u64,
    pub rate_limit: RateLimitConfig,
    pub dashboard: DashboardConfig,
    pub engine: EngineConfig,
    pub webhooks: WebhookConfig,
    pub retention: RetentionConfig,
    pub incidents: IncidentConfig,
}

/// Vendor incidents (docs/health.md, "Vendor incidents"): this many connections to one
/// vendor host in a vendor-owned failure (VENDOR_SERVER_ERROR) that began within the
/// window are one incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentConfig {
    /// Distinct connections failing at one vendor host that open an incident (at least 2).
    pub min_connections: u32,
    /// Their failures began within this many minutes of each other (at least 1).
    pub window_minutes: u64,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            min_connections: 3,
            window_minutes: 15,
        }
    }
}

/// How much history to keep: finished jobs (with per-export results), health events,
/// quarantined records, finished webhook deliveries. A connection's most recent finished
/// job and health event, its open failure, queued and running jobs and pending
/// deliveries are always kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Keep history this many days (fractions allowed; 0: no age limit).
    pub max_age_days: f64,
    /// Keep at most this many finished jobs, health events and quarantined records per
    /// connection (0: no count limit).
    pub keep_per_connection: u64,
    /// Seconds between pruning passes (also how often table-size gauges refresh).
    pub interval_secs: u64,
    /// Rows deleted per table per step; each step is a few short transactions.
    pub batch_size: u64,
    /// Milliseconds between steps, so syncs get the database in between.
    pub pause_ms: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            max_age_days: 30.0,
            keep_per_connection: 500,
            interval_secs: 300,
            batch_size: 500,
            pause_ms: 50,
        }
    }
}

/// Webhook delivery and flap control.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Seconds to wait before each retry; the delivery fails after the last one.
    pub retry_schedule_secs: Vec<f64>,
    /// Seconds a receiver has to answer.
    pub request_timeout_secs: u64,
    /// Disable an endpoint that has failed for this many seconds without a success.
    pub disable_after_secs: f64,
    /// How long the previous secret keeps signing after a rotation, in seconds.
    pub rotation_overlap_secs: u64,
    /// How long the fix link of a `connection.health_changed` event stays valid, in
    /// seconds (endpoints with `include_fix_link`).
    pub fix_link_expiry_secs: u64,
    /// Notify "down" after this many unhealthy jobs in a row…
    pub down_after_failures: u32,
    /// …or after this many minutes unhealthy, whichever comes first.
    pub down_after_minutes: u64,
    /// How often the sender looks for due deliveries, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            retry_schedule_secs: vec![5.0, 300.0, 1800.0, 7200.0, 18_000.0, 36_000.0, 36_000.0],
            request_timeout_secs: 15,
            disable_after_secs: 86_400.0,
            rotation_overlap_secs: 24 * 3600,
            fix_link_expiry_secs: 72 * 3600,
            down_after_failures: 2,
            down_after_minutes: 30,
            poll_interval_ms: 1000,
        }
    }
}

/// The sync engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Jobs run at once by this process.
    pub workers: usize,
    /// How often idle workers look for queued jobs (another process may have queued one).
    pub poll_interval_ms: u64,
    /// The longest the scheduler waits between passes (it re-queues expired leases
    /// and publishes queue gauges this often).
    pub schedule_interval_ms: u64,
    /// The shortest wait between scheduler passes: it wakes when the next connection
    /// is due, but not sooner than this.
    pub schedule_min_interval_ms: u64,
    /// Due connections queued per transaction (a pass repeats full batches).
    pub schedule_batch: u32,
    /// A job lease lasts this long without a heartbeat before another worker may take it.
    pub lease_secs: u64,
    /// A job whose worker died this many times is failed instead of re-queued.
    pub max_attempts: u32,
    /// Retries of one vendor request on 429, 5xx or network errors.
    pub max_retries: u32,
    /// First retry delay; doubles each retry (with jitter).
    pub retry_base_ms: u64,
    /// Longest single wait, whatever the vendor's Retry-After says.
    pub retry_max_wait_secs: u64,
    /// Time one vendor request may take.
    pub request_timeout_secs: u64,
    /// Fraction of the refresh interval used as random jitter (0–0.5).
    pub schedule_jitter: f64,
    /// How often each connection is probed between jobs (one cheap request per export;
    /// docs/health.md, "Probes between jobs").
    pub probe_interval_secs: u64,
    /// After one of Tributary's own transient failures (storage unavailable, a worker
    /// lost) the connection is retried this many milliseconds later, doubling with each
    /// such failure in a row… (docs/health.md, "Our own failures")
    pub platform_retry_first_ms: u64,
    /// …up to this many milliseconds (and never later than the refresh interval).
    pub platform_retry_max_ms: u64,
    /// Fraction of the retry delay used as random jitter (0–0.5).
    pub platform_retry_jitter: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: 4,
            poll_interval_ms: 2_000,
            schedule_interval_ms: 5_000,
            schedule_min_interval_ms: 200,
            schedule_batch: 500,
            lease_secs: 60,
            max_attempts: 5,
            max_retries: 4,
            retry_base_ms: 500,
            retry_max_wait_secs: 60,
            request_timeout_secs: 60,
            schedule_jitter: 0.1,
            probe_interval_secs: 600,
            platform_retry_first_ms: 30_000,
            platform_retry_max_ms: 600_000,
            platform_retry_jitter: 0.2,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_schema: None,
            database_max_connections: 0,
            database_acquire_timeout_secs: 0,
            api_key_cache_secs: 2,
            master_key: None,
            master_key_file: None,
            listen: "127.0.0.1:8080".into(),
            roles: vec![
                "api".into(),
                "worker".into(),
                "scheduler".into(),
                "delivery".into(),
            ],
            log_format: "text".into(),
            log_level: "info".into(),
            allow_vendor_hosts: String::new(),
            body_limit_bytes: 1024 * 1024,
            public_url: None,
            header_read_timeout_secs: 10,
            rate_limit: RateLimitConfig::default(),
            dashboard: DashboardConfig::default(),
            engine: EngineConfig::default(),
            webhooks: WebhookConfig::default(),
            retention: RetentionConfig::default(),
            incidents: IncidentConfig::default(),
        }
    }
}

/// Accepts `["a", "b"]` or `"a,b"`.
fn list_or_csv<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(l) => l,
        Either::Csv(s) => s
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
    })
}

/// Top-level keys read from `TRIBUTARY_*` variables (others, like test settings, are ignored).
const ENV_KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "database_schema",
    "database_max_connections",
    "database_acquire_timeout_secs",
    "api_key_cache_secs",
    "master_key",
    "master_key_file",
    "listen",
    "roles",
    "log_format",
    "log_level",
    "allow_vendor_hosts",
    "body_limit_bytes",
    "public_url",
    "header_read_timeout_secs",
    "rate_limit",
    "dashboard",
    "engine",
    "webhooks",
    "retention",
];

impl Config {
    /// Loads and validates the configuration. `file`: an explicit TOML path (it must
    /// exist); otherwise `TRIBUTARY_CONFIG`, otherwise `tributary.toml` if present.
    pub fn load(file: Option<PathBuf>) -> anyhow::Result<Config> {
        let explicit = file.or_else(|| std::env::var_os("TRIBUTARY_CONFIG").map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match &explicit {
            Some(path) if !path.exists() => {
                anyhow::bail!("configuration file {} does not exist", path.display())
            }
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("tributary.toml")),
        }
        figment = figment.merge(Env::prefixed("TRIBUTARY_").split("__").filter(|k| {
            let k = k.as_str().to_ascii_lowercase();
            ENV_KEYS.iter().any(|known| k.starts_with(known))
        }));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(("database_url", url));
        }
        let config: Config = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that parse but make no sense, with a message saying what to change.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if self.listen.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "listen = `{}` is not an address like 127.0.0.1:8080 (TRIBUTARY_LISTEN)",
                self.listen
            ));
        }
        for role in &self.roles {
            if !["api", "worker", "scheduler", "delivery"].contains(&role.as_str()) {
                problems.push(format!(
                    "roles contains `{role}`; use api, worker, scheduler and/or delivery (TRIBUTARY_ROLES)"
                ));
            }
        }
        if self.roles.is_empty() {
            problems.push("roles is empty; give at least one of api, worker, scheduler".into());
        }
        if !["text", "json"].contains(&self.log_format.as_str()) {
            problems.push(format!(
                "log_format = `{}`; use text or json (TRIBUTARY_LOG_FORMAT)",
                self.log_format
            ));
        }
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            problems.push("DATABASE_URL must start with sqlite:// or postgres://".to_owned());
        }
        if let Some(key) = &self.master_key {
            if tributary_engine::Keyring::parse_master_key(key).is_err() {
                problems.push("master_key must be 32 bytes as 64 hex characters or base64 (TRIBUTARY_MASTER_KEY); generate one with `openssl rand -hex 32`".into());
            }
        }
        let e = &self.engine;
        if e.workers == 0 || e.workers > 256 {
            problems.push("engine.workers must be between 1 and 256".into());
        }
        if e.lease_secs < 5 {
            problems.push("engine.lease_secs must be at least 5".into());
        }
        if !(0.0..=0.5).contains(&e.schedule_jitter) {
            problems.push("engine.schedule_jitter must be between 0 and 0.5".into());
        }
        if !(0.0..=0.5).contains(&e.platform_retry_jitter) {
            problems.push("engine.platform_retry_jitter must be between 0 and 0.5".into());
        }
        if e.platform_retry_first_ms == 0 || e.platform_retry_max_ms < e.platform_retry_first_ms {
            problems.push(
                "engine.platform_retry_first_ms must be positive and at most engine.platform_retry_max_ms"
                    .into(),
            );
        }
        if e.schedule_batch == 0 || e.schedule_min_interval_ms == 0 {
            problems.push(
                "engine.schedule_batch and engine.schedule_min_interval_ms must be positive".into(),
            );
        }
        if e.poll_interval_ms == 0 || e.schedule_interval_ms == 0 || e.request_timeout_secs == 0 {
            problems.push("engine intervals and timeouts must be positive".into());
        }
        if self.webhooks.request_timeout_secs == 0 || self.webhooks.poll_interval_ms == 0 {
            problems.push(
                "webhooks.request_timeout_secs and webhooks.poll_interval_ms must be positive"
                    .into(),
            );
        }
        if self.webhooks.down_after_failures == 0 {
            problems.push("webhooks.down_after_failures must be at least 1".into());
        }
        let r = &self.retention;
        if !(r.max_age_days >= 0.0 && r.max_age_days.is_finite()) {
            problems.push("retention.max_age_days must be 0 (no age limit) or more".into());
        }
        if r.interval_secs == 0 || r.batch_size == 0 {
            problems
                .push("retention.interval_secs and retention.batch_size must be positive".into());
        }
        if self.incidents.min_connections < 2 || self.incidents.window_minutes == 0 {
            problems.push(
                "incidents.min_connections must be at least 2 and incidents.window_minutes at least 1"
                    .into(),
            );
        }
        if self.body_limit_bytes < 1024 {
            problems.push("body_limit_bytes must be at least 1024".into());
        }
        problems.extend(self.api_problems());
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid configuration:\n  - {}", problems.join("\n  - "))
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("tributary.db").display()))
    }

    /// The engine's settings from this configuration.
    pub fn engine_settings(&self) -> tributary_engine::EngineSettings {
        let e = &self.engine;
        tributary_engine::EngineSettings {
            workers: e.workers,
            poll_interval: Duration::from_millis(e.poll_interval_ms),
            schedule_interval: Duration::from_millis(e.schedule_interval_ms),
            schedule_min_interval: Duration::from_millis(e.schedule_min_interval_ms),
            schedule_batch: i64::from(e.schedule_batch),
            lease: Duration::from_secs(e.lease_secs),
            max_attempts: e.max_attempts,
            schedule_jitter: e.schedule_jitter,
            http: tributary_connectors::http::HttpSettings {
                request_timeout: Duration::from_secs(e.request_timeout_secs),
                max_retries: e.max_retries,
                retry_base: Duration::from_millis(e.retry_base_ms),
                retry_max_wait: Duration::from_secs(e.retry_max_wait_secs),
                ..Default::default()
            },
            webhooks: self.webhook_settings(),
            advisories: Default::default(),
            probe_interval: Duration::from_secs(e.probe_interval_secs),
            platform_retry: tributary_engine::health::PlatformRetry {
                first: Duration::from_millis(e.platform_retry_first_ms),
                max: Duration::from_millis(e.platform_retry_max_ms),
                jitter: e.platform_retry_jitter,
            },
            retention: self.retention_settings(),
            incidents: tributary_store::incidents::IncidentPolicy {
                min_connections: self.incidents.min_connections,
                window: chrono::Duration::minutes(self.incidents.window_minutes.min(525_600) as i64),
            },
        }
    }

    fn retention_settings(&self) -> tributary_engine::retention::RetentionSettings {
        let r = &self.retention;
        let max_age = (r.max_age_days > 0.0)
            .then(|| chrono::Duration::milliseconds((r.max_age_days * 86_400_000.0) as i64));
        tributary_engine::retention::RetentionSettings {
            policy: tributary_store::retention::RetentionPolicy {
                max_age,
                keep_per_connection: (r.keep_per_connection > 0)
                    .then(|| r.keep_per_connection.min(i64::MAX as u64) as i64),
            },
            interval: Duration::from_secs(r.interval_secs),
            batch: r.batch_size.min(10_000) as i64,
            pause: Duration::from_millis(r.pause_ms),
        }
    }

    fn webhook_settings(&self) -> tributary_engine::webhooks::WebhookSettings {
        let w = &self.webhooks;
        tributary_engine::webhooks::WebhookSettings {
            retry_schedule: w
                .retry_schedule_secs
                .iter()
                .map(|s| Duration::from_secs_f64(s.max(0.0)))
                .collect(),
            request_timeout: Duration::from_secs(w.request_timeout_secs),
            disable_after: Duration::from_secs_f64(w.disable_after_secs.max(0.0)),
            poll_interval: Duration::from_millis(w.poll_interval_ms),
            rotation_overlap: Duration::from_secs(w.rotation_overlap_secs),
            flap: tributary_engine::webhooks::FlapControl {
                down_after_failures: w.down_after_failures,
                down_after: chrono::Duration::minutes(w.down_after_minutes as i64),
            },
            public_url: self.public_url.clone(),
            fix_link_lifetime: Duration::from_secs(w.fix_link_expiry_secs),
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_problems_are_named() {
        Config::default().validate().unwrap();
        let bad = Config {
            listen: "nowhere".into(),
            roles: vec!["chef".into()],
            master_key: Some("x".into()),
            ..Config::default()
        };
        let msg = bad.validate().unwrap_err().to_string();
        for needle in ["listen", "chef", "master_key"] {
            assert!(msg.contains(needle), "{msg}");
        }
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment::Error is what Jail returns
    fn env_lists_and_hosts() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TRIBUTARY_ALLOW_VENDOR_HOSTS", "127.0.0.1,localhost");
            jail.set_env("TRIBUTARY_ROLES", "api,worker");
            jail.set_env("TRIBUTARY_ENGINE__WORKERS", "7");
            jail.set_env("TRIBUTARY_WEBHOOKS__DOWN_AFTER_FAILURES", "3");
            jail.set_env("TRIBUTARY_TEST_POSTGRES_URL", "postgres://ignored");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.allow_vendor_hosts, "127.0.0.1,localhost");
            assert_eq!(c.roles, vec!["api", "worker"]);
            assert_eq!(c.engine.workers, 7);
            assert_eq!(c.webhooks.down_after_failures, 3);
            Ok(())
        });
    }
}
