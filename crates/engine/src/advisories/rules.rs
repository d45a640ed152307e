//! One rule per advisory code: when it is raised, with which figures. Each returns the
//! advisory to raise now, or None; `assess` keeps the `since` of one already raised.

use chrono::{DateTime, Utc};
use serde_json::json;
use tributary_model::{Advisory, AdvisoryCode, DataExportType, HealthName};

use super::{ExportSeen, Freshness, Inputs};

/// One run of an export: this job's or one from the history.
struct Run {
    at: DateTime<Utc>,
    succeeded: bool,
    upserted: u64,
    quarantined: u64,
    received: u64,
    full_listing: bool,
}

/// This job's run of `export` (if it ran to its end), then the history's, newest first.
fn runs(inputs: &Inputs<'_>, export: DataExportType) -> Vec<Run> {
    let current = inputs
        .exports
        .iter()
        .filter(|e| e.export == export && e.ran_to_end)
        .map(|e| Run {
            at: inputs.now,
            succeeded: e.succeeded,
            upserted: e.upserted,
            quarantined: e.quarantined,
            received: e.received,
            full_listing: e.full_listing,
        });
    let past = inputs
        .history
        .iter()
        .filter(|r| r.data_export_type == export)
        .map(|r| Run {
            at: r.finished_at,
            succeeded: r.health == HealthName::Healthy,
            upserted: r.records_upserted,
            quarantined: r.records_quarantined,
            received: r.records_received,
            full_listing: r.full_listing,
        });
    current.chain(past).collect()
}

/// QUARANTINED_RECORDS: records of `export` quarantined within the window.
pub fn quarantined(inputs: &Inputs<'_>, export: DataExportType) -> Option<Advisory> {
    let window_start = inputs.now - inputs.thresholds.quarantine_window;
    let recent: Vec<Run> = runs(inputs, export)
        .into_iter()
        .filter(|r| r.at >= window_start && r.quarantined > 0)
        .collect();
    let last = recent.first()?;
    let total: u64 = recent.iter().map(|r| r.quarantined).sum();
    let days = inputs.thresholds.quarantine_window.num_days();
    Some(Advisory::new(
        AdvisoryCode::QuarantinedRecords,
        Some(export),
        format!(
            "{total} {export} records could not be normalized in the last {days} days; \
             they are kept raw in quarantine"
        ),
        inputs.now,
        json!({
            "quarantined_last_run": last.quarantined,
            "quarantined_in_window": total,
            "runs_with_quarantine": recent.len(),
            "window_days": days,
            "last_quarantined_at": last.at,
            "sample": format!("{}?data_export_type={export}", inputs.quarantine_path),
        }),
    ))
}

/// RATE_LIMITED: an export that succeeded after enough 429s.
pub fn rate_limited(inputs: &Inputs<'_>, seen: &ExportSeen) -> Option<Advisory> {
    let n = seen.rate_limited_responses;
    if !seen.succeeded || n < inputs.thresholds.rate_limited_min_responses.max(1) {
        return None;
    }
    let waited = seen.rate_limit_wait_ms as f64 / 1000.0;
    let elapsed = (seen.elapsed_ms as f64 / 1000.0).max(waited);
    let share = if elapsed > 0.0 {
        (waited / elapsed * 100.0).round()
    } else {
        0.0
    };
    Some(Advisory::new(
        AdvisoryCode::RateLimited,
        Some(seen.export),
        format!(
            "the vendor answered 429 {n} times while pulling {}; the retries cleared \
             within the budget after {waited:.2} s of waiting ({share}% of the export's time)",
            seen.export
        ),
        inputs.now,
        json!({
            "responses_429": n,
            "seconds_waited": waited,
            "export_seconds": elapsed,
            "share_of_export_percent": share,
            "threshold_responses": inputs.thresholds.rate_limited_min_responses,
        }),
    ))
}

/// VOLUME_DROP: a complete listing much smaller than the median of the previous ones.
/// None when this run says nothing about volume (not a complete listing, or failed).
pub fn volume_drop(inputs: &Inputs<'_>, seen: &ExportSeen) -> Option<Option<Advisory>> {
    if !(seen.succeeded && seen.full_listing) {
        return None;
    }
    let t = inputs.thresholds;
    let mut baseline: Vec<u64> = runs(inputs, seen.export)
        .into_iter()
        .skip(1) // this run
        .filter(|r| r.succeeded && r.full_listing)
        .take(t.volume_baseline_runs)
        .map(|r| r.received)
        .collect();
    if baseline.len() < t.volume_min_baseline_runs.max(1) {
        return Some(None);
    }
    baseline.sort_unstable();
    let median = baseline[baseline.len() / 2];
    if median < t.volume_min_baseline_records {
        return Some(None);
    }
    let limit = median as f64 * (1.0 - t.volume_drop_fraction);
    if (seen.received as f64) >= limit {
        return Some(None);
    }
    let drop = ((1.0 - seen.received as f64 / median as f64) * 100.0).round();
    Some(Some(Advisory::new(
        AdvisoryCode::VolumeDrop,
        Some(seen.export),
        format!(
            "the complete {} listing had {} records, {drop}% fewer than its baseline of {median}",
            seen.export, seen.received
        ),
        inputs.now,
        json!({
            "records_listed": seen.received,
            "baseline_records": median,
            "baseline_runs": baseline.len(),
            "drop_percent": drop,
            "threshold_percent": (t.volume_drop_fraction * 100.0).round(),
        }),
    )))
}

