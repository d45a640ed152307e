//! `tributary sync CONNECTION_ID`: run a connection's job now, in the foreground, with
//! a live progress line; exit non-zero unless the connection ends up healthy.

use std::{sync::Arc, time::Duration};

use indicatif::{ProgressBar, ProgressStyle};
use tributary_api::app::wire;
use tributary_connectors::{guard::UrlGuard, Registry};
use tributary_engine::{Engine, Enqueued};
use tributary_model::job::{Job, JobStatus, JobTrigger};
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
    let guard = UrlGuard::from_list(&config.allow_vendor_hosts);
    let engine = Engine::new(
        store.clone(),
        Arc::new(Registry::builtin()),
        keyring,
        &guard,
        config.engine_settings(),
    );
    let job_id = match engine
        .enqueue(account, connection, JobTrigger::Manual)
        .await?
    {
        Enqueued::Queued(job) => job.id,
        Enqueued::AlreadyActive(id) => {
            eprintln!("a job is already queued or running ({id}); following it");
            id
        }
        Enqueued::NotActive => anyhow::bail!("connection {connection} is not ACTIVE"),
    };
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
                        progress_line(&wire::job(&job, chrono::Utc::now()))
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
        .ok_or_else(|| anyhow::anyhow!("job vanished"))?;
    let job = wire::job(&job, chrono::Utc::now());
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
