//! Our own failures heal fast (docs/health.md, "Our own failures"): a job that meets one
//! of Tributary's own transient failures — its storage refusing or unreachable, the
//! worker running it lost — leaves the connection INTERNAL_ERROR / LEEN with a clear
//! message and retries it after a short backoff (doubling, reset by any other outcome)
//! instead of at the next refresh. The retry resumes from the committed watermark:
//! exact record counts, no duplicates. The engine is stepped; the only waits are the
//! backoffs themselves (set to a few hundred milliseconds).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tributary_model::HealthName;
use tributary_simulators::{spawn, FaultSpec, SimConfig, SimVendor};
use tributary_store::testing::{Backend, TestDatabase, POSTGRES_ENV};

use crate::{private_postgres::PrivatePostgres, support::*, sync::*};

/// First platform retry in these tests (ms); the second waits twice as long.
const FIRST_MS: u64 = 300;

fn fast_retries(config: &mut tributary::Config) {
    config.engine.platform_retry_first_ms = FIRST_MS;
    config.engine.platform_retry_max_ms = 4 * FIRST_MS;
    config.engine.platform_retry_jitter = 0.0;
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("a time: {v}"))
        .parse()
        .unwrap()
}

/// Milliseconds from the health's check to the connection's next run, rounded (the
/// store keeps microseconds; `checked_at` is shown with nanoseconds).
fn retry_in_ms(c: &Value) -> i64 {
    let gap = at(&c["health"]["next_run_at"]) - at(&c["health"]["checked_at"]);
    (gap.num_microseconds().unwrap() as f64 / 1000.0).round() as i64
}

impl TestApp {
    /// Steps the scheduler until the connection's retry is queued (sleeping only until
    /// it is due), then runs it: the job's outcome.
    async fn retry_when_due(&self, org: &str, conn: &str) -> Value {
        let engine = self.app.as_ref().unwrap().engine();
        let due = at(&self.connection(org, conn).await["health"]["next_run_at"]);
        let mut queued = 0;
        for _ in 0..100 {
            queued = engine.schedule_once().await.unwrap();
            if queued > 0 {
                break;
            }
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait.max(Duration::from_millis(20))).await;
        }
        assert_eq!(queued, 1, "the retry was queued once due");
        self.settle(org, conn).await.expect("the retry ran")
    }

    /// Every alert id of `conn`, walked with the cursor.
    async fn alert_ids(&self, conn: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut query = "limit=1000&enableCursor=true&excludeTotal=true".to_owned();
        loop {
            let (status, page) = self.edr(conn, "alerts", &query).await;
            assert!(status.is_success(), "{page}");
            for a in page["items"].as_array().unwrap() {
                ids.push(a["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => {
                    query = format!("limit=1000&enableCursor=true&excludeTotal=true&cursor={c}")
                }
                None => return ids,
            }
        }
    }

    /// Asserts every device and alert of the simulator is stored exactly once.
    async fn assert_exact(&self, conn: &str, devices: u64, alerts: u64, ctx: &str) {
        let (_, d) = self.edr(conn, "devices", "limit=1").await;
        assert_eq!(d["total"], devices, "devices: {ctx}");
        let (_, a) = self.edr(conn, "alerts", "limit=1").await;
        assert_eq!(a["total"], alerts, "alerts: {ctx}");
        let ids = self.alert_ids(conn).await;
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(
            (ids.len() as u64, distinct.len() as u64),
            (alerts, alerts),
            "every alert once: {ctx}"
        );
    }
}

fn assert_platform_failure(c: &Value, needle: &str, ctx: &str) {
    let h = &c["health"];
    assert_eq!(h["name"], "INTERNAL_ERROR", "{ctx}: {c}");
    assert_eq!(h["resolution_owner"], "LEEN", "{ctx}: {c}");
    let details = h["details"].as_array().expect("details");
    assert!(
        details.iter().any(|d| d["message"]
            .as_str()
            .is_some_and(|m| m.contains(needle) && m.contains("retried within minutes"))),
        "{ctx}: a clear message naming {needle:?}: {c}"
    );
}

