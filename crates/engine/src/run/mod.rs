//! Running one job: open the credentials, sync each export in order under the job's
//! deadline, then turn the outcome into the job's record and the connection's health.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tokio::time::Instant;
use tributary_connectors::{
    connector::Connector,
    http::{RateLimitTally, VendorHttp},
    watermark, ExportSpec, VendorSpec,
};
use tributary_model::{
    job::{ExportResult, JobStatus},
    DataExportType, HealthDetail, HealthName, HealthSource,
};
use tributary_store::models::{ClaimedJob, ConnectionHealthUpdate, JobFinish, NewHealthEvent};

use crate::{
    health,
    pipeline::{sync_export, ExportEnd, ExportJob, ExportStats},
    webhooks::events,
    Engine,
};

mod advise;

pub(crate) use advise::Assessment;

/// One export's outcome, before it becomes an [`ExportResult`] and a health detail.
struct ExportOutcome {
    export: DataExportType,
    endpoints: Vec<String>,
    stats: ExportStats,
    /// The failing endpoint and classification; None when the export succeeded.
    failure: Option<Failure>,
    /// The export's pages ran to their end (records may have been quarantined).
    ran_to_end: bool,
    /// 429s retried during the export, and the milliseconds waited on them.
    rate_limited: (u32, u64),
    elapsed_ms: u64,
}

struct Failure {
    endpoint: String,
    name: HealthName,
    http_status: Option<u16>,
    message: String,
    /// One of our own transient failures (storage unavailable, a worker lost): the
    /// connection is retried with the platform backoff instead of at its next refresh.
    platform: bool,
}

impl Engine {
    /// Runs a claimed job to completion and returns what to record.
    pub(crate) async fn run_job(&self, claimed: &ClaimedJob, worker: &str) -> JobFinish {
        let conn = &claimed.connection;
        let Some(spec) = self.registry.get(conn.vendor) else {
            return self.unknown_vendor_finish(claimed);
        };
        let deadline = Instant::now() + Duration::from_secs(conn.timeout_secs.max(1) as u64);
        let exports: Vec<(DataExportType, Vec<String>)> = spec
            .exports
            .iter()
            .map(|e| (e.data_export_type, endpoints(e)))
            .collect();
        if let Err(e) = self.store.begin_exports(claimed.job.id, &exports).await {
            tracing::error!(job = %claimed.job.id, error = %e, "could not record the job's exports");
        }
        let (outcomes, expiry) = match self.open_connector(spec, claimed) {
            Ok((connector, tally)) => {
                let outcomes = self
                    .run_exports(spec, claimed, worker, connector.clone(), tally, deadline)
                    .await;
                let expiry = self.expiry_check(&connector, &outcomes).await;
                (outcomes, expiry)
            }
            Err(message) => (
                failed_everywhere(spec, HealthName::InternalError, &message, false),
                crate::advisories::ExpiryCheck::Unknown,
            ),
        };
        let assessment = self.assessment(claimed, expiry).await;
        self.finish_record(claimed, Some(spec), outcomes, assessment)
    }

    /// Opens the sealed credentials and builds the vendor connector.
    fn open_connector(
        &self,
        spec: &'static VendorSpec,
        claimed: &ClaimedJob,
    ) -> Result<(Arc<dyn Connector>, Arc<RateLimitTally>), String> {
        let conn = &claimed.connection;
        let creds = self.stored_credentials(spec, conn)?;
        let http = self.vendor_http(spec, self.settings.http.clone());
        let tally = http.rate_limits();
        let options = conn.options.as_ref().unwrap_or(&serde_json::Value::Null);
        Ok(((spec.connect)(&creds, options, http), tally))
    }

    /// A connection's stored credentials, opened and parsed.
    pub(crate) fn stored_credentials(
        &self,
        spec: &'static VendorSpec,
        conn: &tributary_store::models::ConnectionRecord,
    ) -> Result<tributary_model::credentials::Credentials, String> {
        let plain = self
            .keyring
            .open(conn.id, &conn.sealed_credentials)
            .map_err(|e| format!("stored credentials cannot be opened: {e}"))?;
        let json: serde_json::Value = serde_json::from_slice(&plain)
            .map_err(|_| "stored credentials are unreadable".to_owned())?;
        spec.parse_credentials(&json)
            .map_err(|_| "stored credentials do not match the vendor's schema".to_owned())
    }

