//! Running one job: open the credentials, sync each export in order under the job's
//! deadline, then turn the outcome into the job's record and the connection's health.

mod export;

use std::{sync::Arc, time::Duration};

use chrono::Utc;
pub use export::ExportStats;
use export::{sync_export, ExportEnd, ExportJob};
use tokio::time::Instant;
use tributary_connectors::{
    connector::{connector, start_watermark, Connector},
    http::VendorHttp,
};
use tributary_model::{
    credentials::Credentials,
    job::{ExportResult, JobStatus},
    DataExportType, HealthDetail, HealthName,
};
use tributary_store::models::{ClaimedJob, ConnectionHealthUpdate, JobFinish, NewHealthEvent};

use crate::{health, webhooks::events, Engine};

/// One export's outcome, before it becomes an [`ExportResult`] and a health detail.
struct ExportOutcome {
    export: DataExportType,
    endpoints: Vec<String>,
    stats: ExportStats,
    /// The failing endpoint and classification; None when the export succeeded.
    failure: Option<Failure>,
}

struct Failure {
    endpoint: String,
    name: HealthName,
    http_status: Option<u16>,
    message: String,
}

impl Engine {
    /// Runs a claimed job to completion and returns what to record.
    pub(crate) async fn run_job(&self, claimed: &ClaimedJob, worker: &str) -> JobFinish {
        let conn = &claimed.connection;
        let deadline = Instant::now() + Duration::from_secs(conn.timeout_secs.max(1) as u64);
        let specs = tributary_connectors::catalogue::exports(conn.vendor);
        let exports: Vec<(DataExportType, Vec<String>)> = specs
            .iter()
            .map(|s| {
                (
                    s.data_export_type,
                    s.endpoints.iter().map(|e| e.to_string()).collect(),
                )
            })
            .collect();
        if let Err(e) = self.store.begin_exports(claimed.job.id, &exports).await {
            tracing::error!(job = %claimed.job.id, error = %e, "could not record the job's exports");
        }
        let outcomes = match self.open_connector(claimed) {
            Ok(connector) => self.run_exports(claimed, worker, connector, deadline).await,
            Err(message) => exports
                .iter()
                .map(|(export, endpoints)| ExportOutcome {
                    export: *export,
                    endpoints: endpoints.clone(),
                    stats: ExportStats::default(),
                    failure: Some(Failure {
                        endpoint: endpoints[0].clone(),
                        name: HealthName::InternalError,
                        http_status: None,
                        message: message.clone(),
                    }),
                })
                .collect(),
        };
        self.finish_record(claimed, outcomes)
    }

    /// Opens the sealed credentials and builds the vendor connector.
    fn open_connector(&self, claimed: &ClaimedJob) -> Result<Arc<dyn Connector>, String> {
        let conn = &claimed.connection;
        let plain = self
            .keyring
            .open(conn.id, &conn.sealed_credentials)
            .map_err(|e| format!("stored credentials cannot be opened: {e}"))?;
        let json: serde_json::Value = serde_json::from_slice(&plain)
            .map_err(|_| "stored credentials are unreadable".to_owned())?;
        let creds = Credentials::parse(conn.vendor, &json)
            .map_err(|_| "stored credentials do not match the vendor's schema".to_owned())?;
        let http = VendorHttp::new(
            self.client.clone(),
            conn.vendor,
            self.settings.http.clone().into(),
        );
        Ok(connector(creds, conn.options.as_ref(), http))
    }

    async fn run_exports(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        connector: Arc<dyn Connector>,
        deadline: Instant,
    ) -> Vec<ExportOutcome> {
        let conn = &claimed.connection;
        let job = ExportJob {
            store: self.store.clone(),
            connection_id: conn.id,
            job_id: claimed.job.id,
            worker: worker.to_owned(),
        };
        let mut outcomes = Vec::new();
        for spec in connector.exports() {
            let export = spec.data_export_type;
            let endpoints: Vec<String> = spec.endpoints.iter().map(|e| e.to_string()).collect();
            let mut stats = ExportStats::default();
            let mut last_endpoint = spec.endpoints[0];
            let stored = match self.store.get_watermark(conn.id, export).await {
                Ok(w) => w,
                Err(e) => {
                    outcomes.push(storage_failure(export, endpoints, stats, last_endpoint, &e));
                    continue;
                }
            };
            let since = start_watermark(stored, conn.options.as_ref())
                .map(tributary_connectors::connector::format_watermark);
            let run = sync_export(
                &job,
                connector.clone(),
                export,
                since,
                &mut stats,
                &mut last_endpoint,
            );
            let failure = match tokio::time::timeout_at(deadline, run).await {
                Ok(ExportEnd::Done) if stats.quarantined > 0 => Some(Failure {
                    endpoint: last_endpoint.to_owned(),
                    name: HealthName::InternalError,
                    http_status: None,
                    message: format!(
                        "{} records could not be normalized; they are kept raw in quarantine",
                        stats.quarantined
                    ),
                }),
                Ok(ExportEnd::Done) => None,
                Ok(ExportEnd::Vendor(e)) => Some(Failure {
                    endpoint: e.endpoint.clone(),
                    name: e.health(),
                    http_status: e.http_status,
                    message: e.message.clone(),
                }),
                Ok(ExportEnd::Storage(e)) => Some(
                    storage_failure(export, vec![], stats, last_endpoint, &e)
                        .failure
                        .expect("failure"),
                ),
                Err(_elapsed) => Some(timeout_failure(last_endpoint, conn.timeout_secs)),
            };
            outcomes.push(ExportOutcome {
                export,
                endpoints,
                stats,
                failure,
            });
        }
        outcomes
    }

