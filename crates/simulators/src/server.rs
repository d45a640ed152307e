//! Serving a simulator: the request pipeline every vendor shares (log, faults, auth,
//! vendor handler, body faults, rate-limit headers), `serve`, `spawn` and the handle.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Instant};

use anyhow::Context;
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    middleware::{self, Next},
    response::Response,
    Router,
};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::{
    admin,
    config::SimConfig,
    control::SimControl,
    fake::fmt_ts,
    faults::{Action, Decision},
    requests::RecordedRequest,
    respond::apply_body_faults,
    sim::{Caller, Sim, PRIMARY},
    vendors::SimVendor,
};

/// Largest request body read (entity calls carry at most a few thousand ids).
const MAX_REQUEST_BODY: usize = 8 * 1024 * 1024;

/// The router: the vendor API behind the shared pipeline, and the admin API under `/_sim`.
fn app(sim: Arc<Sim>, control: SimControl) -> Router {
    let api = sim
        .api
        .router()
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(sim.clone(), pipeline));
    api.with_state(sim)
        .nest("/_sim", admin::admin_router().with_state(control))
}

async fn not_found(State(sim): State<Arc<Sim>>) -> Response {
    sim.api.error(&sim, None, 404, 0)
}

/// Every API request: record it, apply faults, authorize, run the handler, rewrite the
/// body for body faults, add the vendor's headers, record the outcome.
async fn pipeline(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let endpoint = sim.api.endpoint(&parts.method, parts.uri.path());
    let Ok(bytes) = to_bytes(body, MAX_REQUEST_BODY).await else {
        return sim.api.error(&sim, endpoint, 413, 0);
    };
    let ident = sim.api.identify(&sim, &parts, &bytes);
    let seq = sim.log.start(RecordedRequest {
        seq: 0,
        at: fmt_ts(sim.world.clock.now_ns(), 6),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        endpoint: endpoint.map(str::to_owned),
        credential: ident.credential.clone(),
        auth: ident.auth,
        form: ident.form,
        body: body_excerpt(&parts, &bytes),
        status: None,
        faults: vec![],
        duration_ms: None,
    });
    let decision = match endpoint {
        Some(e) => sim
            .faults
            .decide(ident.credential.as_deref(), e, Instant::now()),
        None => Decision::default(),
    };
    sim.log.finish(seq, |r| r.faults = decision.applied.clone());
    if !decision.delay.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(decision.delay) => {}
            _ = sim.shutdown.cancelled() => {}
        }
    }
    let resp = match decision.action {
        Some(Action::Hang) => {
            sim.shutdown.cancelled().await;
            sim.api.error(&sim, endpoint, 503, 0)
        }
        Some(Action::Status {
            code,
            retry_after_secs,
        }) => sim.api.error(&sim, endpoint, code, retry_after_secs),
        Some(Action::Error200 { code }) => {
            let mut resp = sim.api.error(&sim, endpoint, code, 0);
            *resp.status_mut() = axum::http::StatusCode::OK;
            resp
        }
        None => {
            let refused = endpoint
                .is_some_and(|e| !is_token_endpoint(e) && !sim.api.authorized(&sim, &parts));
            if refused {
                sim.api.error(&sim, endpoint, 401, 0)
            } else {
                let mut req = Request::from_parts(parts, Body::from(bytes));
                req.extensions_mut()
                    .insert(Caller(ident.credential.clone()));
                next.run(req).await
            }
        }
    };
    let mut resp = apply_body_faults(&sim, endpoint, resp, decision.body).await;
    sim.api.decorate(&sim, endpoint, &decision, &mut resp);
    let status = resp.status().as_u16();
    sim.log.finish(seq, |r| {
        r.status = Some(status);
        r.duration_ms = Some(started.elapsed().as_millis() as u64);
    });
    resp
}

fn is_token_endpoint(endpoint: &str) -> bool {
    endpoint == "token"
}

fn body_excerpt(parts: &axum::http::request::Parts, bytes: &[u8]) -> Option<String> {
    let is_json = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !is_json || bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    Some(text.into_owned())
}

/// A simulator bound to a listener, not yet serving: its credentials can be printed first.
pub struct Simulator {
    sim: Arc<Sim>,
    vendor: SimVendor,
    listener: TcpListener,
    advance_every: Option<std::time::Duration>,
}

