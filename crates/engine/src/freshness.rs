//! Freshness between jobs (docs/health.md, "Freshness"): a pass of the scheduler that
//! raises FRESHNESS_TARGET_MISSED on a connection whose pulls stalled even when no job
//! runs (and clears it when its target is met again or removed), and publishes the
//! fleet's data-age gauges.
//!
//! Gauges: `tributary_export_data_age_seconds` and `tributary_export_pull_age_seconds`
//! labelled `{vendor, data_export_type, quantile}`, quantile one of 0.5, 0.9, 0.99 and 1
//! (the oldest), over the exports of ACTIVE connections. Never one series per
//! connection: at 10,000 connections that is tens of thousands of series; these stay
//! at (vendors × exports × 4) whatever the fleet's size. A connection's own ages are in
//! its `health.freshness`, and the stale ones are listed with
//! `advisoryCodes=FRESHNESS_TARGET_MISSED`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tributary_model::{AdvisoryChange, DataExportType, Vendor};
use tributary_store::{
    models::{AdvisoryUpdate, FreshnessSample, NewAdvisoryEvent},
    StoreError,
};

use crate::{
    advisories::{self, Freshness},
    webhooks::events,
    Engine,
};

/// Connections re-assessed per pass (a pass repeats while batches come back full).
const BATCH: i64 = 500;
/// At most this many batches per pass.
const MAX_BATCHES: usize = 100;

/// The quantiles the gauges publish (1: the oldest).
pub const QUANTILES: [(f64, &str); 4] = [(0.5, "0.5"), (0.9, "0.9"), (0.99, "0.99"), (1.0, "1")];

/// What a freshness pass changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FreshnessPass {
    /// Advisories raised, as (connection, export).
    pub raised: Vec<(uuid::Uuid, Option<DataExportType>)>,
    /// Advisories cleared, as (connection, export).
    pub cleared: Vec<(uuid::Uuid, Option<DataExportType>)>,
}

impl Engine {
    /// One freshness pass as of `now` (the scheduler passes the current time; tests step
    /// it to a later one instead of waiting): re-assesses the connections whose
    /// FRESHNESS_TARGET_MISSED advisories are out of date, then publishes the gauges.
    pub async fn freshness_once_at(&self, now: DateTime<Utc>) -> Result<FreshnessPass, StoreError> {
        let mut pass = FreshnessPass::default();
        for _ in 0..MAX_BATCHES {
            let due = self.store.freshness_candidates(now, BATCH).await?;
            let full = due.len() as i64 == BATCH;
            let mut written = 0;
            for conn in &due {
                let Some(health) = conn.health.as_ref() else {
                    continue;
                };
                let advisories = advisories::reassess_freshness(
                    now,
                    &health.advisories,
                    &Freshness {
                        target_secs: conn
                            .freshness_target_secs
                            .filter(|_| conn.state.is_active()),
                        created_at: conn.created_at,
                        facts: &conn.freshness,
                    },
                );
                let changes = advisories::changes(&health.advisories, &advisories);
                if changes.is_empty() {
                    continue;
                }
                let mut next = health.clone();
                next.advisories = advisories;
                let mut update = AdvisoryUpdate {
                    connection_id: conn.id,
                    started_at: now.min(Utc::now()),
                    health: next,
                    events: vec![],
                    webhook_events: vec![],
                };
                for (change, advisory) in &changes {
                    let kind = match change {
                        AdvisoryChange::Raised => events::ADVISORY_RAISED,
                        AdvisoryChange::Cleared => events::ADVISORY_CLEARED,
                    };
                    update.webhook_events.push(events::advisory_changed(
                        kind,
                        conn,
                        &update.health,
                        advisory,
                    ));
                    update.events.push(NewAdvisoryEvent {
                        change: *change,
                        advisory: advisory.clone(),
                        at: now,
                    });
                }
                if self.store.record_advisory_update(update).await? {
                    written += 1;
                    for (change, a) in changes {
                        let key = (conn.id, a.data_export_type);
                        match change {
                            AdvisoryChange::Raised => pass.raised.push(key),
                            AdvisoryChange::Cleared => pass.cleared.push(key),
                        }
                    }
                }
            }
            // A full batch of which nothing could be written would come back the same.
            if !full || written == 0 {
                break;
            }
        }
        self.publish_freshness_gauges(now).await?;
        Ok(pass)
    }

    async fn publish_freshness_gauges(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let samples = self.store.freshness_samples().await?;
        for ((vendor, export), (data, pull)) in ages_by_export(&samples, now) {
            for (name, ages) in [
                ("tributary_export_data_age_seconds", data),
                ("tributary_export_pull_age_seconds", pull),
            ] {
                for (q, label) in QUANTILES {
                    let Some(v) = quantile(&ages, q) else {
                        continue;
                    };
                    let labels = [
                        ("vendor", vendor.as_str().to_owned()),
                        ("data_export_type", export.as_str().to_owned()),
                        ("quantile", label.to_owned()),
                    ];
                    metrics::gauge!(name, &labels).set(v as f64);
                }
            }
        }
        Ok(())
    }
}

type Ages = (Vec<i64>, Vec<i64>);

/// Data and pull ages (seconds) per (vendor, export), each sorted.
fn ages_by_export(
    samples: &[FreshnessSample],
    now: DateTime<Utc>,
) -> BTreeMap<(Vendor, DataExportType), Ages> {
    let mut out: BTreeMap<(Vendor, DataExportType), Ages> = BTreeMap::new();
    for s in samples {
        let f = s.facts.at(now);
        let entry = out.entry((s.vendor, f.data_export_type)).or_default();
        entry.0.extend(f.data_age_secs);
        entry.1.extend(f.pull_age_secs);
    }
    for (data, pull) in out.values_mut() {
        data.sort_unstable();
        pull.sort_unstable();
    }
    out
}

/// The nearest-rank quantile of sorted `v` (None when empty).
fn quantile(v: &[i64], q: f64) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles_end_at_the_oldest() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), Some(50));
        assert_eq!(quantile(&v, 0.99), Some(99));
        assert_eq!(quantile(&v, 1.0), Some(100));
        assert_eq!(quantile(&[7], 0.5), Some(7));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
