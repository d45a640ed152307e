//! The export pipeline on a real store (both backends): a complete listing that ends
//! cleanly marks what it did not see; a failed, quarantining or incremental run marks
//! nothing.

use std::collections::VecDeque;

use async_trait::async_trait;
use serde_json::{json, Value};
use tributary_connectors::{
    error::FailureKind,
    mapping::MappingError,
    normalize::{self, idp},
};
use tributary_model::{
    idp::{IdpObject, MappedIdpUser},
    ids::record_id,
    record::Mapped,
    DataExportType, Vendor,
};
use tributary_store::{
    models::IdpKind,
    testing::{leased_job, TestDatabase},
};

use super::*;

/// A reader of scripted pages.
struct Script {
    pages: VecDeque<Result<RawPage, VendorError>>,
    full: bool,
    /// Becomes a complete listing with its first page (its stored position was refused
    /// and it started over).
    restarts: bool,
}

#[async_trait]
impl ExportReader for Script {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if std::mem::take(&mut self.restarts) {
            self.full = true;
        }
        self.pages.pop_front().transpose()
    }

    fn full_listing(&self) -> bool {
        self.full
    }
}

fn map_user(raw: &View, ctx: &MapContext) -> Result<Mapped, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let user = idp::user(ctx, &id);
    Ok(Mapped::IdpUser(Box::new(MappedIdpUser {
        vendor_id: id,
        vendor_updated_at: None,
        user: IdpObject::Present(user),
    })))
}

static USERS: ExportSpec = ExportSpec {
    data_export_type: DataExportType::Users,
    endpoints: &["/users"],
    permission: "users:read",
    map: map_user,
};

fn page(records: &[Value]) -> Result<RawPage, VendorError> {
    Ok(RawPage {
        endpoint: "/users",
        records: records.to_vec().into(),
        watermark: None,
    })
}

fn users(ids: &[&str]) -> Result<RawPage, VendorError> {
    page(&ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>())
}

fn outage() -> Result<RawPage, VendorError> {
    Err(VendorError::new(
        FailureKind::ServerError,
        "/users",
        Some(503),
        "down",
    ))
}

/// A running job of a new connection, and its account.
async fn running_job(store: &Arc<dyn Store>) -> (ExportJob, Uuid) {
    let exports = [DataExportType::Users];
    let leased = leased_job(store, Vendor::named("OKTA"), &exports, "w").await;
    let job = ExportJob {
        store: store.clone(),
        connection_id: leased.connection_id,
        job_id: leased.job_id,
        worker: "w".into(),
    };
    (job, leased.account_id)
}

async fn run(
    job: &ExportJob,
    full: bool,
    pages: Vec<Result<RawPage, VendorError>>,
) -> (ExportEnd, ExportStats) {
    let reader = Box::new(Script {
        pages: pages.into(),
        full,
        restarts: false,
    });
    let mut stats = ExportStats::default();
    let mut endpoint = "/users";
    let end = sync_export(job, &USERS, reader, &mut stats, &mut endpoint).await;
    (end, stats)
}

/// The users of `job`'s connection that are marked deleted.
async fn deleted(job: &ExportJob, account: Uuid, ids: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let rid = record_id(job.connection_id, DataExportType::Users, id);
        let r = job
            .store
            .get_idp(account, job.connection_id, IdpKind::Users, rid)
            .await;
        if r.unwrap().expect("synced").is_deleted {
            out.push(id.to_string());
        }
    }
    out
}

#[tokio::test]
async fn only_a_clean_complete_listing_marks_what_it_did_not_see() {
    for db in TestDatabase::all("pipeline_reconcile") {
        let store = db.open().await;
        let (job, account) = running_job(&store).await;
        let all = ["u1", "u2", "u3"];
        let (end, stats) = run(&job, true, vec![users(&["u1", "u2"]), users(&["u3"])]).await;
        assert!(matches!(end, ExportEnd::Done), "{end:?}");
        assert_eq!((stats.upserted, stats.deleted), (3, 0));

        // The vendor fails after one page: the listing is partial, nothing is marked.
        let (end, _) = run(&job, true, vec![users(&["u1"]), outage()]).await;
        assert!(matches!(end, ExportEnd::Vendor(_)), "{end:?}");
        assert!(
            deleted(&job, account, &all).await.is_empty(),
            "{:?}",
            db.backend
        );
        // A record that could not be read might be one of the others: nothing is marked.
        let (end, stats) = run(&job, true, vec![page(&[json!({"id": "u1"}), json!({})])]).await;
        assert!(matches!(end, ExportEnd::Done) && stats.quarantined == 1);
        assert!(deleted(&job, account, &all).await.is_empty());
        // An incremental run lists only what changed: nothing is marked.
        let (end, _) = run(&job, false, vec![users(&["u1"])]).await;
        assert!(matches!(end, ExportEnd::Done));
        assert!(deleted(&job, account, &all).await.is_empty());

        // A complete listing without u3: u3 is gone.
        let (end, stats) = run(&job, true, vec![users(&["u1"]), users(&["u2"])]).await;
        assert!(matches!(end, ExportEnd::Done), "{end:?}");
        assert_eq!(stats.deleted, 1);
        assert_eq!(deleted(&job, account, &all).await, ["u3"]);

        // A run that starts incremental and becomes a complete listing on its first page
        // (the vendor refused its stored position): u2, not listed, is gone too.
        let reader = Box::new(Script {
            pages: vec![users(&["u1"])].into(),
            full: false,
            restarts: true,
        });
        let mut stats = ExportStats::default();
        let end = sync_export(&job, &USERS, reader, &mut stats, &mut "/users").await;
        assert!(matches!(end, ExportEnd::Done), "{end:?}");
        assert_eq!(stats.deleted, 1);
        assert_eq!(deleted(&job, account, &all).await, ["u2", "u3"]);
        store.close().await;
    }
}

/// Records a reader keeps as JSON text map exactly as parsed ones do, one tree at a
/// time; one that cannot be mapped is quarantined with the text the vendor sent.
#[test]
fn json_text_records_map_as_parsed_ones_and_quarantine_the_text_as_sent() {
    let texts = [
        r#"{"id": "u1", "extra": [1, 2]}"#,
        r#"{ "name": "no id" }"#,
        r#"{"id":"u2"}"#,
    ];
    let parsed: Vec<Value> = texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
    let raw: tributary_connectors::records::JsonRecords =
        serde_json::from_str(&format!("[{}]", texts.join(","))).unwrap();
    let ctx = MapContext {
        connection_id: Uuid::now_v7(),
    };
    let (from_values, q_values) = map_records(&USERS, &ctx, &Records::Parsed(parsed));
    let (from_text, q_text) = map_records(&USERS, &ctx, &Records::Json(raw));
    assert_eq!(from_text.ids(), from_values.ids());
    assert_eq!(from_text.ids().len(), 2);
    assert_eq!(q_values.len(), 1);
    assert_eq!(q_text.len(), 1);
    assert_eq!(q_text[0].error, q_values[0].error);
    // The parsed record is kept as its serialization, the text as the vendor sent it.
    assert_eq!(q_values[0].raw, r#"{"name":"no id"}"#);
    assert_eq!(q_text[0].raw, texts[1]);
}