/// NO_NEW_DATA: the export's current stretch of successful runs without a new or
/// changed record, against the longest stretch its history shows. None when this run
/// says nothing (it failed).
pub fn no_new_data(inputs: &Inputs<'_>, seen: &ExportSeen) -> Option<Option<Advisory>> {
    if !seen.succeeded {
        return None;
    }
    let t = inputs.thresholds;
    let runs: Vec<Run> = runs(inputs, seen.export)
        .into_iter()
        .filter(|r| r.succeeded)
        .collect();
    let silent = runs.iter().take_while(|r| r.upserted == 0).count();
    let data_runs = runs.iter().filter(|r| r.upserted > 0).count();
    if data_runs < t.no_new_data_min_data_runs.max(1) as usize {
        return Some(None);
    }
    // The stretches between runs with data, older than the current one (the oldest may
    // be cut by the window: counting it anyway only raises the bar).
    let mut normal = 0usize;
    let mut stretch = 0usize;
    for r in runs.iter().skip(silent) {
        if r.upserted > 0 {
            normal = normal.max(stretch);
            stretch = 0;
        } else {
            stretch += 1;
        }
    }
    let normal = normal.max(stretch);
    let threshold = ((normal as f64 * t.no_new_data_factor).ceil() as usize)
        .max(t.no_new_data_min_runs as usize);
    if silent < threshold {
        return Some(None);
    }
    let last_data = runs.get(silent).map(|r| r.at);
    let silent_secs = last_data.map(|at| (inputs.now - at).num_seconds());
    Some(Some(Advisory::new(
        AdvisoryCode::NoNewData,
        Some(seen.export),
        format!(
            "{silent} successful {} pulls in a row brought no new or changed record; its \
             history shows at most {normal} in a row",
            seen.export
        ),
        inputs.now,
        json!({
            "silent_runs": silent,
            "normal_silent_runs": normal,
            "threshold_runs": threshold,
            "runs_learned_from": runs.len(),
            "last_new_data_at": last_data,
            "silent_secs": silent_secs,
        }),
    )))
}

/// CREDENTIAL_EXPIRING: the vendor's expiry is within the warning window.
pub fn credential_expiring(inputs: &Inputs<'_>, at: DateTime<Utc>) -> Option<Advisory> {
    let warn = inputs.thresholds.credential_warn_days;
    let left = at - inputs.now;
    if left > chrono::Duration::days(warn) {
        return None;
    }
    let days = left.num_hours() as f64 / 24.0;
    Some(Advisory::new(
        AdvisoryCode::CredentialExpiring,
        None,
        format!(
            "the vendor says the credential expires at {} ({days:.1} days from now)",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        inputs.now,
        json!({
            "expires_at": at,
            "days_left": (days * 10.0).round() / 10.0,
            "warn_days": warn,
        }),
    ))
}

/// FRESHNESS_TARGET_MISSED: each export without a successful pull within the target
/// (counted from the connection's creation when none ever succeeded).
pub fn freshness_missed(now: DateTime<Utc>, freshness: &Freshness<'_>) -> Vec<Advisory> {
    let Some(target) = freshness.target_secs else {
        return Vec::new();
    };
    freshness
        .facts
        .iter()
        .filter_map(|f| {
            let since = f.last_successful_pull_at.unwrap_or(freshness.created_at);
            let pull_age = (now - since).num_seconds();
            if pull_age <= target {
                return None;
            }
            let seen = f.at(now);
            let export = f.data_export_type;
            let message = match f.last_successful_pull_at {
                Some(at) => format!(
                    "no successful {export} pull for {pull_age} s (since {}), beyond the \
                     connection's freshness target of {target} s",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                None => format!(
                    "no {export} pull has succeeded in the {pull_age} s since the connection \
                     was created, beyond its freshness target of {target} s"
                ),
            };
            Some(Advisory::new(
                AdvisoryCode::FreshnessTargetMissed,
                Some(export),
                message,
                now,
                json!({
                    "freshness_target_secs": target,
                    "pull_age_secs": pull_age,
                    "last_successful_pull_at": f.last_successful_pull_at,
                    "newest_record_at": f.newest_record_at,
                    "data_age_secs": seen.data_age_secs,
                }),
            ))
        })
        .collect()
}
