//! A source that cannot be the bottleneck: SentinelOne's list pages, rendered by the
//! simulator into a scratch file before anything is timed, then served over loopback
//! HTTP as SentinelOne serves them (`{"data": [...], "pagination": {"nextCursor"}}`,
//! `Authorization: ApiToken …`). Serving a page is one file read; the pages stay in the
//! page cache, not in this process's memory. [`PreRendered::read_all`] times a client
//! reading every page without parsing or storing: the source-alone rate.

use std::{
    collections::HashMap,
    io::Write,
    os::unix::fs::FileExt,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};
use tributary_connectors::vendors::sentinelone::endpoints::{AGENTS, API_TOKEN_DETAILS, THREATS};
use tributary_simulators::SimConfig;

/// Records per page (SentinelOne's maximum, what the connector asks for).
const PAGE: u64 = 1_000;
const TOKEN: &str = "bench-prerendered";

/// Where one page's records are in the file.
#[derive(Clone, Copy)]
struct PageAt {
    offset: u64,
    len: usize,
}

struct Pages {
    file: std::fs::File,
    by_endpoint: HashMap<&'static str, Vec<PageAt>>,
}

/// The running source; the scratch file goes when it is dropped.
pub struct PreRendered {
    base_url: String,
    pages: Arc<Pages>,
    path: PathBuf,
    /// Records per endpoint, in serving order.
    pub totals: Vec<(&'static str, u64)>,
    /// Bytes of rendered records.
    pub bytes: u64,
    /// Time spent rendering (not part of any figure).
    pub render_time: Duration,
    task: tokio::task::JoinHandle<()>,
}

impl PreRendered {
    /// Renders `devices` agents and `alerts` threats of `sim` and serves them.
    pub async fn start(sim: SimConfig, devices: u64, alerts: u64) -> anyhow::Result<PreRendered> {
        let path =
            std::env::temp_dir().join(format!("tributary-bench-pages-{}", uuid::Uuid::now_v7()));
        let started = Instant::now();
        let (by_endpoint, bytes) = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || render(&sim, &path, devices, alerts)).await??
        };
        let render_time = started.elapsed();
        let file = std::fs::File::open(&path).context("the rendered pages")?;
        let pages = Arc::new(Pages { file, by_endpoint });
        let app = Router::new()
            .route(AGENTS, get(page))
            .route(THREATS, get(page))
            .route(
                API_TOKEN_DETAILS,
                post(|| async { axum::Json(json!({"data": {"expiresAt": null}})) }),
            )
            .with_state(pages.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(PreRendered {
            base_url,
            pages,
            path,
            totals: vec![(AGENTS, devices), (THREATS, alerts)],
            bytes,
            render_time,
            task,
        })
    }

    /// The create-connection `credentials` of a SentinelOne connection to this source.
    pub fn credentials(&self) -> Value {
        json!({"base_url": self.base_url, "api_token": TOKEN})
    }

    /// Reads every page over HTTP, as the connector asks for them, and only counts the
    /// bytes: records per second the source alone delivers.
    pub async fn read_all(&self) -> anyhow::Result<(u64, Duration)> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut records = 0;
        for (endpoint, total) in &self.totals {
            let pages = self.pages.by_endpoint[endpoint].len();
            for cursor in 0..pages {
                let body = client
                    .get(format!("{}{endpoint}", self.base_url))
                    .header("Authorization", format!("ApiToken {TOKEN}"))
                    .query(&[("limit", "1000"), ("cursor", &cursor.to_string())])
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                anyhow::ensure!(!body.is_empty(), "an empty page");
            }
            records += total;
        }
        Ok((records, started.elapsed()))
    }
}

impl Drop for PreRendered {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Renders both collections page by page into `path`.
fn render(
    sim: &SimConfig,
    path: &PathBuf,
    devices: u64,
    alerts: u64,
) -> anyhow::Result<(HashMap<&'static str, Vec<PageAt>>, u64)> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut by_endpoint = HashMap::new();
    let mut offset = 0u64;
    let mut buf = Vec::new();
    for (endpoint, collection, total) in [(AGENTS, "devices", devices), (THREATS, "alerts", alerts)]
    {
        let mut pages = Vec::new();
        let mut from = 0;
        while from < total {
            let count = PAGE.min(total - from);
            buf.clear();
            tributary_simulators::render_records(sim, collection, from, count, &mut buf)?;
            file.write_all(&buf)?;
            pages.push(PageAt {
                offset,
                len: buf.len(),
            });
            offset += buf.len() as u64;
            from += count;
        }
        by_endpoint.insert(endpoint, pages);
    }
    file.flush()?;
    Ok((by_endpoint, offset))
}

#[derive(serde::Deserialize)]
struct PageQuery {
    cursor: Option<String>,
}

/// A list endpoint: page `cursor` (0 when absent), then the next cursor, or null after
/// the last page.
async fn page(
    State(pages): State<Arc<Pages>>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("ApiToken {TOKEN}"));
    if !authorized {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let n: usize = q
        .cursor
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let Some(at) = pages
        .by_endpoint
        .get(uri.path())
        .and_then(|l| l.get(n))
        .copied()
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let last = pages.by_endpoint[uri.path()].len() == n + 1;
    let next = if last {
        "null".to_owned()
    } else {
        format!("\"{}\"", n + 1)
    };
    let tail = format!("],\"pagination\":{{\"nextCursor\":{next},\"totalItems\":null}}}}");
    // Read in place, not on the blocking pool: the page is in the page cache, and each
    // pool thread would keep a malloc arena of page-sized buffers (peak RSS is a figure).
    let mut body = Vec::with_capacity(at.len + 64);
    body.extend_from_slice(b"{\"data\":[");
    let start = body.len();
    body.resize(start + at.len, 0);
    if pages
        .file
        .read_exact_at(&mut body[start..], at.offset)
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    body.extend_from_slice(tail.as_bytes());
    ([("content-type", "application/json; charset=utf-8")], body).into_response()
}