/// The dead worker: claims the queued job with a lease that has already run out, as a
/// worker that died right after claiming leaves it; the scheduler pass then finds it.
async fn lose_the_worker(app: &TestApp) {
    let running = app.app.as_ref().unwrap();
    let now = Utc::now();
    let claimed = running
        .store()
        .claim_job("dead-worker", now, now - chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert!(claimed.is_some(), "a job was queued");
    running.engine().schedule_once().await.unwrap();
}

#[tokio::test]
async fn a_lost_worker_is_retried_after_a_doubling_backoff_that_success_resets() {
    for db in backends("platform_retry_lost_worker") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        fast_retries(&mut config);
        // The first lost worker abandons the job (the re-queue path has its own test).
        config.engine.max_attempts = 1;
        let app = TestApp::spawn_with(db, dir, config).await;
        let ctx = format!("{:?}", app.backend());
        let sim = sim(SimVendor::Sentinelone, 20, 50).await;
        let org = app.create_org("lost").await;
        let conn = app.connect(&org, "SENTINELONE", sim.credentials()).await;

        // The creation job's worker dies: INTERNAL_ERROR, retried after FIRST_MS, not
        // after the refresh interval (4 h).
        lose_the_worker(&app).await;
        let c = app.connection(&org, &conn).await;
        assert_platform_failure(&c, "worker", &ctx);
        assert_eq!(retry_in_ms(&c), FIRST_MS as i64, "{ctx}: {c}");
        assert_eq!(c["refresh_interval_secs"], 14_400, "{c}");

        // Still ours the next time: the wait doubles.
        let jobs = format!("{}/{conn}/jobs", connections_path(&org));
        let (s, _) = app.post(&jobs, json!({})).await;
        assert!(s.is_success());
        lose_the_worker(&app).await;
        let c = app.connection(&org, &conn).await;
        assert_platform_failure(&c, "worker", &ctx);
        assert_eq!(retry_in_ms(&c), 2 * FIRST_MS as i64, "{ctx}: doubled: {c}");
        assert_eq!(c["health"]["consecutive_failures"], 2, "{c}");

        // The retry runs when due and heals the connection; its schedule is normal again.
        let job = app.retry_when_due(&org, &conn).await;
        assert_eq!(job["status"], "SUCCEEDED", "{ctx}: {job}");
        let c = app.connection(&org, &conn).await;
        assert_eq!(c["health"]["name"], "HEALTHY", "{ctx}: {c}");
        assert!(
            retry_in_ms(&c) > 3_600_000,
            "{ctx}: the refresh interval: {c}"
        );
        app.assert_exact(&conn, 20, 50, &ctx).await;

        // Success reset the count: the next lost worker waits FIRST_MS again.
        let (s, _) = app.post(&jobs, json!({})).await;
        assert!(s.is_success());
        lose_the_worker(&app).await;
        let c = app.connection(&org, &conn).await;
        assert_eq!(retry_in_ms(&c), FIRST_MS as i64, "{ctx}: reset: {c}");
        app.stop().await;
        sim.shutdown().await.unwrap();
    }
}

const ALERTS: u64 = 5_000;
const DEVICES: u64 = 120;

/// A trigger that refuses alert writes once 2,000 alerts are stored: the third page of
/// the sync (1,000 alerts a page) fails in the database, the two before it stay.
fn refuse_alert_writes(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts \
             WHEN (SELECT count(*) FROM alerts) >= 2000 \
             BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse_alerts() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF (SELECT count(*) FROM alerts) >= 2000 THEN \
             RAISE EXCEPTION 'the disk refused the write'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts \
             FOR EACH ROW EXECUTE FUNCTION refuse_alerts();"
        }
    }
}

#[tokio::test]
async fn a_storage_failure_mid_sync_is_retried_within_the_backoff_with_nothing_lost() {
    for db in backends("platform_retry_storage") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        fast_retries(&mut config);
        let app = TestApp::spawn_with(db, dir, config).await;
        let ctx = format!("{:?}", app.backend());
        app.db
            .execute(refuse_alert_writes(app.backend()))
            .await
            .unwrap();
        let sim = sim(SimVendor::Sentinelone, DEVICES, ALERTS).await;
        let org = app.create_org("storage").await;
        let conn = app.connect(&org, "SENTINELONE", sim.credentials()).await;
        let job = app.first_job(&org, &conn).await;
        assert_eq!(job["health"], "INTERNAL_ERROR", "{ctx}: {job}");
        assert_eq!(
            export(&job, "devices")["records_upserted"],
            DEVICES,
            "{job}"
        );
        assert_eq!(export(&job, "alerts")["records_upserted"], 2_000, "{job}");
        let c = app.connection(&org, &conn).await;
        assert_platform_failure(&c, "storage error", &ctx);
        assert_eq!(retry_in_ms(&c), FIRST_MS as i64, "{ctx}: {c}");

        // The disk recovers; the retry resumes after the two committed pages.
        let repair = match app.backend() {
            Backend::Sqlite => "DROP TRIGGER refuse_alerts",
            Backend::Postgres => "DROP TRIGGER refuse_alerts ON alerts",
        };
        app.db.execute(repair).await.unwrap();
        let retry = app.retry_when_due(&org, &conn).await;
        assert_eq!(retry["health"], "HEALTHY", "{ctx}: {retry}");
        let resumed = export(&retry, "alerts")["records_upserted"]
            .as_u64()
            .unwrap();
        assert!(
            resumed < ALERTS,
            "{ctx}: resumed from the watermark: {retry}"
        );
        app.assert_exact(&conn, DEVICES, ALERTS, &ctx).await;
        let c = app.connection(&org, &conn).await;
        assert_eq!(c["health"]["details"], Value::Null, "{c}");
        app.stop().await;
        sim.shutdown().await.unwrap();
    }
}

