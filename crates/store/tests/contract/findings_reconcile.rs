//! Reconciling a complete snapshot of findings on both stores: the stored findings it did
//! not list become FIXED (documents too, with `fixed_at`), once, under the job's lease
//! and only on the listing's connection; a finding listed OPEN again after that is
//! REOPENED and stays so while listed unchanged.

use std::sync::Arc;

use serde_json::Value;
use tributary_model::{
    ids::record_id,
    vms::{Finding, FindingSeverity, FindingState, FindingType, MappedFinding, Product},
    DataExportType, Vendor,
};
use tributary_store::{
    documents::vms::finding_row,
    models::*,
    testing::{leased_job, LeasedJob},
    Store, StoreError,
};
use uuid::Uuid;

use crate::support::each_backend;

const VENDOR: Vendor = Vendor::named("MS_DEFENDER_VMS");

/// An OPEN finding `vendor_id` of `conn`, as a snapshot vendor's mapping makes it.
fn open(conn: Uuid, vendor_id: &str) -> FindingRow {
    let finding = Finding {
        id: record_id(conn, DataExportType::Vulnerabilities, vendor_id),
        title: Some(format!("{vendor_id} in windows_11")),
        description: None,
        analytic_output: None,
        severity: FindingSeverity::High,
        state: FindingState::Open,
        finding_type: FindingType::Host,
        first_seen: None,
        last_seen: None,
        ticket: None,
        has_fix: Some(true),
        remediation: None,
        product: Product {
            vendor_name: "Microsoft".into(),
            name: "Defender Vulnerability Management".into(),
        },
        analytic: None,
        resource_related: Default::default(),
        vendor_data: serde_json::json!({}),
        vulnerabilities: vec![],
        vendor: VENDOR.source(),
        vendor_id: vendor_id.into(),
        state_updated_at: None,
        fixed_at: None,
        resource_id: None,
        resource: None,
        updated_at: None,
    };
    finding_row(&MappedFinding {
        vendor_id: vendor_id.into(),
        vendor_updated_at: None,
        finding,
    })
}

async fn commit(store: &Arc<dyn Store>, job: &LeasedJob, ids: &[&str]) -> PageCommitted {
    let page = PageCommit {
        connection_id: job.connection_id,
        job_id: job.job_id,
        lease_owner: "w".into(),
        export: DataExportType::Vulnerabilities,
        records: PageRecords::Findings(ids.iter().map(|i| open(job.connection_id, i)).collect()),
        quarantined: vec![],
        watermark: None,
        watermark_at: None,
    };
    store.commit_page(page).await.unwrap()
}

fn listing(job: &LeasedJob, seen: &[&str], owner: &str) -> CompleteListing {
    CompleteListing {
        connection_id: job.connection_id,
        job_id: job.job_id,
        lease_owner: owner.into(),
        export: DataExportType::Vulnerabilities,
        seen: seen
            .iter()
            .map(|i| record_id(job.connection_id, DataExportType::Vulnerabilities, i))
            .collect(),
    }
}

/// The stored document of finding `vendor_id`.
async fn stored(store: &Arc<dyn Store>, job: &LeasedJob, vendor_id: &str) -> Value {
    let id = record_id(
        job.connection_id,
        DataExportType::Vulnerabilities,
        vendor_id,
    );
    let f = store
        .get_finding(job.account_id, job.connection_id, id)
        .await
        .unwrap()
        .expect("stored");
    serde_json::from_str(&f.data).unwrap()
}

#[tokio::test]
async fn a_complete_snapshot_fixes_what_it_no_longer_lists() {
    each_backend("findings_reconcile", |store, backend| async move {
        let exports = [DataExportType::Vulnerabilities];
        let job = leased_job(&store, VENDOR, &exports, "w").await;
        let other = leased_job(&store, VENDOR, &exports, "w").await;
        assert_eq!(
            commit(&store, &job, &["f1", "f2", "f3", "f4"])
                .await
                .upserted,
            4
        );
        assert_eq!(commit(&store, &other, &["f3"]).await.upserted, 1);

        let lost = store
            .reconcile_listing(listing(&job, &["f1", "f2"], "x"))
            .await;
        assert!(matches!(lost, Err(StoreError::LeaseLost(_))), "{lost:?}");
        assert_eq!(
            stored(&store, &job, "f3").await["state"],
            "OPEN",
            "{backend:?}"
        );

        let done = store
            .reconcile_listing(listing(&job, &["f1", "f2"], "w"))
            .await
            .unwrap();
        assert_eq!((done.fixed, done.deleted), (2, 0), "{backend:?}");
        for id in ["f3", "f4"] {
            let f = stored(&store, &job, id).await;
            assert_eq!(f["state"], "FIXED", "{backend:?}: {f}");
            assert!(f["fixed_at"].is_string(), "{f}");
            assert_eq!(f["state_updated_at"], f["fixed_at"], "{f}");
        }
        assert_eq!(stored(&store, &job, "f1").await["state"], "OPEN");
        assert_eq!(
            stored(&store, &other, "f3").await["state"],
            "OPEN",
            "other connections untouched"
        );
        // The FIXED state column answers the `state` filter.
        let fixed = FindingQuery {
            connection_id: job.connection_id,
            filter: FindingFilter {
                states: vec!["FIXED".into()],
                ..Default::default()
            },
            window: tributary_store::ListWindow::first(10),
        };
        let page = store.list_findings(job.account_id, &fixed).await.unwrap();
        assert_eq!(page.items.len(), 2, "{backend:?}");
        let again = store
            .reconcile_listing(listing(&job, &["f1", "f2"], "w"))
            .await
            .unwrap();
        assert_eq!(again.fixed, 0, "reconciling twice changes nothing");

        // f3 is listed again, OPEN as the mapping says: it was fixed, so it is REOPENED.
        assert_eq!(commit(&store, &job, &["f1", "f2", "f3"]).await.upserted, 1);
        let f = stored(&store, &job, "f3").await;
        assert_eq!(f["state"], "REOPENED", "{backend:?}: {f}");
        assert!(
            f["fixed_at"].is_null() && f["state_updated_at"].is_string(),
            "{f}"
        );
        // Listed again unchanged: still REOPENED since the same time, nothing rewritten.
        assert_eq!(
            commit(&store, &job, &["f3"]).await.upserted,
            0,
            "{backend:?}"
        );
        assert_eq!(stored(&store, &job, "f3").await, f);

        // An empty complete snapshot: every finding not FIXED yet becomes FIXED.
        let all = store
            .reconcile_listing(listing(&job, &[], "w"))
            .await
            .unwrap();
        assert_eq!(all.fixed, 3, "{backend:?}: f1, f2 and the reopened f3");
        assert_eq!(stored(&store, &job, "f3").await["state"], "FIXED");
    })
    .await;
}
