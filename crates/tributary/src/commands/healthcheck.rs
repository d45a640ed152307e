use crate::config::Config;

/// Asks a running server's `/readyz`; an error (exit 1) unless it answers 200.
pub async fn run(config: &Config, url: Option<String>) -> anyhow::Result<()> {
    let base = url.unwrap_or_else(|| format!("http://{}", config.listen));
    let target = format!("{}/readyz", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    let response = client
        .get(&target)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{target} is not reachable: {e}"))?;
    if response.status().is_success() {
        println!("ready: {target}");
        Ok(())
    } else {
        anyhow::bail!("not ready: {target} answered {}", response.status())
    }
}