impl Simulator {
    /// Prepares a simulator on `listener` (faults from the config are applied).
    pub fn new(config: SimConfig, listener: TcpListener) -> anyhow::Result<Simulator> {
        let addr = listener
            .local_addr()
            .context("reading the listener's address")?;
        let base_url = config.public_url.clone().unwrap_or_else(|| url_for(addr));
        let sim = config.build(&base_url)?;
        let control = SimControl::new(sim.clone(), config.vendor);
        for f in &config.faults {
            control.add_fault(f.clone())?;
        }
        Ok(Simulator {
            sim,
            vendor: config.vendor,
            listener,
            advance_every: config.advance_every,
        })
    }

    pub fn control(&self) -> SimControl {
        SimControl::new(self.sim.clone(), self.vendor)
    }

    pub fn vendor(&self) -> SimVendor {
        self.vendor
    }

    /// Lines the vendor adds to the summary: (JSON member, label, value).
    pub(crate) fn summary_extras(&self) -> Vec<crate::sim::SummaryExtra> {
        self.sim.api.summary_extras(&self.sim)
    }

    /// Records of each collection at start, in the vendor's order.
    pub(crate) fn collection_counts(&self) -> Vec<(&'static str, u64)> {
        self.sim.world.counts()
    }

    /// The API root clients use.
    pub fn base_url(&self) -> String {
        self.sim.base_url.clone()
    }

    /// The admin API root (`{base_url}/_sim`).
    pub fn admin_url(&self) -> String {
        format!("{}/_sim", self.sim.base_url)
    }

    /// The primary credential, shaped for a create-connection request.
    pub fn credentials(&self) -> Value {
        self.sim.credentials_of(PRIMARY).unwrap_or(Value::Null)
    }

    /// Serves until `shutdown` completes (hanging requests are released then).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let control = self.control();
        let sim = self.sim;
        let token = sim.shutdown.clone();
        tokio::spawn({
            let token = token.clone();
            async move {
                tokio::select! {
                    _ = shutdown => token.cancel(),
                    _ = token.cancelled() => {}
                }
            }
        });
        if let Some(every) = self.advance_every {
            tokio::spawn(advance_periodically(control.clone(), every));
        }
        axum::serve(self.listener, app(sim, control))
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await
            .context("serving the simulator")
    }
}

async fn advance_periodically(control: SimControl, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let shutdown = control.shutdown_token();
    loop {
        tokio::select! {
            _ = tick.tick() => { control.tick(); }
            _ = shutdown.cancelled() => return,
        }
    }
}

/// `http://ADDR`, with an unspecified address replaced by loopback.
fn url_for(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

/// Serves the simulator described by `config` on `listener` until `shutdown` completes.
pub async fn serve(
    config: SimConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    Simulator::new(config, listener)?.run(shutdown).await
}

/// Starts a simulator on `127.0.0.1:0` in the background. It is ready to serve when
/// this returns; it stops on [`RunningSimulator::shutdown`] or when the handle is dropped.
pub async fn spawn(config: SimConfig) -> anyhow::Result<RunningSimulator> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding 127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let simulator = Simulator::new(config, listener)?;
    let (sim, vendor) = (simulator.sim.clone(), simulator.vendor);
    let task = tokio::spawn(simulator.run(std::future::pending()));
    Ok(RunningSimulator {
        sim,
        vendor,
        addr,
        task: Some(task),
    })
}

/// A simulator serving in the background.
pub struct RunningSimulator {
    sim: Arc<Sim>,
    vendor: SimVendor,
    addr: SocketAddr,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningSimulator {
    /// The API root, e.g. `http://127.0.0.1:PORT` (the host part: vendors whose API lives
    /// under a path prefix serve it below this URL).
    pub fn base_url(&self) -> String {
        self.sim.base_url.clone()
    }

    /// Where token endpoints live for vendors whose login host is separate from the API
    /// host; the simulator serves both on one listener.
    pub fn login_base_url(&self) -> String {
        self.sim.base_url.clone()
    }

    /// The admin API root (`{base_url}/_sim`).
    pub fn admin_url(&self) -> String {
        format!("{}/_sim", self.sim.base_url)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn vendor(&self) -> SimVendor {
        self.vendor
    }

    /// The primary credential, shaped for a create-connection request.
    pub fn credentials(&self) -> Value {
        self.sim.credentials_of(PRIMARY).unwrap_or(Value::Null)
    }

    pub fn control(&self) -> SimControl {
        SimControl::new(self.sim.clone(), self.vendor)
    }

    /// Stops serving and waits until the listener is closed.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.sim.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.context("simulator task")?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.sim.shutdown.cancel();
    }
}
