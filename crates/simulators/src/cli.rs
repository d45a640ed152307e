//! `tributary simulate`: run one simulator in the foreground and print where it listens
//! and the credentials it accepts.

use std::{io::Write, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::{config::SimConfig, faults::FaultSpec, server::Simulator, SimVendor};

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
        c.faults = self.faults.clone();
        c.advance_every = self.advance_every.map(Duration::from_secs);
        c.token_ttl = self.token_ttl.map(Duration::from_secs);
        c.start_time = self.start_time;
        c.public_url = self.public_url.clone();
        c
    }
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
    if s.vendor() == SimVendor::MsDefenderEndpoint {
        v["login_base_url"] = json!(s.base_url());
    }
    v
}

fn summary_text(s: &Simulator, args: &SimulateArgs) -> String {
    let creds = serde_json::to_string_pretty(&s.credentials()).unwrap_or_default();
    let faults: Vec<String> = args.faults.iter().map(ToString::to_string).collect();
    let mut text = format!("{} simulator listening on {}\n", s.vendor(), s.base_url());
    if s.vendor() == SimVendor::MsDefenderEndpoint {
        text.push_str(&format!("  login base URL: {}\n", s.base_url()));
    }
    text.push_str(&format!(
        "  data: {} devices, {} alerts (seed {})\n  faults: {}\n  admin API: {}\n  credentials (for a create-connection request):\n{creds}\nPress Ctrl-C to stop.\n",
        args.devices,
        args.alerts,
        args.seed,
        if faults.is_empty() { "none".to_owned() } else { faults.join(", ") },
        s.admin_url(),
    ));
    text
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimulateArgs,
    }

    #[test]
    fn flags_become_a_config() {
        let cli = Cli::try_parse_from([
            "simulate",
            "--vendor",
            "ms_defender_endpoint",
            "--seed",
            "7",
            "--devices",
            "10",
            "--fault",
            "alerts:429x3",
            "--fault",
            "all:slow=50",
            "--json",
            "--token-ttl",
            "30",
            "--start-time",
            "2026-01-01T00:00:00Z",
        ])
        .expect("valid flags");
        let c = cli.args.config();
        assert_eq!(
            (c.vendor, c.seed, c.devices, c.alerts),
            (SimVendor::MsDefenderEndpoint, 7, 10, 200)
        );
        assert_eq!(c.faults.len(), 2);
        assert_eq!(c.faults[0].to_string(), "alerts:429x3");
        assert_eq!(c.token_ttl, Some(Duration::from_secs(30)));
        assert!(cli.args.json);
        assert!(Cli::try_parse_from(["simulate", "--vendor", "ms-defender-endpoint"]).is_err());
        assert!(Cli::try_parse_from([
            "simulate",
            "--vendor",
            "crowdstrike",
            "--fault",
            "nonsense"
        ])
        .is_err());
    }

    #[tokio::test]
    async fn json_summary_has_the_documented_members() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let sim = Simulator::new(SimConfig::new(SimVendor::MsDefenderEndpoint), listener)
            .expect("config");
        let v = summary_json(&sim);
        for key in [
            "vendor",
            "base_url",
            "login_base_url",
            "credentials",
            "admin_url",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["vendor"], "ms_defender_endpoint");
        assert_eq!(v["credentials"]["api_base_url"], v["base_url"]);
        assert!(!v.to_string().contains('\n'), "one line");
    }
}
