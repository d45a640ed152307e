use crate::{config::Config, shutdown_signal, App};

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let app = App::start(config, None).await?;
    if let Some(url) = app.base_url() {
        tracing::info!(%url, roles = ?config.roles, "Tributary is running; API docs at {url}/docs");
    } else {
        tracing::info!(roles = ?config.roles, "Tributary is running");
    }
    app.run_until(shutdown_signal()).await
}
