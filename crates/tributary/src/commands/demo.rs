//! `tributary demo`: Tributary with embedded SQLite and eight vendor simulators in-process
//! (three EDR, three vulnerability scanners, Okta and Entra ID), an account, an organization
//! with healthy and failing connections, and the dashboard — a newcomer's first minute,
//! with no vendor account and no setup.
//!
//! The simulators listen on the eight ports after the API's, with a fixed seed, so their
//! URLs and credentials are the same on every run and the saved connections keep working
//! when the demo restarts on the same data directory.

use std::{io::Write, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tributary_simulators::{SimConfig, SimControl, SimVendor, Simulator};
use uuid::Uuid;

use crate::{
    commands::{accounts::create_key, api_client::ApiClient},
    config::Config,
    shutdown_signal, App,
};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// API and dashboard address; the simulators take the next eight ports.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the demo keeps its SQLite database and key (reused by the next run).
    #[arg(long, value_name = "DIR", default_value = "demo-data")]
    pub data_dir: PathBuf,
    /// Delete the data directory first and start from scratch.
    #[arg(long)]
    pub reset: bool,
    /// Print the account, key and URLs as one JSON line (for scripts and tests).
    #[arg(long)]
    pub json: bool,
}

/// What a run leaves behind so the next one reuses it.
#[derive(Debug, Serialize, Deserialize)]
struct DemoState {
    account_id: Uuid,
    organization_id: Uuid,
}

const SEED: u64 = 2026;
const STATE_FILE: &str = "demo.json";

/// One demo connection: a vendor, a credential label on its simulator, that credential's
/// faults, and the health it shows once synced.
struct DemoConnection {
    vendor: SimVendor,
    identifier: &'static str,
    label: &'static str,
    faults: &'static [&'static str],
}

const CONNECTIONS: &[DemoConnection] = &[
    DemoConnection {
        vendor: SimVendor::Crowdstrike,
        identifier: "falcon-prod",
        label: "primary",
        faults: &[],
    },
    DemoConnection {
        vendor: SimVendor::Sentinelone,
        identifier: "s1-prod",
        label: "primary",
        faults: &[],
    },
    DemoConnection {
        vendor: SimVendor::MsDefenderEndpoint,
        identifier: "mde-prod",
        label: "primary",
        faults: &[],
    },
    // Partial data access: the token reads agents but not threats → UNAUTHORIZED.
    DemoConnection {
        vendor: SimVendor::Sentinelone,
        identifier: "s1-viewer-missing-threats",
        label: "no-threats",
        faults: &["threats:403"],
    },
    // A vendor outage → VENDOR_SERVER_ERROR.
    DemoConnection {
        vendor: SimVendor::Crowdstrike,
        identifier: "falcon-eu-outage",
        label: "outage",
        faults: &["all:503"],
    },
    // Persistently throttled → RATE_LIMIT_EXCEEDED.
    DemoConnection {
        vendor: SimVendor::MsDefenderEndpoint,
        identifier: "mde-throttled",
        label: "throttled",
        faults: &["alerts:429"],
    },
    // Vulnerability findings through Tenable's exports → /v2/vulnerability_findings.
    DemoConnection {
        vendor: SimVendor::Tenable,
        identifier: "tenable-prod",
        label: "primary",
        faults: &[],
    },
    // A Spotlight API client without "Vulnerabilities: Read" → UNAUTHORIZED naming only
    // the vulnerabilities export.
    DemoConnection {
        vendor: SimVendor::CrowdstrikeSpotlight,
        identifier: "spotlight-missing-vulnerabilities-scope",
        label: "no-vulnerabilities-scope",
        faults: &["vulnerabilities:403"],
    },
    // Qualys VMDR: XML detections streamed by truncated batches, KnowledgeBase titles.
    DemoConnection {
        vendor: SimVendor::Qualys,
        identifier: "qualys-prod",
        label: "primary",
        faults: &[],
    },
    // Defender Vulnerability Management: a full snapshot each job; findings the next
    // snapshot no longer lists (the simulator fixes some every 20 s) become FIXED.
    DemoConnection {
        vendor: SimVendor::MsDefenderVms,
        identifier: "defender-vms-prod",
        label: "primary",
        faults: &[],
    },
    DemoConnection {
        vendor: SimVendor::OktaIdp,
        identifier: "okta-prod",
        label: "primary",
        faults: &[],
    },
    // An app registration without Policy.Read.All: users, groups and applications sync,
    // policies are refused → UNAUTHORIZED naming only policies.
    DemoConnection {
        vendor: SimVendor::MsEntra,
        identifier: "entra-no-policies",
        label: "no-policies",
        faults: &["policies:403"],
    },
];

