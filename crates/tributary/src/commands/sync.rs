//! `tributary sync CONNECTION_ID`: run a connection's job now, in the foreground, with
//! a live progress line; exit non-zero unless the connection ends up healthy.

use std::{sync::Arc, time::Duration};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Notify;
use tributary_connectors::guard::UrlGuard;
use tributary_engine::Engine;
use tributary_model::job::{Job, JobStatus, JobTrigger};
use tributary_store::StoreError;
use uuid::Uuid;

use crate::{config::Config, runtime};

fn progress_line(job: &Job) -> String {
    job.exports
        .iter()
        .map(|e| {
            format!(
                "{}: {} upserted, {} quarantined, {} pages",
                e.data_export_type, e.records_upserted, e.records_quarantined, e.pages
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub async fn run(config: &Config, connection: Uuid) -> anyhow::Result<()> {
    let store = runtime::open_store(config).await?;
    let keyring = Arc::new(runtime::keyring(config, store.as_ref()).await?);
    let account = store
        .connection_account(connection)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no connection {connection}"))?;
    let job_id = match store
        .enqueue_job(account, connection, JobTrigger::Manual)
        .await
    {
        Ok(job) => job.id,
        Err(StoreError::JobAlreadyActive(id)) => {
            eprintln!("a job is already queued or running ({id}); following it");
            id
        }
        Err(StoreError::Invalid(_)) => anyhow::bail!("connection {connection} is not ACTIVE"),
        Err(e) => return Err(e.into()),
    };
    let guard = UrlGuard::from_list(&config.allow_vendor_hosts);
    let engine = Engine::new(
        store.clone(),
        keyring,
        &guard,
        config.engine_settings(),
        Arc::new(Notify::new()),
    );
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("waiting for the job to start");
    // Run queued jobs here until ours is done (a running server may take it instead).
    let runner = {
        let store = store.clone();
        async move {
            loop {
                let done = store
                    .get_job(account, job_id)
                    .await?
                    .is_none_or(|j| j.status.is_finished());
                if done {
                    return Ok::<(), anyhow::Error>(());
                }
                if engine.run_one().await?.is_none() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    };
    let watcher = {
        let (store, bar) = (store.clone(), bar.clone());
        async move {
            loop {
                if let Ok(Some(job)) = store.get_job(account, job_id).await {
                    bar.set_message(format!(
                        "{} {}",
                        job.status,
                        progress_line(&job.to_wire(chrono::Utc::now()))
                    ));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    tokio::select! {
        r = runner => r?,
        _ = watcher => {}
        _ = crate::shutdown_signal() => {
            bar.abandon_with_message("interrupted; the job's lease will expire and another worker will resume it");
            anyhow::bail!("interrupted");
        }
    }
    let job = store
        .get_job(account, job_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job vanished"))?
        .to_wire(chrono::Utc::now());
    bar.finish_and_clear();
    println!(
        "job {} {} in {:.1} s — {}",
        job.id,
        job.status,
        job.duration_secs.unwrap_or(0.0),
        progress_line(&job)
    );
    let health = job
        .health
        .map(|h| h.to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("health: {health}");
    if let Some(err) = &job.error {
        println!("error: {err}");
    }
    store.close().await;
    if job.status == JobStatus::Succeeded {
        Ok(())
    } else {
        anyhow::bail!("the sync did not succeed ({health})")
    }
}
