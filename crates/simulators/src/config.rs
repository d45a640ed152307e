//! What to simulate: the vendor, the size of the data, its seed, and faults at start.

use std::{sync::Arc, time::Duration};

use crate::{
    fake::ns_of,
    faults::FaultSpec,
    sim::{Settings, Sim},
    vendors::SimVendor,
    world::World,
};
use chrono::{DateTime, Utc};

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
    /// Lifetime of issued OAuth tokens (default: the vendor's, typically 30 or 60
    /// minutes). Short values exercise token refresh.
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

    /// The simulator state this configuration describes, reached at `base_url`.
    pub(crate) fn build(&self, base_url: &str) -> anyhow::Result<Arc<Sim>> {
        self.validate()?;
        let api = self.vendor.api();
        let start = self
            .start_time
            .map(ns_of)
            .unwrap_or_else(|| ns_of(chrono::Utc::now()));
        let world = World::new(
            self.seed,
            self.devices,
            self.alerts,
            start,
            api.spec().resolution,
        );
        let settings = Settings {
            token_ttl: self.token_ttl,
            request_log_capacity: self.request_log_capacity,
        };
        Ok(Sim::new(api, world, settings, base_url))
    }
}
