//! The Okta connector: the API (`api.rs`) and the export readers (`readers.rs`) for one
//! org, and a minimal probe per export.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tributary_model::{credentials::Credentials, DataExportType};

use super::{
    api::Api,
    endpoints::{APPS, GROUPS, POLICIES, POLICY_TYPES, USERS},
    readers,
};
use crate::{
    connector::{Connector, ExportReader},
    error::VendorError,
    http::VendorHttp,
    watermark::Watermark,
};

/// The connector for parsed credentials (the spec's `connect`).
pub fn connect(creds: &Credentials, options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    let reconcile = options
        .get("reconcile_every_hours")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_RECONCILE_HOURS);
    Arc::new(Okta {
        api: Arc::new(Api::new(
            creds.get("domain").unwrap_or_default(),
            creds.secret("api_token").unwrap_or_default(),
            http,
        )),
        reconcile_every: chrono::Duration::hours(reconcile as i64),
    })
}

/// How often users and groups are listed whole, so deletions (Okta keeps no tombstones)
/// are found: a day unless the connection's `reconcile_every_hours` says otherwise.
pub const DEFAULT_RECONCILE_HOURS: u64 = 24;

pub struct Okta {
    api: Arc<Api>,
    reconcile_every: chrono::Duration,
}

#[async_trait]
impl Connector for Okta {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        readers::reader(self.api.clone(), export, since, self.reconcile_every)
    }

    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let (endpoint, query) = match export {
            DataExportType::Users => (USERS, vec![("limit", "1".to_owned())]),
            DataExportType::Groups => (GROUPS, vec![("limit", "1".to_owned())]),
            DataExportType::Applications => (APPS, vec![("limit", "1".to_owned())]),
            _ => (
                POLICIES,
                vec![
                    ("type", POLICY_TYPES[0].to_owned()),
                    ("limit", "1".to_owned()),
                ],
            ),
        };
        let url = self.api.url(endpoint, &query);
        self.api.page(endpoint, &url).await.map(|_| ())
    }
}
