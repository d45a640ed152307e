//! What to simulate: the vendor, the size of each collection, the seed, and faults at start.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

use crate::{
    collection::CollectionSpec,
    edr::collections::{ALERTS, DEFAULT_ALERTS, DEFAULT_DEVICES, DEVICES},
    fake::ns_of,
    faults::FaultSpec,
    sim::{Settings, Sim},
    vendors::SimVendor,
    world::World,
};

/// A simulator's configuration.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub vendor: SimVendor,
    /// Same seed, same data (ids, names, values), same credentials.
    pub seed: u64,
    /// Devices (agents, hosts, machines) at start, for vendors with a devices collection.
    pub devices: u64,
    /// Alerts (threats, alerts) at start, for vendors with an alerts collection.
    pub alerts: u64,
    /// Records at start of the vendor's other collections, by name (default: the
    /// collection's own default).
    pub counts: BTreeMap<String, u64>,
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
    /// Apply each collection's tick ([`crate::AdvanceSpec::tick`] for devices and alerts)
    /// this often (the demo's "live" data).
    pub advance_every: Option<Duration>,
}

impl SimConfig {
    /// 50 devices, 200 alerts (other collections: their defaults), seed 42, no faults.
    pub fn new(vendor: SimVendor) -> SimConfig {
        SimConfig {
            vendor,
            seed: 42,
            devices: DEFAULT_DEVICES,
            alerts: DEFAULT_ALERTS,
            counts: BTreeMap::new(),
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

    /// Sets the size at start of the collection `name` (`devices` and `alerts` set those
    /// fields).
    pub fn count(mut self, name: &str, n: u64) -> Self {
        match name {
            DEVICES => self.devices = n,
            ALERTS => self.alerts = n,
            _ => {
                self.counts.insert(name.to_owned(), n);
            }
        }
        self
    }

    /// The size at start of the collection `spec`.
    fn count_of(&self, spec: &CollectionSpec) -> u64 {
        match spec.name {
            DEVICES => self.devices,
            ALERTS => self.alerts,
            name => self.counts.get(name).copied().unwrap_or(spec.default_count),
        }
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
        let spec = self.vendor.api().spec();
        let count = |name: &str| {
            let c = spec.collections.iter().find(|c| c.name == name);
            c.map_or(0, |c| self.count_of(c))
        };
        for c in spec.collections {
            let n = self.count_of(c);
            anyhow::ensure!(n <= c.max, "at most {} {}", c.max, c.name);
            if let Some(target) = c.refers_to {
                anyhow::ensure!(
                    n == 0 || count(target) > 0,
                    "{} need at least one of {target} to concern",
                    c.name
                );
            }
        }
        for name in self.counts.keys() {
            anyhow::ensure!(
                spec.collections.iter().any(|c| c.name == name),
                "unknown collection {name:?} for {}: expected one of {:?}",
                self.vendor,
                spec.collections.iter().map(|c| c.name).collect::<Vec<_>>()
            );
        }
        for f in &self.faults {
            if let crate::faults::Fault::Named(n) = f.fault {
                anyhow::ensure!(
                    spec.faults.contains(&n.as_str()),
                    "unknown fault {:?} for {}: its own faults are {:?}",
                    n.as_str(),
                    self.vendor,
                    spec.faults
                );
            }
            if let Some(e) = &f.endpoint {
                anyhow::ensure!(
                    spec.endpoints.contains(&e.as_str()),
                    "unknown endpoint {e:?} for {}: expected one of {:?} or all",
                    self.vendor,
                    spec.endpoints
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
        let sized: Vec<(CollectionSpec, u64)> = api
            .spec()
            .collections
            .iter()
            .map(|c| (*c, self.count_of(c)))
            .collect();
        let world = World::new(self.seed, start, &sized);
        let settings = Settings {
            token_ttl: self.token_ttl,
            request_log_capacity: self.request_log_capacity,
        };
        Ok(Sim::new(api, world, settings, base_url))
    }
}
