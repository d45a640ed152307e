//! CrowdStrike Falcon Spotlight: vulnerability findings of Falcon-managed hosts, through
//! the combined vulnerabilities endpoint. Spotlight has no asset listing of its own: a
//! finding's asset is the host it describes (`host_info`), served as its snapshot.

pub mod client;
pub mod endpoints;
pub mod mapping;

pub use endpoints::VENDOR;
use endpoints::*;
use tributary_model::{
    credentials::{CredentialField, FieldKind},
    record::Mapped,
    Category, DataExportType,
};

use super::crowdstrike::endpoints::{DEFAULT_BASE_URL, TOKEN};
use crate::{
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "CrowdStrike Falcon Spotlight",
    category: Category::Vms,
    exports: &[ExportSpec {
        data_export_type: DataExportType::Vulnerabilities,
        endpoints: &[VULNERABILITIES],
        permission: "the Vulnerabilities: Read API scope",
        map: |raw, ctx| Ok(Mapped::Finding(Box::new(mapping::finding(raw, ctx)?))),
    }],
    credentials: &[
        CredentialField::required(
            "client_id",
            FieldKind::Text,
            "The API client's id (Falcon console: Support and resources > API clients and keys)",
        ),
        CredentialField::required(
            "client_secret",
            FieldKind::Secret,
            "The API client's secret, shown once when the client is created",
        ),
        CredentialField::optional(
            "base_url",
            FieldKind::Url,
            DEFAULT_BASE_URL,
            "The cloud's API URL (US-1 by default; US-2, EU-1 and GovCloud have their own)",
        ),
    ],
    options: &[],
    // Falcon's 6,000 requests per minute per customer (CID), shared with Falcon itself.
    pacing: PaceLimits::new(100.0, 100.0),
    token_endpoint: Some(TOKEN),
    credential_help: "A Falcon administrator creates an API client under Support and \
                      resources > API clients and keys with that scope.",
    connect: client::connect,
};
