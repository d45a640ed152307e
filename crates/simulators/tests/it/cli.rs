//! `tributary simulate`'s flags and its `--json` summary.

use std::time::Duration;

use clap::Parser;
use tokio::net::TcpListener;
use tributary_simulators::{summary_json, SimConfig, SimVendor, SimulateArgs, Simulator};

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
    assert!(
        Cli::try_parse_from(["simulate", "--vendor", "crowdstrike", "--fault", "nonsense"])
            .is_err()
    );
}

#[tokio::test]
async fn json_summary_has_the_documented_members() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sim =
        Simulator::new(SimConfig::new(SimVendor::MsDefenderEndpoint), listener).expect("config");
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

#[test]
fn counts_name_collections() {
    let cli = Cli::try_parse_from([
        "simulate",
        "--vendor",
        "sentinelone",
        "--count",
        "alerts=12",
        "--count",
        "findings=5",
    ])
    .expect("valid flags");
    let c = cli.args.config();
    assert_eq!((c.devices, c.alerts), (50, 12));
    assert_eq!(c.counts.get("findings"), Some(&5));
    assert!(c.validate().is_err(), "sentinelone serves no findings");
    assert!(Cli::try_parse_from(["simulate", "--vendor", "sentinelone", "--count", "x"]).is_err());
}

#[tokio::test]
async fn vms_vendors_print_their_credentials_and_take_counts() {
    for (vendor, keys) in [
        ("tenable", vec!["access_key", "base_url", "secret_key"]),
        (
            "crowdstrike_spotlight",
            vec!["base_url", "client_id", "client_secret"],
        ),
        (
            "ms_defender_vms",
            vec![
                "api_base_url",
                "client_id",
                "client_secret",
                "login_base_url",
                "tenant_id",
            ],
        ),
    ] {
        let cli = Cli::try_parse_from([
            "simulate",
            "--vendor",
            vendor,
            "--count",
            "findings=1000",
            "--count",
            "assets=100",
            "--json",
        ])
        .expect("valid flags");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let sim = Simulator::new(cli.args.config(), listener).expect("config");
        let v = summary_json(&sim);
        assert_eq!(v["vendor"], vendor);
        let mut got: Vec<&String> = v["credentials"].as_object().unwrap().keys().collect();
        // JSON objects keep their insertion order: compare the set of keys.
        got.sort();
        assert_eq!(got, keys, "{v}");
        let url = match vendor {
            "ms_defender_vms" => {
                assert_eq!(v["login_base_url"], v["base_url"], "{v}");
                &v["credentials"]["api_base_url"]
            }
            _ => &v["credentials"]["base_url"],
        };
        assert_eq!(url, &v["base_url"]);
        assert_eq!(
            sim.control().collection_counts(),
            vec![("assets", 100), ("findings", 1000)]
        );
    }
}

#[tokio::test]
async fn identity_vendors_print_their_credentials() {
    let cases = [
        (SimVendor::OktaIdp, vec!["api_token", "domain"]),
        (
            SimVendor::MsEntra,
            vec![
                "client_id",
                "client_secret",
                "graph_base_url",
                "login_base_url",
                "tenant_id",
            ],
        ),
    ];
    for (vendor, keys) in cases {
        let cli = Cli::try_parse_from([
            "simulate",
            "--vendor",
            vendor.as_str(),
            "--count",
            "users=1000",
            "--count",
            "groups=40",
            "--json",
        ])
        .expect("valid flags");
        let config = cli.args.config();
        assert_eq!(config.counts.get("users"), Some(&1000));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let sim = Simulator::new(config, listener).expect("config");
        let v = summary_json(&sim);
        let mut got: Vec<&str> = v["credentials"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        got.sort_unstable();
        assert_eq!(got, keys, "{vendor}");
        assert_eq!(v["vendor"], vendor.as_str());
        assert!(!v.to_string().contains('\n'), "one line");
    }
}
