//! Tenable Vulnerability Management (tenable.io): assets and vulnerability findings through
//! the asynchronous export API.

pub mod api;
pub mod client;
pub mod endpoints;
pub mod export;
pub mod mapping;

pub use endpoints::VENDOR;
use endpoints::*;
use tributary_model::{
    credentials::{CredentialField, FieldKind},
    record::Mapped,
    Category, DataExportType,
};

use crate::{
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "Tenable Vulnerability Management",
    category: Category::Vms,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Assets,
            endpoints: &[ASSETS_EXPORT, ASSETS_STATUS, ASSETS_CHUNK],
            permission: "asset exports (the Administrator role, or Can View on the assets)",
            map: |raw, ctx| Ok(Mapped::Device(Box::new(mapping::asset(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Vulnerabilities,
            endpoints: &[VULNS_EXPORT, VULNS_STATUS, VULNS_CHUNK],
            permission: "vulnerability exports (the Administrator role, or Can View on the assets)",
            map: |raw, ctx| Ok(Mapped::Finding(Box::new(mapping::finding(raw, ctx)?))),
        },
    ],
    credentials: &[
        CredentialField::required(
            "access_key",
            FieldKind::Text,
            "The API access key (Settings > My Account > API Keys)",
        ),
        CredentialField::required(
            "secret_key",
            FieldKind::Secret,
            "The API secret key, shown once when the keys are generated",
        ),
        CredentialField::optional(
            "base_url",
            FieldKind::Url,
            DEFAULT_BASE_URL,
            "The Tenable Vulnerability Management host (cloud.tenable.com by default)",
        ),
    ],
    options: &[],
    // Tenable derives its per-user limit from load and answers 429 with retry-after;
    // exports are few, long requests, so a modest pace is plenty.
    pacing: PaceLimits::new(10.0, 5.0),
    token_endpoint: None,
    credential_help: "A Tenable administrator generates API keys for a user with that access \
                      (regenerating keys revokes the previous pair).",
    connect: client::connect,
};
