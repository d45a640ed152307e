//! What to simulate: the vendor, the size of the data, its seed, and faults at start.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::faults::FaultSpec;

/// The vendor API a simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SimVendor {
    /// CrowdStrike Falcon.
    #[value(name = "crowdstrike")]
    Crowdstrike,
    /// SentinelOne Management API v2.1.
    #[value(name = "sentinelone")]
    Sentinelone,
    /// Microsoft Defender for Endpoint.
    #[value(name = "ms_defender_endpoint")]
    MsDefenderEndpoint,
}

impl SimVendor {
    /// The lowercase name (`crowdstrike`, `sentinelone`, `ms_defender_endpoint`).
    pub fn as_str(self) -> &'static str {
        match self {
            SimVendor::Crowdstrike => "crowdstrike",
            SimVendor::Sentinelone => "sentinelone",
            SimVendor::MsDefenderEndpoint => "ms_defender_endpoint",
        }
    }

    /// The endpoint names faults can target (besides `all`).
    pub fn endpoints(self) -> &'static [&'static str] {
        match self {
            SimVendor::Crowdstrike => crate::crowdstrike::ENDPOINTS,
            SimVendor::Sentinelone => crate::sentinelone::ENDPOINTS,
            SimVendor::MsDefenderEndpoint => crate::defender::ENDPOINTS,
        }
    }
}

impl std::fmt::Display for SimVendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Largest dataset sizes (ids encode indices in fixed-width fields).
pub const MAX_DEVICES: u64 = 10_000_000;
pub const MAX_ALERTS: u64 = 50_000_000;

/// A simulator's configuration.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub vendor: SimVendor,
    /// Same seed, same data (ids, names, values), same credentials.
    pub seed: u64,
    /// Devices (agents, hosts, machines) at start.
    pub devices: u64,
    /// Alerts (threats, alerts) at start.
    pub alerts: u64,
    /// Faults active from the start.
    pub faults: Vec<FaultSpec>,
    /// The simulated time at start (default: now). Initial records end an hour before it;
    /// fix it to make timestamps identical across runs.
    pub start_time: Option<DateTime<Utc>>,
    /// Lifetime of issued OAuth tokens (default: the vendor's, 1799 s CrowdStrike,
    /// 3599 s Defender). Short values exercise token refresh.
    pub token_ttl: Option<Duration>,
    /// Requests kept in the request log (oldest dropped first).
    pub request_log_capacity: usize,
    /// The URL clients reach this simulator at (default `http://<bound address>`).
    pub public_url: Option<String>,
    /// Apply [`crate::AdvanceSpec::tick`] this often (the demo's "live" data).
    pub advance_every: Option<Duration>,
}

impl SimConfig {
    /// 50 devices, 200 alerts, seed 42, no faults.
    pub fn new(vendor: SimVendor) -> SimConfig {
        SimConfig {
            vendor,
            seed: 42,
            devices: 50,
            alerts: 200,
            faults: vec![],
            start_time: None,
            token_ttl: None,
            request_log_capacity: 10_000,
            public_url: None,
            advance_every: None,
        }
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn devices(mut self, n: u64) -> Self {
        self.devices = n;
        self
    }

    pub fn alerts(mut self, n: u64) -> Self {
        self.alerts = n;
        self
    }

    /// Adds a fault active from the start.
    pub fn fault(mut self, spec: FaultSpec) -> Self {
        self.faults.push(spec);
        self
    }

    pub fn start_time(mut self, t: DateTime<Utc>) -> Self {
        self.start_time = Some(t);
        self
    }

    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = Some(ttl);
        self
    }

    /// Checks sizes and faults.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.devices <= MAX_DEVICES, "at most {MAX_DEVICES} devices");
        anyhow::ensure!(self.alerts <= MAX_ALERTS, "at most {MAX_ALERTS} alerts");
        anyhow::ensure!(
            self.alerts == 0 || self.devices > 0,
            "alerts need at least one device to concern"
        );
        for f in &self.faults {
            if let Some(e) = &f.endpoint {
                anyhow::ensure!(
                    self.vendor.endpoints().contains(&e.as_str()),
                    "unknown endpoint {e:?} for {}: expected one of {:?} or all",
                    self.vendor,
                    self.vendor.endpoints()
                );
            }
        }
        Ok(())
    }
}