/// The simulators, in port order after the API's.
const SIMULATED: [SimVendor; 9] = [
    SimVendor::Crowdstrike,
    SimVendor::Sentinelone,
    SimVendor::MsDefenderEndpoint,
    SimVendor::Tenable,
    SimVendor::CrowdstrikeSpotlight,
    SimVendor::OktaIdp,
    SimVendor::MsEntra,
    SimVendor::Qualys,
    SimVendor::MsDefenderVms,
];

pub async fn run(mut config: Config, args: DemoArgs) -> anyhow::Result<()> {
    if args.reset && args.data_dir.exists() {
        std::fs::remove_dir_all(&args.data_dir)
            .with_context(|| format!("cannot delete {}", args.data_dir.display()))?;
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    config.data_dir = args.data_dir.clone();
    config.database_url = None;
    config.database_schema = None;
    config.listen = args.listen.to_string();
    config.allow_vendor_hosts = format!("{},localhost", args.listen.ip());
    config.validate()?;

    // The simulators first: their ports are fixed, so a clash is reported before anything
    // else starts.
    let mut sims = Vec::new();
    let stop_sims = CancellationToken::new();
    for (i, vendor) in SIMULATED.into_iter().enumerate() {
        let addr = SocketAddr::new(args.listen.ip(), args.listen.port() + 1 + i as u16);
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr} for the {vendor:?} simulator (choose another --listen)"
            )
        })?;
        let mut sim_config = match vendor {
            SimVendor::Tenable
            | SimVendor::CrowdstrikeSpotlight
            | SimVendor::Qualys
            | SimVendor::MsDefenderVms => SimConfig::new(vendor)
                .seed(SEED)
                .count("assets", 120)
                .count("findings", 1_200),
            _ => SimConfig::new(vendor).seed(SEED).devices(120).alerts(600),
        };
        sim_config.advance_every = Some(Duration::from_secs(20));
        let simulator = Simulator::new(sim_config, listener)?;
        let control = simulator.control();
        for c in CONNECTIONS
            .iter()
            .filter(|c| c.vendor == vendor && c.label != "primary")
        {
            control.add_credential(c.label, c.faults)?;
        }
        let task = tokio::spawn(simulator.run(stop_sims.clone().cancelled_owned()));
        sims.push((vendor, control, task));
    }

    let app = App::start(&config, None).await?;
    let base = app.base_url().context("the demo serves the API")?;
    let store = app.store();
    let state_path = args.data_dir.join(STATE_FILE);
    let previous: Option<DemoState> = std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let (state, key, reused) = match previous {
        Some(s) if store.get_account(s.account_id).await?.is_some() => {
            let (_, key) = create_key(store.as_ref(), s.account_id, "demo").await?;
            (s, key, true)
        }
        _ => {
            let account = store.create_account("demo").await?;
            let (_, key) = create_key(store.as_ref(), account.id, "demo").await?;
            let organization_id = populate(&base, &key, &sims).await?;
            let s = DemoState {
                account_id: account.id,
                organization_id,
            };
            std::fs::write(&state_path, serde_json::to_vec_pretty(&s)?)?;
            (s, key, false)
        }
    };
    print_welcome(&args, &base, &key, &state, reused).await?;

    let result = app.run_until(shutdown_signal()).await;
    stop_sims.cancel();
    for (_, _, task) in sims {
        let _ = task.await;
    }
    // stdout may be gone by now (a closed pipe); the farewell is best-effort.
    let _ = writeln!(
        std::io::stdout(),
        "demo stopped; its data stays in {} (use --reset to start over)",
        args.data_dir.display()
    );
    result
}

