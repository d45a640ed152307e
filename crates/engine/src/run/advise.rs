//! The advisories a finished job leaves (see [`crate::advisories`]): what each export
//! saw, the credential's expiry where the vendor reports it, the connection's export
//! history, and the events for what was raised or cleared.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tributary_connectors::connector::Connector;
use tributary_model::{Advisory, AdvisoryChange, FreshnessFacts, Health};
use tributary_store::models::{ClaimedJob, ExportRun, NewAdvisoryEvent, NewWebhookEvent};

use super::ExportOutcome;
use crate::{
    advisories::{self, ExpiryCheck, ExportSeen, Freshness, Inputs},
    webhooks::events,
    Engine,
};

/// How long the expiry question may take; it never holds a job up for longer.
const EXPIRY_TIMEOUT: Duration = Duration::from_secs(15);

/// What the job learned beyond its exports.
pub(crate) struct Assessment {
    history: Vec<ExportRun>,
    expiry: ExpiryCheck,
    /// Each export's freshness before this job.
    freshness: Vec<FreshnessFacts>,
}

/// The advisories' side of a job's record.
pub(super) struct Advised {
    pub events: Vec<NewAdvisoryEvent>,
    pub webhook_events: Vec<NewWebhookEvent>,
}

/// What each export of the job saw.
pub(super) fn seen(outcomes: &[ExportOutcome]) -> Vec<ExportSeen> {
    outcomes
        .iter()
        .map(|o| ExportSeen {
            export: o.export,
            ran_to_end: o.ran_to_end,
            succeeded: o.failure.is_none(),
            upserted: o.stats.upserted,
            quarantined: o.stats.quarantined,
            received: o.stats.received,
            full_listing: o.stats.full_listing,
            rate_limited_responses: o.rate_limited.0,
            rate_limit_wait_ms: o.rate_limited.1,
            elapsed_ms: o.elapsed_ms,
        })
        .collect()
}

impl Engine {
    /// Asks the vendor when the credential expires, once an export showed it works.
    pub(super) async fn expiry_check(
        &self,
        connector: &Arc<dyn Connector>,
        outcomes: &[ExportOutcome],
    ) -> ExpiryCheck {
        if !outcomes.iter().any(|o| o.failure.is_none()) {
            return ExpiryCheck::Unknown;
        }
        match tokio::time::timeout(EXPIRY_TIMEOUT, connector.credential_expiry()).await {
            Ok(Ok(Some(at))) => ExpiryCheck::At(at),
            Ok(Ok(None)) => ExpiryCheck::None,
            Ok(Err(e)) => {
                tracing::info!(error = %e, "could not read the credential's expiry");
                ExpiryCheck::Unknown
            }
            Err(_) => ExpiryCheck::Unknown,
        }
    }

    /// Reads the connection's export history (None if it cannot: the advisories stay).
    pub(super) async fn assessment(
        &self,
        claimed: &ClaimedJob,
        expiry: ExpiryCheck,
    ) -> Option<Assessment> {
        let conn = &claimed.connection;
        let jobs = self.settings.advisories.history_jobs;
        let read = async {
            let history = self
                .store
                .export_history(conn.account_id, conn.id, jobs)
                .await?;
            let freshness = self
                .store
                .get_connection(conn.account_id, conn.id)
                .await?
                .map(|c| c.freshness)
                .unwrap_or_default();
            Ok::<_, tributary_store::StoreError>((history, freshness))
        };
        match read.await {
            Ok((history, freshness)) => Some(Assessment {
                history,
                expiry,
                freshness,
            }),
            Err(e) => {
                tracing::warn!(connection = %conn.id, error = %e,
                    "could not read the export history; advisories are kept as they were");
                None
            }
        }
    }

    /// Sets `health.advisories` and returns what changed. Without an assessment (a job
    /// that never reached the vendor) the previous advisories stand.
    pub(super) fn advise(
        &self,
        claimed: &ClaimedJob,
        health: &mut Health,
        seen: &[ExportSeen],
        assessment: Option<Assessment>,
        now: DateTime<Utc>,
    ) -> Advised {
        let conn = &claimed.connection;
        let previous: &[Advisory] = conn.health.as_ref().map_or(&[], |h| &h.advisories);
        let Some(assessment) = assessment else {
            health.advisories = previous.to_vec();
            return Advised {
                events: vec![],
                webhook_events: vec![],
            };
        };
        let quarantine_path = format!(
            "/v1/provisioning/organizations/{}/connections/{}/quarantine",
            conn.organization_id, conn.id
        );
        let facts = advisories::facts_after_job(&assessment.freshness, seen, now);
        health.advisories = advisories::assess(&Inputs {
            now,
            thresholds: &self.settings.advisories,
            previous,
            history: &assessment.history,
            exports: seen,
            expiry: assessment.expiry,
            quarantine_path: &quarantine_path,
            freshness: Freshness {
                target_secs: conn.freshness_target_secs,
                created_at: conn.created_at,
                facts: &facts,
            },
        });
        let mut advised = Advised {
            events: vec![],
            webhook_events: vec![],
        };
        for (change, advisory) in advisories::changes(previous, &health.advisories) {
            let kind = match change {
                AdvisoryChange::Raised => events::ADVISORY_RAISED,
                AdvisoryChange::Cleared => events::ADVISORY_CLEARED,
            };
            advised
                .webhook_events
                .push(events::advisory_changed(kind, conn, health, &advisory));
            advised.events.push(NewAdvisoryEvent {
                change,
                advisory,
                at: now,
            });
        }
        advised
    }
}
