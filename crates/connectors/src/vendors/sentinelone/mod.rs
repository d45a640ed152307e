//! SentinelOne Management API v2.1: agents (devices) and threats (alerts).

pub mod client;
pub mod endpoints;
pub mod mapping;

pub use endpoints::VENDOR;
use endpoints::*;
use tributary_model::{
    credentials::{CredentialField, FieldKind},
    options::{OptionField, OptionKind},
    record::Mapped,
    Category, DataExportType,
};

use crate::{
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "SentinelOne",
    category: Category::Edr,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Devices,
            endpoints: &[AGENTS],
            permission: "Endpoints: View (a Viewer role)",
            map: |raw, ctx| Ok(Mapped::Device(Box::new(mapping::map_device(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Alerts,
            endpoints: &[THREATS],
            permission: "Threats: View (a Viewer role)",
            map: |raw, ctx| Ok(Mapped::Alert(Box::new(mapping::map_alert(raw, ctx)?))),
        },
    ],
    credentials: &[
        CredentialField::required(
            "base_url",
            FieldKind::Url,
            "The management console URL, e.g. https://usea1-acme.sentinelone.net",
        ),
        CredentialField::required(
            "api_token",
            FieldKind::Secret,
            "An API token of a service user (Settings > Users > Service Users)",
        ),
    ],
    // Scope the pull to some sites or accounts of a multi-site console.
    options: &[
        OptionField {
            name: "site_ids",
            kind: OptionKind::TextList { max_items: 500 },
            description: "Only these sites of the console",
        },
        OptionField {
            name: "account_ids",
            kind: OptionKind::TextList { max_items: 500 },
            description: "Only these accounts of the console",
        },
    ],
    // SentinelOne publishes no numbers; 25 per second is a conservative per-token rate.
    pacing: PaceLimits::new(25.0, 25.0),
    token_endpoint: None,
    credential_help: "A console administrator creates a service user with the Viewer role \
                      at the right scope (account or site) and generates its API token.",
    connect: client::connect,
};
