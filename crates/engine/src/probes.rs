//! Probes between jobs: one cheap authenticated request per export (the connector's
//! `probe`, the one credential checks use) on a schedule of its own, so a revocation or
//! an outage shows within the probe interval instead of at the next job. A probe only
//! ever writes health (never records, never watermarks): a failure sets the health its
//! classification gives, with `details[].source: probe`; a later successful probe
//! clears a failure that only probes saw. Budget: one request per export per interval
//! (plus a token request for OAuth vendors), paced by the vendor's limits, retried at
//! most once; a connection whose job finished within the interval is not probed.

use std::time::Duration;

use chrono::Utc;
use tributary_model::{health::HealthFacts, Health, HealthDetail, HealthName, HealthSource};
use tributary_store::{
    models::{ConnectionRecord, NewHealthEvent, ProbeHealth, ProbeRecord},
    StoreError,
};

use crate::{webhooks::events, Engine};

/// Connections probed per pass.
const BATCH: i64 = 200;

/// What a probe pass did to one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    pub connection_id: uuid::Uuid,
    /// Requests sent (one per export).
    pub requests: usize,
    /// The health the probe set, when it changed it.
    pub changed_to: Option<HealthName>,
}

impl Engine {
    /// One probe pass: every connection due for a probe (none probed, and no job
    /// finished, within the probe interval). Tests step it; the scheduler loops on it.
    pub async fn probe_once(&self) -> Result<Vec<Probed>, StoreError> {
        let interval = chrono::Duration::from_std(self.settings.probe_interval)
            .unwrap_or(chrono::Duration::MAX);
        let now = Utc::now();
        let due = self.store.probe_candidates(now - interval, BATCH).await?;
        let mut done = Vec::new();
        for conn in due {
            let recent_job = conn
                .health
                .as_ref()
                .is_some_and(|h| h.checked_at > now - interval);
            if recent_job {
                continue;
            }
            if let Some(p) = self.probe_connection(&conn).await? {
                done.push(p);
            }
        }
        Ok(done)
    }

    async fn probe_connection(
        &self,
        conn: &ConnectionRecord,
    ) -> Result<Option<Probed>, StoreError> {
        let (Some(spec), Some(previous)) = (self.registry.get(conn.vendor), conn.health.as_ref())
        else {
            return Ok(None);
        };
        let Ok(creds) = self.stored_credentials(spec, conn) else {
            return Ok(None); // the next job reports unreadable credentials
        };
        let started = Utc::now();
        let mut http = self.settings.http.clone();
        http.max_retries = http.max_retries.min(1);
        http.retry_max_wait = http.retry_max_wait.min(Duration::from_secs(5));
        let connector = self.connector_with(spec, &creds, conn.options.as_ref(), http);
        let mut failures = Vec::new();
        for export in spec.exports {
            if let Err(e) = connector.probe(export.data_export_type).await {
                failures.push(HealthDetail {
                    data_export_type: export.data_export_type,
                    endpoint: e.endpoint.clone(),
                    name: e.health(),
                    http_status: e.http_status,
                    message: e.message.clone(),
                    source: HealthSource::Probe,
                });
            }
        }
        let requests = spec.exports.len();
        let name = HealthName::most_urgent(failures.iter().map(|d| d.name));
        let probe_only = previous
            .details
            .iter()
            .flatten()
            .all(|d| d.source == HealthSource::Probe);
        // A success clears only what probes saw; a job's failure waits for a job.
        let changes = name != previous.name && (!name.is_healthy() || probe_only);
        let update = changes.then(|| {
            let now = Utc::now();
            let facts = HealthFacts {
                checked_at: now,
                last_job_id: previous.last_job_id,
                unhealthy_since: if name.is_healthy() {
                    None
                } else {
                    previous.unhealthy_since.or(Some(now))
                },
                consecutive_failures: previous.consecutive_failures,
                next_run_at: conn.next_run_at,
            };
            let mut health = Health::new(name, failures, facts);
            health.resolution = spec.resolution(name);
            health.advisories = previous.advisories.clone();
            let notification = events::decide(
                conn.notified_health.as_ref(),
                &health,
                now,
                self.settings.webhooks.flap,
            );
            let mut webhook_events = Vec::new();
            if notification.send {
                webhook_events.push(events::health_changed(
                    conn,
                    conn.notified_health.as_ref(),
                    &health,
                ));
            }
            let held = crate::incidents::down_notification(&webhook_events, name);
            ProbeHealth {
                vendor: self.vendor_observation(spec, conn, name, now, held),
                event: NewHealthEvent {
                    from: Some(previous.name),
                    to: name,
                    at: now,
                },
                health,
                webhook_events,
                notified_health: notification.report,
            }
        });
        let changed_to = update.as_ref().map(|u| u.health.name);
        let recorded = self
            .store
            .record_probe(ProbeRecord {
                connection_id: conn.id,
                started_at: started,
                update,
            })
            .await?;
        if changed_to.is_some() && recorded {
            tracing::info!(connection = %conn.id, health = %name, "a probe changed the health");
        }
        Ok(recorded.then_some(Probed {
            connection_id: conn.id,
            requests,
            changed_to: changed_to.filter(|_| recorded),
        }))
    }
}
