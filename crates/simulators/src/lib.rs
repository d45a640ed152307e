#![forbid(unsafe_code)]
// Record shapes are written as `json!` literals with many fields.
#![recursion_limit = "512"]
//! Faithful local simulators of security vendors' APIs (paths, auth schemes, envelopes,
//! pagination, rate-limit headers, error bodies), with deterministic data at any scale,
//! data that changes over time, fault injection and request recording. Used by tests, the
//! demo and benchmarks. Each vendor is a folder under `vendors/`, listed in one registry
//! ([`SimVendor`]); `docs/simulators.md` describes each API, the fault grammar, the admin
//! API and how to add a vendor.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tributary_simulators::{spawn, SimConfig, SimVendor};
//! for vendor in SimVendor::ALL {
//!     let sim = spawn(SimConfig::new(*vendor)).await?;
//!     let creds = sim.credentials(); // the create-connection `credentials` object
//!     sim.control().fault("all:429x1")?;
//! }
//! # Ok(()) }
//! ```

mod admin;
mod auth;
mod cli;
mod collection;
mod config;
mod control;
mod dataset;
mod edr;
mod fake;
mod faults;
mod filter;
mod identity;
mod idp;
mod ids;
mod listing;
mod odata;
mod query;
mod requests;
mod respond;
mod server;
mod sim;
mod vendors;
mod vms;
mod world;

pub use cli::{run_simulate, summary_json, SimulateArgs};
pub use collection::Change;
pub use config::SimConfig;
pub use control::{AdvanceReport, CollectionReport, ControlError, SimControl};
pub use edr::collections::{AdvanceSpec, MAX_ALERTS, MAX_DEVICES};
pub use faults::{Fault, FaultInfo, FaultParseError, FaultSpec, When};
pub use requests::RecordedRequest;
pub use server::{serve, spawn, RunningSimulator, Simulator};
pub use vendors::{SimVendor, UnknownVendor};

use edr::collections::ALERTS;

/// Renders alerts `from..from + count` exactly as `config`'s vendor serves them, as JSON
/// objects separated by commas, without HTTP: the benchmark's baseline.
pub fn render_alerts(
    config: &SimConfig,
    from: u64,
    count: u64,
    out: &mut Vec<u8>,
) -> anyhow::Result<()> {
    render_records(config, ALERTS, from, count, out)
}

/// Renders records `from..from + count` of `collection` exactly as `config`'s vendor
/// serves them, as JSON objects separated by commas, without HTTP.
pub fn render_records(
    config: &SimConfig,
    collection: &str,
    from: u64,
    count: u64,
    out: &mut Vec<u8>,
) -> anyhow::Result<()> {
    let sim = config.build("http://127.0.0.1:9")?;
    let (Some(data), Some(render)) = (
        sim.world.get(collection),
        sim.api.renderer(&sim, collection),
    ) else {
        anyhow::bail!("{} serves no {collection:?} collection", config.vendor);
    };
    let end = (from + count).min(data.created());
    // Deleted records have no current state to render.
    for (n, r) in (from..end).filter_map(|i| data.get(i)).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, &render(&r))?;
    }
    Ok(())
}
