//! Advisories (docs/health.md): after each job, what the connection's exports saw is
//! weighed against their own recent history and the previous advisories, giving the set
//! now raised and what was raised or cleared. Pure functions; the thresholds live here,
//! in [`AdvisoryThresholds`], and nowhere else.

mod rules;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use tributary_model::{Advisory, AdvisoryChange, AdvisoryCode, DataExportType, FreshnessFacts};
use tributary_store::models::ExportRun;

/// Every threshold the advisories use (documented in docs/health.md, "Advisories").
#[derive(Debug, Clone)]
pub struct AdvisoryThresholds {
    /// Finished jobs of history read after each job: the window baselines are learned in.
    pub history_jobs: i64,
    /// NO_NEW_DATA: raised when an export's current run of successful jobs without a new
    /// or changed record is at least this many times the longest such run its history
    /// shows…
    pub no_new_data_factor: f64,
    /// …and at least this many jobs long…
    pub no_new_data_min_runs: u32,
    /// …once the history holds this many jobs that did bring data (fewer: nothing is
    /// known about the export's rhythm, so nothing is raised).
    pub no_new_data_min_data_runs: u32,
    /// VOLUME_DROP: the baseline is the median of this many previous complete listings…
    pub volume_baseline_runs: usize,
    /// …of which at least this many are needed…
    pub volume_min_baseline_runs: usize,
    /// …with a median of at least this many records (small tenants swing too much).
    pub volume_min_baseline_records: u64,
    /// Raised when a complete listing is smaller than the baseline by this fraction.
    pub volume_drop_fraction: f64,
    /// CREDENTIAL_EXPIRING: raised when the vendor says the credential expires within
    /// this many days.
    pub credential_warn_days: i64,
    /// RATE_LIMITED: raised when an export that succeeded met at least this many 429s.
    pub rate_limited_min_responses: u32,
    /// QUARANTINED_RECORDS: raised while records were quarantined within this window.
    pub quarantine_window: Duration,
}

impl Default for AdvisoryThresholds {
    fn default() -> Self {
        AdvisoryThresholds {
            history_jobs: 100,
            no_new_data_factor: 3.0,
            no_new_data_min_runs: 6,
            no_new_data_min_data_runs: 2,
            volume_baseline_runs: 10,
            volume_min_baseline_runs: 3,
            volume_min_baseline_records: 20,
            volume_drop_fraction: 0.3,
            credential_warn_days: 14,
            rate_limited_min_responses: 2,
            quarantine_window: Duration::days(7),
        }
    }
}

/// What one export did in the job just finished.
#[derive(Debug, Clone)]
pub struct ExportSeen {
    pub export: DataExportType,
    /// The export ran to its end (records quarantined or not); false when a vendor,
    /// storage or time failure stopped it: then it says nothing about volume or data.
    pub ran_to_end: bool,
    /// It ran to its end and nothing was quarantined (its health is HEALTHY).
    pub succeeded: bool,
    pub upserted: u64,
    pub quarantined: u64,
    pub received: u64,
    pub full_listing: bool,
    pub rate_limited_responses: u32,
    pub rate_limit_wait_ms: u64,
    pub elapsed_ms: u64,
}

/// What the vendor said about the credential's expiry this job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryCheck {
    /// Not asked, or the question failed: the previous advisory stands.
    Unknown,
    /// The vendor reports no expiry.
    None,
    At(DateTime<Utc>),
}

/// Everything an assessment reads.
pub struct Inputs<'a> {
    pub now: DateTime<Utc>,
    pub thresholds: &'a AdvisoryThresholds,
    /// The advisories raised before this job.
    pub previous: &'a [Advisory],
    /// Earlier finished jobs' exports, newest first (this job not included).
    pub history: &'a [ExportRun],
    pub exports: &'a [ExportSeen],
    pub expiry: ExpiryCheck,
    /// Where a redacted sample of the connection's quarantine is served.
    pub quarantine_path: &'a str,
    /// What FRESHNESS_TARGET_MISSED is assessed on.
    pub freshness: Freshness<'a>,
}

/// A connection's freshness target and each export's facts (after the job, if any).
#[derive(Debug, Clone, Copy)]
pub struct Freshness<'a> {
    pub target_secs: Option<i64>,
    /// When the connection was created: an export that never pulled successfully is
    /// as old as the connection.
    pub created_at: DateTime<Utc>,
    pub facts: &'a [FreshnessFacts],
}

