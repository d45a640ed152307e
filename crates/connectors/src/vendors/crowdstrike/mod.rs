//! CrowdStrike Falcon: hosts (devices) and alerts.

pub mod client;
pub mod endpoints;
pub mod falcon;
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
    name: "CrowdStrike Falcon",
    category: Category::Edr,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Devices,
            endpoints: &[DEVICE_QUERY, DEVICE_ENTITIES],
            permission: "the Hosts: Read API scope",
            map: |raw, ctx| Ok(Mapped::Device(Box::new(mapping::map_device(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Alerts,
            endpoints: &[ALERT_QUERY, ALERT_ENTITIES],
            permission: "the Alerts: Read API scope",
            map: |raw, ctx| Ok(Mapped::Alert(Box::new(mapping::map_alert(raw, ctx)?))),
        },
    ],
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
    // An MSSP parent can read a child tenant (CID) with its own API client.
    options: &[OptionField {
        name: "member_cid",
        kind: OptionKind::Text { max_len: 64 },
        description: "The child CID to read, for an MSSP parent's API client",
    }],
    // 6,000 requests per minute per customer (CID).
    pacing: PaceLimits::new(100.0, 100.0),
    token_endpoint: Some(TOKEN),
    credential_help: "A Falcon administrator creates an API client under Support and \
                      resources > API clients and keys with those scopes.",
    connect: client::connect,
};
