#![forbid(unsafe_code)]
// Record shapes are written as `json!` literals with many fields.
#![recursion_limit = "512"]
//! Faithful local simulators of the CrowdStrike Falcon, SentinelOne and Microsoft
//! Defender for Endpoint APIs (paths, auth schemes, envelopes, pagination, rate-limit
//! headers, error bodies), with deterministic data at any scale, data that changes over
//! time, fault injection and request recording. Used by tests, the demo and benchmarks.
//! `docs/simulators.md` describes each API, the fault grammar and the admin API.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tributary_simulators::{spawn, SimConfig, SimVendor};
//! let sim = spawn(SimConfig::new(SimVendor::Sentinelone)).await?;
//! let creds = sim.credentials(); // {"base_url": …, "api_token": …}
//! sim.control().fault("threats:403")?;
//! # Ok(()) }
//! ```

mod auth;
mod cli;
mod config;
mod control;
mod crowdstrike;
mod dataset;
mod defender;
mod fake;
mod faults;
mod filter;
mod ids;
mod listing;
mod profiles;
mod query;
mod requests;
mod respond;
mod sentinelone;
mod server;
mod sim;
mod world;

pub use cli::{run_simulate, summary_json, SimulateArgs};
pub use config::{SimConfig, SimVendor, MAX_ALERTS, MAX_DEVICES};
pub use control::{AdvanceReport, ControlError, SimControl};
pub use faults::{Fault, FaultInfo, FaultParseError, FaultSpec, When};
pub use requests::RecordedRequest;
pub use server::{serve, spawn, RunningSimulator, Simulator};
pub use world::AdvanceSpec;

/// Renders alerts `from..from + count` exactly as `config`'s vendor serves them, as JSON
/// objects separated by commas, without HTTP: the benchmark's baseline.
pub fn render_alerts(
    config: &SimConfig,
    from: u64,
    count: u64,
    out: &mut Vec<u8>,
) -> anyhow::Result<()> {
    let sim = sim::Sim::new(config.clone(), "http://127.0.0.1:9".into())?;
    let render = render_fn(&sim);
    for i in from..(from + count).min(sim.world.alerts.len()) {
        if i > from {
            out.push(b',');
        }
        let r = sim.world.alerts.get(i).expect("in range");
        serde_json::to_writer(&mut *out, &render(&r))?;
    }
    Ok(())
}

fn render_fn(
    sim: &std::sync::Arc<sim::Sim>,
) -> Box<dyn Fn(&dataset::RecordRef) -> serde_json::Value + '_> {
    match sim.vendor {
        SimVendor::Sentinelone => {
            let tenant = sentinelone::tenant(sim.seed());
            Box::new(move |r| sentinelone::render_threat(&sim.world, &tenant, r))
        }
        SimVendor::Crowdstrike => Box::new(move |r| crowdstrike::render_alert(&sim.world, r)),
        SimVendor::MsDefenderEndpoint => {
            Box::new(move |r| defender::render_alert(&sim.world, r, true))
        }
    }
}
