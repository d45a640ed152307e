//! The fleet: one simulator per vendor on a runtime of its own (so its CPU is counted
//! apart), each with several credentials — most work, some are revoked, slow,
//! rate-limited or failing — and N connections spread over many organizations,
//! created straight in the store with sealed credentials, then scheduled with first
//! runs spread over one refresh interval (a fleet in its steady state, not a thundering
//! herd).

use std::sync::Arc;

use anyhow::Context;
use chrono::{Duration, Utc};
use serde_json::Value;
use tributary_connectors::Registry;
use tributary_engine::Keyring;
use tributary_model::{ConnectionState, Vendor};
use tributary_simulators::{spawn, RunningSimulator, SimConfig, SimVendor};
use tributary_store::{
    models::{ConnectionChanges, NewConnection, NewOrganization},
    Store,
};
use uuid::Uuid;

/// A credential of the mix: its label, the faults it carries, and its share of the
/// fleet's connections (per hundred).
struct Kind {
    label: &'static str,
    faults: &'static [&'static str],
    revoked: bool,
    per_hundred: u64,
}

/// Most connections work; the others exercise every failure path the scheduler sees.
const MIX: &[Kind] = &[
    Kind {
        label: "revoked",
        faults: &[],
        revoked: true,
        per_hundred: 4,
    },
    Kind {
        label: "slow",
        faults: &["all:slow=300"],
        revoked: false,
        per_hundred: 4,
    },
    Kind {
        label: "limited",
        faults: &["all:429"],
        revoked: false,
        per_hundred: 4,
    },
    Kind {
        label: "down",
        faults: &["all:503"],
        revoked: false,
        per_hundred: 3,
    },
];

/// The vendors of the fleet and their weights (per 20 connections): EDR first, the
/// scanners and identity providers as a smaller share.
const VENDORS: &[(SimVendor, u64)] = &[
    (SimVendor::Crowdstrike, 5),
    (SimVendor::Sentinelone, 5),
    (SimVendor::MsDefenderEndpoint, 4),
    (SimVendor::Tenable, 1),
    (SimVendor::CrowdstrikeSpotlight, 1),
    (SimVendor::OktaIdp, 2),
    (SimVendor::MsEntra, 2),
];

/// Each fleet connection stands for its own customer, so its own vendor rate budget; the
/// simulators hold one tenant per credential kind, shared by every connection of that
/// kind. Where a simulator advertises a shared budget the connector paces itself by
/// (Okta's per-org `X-Rate-Limit-*`: 600 user-list requests a minute), 1,400 connections
/// on one simulated org would wait on each other's windows — a minute at a time, holding a
/// worker slot — which no real fleet does. A per-credential quota far above what the
/// fleet sends replaces that shared budget (`limited` still answers every request 429).
fn own_budget(vendor: SimVendor) -> Option<&'static str> {
    (vendor == SimVendor::OktaIdp).then_some("all:quota=100000000/60s")
}

/// Running simulators and the credentials each kind of connection uses.
pub struct Simulators {
    runtime: Option<tokio::runtime::Runtime>,
    sims: Vec<RunningSimulator>,
    /// Per vendor: (vendor, [primary, then one per MIX kind]).
    creds: Vec<(Vendor, Vec<Value>)>,
}

/// Small collections: the bench loads the scheduler and the job path, not ingest.
fn sim_config(vendor: SimVendor) -> SimConfig {
    let config = SimConfig::new(vendor).devices(5).alerts(10);
    match vendor {
        SimVendor::Tenable | SimVendor::CrowdstrikeSpotlight => {
            config.count("assets", 5).count("findings", 10)
        }
        SimVendor::OktaIdp | SimVendor::MsEntra => config
            .count("users", 10)
            .count("groups", 3)
            .count("applications", 2)
            .count("policies", 2)
            .count("memberships", 10),
        _ => config,
    }
}