/// Creates the demo organization and its connections through the public API, as an
/// integrator would; each connection's first sync is queued at once.
async fn populate(
    base: &str,
    key: &str,
    sims: &[(
        SimVendor,
        SimControl,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )],
) -> anyhow::Result<Uuid> {
    let api = ApiClient::new(base, key);
    let org = api
        .post(
            "/provisioning/organizations",
            json!({"name": "Acme Corp (demo)"}),
        )
        .await?;
    let org_id: Uuid = org["id"].as_str().context("organization id")?.parse()?;
    for c in CONNECTIONS {
        let (_, control, _) = sims
            .iter()
            .find(|(v, ..)| *v == c.vendor)
            .context("simulator")?;
        let credentials = control
            .credential(c.label)
            .with_context(|| format!("simulator credential {}", c.label))?;
        api.post(
            &format!("/provisioning/organizations/{org_id}/connections"),
            json!({
                "vendor": vendor_name(c.vendor),
                "credentials": credentials,
                "identifier": c.identifier,
                "refresh_interval_secs": 300,
                "timeout_secs": 120,
            }),
        )
        .await?;
    }
    Ok(org_id)
}

fn vendor_name(v: SimVendor) -> &'static str {
    match v {
        SimVendor::Crowdstrike => "CROWDSTRIKE",
        SimVendor::Sentinelone => "SENTINELONE",
        SimVendor::MsDefenderEndpoint => "MS_DEFENDER_ENDPOINT",
        SimVendor::Tenable => "TENABLE",
        SimVendor::CrowdstrikeSpotlight => "CROWDSTRIKE_SPOTLIGHT",
        SimVendor::OktaIdp => "OKTA_IDP",
        SimVendor::MsEntra => "MS_ENTRA",
        SimVendor::Qualys => "QUALYS",
        SimVendor::MsDefenderVms => "MS_DEFENDER_VMS",
    }
}

async fn print_welcome(
    args: &DemoArgs,
    base: &str,
    key: &str,
    state: &DemoState,
    reused: bool,
) -> anyhow::Result<()> {
    let org = state.organization_id;
    if args.json {
        println!(
            "{}",
            json!({"api_url": base, "dashboard_url": format!("{base}/dashboard"),
                   "account_id": state.account_id, "organization_id": org, "api_key": key,
                   "data_dir": args.data_dir, "reused": reused})
        );
        return Ok(());
    }
    println!();
    println!("  Tributary demo is running.");
    println!();
    println!("  Dashboard:   {base}/dashboard   (log in with the API key below)");
    println!("  API docs:    {base}/docs");
    println!("  API key:     {key}   (shown once)");
    println!("  Org:         {org}");
    println!();
    if reused {
        println!(
            "  Reusing the data in {} (a new API key was issued).",
            args.data_dir.display()
        );
    } else {
        println!("  Eleven connections are syncing from simulated CrowdStrike, SentinelOne,");
        println!("  Defender for Endpoint, Tenable, Spotlight, Qualys, Okta and Entra ID APIs:");
        println!("  six healthy (Tenable's and Qualys' findings at /v2/vulnerability_findings),");
        println!("  three UNAUTHORIZED through partial access (no permission on threats; a");
        println!("  Spotlight client without the Vulnerabilities scope; Entra ID without");
        println!("  policies), one vendor outage (503), one throttled (429).");
    }
    println!();
    println!("  Try:");
    println!("    curl -s -H 'X-API-KEY: {key}' '{base}/v1/provisioning/organizations/{org}/connections?healthStatusCodes=UNAUTHORIZED'");
    println!("    curl -s -H 'X-API-KEY: {key}' {base}/v1/health/summary");
    println!();
    println!("  Ctrl-C stops the demo; run it again to continue, or with --reset to start over.");
    Ok(())
}
