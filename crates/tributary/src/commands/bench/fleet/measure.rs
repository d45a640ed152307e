//! What the fleet benchmark measures: CPU and memory from `/proc` (this process split
//! into the node and the simulators' threads, plus any worker processes), job start
//! lag from the jobs' own times, and the API's List Connections latency under load.

use std::{
    process::Child,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use tributary_store::retention::JobTiming;

use crate::commands::api_client::ApiClient;

/// Linux's USER_HZ: the unit of utime and stime in `/proc/*/stat` on every mainstream
/// architecture.
const TICKS_PER_SEC: f64 = 100.0;

/// utime + stime in seconds from a `/proc/…/stat` line, and the thread's name.
fn cpu_of_stat(stat: &str) -> Option<(String, f64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_owned();
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let utime: f64 = rest.get(11)?.parse().ok()?;
    let stime: f64 = rest.get(12)?.parse().ok()?;
    Some((name, (utime + stime) / TICKS_PER_SEC))
}

/// CPU seconds used so far by this process: (node, simulators). The simulators'
/// threads live as long as the run; the node's total includes threads that ended
/// (the process's own figure counts them, a walk of live threads would not).
pub fn own_cpu() -> (f64, f64) {
    let mut sims = 0.0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            if let Some((name, secs)) = cpu_of_stat(&stat) {
                if name.starts_with("fleet-sim") {
                    sims += secs;
                }
            }
        }
    }
    let total = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| cpu_of_stat(&s))
        .map_or(0.0, |(_, s)| s);
    ((total - sims).max(0.0), sims)
}

/// CPU seconds used so far by process `pid`.
pub fn process_cpu(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| cpu_of_stat(&s))
        .map_or(0.0, |(_, s)| s)
}

/// Peak resident memory of process `pid` (`self` for this one), in MiB.
pub fn peak_rss_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Percentiles of a sample, in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    pub n: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(mut xs: Vec<f64>) -> Spread {
        if xs.is_empty() {
            return Spread::default();
        }
        xs.sort_by(f64::total_cmp);
        let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
        Spread {
            n: xs.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: xs[xs.len() - 1],
        }
    }
}

/// Start lag of the jobs that started in `[from, to]`: due to started, and its two
/// parts (due to queued: the scheduler; queued to started: the workers).
pub struct Lag {
    pub start: Spread,
    pub scheduling: Spread,
    pub queue: Spread,
    pub finished: usize,
}

pub fn lag(timings: &[JobTiming], from: DateTime<Utc>, to: DateTime<Utc>) -> Lag {
    let secs = |a: DateTime<Utc>, b: DateTime<Utc>| {
        ((b - a).num_microseconds().unwrap_or(0) as f64 / 1e6).max(0.0)
    };
    let mut start = Vec::new();
    let mut scheduling = Vec::new();
    let mut queue = Vec::new();
    for t in timings {
        let (Some(due), Some(started)) = (t.due_at, t.started_at) else {
            continue;
        };
        if started < from || started > to {
            continue;
        }
        start.push(secs(due, started));
        scheduling.push(secs(due, t.created_at));
        queue.push(secs(t.created_at, started));
    }
    let finished = timings
        .iter()
        .filter(|t| t.finished_at.is_some_and(|f| f >= from && f <= to))
        .count();
    Lag {
        start: Spread::of(start),
        scheduling: Spread::of(scheduling),
        queue: Spread::of(queue),
        finished,
    }
}

/// Reads the large organization's unhealthy connections (List Connections with
/// `healthStatusCodes`) over real HTTP every `every` until `stop`; the latencies.
pub async fn probe_api(
    api: ApiClient,
    org: uuid::Uuid,
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
) -> (Spread, usize) {
    let path = format!(
        "/provisioning/organizations/{org}/connections\
         ?healthStatusCodes=UNAUTHORIZED,VENDOR_SERVER_ERROR,RATE_LIMIT_EXCEEDED&limit=100"
    );
    let mut latencies = Vec::new();
    let mut errors = 0;
    while !stop.is_cancelled() {
        let t = Instant::now();
        match api.get(&path).await {
            Ok(_) => latencies.push(t.elapsed().as_secs_f64()),
            Err(e) => {
                errors += 1;
                if errors == 1 {
                    eprintln!("  List Connections failed: {e}");
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.cancelled() => {}
        }
    }
    (Spread::of(latencies), errors)
}

/// Worker processes (`tributary serve` with `TRIBUTARY_ROLES=worker`) on the same
/// PostgreSQL schema and master key as this process.
pub struct Workers {
    children: Vec<Child>,
}

impl Workers {
    pub fn spawn(
        n: u32,
        config: &crate::config::Config,
        concurrency: usize,
    ) -> anyhow::Result<Workers> {
        let exe = std::env::current_exe()?;
        let mut children = Vec::new();
        for _ in 0..n {
            let mut cmd = std::process::Command::new(&exe);
            cmd.args(["serve", "--listen", "127.0.0.1:0"])
                .env("TRIBUTARY_ROLES", "worker")
                .env("TRIBUTARY_DATA_DIR", &config.data_dir)
                .env("TRIBUTARY_MASTER_KEY_FILE", config.master_key_path())
                .env("TRIBUTARY_ALLOW_VENDOR_HOSTS", &config.allow_vendor_hosts)
                .env("TRIBUTARY_LOG_LEVEL", "warn")
                .env("TRIBUTARY_ENGINE__WORKERS", concurrency.to_string())
                .env(
                    "TRIBUTARY_ENGINE__POLL_INTERVAL_MS",
                    config.engine.poll_interval_ms.to_string(),
                )
                .env(
                    "TRIBUTARY_ENGINE__MAX_RETRIES",
                    config.engine.max_retries.to_string(),
                )
                .env(
                    "TRIBUTARY_ENGINE__RETRY_BASE_MS",
                    config.engine.retry_base_ms.to_string(),
                )
                .env(
                    "TRIBUTARY_ENGINE__RETRY_MAX_WAIT_SECS",
                    config.engine.retry_max_wait_secs.to_string(),
                )
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            if let Some(url) = &config.database_url {
                cmd.env("DATABASE_URL", url);
            }
            if let Some(schema) = &config.database_schema {
                cmd.env("TRIBUTARY_DATABASE_SCHEMA", schema);
            }
            children.push(cmd.spawn()?);
        }
        Ok(Workers { children })
    }

    /// CPU seconds the worker processes used so far.
    pub fn cpu(&self) -> f64 {
        self.children.iter().map(|c| process_cpu(c.id())).sum()
    }

    /// The largest peak RSS among the worker processes, in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        self.children
            .iter()
            .filter_map(|c| peak_rss_mib(&c.id().to_string()))
            .reduce(f64::max)
    }

    pub fn len(&self) -> usize {
        self.children.len()
    }

    pub fn stop(mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