/// The advisories raised after the job, in a stable order (code, then export). One that
/// stays raised keeps its `since`.
pub fn assess(inputs: &Inputs<'_>) -> Vec<Advisory> {
    let mut now_raised: BTreeMap<(AdvisoryCode, Option<DataExportType>), Advisory> =
        BTreeMap::new();
    let previous = |code, export| inputs.previous.iter().find(|a| a.key() == (code, export));
    let mut keep = |found: Option<Advisory>| {
        if let Some(mut a) = found {
            if let Some(p) = previous(a.code, a.data_export_type) {
                a.since = p.since;
            }
            now_raised.insert(a.key(), a);
        }
    };
    let exports = exports_of(inputs);
    for export in &exports {
        let seen = inputs.exports.iter().find(|e| e.export == *export);
        keep(rules::quarantined(inputs, *export));
        match seen {
            Some(seen) if seen.ran_to_end => {
                keep(rules::rate_limited(inputs, seen));
                keep(
                    rules::volume_drop(inputs, seen).unwrap_or_else(|| {
                        previous(AdvisoryCode::VolumeDrop, Some(*export)).cloned()
                    }),
                );
                keep(
                    rules::no_new_data(inputs, seen).unwrap_or_else(|| {
                        previous(AdvisoryCode::NoNewData, Some(*export)).cloned()
                    }),
                );
            }
            // The export did not run to its end: what it would have shown is unknown.
            _ => {
                for code in [
                    AdvisoryCode::RateLimited,
                    AdvisoryCode::VolumeDrop,
                    AdvisoryCode::NoNewData,
                ] {
                    keep(previous(code, Some(*export)).cloned());
                }
            }
        }
    }
    keep(match inputs.expiry {
        ExpiryCheck::Unknown => previous(AdvisoryCode::CredentialExpiring, None).cloned(),
        ExpiryCheck::None => None,
        ExpiryCheck::At(at) => rules::credential_expiring(inputs, at),
    });
    for a in rules::freshness_missed(inputs.now, &inputs.freshness) {
        keep(Some(a));
    }
    now_raised.into_values().collect()
}

/// Between jobs: the advisories with FRESHNESS_TARGET_MISSED re-assessed at `now` (the
/// others as they were); one that stays raised keeps its `since`.
pub fn reassess_freshness(
    now: DateTime<Utc>,
    previous: &[Advisory],
    freshness: &Freshness<'_>,
) -> Vec<Advisory> {
    let code = AdvisoryCode::FreshnessTargetMissed;
    let mut all: Vec<Advisory> = previous
        .iter()
        .filter(|a| a.code != code)
        .cloned()
        .collect();
    for mut a in rules::freshness_missed(now, freshness) {
        if let Some(p) = previous.iter().find(|p| p.key() == a.key()) {
            a.since = p.since;
        }
        all.push(a);
    }
    all.sort_by_key(|a| a.key());
    all
}

/// The facts after a job: the stored ones, with this job's exports that succeeded
/// pulled `now` (and any export met for the first time added).
pub fn facts_after_job(
    stored: &[FreshnessFacts],
    exports: &[ExportSeen],
    now: DateTime<Utc>,
) -> Vec<FreshnessFacts> {
    let mut facts = stored.to_vec();
    for e in exports {
        let at = e.succeeded.then_some(now);
        match facts.iter_mut().find(|f| f.data_export_type == e.export) {
            Some(f) => f.last_successful_pull_at = at.or(f.last_successful_pull_at),
            None => facts.push(FreshnessFacts {
                data_export_type: e.export,
                newest_record_at: None,
                last_successful_pull_at: at,
            }),
        }
    }
    facts
}

/// The exports to assess: this job's, those in the history, those advised about.
fn exports_of(inputs: &Inputs<'_>) -> Vec<DataExportType> {
    let mut all: Vec<DataExportType> = inputs
        .exports
        .iter()
        .map(|e| e.export)
        .chain(inputs.history.iter().map(|r| r.data_export_type))
        .chain(inputs.previous.iter().filter_map(|a| a.data_export_type))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// What changed between two sets: raised (new) and cleared (gone) advisories.
pub fn changes(previous: &[Advisory], current: &[Advisory]) -> Vec<(AdvisoryChange, Advisory)> {
    let raised = current
        .iter()
        .filter(|a| !previous.iter().any(|p| p.key() == a.key()))
        .map(|a| (AdvisoryChange::Raised, a.clone()));
    let cleared = previous
        .iter()
        .filter(|p| !current.iter().any(|a| a.key() == p.key()))
        .map(|p| (AdvisoryChange::Cleared, p.clone()));
    raised.chain(cleared).collect()
}

#[cfg(test)]
mod tests;