    /// Builds the job record and the connection's new health.
    fn finish_record(&self, claimed: &ClaimedJob, outcomes: Vec<ExportOutcome>) -> JobFinish {
        let conn = &claimed.connection;
        let now = Utc::now();
        let mut details = Vec::new();
        let mut exports = Vec::new();
        for o in outcomes {
            let name = o.failure.as_ref().map_or(HealthName::Healthy, |f| f.name);
            if let Some(f) = &o.failure {
                details.push(HealthDetail {
                    data_export_type: o.export,
                    endpoint: f.endpoint.clone(),
                    name: f.name,
                    http_status: f.http_status,
                    message: f.message.clone(),
                });
            }
            exports.push(ExportResult {
                data_export_type: o.export,
                endpoints: o.endpoints,
                records_upserted: o.stats.upserted,
                records_quarantined: o.stats.quarantined,
                pages: o.stats.pages,
                http_status: o.failure.as_ref().and_then(|f| f.http_status),
                error: o.failure.map(|f| f.message),
                health: name,
            });
        }
        let job_error = (!details.is_empty()).then(|| {
            details
                .iter()
                .map(|d| format!("{}: {} ({})", d.data_export_type, d.message, d.endpoint))
                .collect::<Vec<_>>()
                .join("; ")
        });
        let name = HealthName::most_urgent(details.iter().map(|d| d.name));
        let failures = if name.is_healthy() {
            0
        } else {
            conn.consecutive_failures.saturating_add(1)
        };
        let next = health::next_run_at(
            now,
            conn.refresh_interval_secs,
            self.settings.schedule_jitter,
            name,
            failures,
        );
        let derived = health::derive(
            conn.health.as_ref(),
            conn.consecutive_failures,
            details,
            claimed.job.id,
            now,
            Some(next),
        );
        let notification = events::decide(
            conn.notified_health.as_ref(),
            &derived.health,
            now,
            self.settings.webhooks.flap,
        );
        let mut webhook_events = Vec::new();
        if notification.send {
            webhook_events.push(events::health_changed(
                conn,
                conn.notified_health.as_ref(),
                &derived.health,
            ));
        }
        if !name.is_healthy() {
            webhook_events.push(events::job_failed(
                conn,
                claimed.job.id,
                name,
                job_error.as_deref(),
            ));
        }
        JobFinish {
            webhook_events,
            notified_health: notification.report,
            status: if name.is_healthy() {
                JobStatus::Succeeded
            } else {
                JobStatus::Failed
            },
            finished_at: now,
            health_name: name,
            error: job_error,
            exports,
            health_event: derived.changed_from.map(|from| NewHealthEvent {
                from,
                to: name,
                at: now,
            }),
            connection: ConnectionHealthUpdate {
                health: derived.health,
                consecutive_failures: derived.consecutive_failures,
                unhealthy_since: derived.unhealthy_since,
                next_run_at: Some(next),
            },
        }
    }
}

fn timeout_failure(endpoint: &str, timeout_secs: i64) -> Failure {
    Failure {
        endpoint: endpoint.to_owned(),
        name: HealthName::ExecutionTimeout,
        http_status: None,
        message: format!("the job exceeded its timeout of {timeout_secs}s; data committed before the limit is kept"),
    }
}

fn storage_failure(
    export: DataExportType,
    endpoints: Vec<String>,
    stats: ExportStats,
    endpoint: &str,
    e: &tributary_store::StoreError,
) -> ExportOutcome {
    tracing::error!(error = %e, %export, "storage failed during sync");
    ExportOutcome {
        export,
        endpoints,
        stats,
        failure: Some(Failure {
            endpoint: endpoint.to_owned(),
            name: HealthName::InternalError,
            http_status: None,
            message: "Tributary could not store the records (storage error)".into(),
        }),
    }
}

impl Engine {
    /// The record for a job whose workers kept dying: every export INTERNAL_ERROR.
    pub(crate) fn abandoned_finish(&self, claimed: &ClaimedJob) -> JobFinish {
        let outcomes = tributary_connectors::catalogue::exports(claimed.connection.vendor)
            .iter()
            .map(|s| ExportOutcome {
                export: s.data_export_type,
                endpoints: s.endpoints.iter().map(|e| e.to_string()).collect(),
                stats: ExportStats::default(),
                failure: Some(Failure {
                    endpoint: s.endpoints[0].to_owned(),
                    name: HealthName::InternalError,
                    http_status: None,
                    message: "the worker running this job stopped repeatedly".into(),
                }),
            })
            .collect();
        self.finish_record(claimed, outcomes)
    }
}