    pub(crate) fn connector_with(
        &self,
        spec: &'static VendorSpec,
        creds: &tributary_model::credentials::Credentials,
        options: Option<&serde_json::Value>,
        http: tributary_connectors::http::HttpSettings,
    ) -> Arc<dyn Connector> {
        let http = self.vendor_http(spec, http);
        (spec.connect)(creds, options.unwrap_or(&serde_json::Value::Null), http)
    }

    fn vendor_http(
        &self,
        spec: &'static VendorSpec,
        http: tributary_connectors::http::HttpSettings,
    ) -> VendorHttp {
        VendorHttp::new(
            self.client.clone(),
            spec.vendor,
            spec.pacing,
            Arc::new(http),
        )
    }

    async fn run_exports(
        &self,
        spec: &'static VendorSpec,
        claimed: &ClaimedJob,
        worker: &str,
        connector: Arc<dyn Connector>,
        tally: Arc<RateLimitTally>,
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
        for export_spec in spec.exports {
            let export = export_spec.data_export_type;
            let mut stats = ExportStats::default();
            let mut last_endpoint = export_spec.endpoints[0];
            let stored = match self.store.get_watermark(conn.id, export).await {
                Ok(w) => w,
                Err(e) => {
                    outcomes.push(storage_failure(export_spec, stats, last_endpoint, &e));
                    continue;
                }
            };
            let since = watermark::start(stored.as_deref(), conn.options.as_ref());
            let (started, limits_before) = (Instant::now(), tally.snapshot());
            let run = sync_export(
                &job,
                export_spec,
                connector.reader(export, since),
                &mut stats,
                &mut last_endpoint,
            );
            let ended = tokio::time::timeout_at(deadline, run).await;
            let ran_to_end = matches!(ended, Ok(ExportEnd::Done));
            let failure = match ended {
                Ok(ExportEnd::Done) if stats.quarantined > 0 => Some(Failure {
                    endpoint: last_endpoint.to_owned(),
                    name: HealthName::InternalError,
                    http_status: None,
                    message: format!(
                        "{} records could not be normalized; they are kept raw in quarantine",
                        stats.quarantined
                    ),
                    platform: false,
                }),
                Ok(ExportEnd::Done) => None,
                Ok(ExportEnd::Vendor(e)) => Some(Failure {
                    endpoint: e.endpoint.clone(),
                    name: e.health(),
                    http_status: e.http_status,
                    message: e.message.clone(),
                    platform: false,
                }),
                Ok(ExportEnd::Storage(e)) => {
                    storage_failure(export_spec, stats, last_endpoint, &e).failure
                }
                Err(_elapsed) => Some(timeout_failure(last_endpoint, conn.timeout_secs)),
            };
            let limits_after = tally.snapshot();
            outcomes.push(ExportOutcome {
                export,
                endpoints: endpoints(export_spec),
                stats,
                failure,
                ran_to_end,
                rate_limited: (
                    limits_after.0.saturating_sub(limits_before.0),
                    limits_after.1.saturating_sub(limits_before.1),
                ),
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
        }
        outcomes
    }

    /// Builds the job record and the connection's new health.
    fn finish_record(
        &self,
        claimed: &ClaimedJob,
        spec: Option<&'static VendorSpec>,
        outcomes: Vec<ExportOutcome>,
        assessment: Option<Assessment>,
    ) -> JobFinish {
        let conn = &claimed.connection;
        let now = Utc::now();
        let mut details = Vec::new();
        let mut exports = Vec::new();
        let seen = advise::seen(&outcomes);
        let platform = outcomes
            .iter()
            .any(|o| o.failure.as_ref().is_some_and(|f| f.platform));
        for o in outcomes {
            let name = o.failure.as_ref().map_or(HealthName::Healthy, |f| f.name);
            if let Some(f) = &o.failure {
                details.push(HealthDetail {
                    data_export_type: o.export,
                    endpoint: f.endpoint.clone(),
                    name: f.name,
                    http_status: f.http_status,
                    message: f.message.clone(),
                    source: HealthSource::Job,
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
                records_received: o.stats.received,
                full_listing: o.stats.full_listing,
                rate_limited_responses: o.rate_limited.0,
                rate_limit_wait_ms: o.rate_limited.1,
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
        // Our own transient failure, and nothing the customer must fix first: retried
        // with the platform backoff, counted until another outcome resets it.
        let platform_retries = if platform && name == HealthName::InternalError {
            conn.platform_retries.saturating_add(1)
        } else {
            0
        };
        let next = if platform_retries > 0 {
            let retry = self.settings.platform_retry;
            retry.next_run_at(now, platform_retries, conn.refresh_interval_secs)
        } else {
            health::next_run_at(
                now,
                conn.refresh_interval_secs,
                self.settings.schedule_jitter,
                name,
                failures,
            )
        };
        let mut derived = health::derive(
            conn.health.as_ref(),
            conn.consecutive_failures,
            details,
            claimed.job.id,
            now,
            Some(next),
        );
        if let Some(spec) = spec {
            derived.health.resolution = spec.resolution(name);
        }
        let advised = self.advise(claimed, &mut derived.health, &seen, assessment, now);
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
        webhook_events.extend(advised.webhook_events);
        let held = crate::incidents::down_notification(&webhook_events, name);
        let vendor = spec.and_then(|s| self.vendor_observation(s, conn, name, now, held));
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
            advisory_events: advised.events,
            vendor,
            connection: ConnectionHealthUpdate {
                health: derived.health,
                consecutive_failures: derived.consecutive_failures,
                unhealthy_since: derived.unhealthy_since,
                next_run_at: Some(next),
                platform_retries,
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
        platform: false,
    }
}

fn storage_failure(
    export: &ExportSpec,
    stats: ExportStats,
    endpoint: &str,
    e: &tributary_store::StoreError,
) -> ExportOutcome {
    tracing::error!(error = %e, export = %export.data_export_type, "storage failed during sync");
    ExportOutcome {
        export: export.data_export_type,
        endpoints: endpoints(export),
        stats,
        failure: Some(Failure {
            endpoint: endpoint.to_owned(),
            name: HealthName::InternalError,
            http_status: None,
            message: "Tributary could not store the records (storage error); committed pages \
                      are kept and the sync is retried within minutes"
                .into(),
            platform: true,
        }),
        ran_to_end: false,
        rate_limited: (0, 0),
        elapsed_ms: 0,
    }
}

fn endpoints(export: &ExportSpec) -> Vec<String> {
    export.endpoints.iter().map(|e| e.to_string()).collect()
}

/// Every export of `spec` failing with `name` and `message`, at its first endpoint;
/// `platform`: one of our own transient failures (see [`Failure::platform`]).
fn failed_everywhere(
    spec: &VendorSpec,
    name: HealthName,
    message: &str,
    platform: bool,
) -> Vec<ExportOutcome> {
    spec.exports
        .iter()
        .map(|e| ExportOutcome {
            export: e.data_export_type,
            endpoints: endpoints(e),
            stats: ExportStats::default(),
            failure: Some(Failure {
                endpoint: e.endpoints[0].to_owned(),
                name,
                http_status: None,
                message: message.to_owned(),
                platform,
            }),
            ran_to_end: false,
            rate_limited: (0, 0),
            elapsed_ms: 0,
        })
        .collect()
}

impl Engine {
    /// The record for a job whose workers kept dying: every export INTERNAL_ERROR.
    pub(crate) fn abandoned_finish(&self, claimed: &ClaimedJob) -> JobFinish {
        let Some(spec) = self.registry.get(claimed.connection.vendor) else {
            return self.unknown_vendor_finish(claimed);
        };
        let outcomes = failed_everywhere(
            spec,
            HealthName::InternalError,
            "the worker running this job stopped repeatedly; the sync is retried within minutes",
            true,
        );
        self.finish_record(claimed, Some(spec), outcomes, None)
    }

    /// A connection of a vendor this build does not know (written by a newer version, or
    /// a vendor removed from the registry): INTERNAL_ERROR, the operator must act.
    fn unknown_vendor_finish(&self, claimed: &ClaimedJob) -> JobFinish {
        let vendor = claimed.connection.vendor;
        let outcomes = vec![ExportOutcome {
            export: tributary_model::Category::Edr.data_exports()[0],
            endpoints: vec![],
            stats: ExportStats::default(),
            failure: Some(Failure {
                endpoint: String::new(),
                name: HealthName::InternalError,
                http_status: None,
                message: format!("this Tributary build has no connector for {vendor}"),
                platform: false,
            }),
            ran_to_end: false,
            rate_limited: (0, 0),
            elapsed_ms: 0,
        }];
        self.finish_record(claimed, None, outcomes, None)
    }
}
