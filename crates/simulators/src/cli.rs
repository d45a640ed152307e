//! `tributary simulate`: run one simulator in the foreground and print where it listens
//! and the credentials it accepts.

use std::{io::Write, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::{config::SimConfig, faults::FaultSpec, server::Simulator, vendors::SimVendor};

/// Arguments of `tributary simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// The vendor API to simulate.
    #[arg(long, value_enum)]
    pub vendor: SimVendor,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Seed of the generated data and credentials: same seed, same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Devices at start.
    #[arg(long, default_value_t = 50)]
    pub devices: u64,
    /// Alerts at start.
    #[arg(long, default_value_t = 200)]
    pub alerts: u64,
    /// Records at start of another collection the vendor serves (repeatable), e.g.
    /// `findings=1000000`.
    #[arg(long = "count", value_name = "NAME=N", value_parser = parse_count)]
    pub counts: Vec<(String, u64)>,
    /// A fault active from the start, `[CREDENTIAL/]ENDPOINT:FAULT[xN]` (repeatable), e.g.
    /// `threats:403`, `alerts:429x3`, `all:503`, `agents:hang`, `token:401`, `all:slow=500`.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<FaultSpec>,
    /// Print one JSON object on the first line of stdout instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Create and update a few devices and alerts every SECS seconds.
    #[arg(long, value_name = "SECS")]
    pub advance_every: Option<u64>,
    /// Lifetime of issued OAuth tokens, in seconds (default: the vendor's).
    #[arg(long, value_name = "SECS")]
    pub token_ttl: Option<u64>,
    /// Simulated time at start (RFC 3339; default now): fixes every timestamp.
    #[arg(long, value_name = "RFC3339")]
    pub start_time: Option<DateTime<Utc>>,
    /// The URL clients reach the simulator at, if not the listen address.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

impl SimulateArgs {
    /// The simulator configuration these arguments describe.
    pub fn config(&self) -> SimConfig {
        let mut c = SimConfig::new(self.vendor)
            .seed(self.seed)
            .devices(self.devices)
            .alerts(self.alerts);
        for (name, n) in &self.counts {
            c = c.count(name, *n);
        }
        c.faults = self.faults.clone();
        c.advance_every = self.advance_every.map(Duration::from_secs);
        c.token_ttl = self.token_ttl.map(Duration::from_secs);
        c.start_time = self.start_time;
        c.public_url = self.public_url.clone();
        c
    }
}

fn parse_count(s: &str) -> Result<(String, u64), String> {
    let (name, n) = s.split_once('=').ok_or("expected NAME=N")?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a count"))?;
    Ok((name.trim().to_owned(), n))
}

/// Runs a simulator until Ctrl-C.
pub async fn run_simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let simulator = Simulator::new(args.config(), listener)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", summary_json(&simulator))?;
    } else {
        write!(out, "{}", summary_text(&simulator, &args))?;
    }
    out.flush()?;
    drop(out);
    simulator
        .run(async {
            // Without a signal handler the simulator still stops when the process does.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// The first line of `--json` output.
pub fn summary_json(s: &Simulator) -> Value {
    let mut v = json!({
        "vendor": s.vendor(),
        "base_url": s.base_url(),
        "credentials": s.credentials(),
        "admin_url": s.admin_url(),
    });
    for extra in s.summary_extras() {
        v[extra.key] = json!(extra.value);
    }
    v
}

fn summary_text(s: &Simulator, args: &SimulateArgs) -> String {
    let creds = serde_json::to_string_pretty(&s.credentials()).unwrap_or_default();
    let faults: Vec<String> = args.faults.iter().map(ToString::to_string).collect();
    let mut text = format!("{} simulator listening on {}\n", s.vendor(), s.base_url());
    for extra in s.summary_extras() {
        text.push_str(&format!("  {}: {}\n", extra.label, extra.value));
    }
    let data: Vec<String> = s
        .collection_counts()
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    text.push_str(&format!(
        "  data: {} (seed {})\n  faults: {}\n  admin API: {}\n  credentials (for a create-connection request):\n{creds}\nPress Ctrl-C to stop.\n",
        data.join(", "),
        args.seed,
        if faults.is_empty() { "none".to_owned() } else { faults.join(", ") },
        s.admin_url(),
    ));
    text
}