impl Simulators {
    /// Starts every simulator on a one-thread runtime named `fleet-sim`.
    pub async fn start() -> anyhow::Result<Simulators> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fleet-sim")
            .enable_all()
            .build()?;
        let mut sims = Simulators {
            runtime: Some(runtime),
            sims: Vec::new(),
            creds: Vec::new(),
        };
        for (vendor, _) in VENDORS {
            let rt = sims.runtime.as_ref().context("the simulators' runtime")?;
            let sim = rt
                .spawn(spawn(sim_config(*vendor)))
                .await?
                .with_context(|| format!("starting the {vendor} simulator"))?;
            let control = sim.control();
            let budget = own_budget(*vendor);
            let mut list = vec![match budget {
                Some(quota) => control
                    .add_credential("own-budget", &[quota])
                    .map_err(|e| anyhow::anyhow!("{vendor} primary credential: {e}"))?,
                None => sim.credentials(),
            }];
            sims.sims.push(sim);
            for kind in MIX {
                let faults: Vec<&str> = kind.faults.iter().copied().chain(budget).collect();
                let c = control
                    .add_credential(kind.label, &faults)
                    .map_err(|e| anyhow::anyhow!("{vendor} credential {}: {e}", kind.label))?;
                if kind.revoked {
                    control
                        .revoke(kind.label)
                        .map_err(|e| anyhow::anyhow!("{vendor} revoke: {e}"))?;
                }
                list.push(c);
            }
            sims.creds.push((Vendor::parse(vendor.as_str())?, list));
        }
        Ok(sims)
    }

    /// The vendor and credentials of the fleet's `n`th connection.
    fn pick(&self, n: u64) -> (Vendor, &Value) {
        let total: u64 = VENDORS.iter().map(|(_, w)| w).sum();
        let mut slot = n % total;
        let mut vendor_index = 0;
        for (i, (_, w)) in VENDORS.iter().enumerate() {
            if slot < *w {
                vendor_index = i;
                break;
            }
            slot -= w;
        }
        let (vendor, list) = &self.creds[vendor_index];
        // Scattered independently of the vendor pick, so every vendor gets every kind.
        let mut bucket = n.wrapping_mul(2_654_435_761) % 100;
        for (i, kind) in MIX.iter().enumerate() {
            if bucket < kind.per_hundred {
                return (*vendor, &list[i + 1]);
            }
            bucket -= kind.per_hundred;
        }
        (*vendor, &list[0])
    }

    pub async fn shutdown(mut self) {
        if let Some(rt) = self.runtime.take() {
            for sim in self.sims.drain(..) {
                let _ = rt.spawn(sim.shutdown()).await;
            }
            rt.shutdown_background();
        }
    }
}

impl Drop for Simulators {
    /// A runtime may not be dropped inside another; on an early error, stop it here.
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The fleet as created: the account, its connections, and the large organization
/// whose connection list the benchmark reads.
pub struct Fleet {
    pub account: Uuid,
    pub large_org: Uuid,
    connections: Vec<Uuid>,
    refresh_secs: i64,
    /// How long creating took; scheduling takes about as long.
    created_in: std::time::Duration,
}

/// Creates `connections` unscheduled connections over `organizations` organizations
/// (the first holds a fifth of them: the large customer).
pub async fn create(
    store: &Arc<dyn Store>,
    keyring: &Keyring,
    sims: &Simulators,
    connections: u64,
    organizations: u64,
    refresh_secs: i64,
) -> anyhow::Result<Fleet> {
    let account = store.create_account("fleet").await?.id;
    let organizations = organizations.max(1);
    let mut orgs = Vec::with_capacity(organizations as usize);
    for i in 0..organizations {
        let org = store
            .create_organization(
                account,
                NewOrganization {
                    name: format!("customer {i}"),
                    identifier: Some(format!("c{i}")),
                },
            )
            .await?;
        orgs.push(org.id);
    }
    let registry = Registry::builtin();
    let started = std::time::Instant::now();
    let mut ids = Vec::with_capacity(connections as usize);
    let large = connections / 5;
    for n in 0..connections {
        let (vendor, creds) = sims.pick(n);
        let spec = registry.get(vendor).context("a built-in vendor")?;
        let creds = spec
            .parse_credentials(creds)
            .map_err(|e| anyhow::anyhow!("{vendor} credentials: {e:?}"))?;
        let org = if n < large || organizations == 1 {
            orgs[0]
        } else {
            orgs[1 + (n as usize % (orgs.len() - 1))]
        };
        let id = Uuid::now_v7();
        store
            .create_connection(
                account,
                NewConnection {
                    id,
                    organization_id: org,
                    vendor,
                    identifier: Some(format!("fleet-{n}")),
                    state: ConnectionState::Active,
                    refresh_interval_secs: refresh_secs,
                    timeout_secs: 120,
                    options: None,
                    sealed_credentials: keyring
                        .seal(id, creds.to_sealable_json().to_string().as_bytes()),
                    next_run_at: None,
                    freshness_target_secs: None,
                },
            )
            .await?;
        ids.push(id);
    }
    Ok(Fleet {
        account,
        large_org: orgs[0],
        connections: ids,
        refresh_secs,
        created_in: started.elapsed(),
    })
}

impl Fleet {
    /// Schedules every connection once within one refresh interval starting when this
    /// is expected to be done (the scheduler is not running yet, so an early finish
    /// only idles the first jobs; a late one leaves a small backlog for the warm-up).
    pub async fn schedule(&self, store: &Arc<dyn Store>) -> anyhow::Result<()> {
        let n = self.connections.len().max(1) as i64;
        let base = Utc::now() + Duration::from_std(self.created_in)?;
        for (i, id) in self.connections.iter().enumerate() {
            let offset_ms = i as i64 * self.refresh_secs * 1000 / n;
            let changes = ConnectionChanges {
                next_run_at: Some(Some(base + Duration::milliseconds(offset_ms))),
                ..Default::default()
            };
            store
                .update_connection(self.account, *id, changes)
                .await?
                .context("a fleet connection")?;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.connections.len()
    }
}
