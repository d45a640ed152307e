//! What a vendor is, in one value: its category, the data exports it pulls (with the
//! vendor endpoints each calls and the mapping of each record), its credential and
//! option schemas, its pacing limits, its token endpoint, what its UNAUTHORIZED runbook
//! asks the customer to grant, and how to build its connector. Each vendor folder
//! declares one [`VendorSpec`]; the [`crate::registry`] lists them.

use std::sync::Arc;

use serde_json::Value;
use tributary_model::{
    credentials::{CredentialField, Credentials},
    options::OptionField,
    record::Mapped,
    Category, DataExportType, HealthName, Vendor,
};

use crate::{
    connector::Connector,
    http::VendorHttp,
    mapping::{MapContext, MappingError},
    pacing::PaceLimits,
    view::View,
};

/// Normalizes one raw record of an export.
pub type MapFn = fn(&View, &MapContext) -> Result<Mapped, MappingError>;

/// Builds a connector for parsed credentials and the connection's options.
pub type ConnectFn = fn(&Credentials, &Value, VendorHttp) -> Arc<dyn Connector>;

/// One data export of a vendor.
#[derive(Debug, Clone, Copy)]
pub struct ExportSpec {
    pub data_export_type: DataExportType,
    /// The vendor endpoints the export calls, in call order. Health details name them.
    pub endpoints: &'static [&'static str],
    /// The permission (scope, role, API permission) the export needs, in the vendor's
    /// words: the runbook and the credential check name it.
    pub permission: &'static str,
    /// Normalizes one record of this export.
    pub map: MapFn,
}

/// Everything Tributary knows about one vendor.
pub struct VendorSpec {
    /// The wire name on connections, e.g. `CROWDSTRIKE`.
    pub vendor: Vendor,
    /// The product's name, e.g. `CrowdStrike Falcon`.
    pub name: &'static str,
    pub category: Category,
    /// The exports a job syncs, in order (records others link to come first).
    pub exports: &'static [ExportSpec],
    pub credentials: &'static [CredentialField],
    /// Options this vendor takes besides the common ones.
    pub options: &'static [OptionField],
    /// The vendor's published request limits, paced client-side.
    pub pacing: PaceLimits,
    /// The endpoint that takes the credentials for a token, if the vendor has one (token
    /// errors are reported against it).
    pub token_endpoint: Option<&'static str>,
    /// Who in the customer's tenant creates the credentials, and how (runbook text).
    pub credential_help: &'static str,
    pub connect: ConnectFn,
}

impl VendorSpec {
    /// The export spec for `export`, if this vendor pulls it.
    pub fn export(&self, export: DataExportType) -> Option<&'static ExportSpec> {
        self.exports.iter().find(|e| e.data_export_type == export)
    }

    /// Parses credentials against this vendor's fields (errors relative to the object).
    pub fn parse_credentials(
        &self,
        value: &Value,
    ) -> Result<Credentials, Vec<tributary_model::validation::FieldError>> {
        Credentials::parse(self.vendor, self.credentials, value)
    }

    /// The vendor host a connection's data comes from: `host` (or `host:port`) of its
    /// API URL, the last URL field of the credentials (vendors declare a sign-in host
    /// before their API host). Vendor incidents are keyed by it. Only the host, never a
    /// path or a secret; empty for a vendor whose credentials hold no URL (its one cloud).
    pub fn api_host(&self, creds: &Credentials) -> String {
        creds
            .base_urls()
            .last()
            .and_then(|(_, u)| url::Url::parse(u).ok())
            .and_then(|u| {
                let host = u.host_str()?.to_ascii_lowercase();
                Some(match u.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                })
            })
            .unwrap_or_default()
    }

    /// The runbook step for `name` on a connection to this vendor: the generic step, and
    /// for UNAUTHORIZED what each export needs from the customer's tenant.
    pub fn resolution(&self, name: HealthName) -> String {
        let generic = name.resolution();
        if name != HealthName::Unauthorized {
            return generic.to_owned();
        }
        let needs: Vec<String> = self
            .exports
            .iter()
            .map(|e| format!("{}: {}", e.data_export_type, e.permission))
            .collect();
        format!(
            "{generic} {} needs {}. {}",
            self.name,
            needs.join("; "),
            self.credential_help
        )
    }
}

impl std::fmt::Debug for VendorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorSpec")
            .field("vendor", &self.vendor)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}
