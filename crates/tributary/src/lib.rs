//! The `tributary` program as a library: configuration, the roles a process runs
//! (API server, scheduler, workers) and the CLI commands. `main.rs` only parses
//! arguments; tests start the same [`App`] in-process on `127.0.0.1:0`.

pub mod cli;
pub mod commands;
pub mod config;
pub mod runtime;

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tributary_api::{rate_limit::RateLimiter, AppState};
use tributary_connectors::{guard::UrlGuard, Registry};
use tributary_engine::{Engine, Roles};
use tributary_store::Store;

pub use config::Config;

/// A running Tributary process: its API address (if it serves) and its tasks.
pub struct App {
    pub addr: Option<SocketAddr>,
    pub state: AppState,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl App {
    /// Starts the configured roles with the built-in vendors. With the `api` role,
    /// serves on `listener` (or binds `config.listen`).
    pub async fn start(config: &Config, listener: Option<TcpListener>) -> anyhow::Result<App> {
        Self::start_with(config, listener, Registry::builtin()).await
    }

    /// [`App::start`] with the vendors of `registry` (a test can add a vendor of its own).
    pub async fn start_with(
        config: &Config,
        listener: Option<TcpListener>,
        registry: Registry,
    ) -> anyhow::Result<App> {
        let store = runtime::open_store(config).await?;
        let keyring = Arc::new(runtime::keyring(config, store.as_ref()).await?);
        let guard = UrlGuard::from_list(&config.allow_vendor_hosts);
        let engine = Arc::new(Engine::new(
            store.clone(),
            Arc::new(registry),
            keyring.clone(),
            &guard,
            config.engine_settings(),
        ));
        let settings = config.api_settings();
        let state = AppState {
            store: store.clone(),
            keyring,
            engine: engine.clone(),
            guard,
            limiter: Arc::new(RateLimiter::new(settings.rate_limit)),
            settings: Arc::new(settings),
            metrics: Some(tributary_api::telemetry::metrics_handle()),
        };
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let mut addr = None;
        if config.has_role("api") {
            let listener = match listener {
                Some(l) => l,
                None => TcpListener::bind(&config.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", config.listen))?,
            };
            addr = Some(listener.local_addr()?);
            let (state, token) = (state.clone(), shutdown.clone());
            tasks.spawn(async move {
                tributary_api::serve(listener, state, async move { token.cancelled().await })
                    .await
                    .context("API server failed")
            });
        }
        let roles = Roles {
            workers: config.has_role("worker"),
            scheduler: config.has_role("scheduler"),
            delivery: config.has_role("delivery"),
        };
        engine.spawn(roles, shutdown.clone(), &mut tasks);
        Ok(App {
            addr,
            state,
            shutdown,
            tasks,
        })
    }

    pub fn engine(&self) -> Arc<Engine> {
        self.state.engine.clone()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// `http://ADDR` of the API.
    pub fn base_url(&self) -> Option<String> {
        self.addr.map(|a| format!("http://{a}"))
    }

    /// Runs until a task fails or `signal` resolves, then stops gracefully.
    pub async fn run_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let result = tokio::select! {
            _ = signal => Ok(()),
            Some(done) = self.tasks.join_next() => match done {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("a task panicked: {e}")),
            },
        };
        self.stop().await;
        result
    }

    /// Stops every role: the API drains requests, workers release their jobs.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while let Some(r) = self.tasks.join_next().await {
            if let Ok(Err(e)) = r {
                tracing::warn!(error = %e, "task ended with an error during shutdown");
            }
        }
        self.state.store.close().await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