const RESTART_ALERTS: u64 = 15_000;

/// The case: the database restarts in the middle of a large sync. A private
/// PostgreSQL server is stopped (`pg_ctl stop -m fast`) while alert pages are being
/// committed, and started again once the worker has met the outage. The process keeps
/// running; the worker records the failure when the database is back (INTERNAL_ERROR /
/// LEEN); the retry runs after the backoff and the connection is HEALTHY with every
/// record exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_mid_sync_heals_within_the_backoff_with_nothing_lost() {
    const TEST: &str = "platform_retry_database_restart";
    if std::env::var(POSTGRES_ENV).is_err() {
        eprintln!("SKIPPED (PostgreSQL): {TEST}: set {POSTGRES_ENV} to run it");
        return;
    }
    let Some(pg) = PrivatePostgres::start(TEST).await else {
        return;
    };
    let db = TestDatabase::postgres_at(&pg.url());
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    fast_retries(&mut config);
    // A query waits at most 2 s for the database before failing (default 30 s).
    config.database_acquire_timeout_secs = 2;
    let app = TestApp::spawn_with(db, dir, config).await;
    let sim = spawn(
        SimConfig::new(SimVendor::Sentinelone)
            .devices(DEVICES)
            .alerts(RESTART_ALERTS)
            .fault("threats:slow=100".parse::<FaultSpec>().unwrap()),
    )
    .await
    .unwrap();
    let org = app.create_org("restart").await;
    let conn = app.connect(&org, "SENTINELONE", sim.credentials()).await;
    let engine = app.app.as_ref().unwrap().engine();
    let worker = tokio::spawn({
        let engine = engine.clone();
        async move { engine.run_one().await }
    });

    // Mid-sync: alert pages are being fetched and committed.
    let threats = || {
        let requests = sim.control().requests();
        let pages = requests
            .iter()
            .filter(|r| r.path.contains("/threats"))
            .count();
        let expiry = requests
            .iter()
            .any(|r| r.path.contains("api-token-details"));
        (pages, expiry)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while threats().0 < 4 {
        assert!(
            Instant::now() < deadline,
            "the sync never reached the alerts"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pg.stop_server().await;
    let pages_before = threats().0;

    // The worker meets the outage: its page commit fails and the export ends; the
    // credential's expiry check (the job's last vendor call) says it is done with the
    // vendor and waits to record. The process and its API keep running meanwhile.
    while !threats().1 {
        assert!(
            Instant::now() < deadline,
            "the worker never left the vendor"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!worker.is_finished(), "the worker waits for the store");
    let (status, body) = app.get(&connections_path(&org)).await;
    assert!(status.is_server_error(), "{status}: {body}");
    assert!(
        threats().0 < (RESTART_ALERTS / 1000) as usize,
        "the sync stopped at the outage: {} of {} pages",
        threats().0,
        RESTART_ALERTS / 1000
    );

    pg.start_server().await;
    let back = Instant::now();
    let outcome = worker
        .await
        .unwrap()
        .unwrap()
        .expect("the job was recorded");
    assert_eq!(outcome.health, Some(HealthName::InternalError));
    let recorded = back.elapsed();
    let c = app.connection(&org, &conn).await;
    assert_platform_failure(&c, "storage error", "restart");
    assert_eq!(retry_in_ms(&c), FIRST_MS as i64, "{c}");

    // The vendor is fast again: what remains is our retry, not the simulator's pacing.
    sim.control().clear_faults(None, None);
    let retry = app.retry_when_due(&org, &conn).await;
    assert_eq!(retry["health"], "HEALTHY", "{retry}");
    let c = app.connection(&org, &conn).await;
    assert_eq!(c["health"]["name"], "HEALTHY", "{c}");
    let healthy = back.elapsed();
    let resync = at(&retry["finished_at"]) - at(&retry["started_at"]);
    app.assert_exact(&conn, DEVICES, RESTART_ALERTS, "restart")
        .await;
    eprintln!(
        "database restart mid-sync: stopped after {pages_before} of {} alert pages; \
         failure recorded {recorded:?} after the database was back, HEALTHY {healthy:?} \
         after (backoff {FIRST_MS} ms, then the resumed sync of {} alerts: {} ms)",
        RESTART_ALERTS / 1000,
        export(&retry, "alerts")["records_upserted"],
        resync.num_milliseconds()
    );
    app.stop().await;
    sim.shutdown().await.unwrap();
    drop(pg);
}
