use chrono::{Duration, Utc};
use tributary_model::{AdvisoryChange, AdvisoryCode, DataExportType, HealthName};
use tributary_store::models::ExportRun;
use uuid::Uuid;

use super::*;

const ALERTS: DataExportType = DataExportType::Alerts;

fn seen(upserted: u64) -> ExportSeen {
    ExportSeen {
        export: ALERTS,
        ran_to_end: true,
        succeeded: true,
        upserted,
        quarantined: 0,
        received: upserted,
        full_listing: false,
        rate_limited_responses: 0,
        rate_limit_wait_ms: 0,
        elapsed_ms: 1000,
    }
}

/// History from a list of upserted counts, newest first, one hour apart.
fn history(upserted: &[u64]) -> Vec<ExportRun> {
    let now = Utc::now();
    upserted
        .iter()
        .enumerate()
        .map(|(i, n)| ExportRun {
            job_id: Uuid::now_v7(),
            finished_at: now - Duration::hours(i as i64 + 1),
            data_export_type: ALERTS,
            health: HealthName::Healthy,
            records_upserted: *n,
            records_quarantined: 0,
            records_received: *n,
            full_listing: false,
        })
        .collect()
}

fn run(
    previous: &[Advisory],
    history: &[ExportRun],
    exports: &[ExportSeen],
    expiry: ExpiryCheck,
) -> Vec<Advisory> {
    let thresholds = AdvisoryThresholds::default();
    assess(&Inputs {
        now: Utc::now(),
        thresholds: &thresholds,
        previous,
        history,
        exports,
        expiry,
        quarantine_path: "/q",
        freshness: Freshness {
            target_secs: None,
            created_at: Utc::now(),
            facts: &[],
        },
    })
}

fn codes(a: &[Advisory]) -> Vec<AdvisoryCode> {
    a.iter().map(|a| a.code).collect()
}

#[test]
fn no_new_data_is_learned_from_the_exports_own_rhythm() {
    // Data every third run: stretches of two silent runs are normal; 6 is the floor.
    let rhythm = [5, 0, 0, 5, 0, 0, 5, 100];
    // This run and four before it: 5 silent runs.
    let five_silent: Vec<u64> = [0; 4].iter().chain(rhythm.iter()).copied().collect();
    assert!(run(&[], &history(&five_silent), &[seen(0)], ExpiryCheck::None).is_empty());
    let six_silent: Vec<u64> = [0; 5].iter().chain(rhythm.iter()).copied().collect();
    let raised = run(&[], &history(&six_silent), &[seen(0)], ExpiryCheck::None);
    assert_eq!(codes(&raised), [AdvisoryCode::NoNewData]);
    assert_eq!(raised[0].evidence["silent_runs"], 6);
    assert_eq!(raised[0].evidence["normal_silent_runs"], 2);

    // An export whose data comes every fifth run needs 12 silent runs (3 × 4).
    let sparse = [7, 0, 0, 0, 0, 7, 0, 0, 0, 0, 100];
    let eleven: Vec<u64> = [0; 10].iter().chain(sparse.iter()).copied().collect();
    assert!(run(&[], &history(&eleven), &[seen(0)], ExpiryCheck::None).is_empty());
    let twelve: Vec<u64> = [0; 11].iter().chain(sparse.iter()).copied().collect();
    assert_eq!(
        codes(&run(&[], &history(&twelve), &[seen(0)], ExpiryCheck::None)),
        [AdvisoryCode::NoNewData]
    );

    // Only the initial load brought data: nothing is known, nothing raised.
    let once: Vec<u64> = [0; 40].iter().chain([100].iter()).copied().collect();
    assert!(run(&[], &history(&once), &[seen(0)], ExpiryCheck::None).is_empty());
}

#[test]
fn a_failed_run_keeps_what_was_raised_and_a_good_one_clears_it() {
    let six: Vec<u64> = [0; 6].iter().chain([5, 5, 100].iter()).copied().collect();
    let raised = run(&[], &history(&six), &[seen(0)], ExpiryCheck::None);
    assert_eq!(codes(&raised), [AdvisoryCode::NoNewData]);
    let mut failed = seen(0);
    (failed.ran_to_end, failed.succeeded) = (false, false);
    let kept = run(&raised, &history(&six), &[failed], ExpiryCheck::Unknown);
    assert_eq!(kept, raised, "kept as it was, `since` included");
    let cleared = run(&raised, &history(&six), &[seen(3)], ExpiryCheck::None);
    assert!(cleared.is_empty());
    let change = changes(&raised, &cleared);
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].0, AdvisoryChange::Cleared);
}

