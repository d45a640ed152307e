//! `tributary bench ingest --vendor okta_idp|ms_entra`: a full sync of an Okta org or an
//! Entra ID tenant (N users, groups with their members, apps with their assignments,
//! policies) from its simulator over loopback HTTP, through the real engine (Okta: Link
//! paging, rate-limit headers, members fetched per group; Entra: a client-credentials
//! token, a first delta round with `members@delta`, service principals with their
//! `appRoleAssignedTo`; then mapping, page commits with memberships, the reconciliation
//! of a complete listing); then the users export alone over HTTP through
//! the same connector and pipeline; next to a same-run baseline: the same users,
//! normalized by the same mapping and written by the same store's page commits with no
//! HTTP, timed inside the store only. Prints users/s of each, the ratio of the users
//! export to the baseline, and peak RSS.

use anyhow::Context;
use serde_json::json;
use tributary_model::{DataExportType, Vendor};
use tributary_simulators::{spawn, SimConfig, SimVendor};

use super::{
    backend_name, fixtures, ingest::wait_for_sync, peak_rss_mib, verdict, IngestBenchArgs,
};
use crate::{
    commands::{accounts::create_key, api_client::ApiClient},
    config::Config,
    App,
};

pub async fn run(config: &Config, args: &IngestBenchArgs) -> anyhow::Result<()> {
    let (sim_vendor, name, title, what) = match args.vendor.as_str() {
        "ms_entra" => (
            SimVendor::MsEntra,
            "MS_ENTRA",
            "an Entra ID tenant",
            "service principals",
        ),
        _ => (SimVendor::OktaIdp, "OKTA_IDP", "an Okta org", "apps"),
    };
    let backend = backend_name(args.postgres.as_deref());
    let mut config = config.clone();
    config.engine.poll_interval_ms = 100;
    config.engine.schedule_interval_ms = 200;
    let users = args.users;
    // A company's shape: a group per 200 users (Okta's rate limit on group member
    // listings, 1,000 a minute, then stays out of the timed part), five memberships a user.
    let groups = (users / 200).max(1);
    let sim_config = || {
        SimConfig::new(sim_vendor)
            .count("users", users)
            .count("groups", groups)
            .count("memberships", users * 5)
    };
    let sim = spawn(sim_config()).await?;
    let app = App::start(&config, None).await?;
    let base = app.base_url().context("the API serves")?;
    let store = app.store();
    let account = store.create_account("bench").await?.id;
    let (_, key) = create_key(store.as_ref(), account, "bench").await?;
    let rss_at_start = peak_rss_mib();

    let api = ApiClient::new(&base, &key);
    let org = api
        .post("/provisioning/organizations", json!({"name": "bench"}))
        .await?;
    let org = org["id"].as_str().context("organization id")?.to_owned();
    let conn = api
        .post(
            &format!("/provisioning/organizations/{org}/connections"),
            json!({"vendor": name, "credentials": sim.credentials(), "timeout_secs": 86_400}),
        )
        .await?;
    let conn = conn["id"].as_str().context("connection id")?.to_owned();
    let job = wait_for_sync(&api, &org, &conn).await?;
    anyhow::ensure!(job["status"] == "SUCCEEDED", "the sync failed: {job}");
    let count = |kind: &str| -> u64 {
        job["exports"]
            .as_array()
            .and_then(|e| e.iter().find(|x| x["data_export_type"] == kind))
            .and_then(|x| x["records_upserted"].as_u64())
            .unwrap_or(0)
    };
    anyhow::ensure!(
        count("users") == users,
        "synced {} of {users} users: {job}",
        count("users")
    );
    let e2e_secs = job["duration_secs"].as_f64().context("duration")?;
    let e2e_rate = users as f64 / e2e_secs;
    let rss_after_sync = peak_rss_mib();

    // The users export alone, over HTTP through the same connector and pipeline (a job's
    // reader, mapping and page commits), into a fresh connection.
    let okta = Vendor::named(name);
    let users_conn = fixtures::connection(&store, account, okta).await?;
    let alone = fixtures::sync_over_http(
        &store,
        account,
        users_conn,
        okta,
        &sim.credentials(),
        DataExportType::Users,
    )
    .await?;
    anyhow::ensure!(
        alone.records == users,
        "read {} of {users} users",
        alone.records
    );
    let alone_rate = users as f64 / alone.wall.as_secs_f64();
    sim.shutdown().await?;

    let baseline_conn = fixtures::connection(&store, account, okta).await?;
    let loaded = fixtures::load_records(
        &store,
        account,
        baseline_conn,
        sim_config(),
        "users",
        DataExportType::Users,
        users,
    )
    .await?;
    let raw_rate = loaded.records as f64 / loaded.in_store.as_secs_f64();
    app.stop().await;

    let ratio = alone_rate / raw_rate;
    println!(
        "{backend}: {title} of {users} users, {groups} groups ({} memberships), {} {what}, {} policies",
        users * 5,
        count("applications"),
        count("policies")
    );
    println!(
        "  end to end (the whole sync: users, groups with members, {what} with assignments, policies): {users} users in {e2e_secs:.1}s = {e2e_rate:.0} users/s"
    );
    println!(
        "  the users export alone (HTTP paging{}, mapping, page commits): {users} users in {:.1}s = {alone_rate:.0} users/s",
        if sim_vendor == SimVendor::OktaIdp { " and pacing" } else { ", a delta round" },
        alone.wall.as_secs_f64()
    );
    println!(
        "  raw page commits of the same normalized users: {} rows in {:.1}s = {raw_rate:.0} users/s",
        loaded.records,
        loaded.in_store.as_secs_f64()
    );
    println!("  ratio {ratio:.2} (users export alone / raw commits)");
    match (rss_at_start, rss_after_sync) {
        (Some(start), Some(peak)) => println!(
            "  peak RSS {peak:.0} MiB during the sync (simulator included; {start:.0} MiB before it) — target < 200 MiB: {}",
            verdict(peak < 200.0)
        ),
        _ => println!("  peak RSS: not available on this platform"),
    }
    Ok(())
}