#[test]
fn volume_drop_compares_complete_listings_with_their_median() {
    let full = |n: u64| {
        let mut s = seen(n);
        s.full_listing = true;
        s
    };
    let mut past = history(&[100, 98, 102, 100]);
    for r in &mut past {
        r.full_listing = true;
    }
    assert!(run(&[], &past, &[full(80)], ExpiryCheck::None).is_empty());
    let raised = run(&[], &past, &[full(50)], ExpiryCheck::None);
    assert_eq!(codes(&raised), [AdvisoryCode::VolumeDrop]);
    assert_eq!(raised[0].evidence["baseline_records"], 100);
    assert_eq!(raised[0].evidence["drop_percent"], 50.0);
    // An incremental run says nothing about volume: the advisory stands.
    assert_eq!(
        codes(&run(&raised, &past, &[seen(1)], ExpiryCheck::None)),
        [AdvisoryCode::VolumeDrop]
    );
    // Two earlier listings are not a baseline.
    assert!(run(&[], &past[..2], &[full(10)], ExpiryCheck::None).is_empty());
}

#[test]
fn rate_limits_quarantine_and_expiry() {
    let mut limited = seen(5);
    limited.rate_limited_responses = 2;
    limited.rate_limit_wait_ms = 2000;
    limited.elapsed_ms = 4000;
    let raised = run(&[], &[], &[limited.clone()], ExpiryCheck::None);
    assert_eq!(codes(&raised), [AdvisoryCode::RateLimited]);
    assert_eq!(raised[0].evidence["share_of_export_percent"], 50.0);
    limited.rate_limited_responses = 1;
    assert!(run(&[], &[], &[limited], ExpiryCheck::None).is_empty());

    let mut quarantined = seen(5);
    (quarantined.quarantined, quarantined.succeeded) = (2, false);
    let raised = run(&[], &[], &[quarantined], ExpiryCheck::None);
    assert_eq!(codes(&raised), [AdvisoryCode::QuarantinedRecords]);
    assert_eq!(raised[0].evidence["sample"], "/q?data_export_type=alerts");

    let soon = ExpiryCheck::At(Utc::now() + Duration::days(5));
    let raised = run(&[], &[], &[seen(1)], soon);
    assert_eq!(codes(&raised), [AdvisoryCode::CredentialExpiring]);
    assert_eq!(raised[0].data_export_type, None);
    let later = ExpiryCheck::At(Utc::now() + Duration::days(90));
    assert!(run(&raised, &[], &[seen(1)], later).is_empty());
    assert_eq!(
        run(&raised, &[], &[seen(1)], ExpiryCheck::Unknown),
        raised,
        "an unanswered question keeps it"
    );
}

#[test]
fn a_pull_overdue_against_the_target_is_advised_and_clears_when_met() {
    let now = Utc::now();
    let created_at = now - Duration::days(3);
    let stored = [FreshnessFacts {
        data_export_type: ALERTS,
        newest_record_at: Some(now - Duration::hours(5)),
        last_successful_pull_at: Some(now - Duration::hours(2)),
    }];
    let target = |secs| Freshness {
        target_secs: secs,
        created_at,
        facts: &stored,
    };
    // Two hours since the last success: a one-hour target is missed, a three-hour one met.
    let raised = reassess_freshness(now, &[], &target(Some(3600)));
    assert_eq!(codes(&raised), [AdvisoryCode::FreshnessTargetMissed]);
    let e = &raised[0].evidence;
    assert_eq!(
        (e["pull_age_secs"].as_i64(), e["data_age_secs"].as_i64()),
        (Some(7200), Some(18000))
    );
    assert!(reassess_freshness(now, &raised, &target(Some(3 * 3600))).is_empty());
    assert!(reassess_freshness(now, &raised, &target(None)).is_empty());
    // Still missed later: the advisory keeps its `since`.
    let later = reassess_freshness(now + Duration::minutes(5), &raised, &target(Some(3600)));
    assert_eq!(later[0].since, raised[0].since);

    // A job in which the export succeeded meets the target at once; a failed one does not.
    let mut ok = seen(0);
    let after = facts_after_job(&stored, std::slice::from_ref(&ok), now);
    let fresh = Freshness {
        facts: &after,
        ..target(Some(3600))
    };
    assert!(reassess_freshness(now, &raised, &fresh).is_empty());
    ok.succeeded = false;
    let after = facts_after_job(&stored, std::slice::from_ref(&ok), now);
    let stale = Freshness {
        facts: &after,
        ..target(Some(3600))
    };
    assert_eq!(
        codes(&reassess_freshness(now, &[], &stale)),
        [AdvisoryCode::FreshnessTargetMissed]
    );

    // Never pulled successfully: counted from the connection's creation.
    let never = [FreshnessFacts {
        last_successful_pull_at: None,
        ..stored[0]
    }];
    let young = Freshness {
        created_at: now - Duration::minutes(10),
        facts: &never,
        target_secs: Some(3600),
    };
    assert!(reassess_freshness(now, &[], &young).is_empty());
    let old = Freshness {
        created_at,
        ..young
    };
    assert_eq!(
        codes(&reassess_freshness(now, &[], &old)),
        [AdvisoryCode::FreshnessTargetMissed]
    );
}
