//! Acme Sentry, a fictional EDR vendor that exists only in this folder: its spec, its
//! client, its mapping and a minimal simulator of its API. `tests/it/new_vendor.rs` adds
//! it to the vendor registry with one line and syncs it end to end; nothing else in the
//! tree names it.

pub mod client;
pub mod endpoints;
pub mod mapping;
pub mod simulator;

use endpoints::*;
use tributary_connectors::{
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};
use tributary_model::{
    credentials::{CredentialField, FieldKind},
    record::Mapped,
    Category, DataExportType,
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "Acme Sentry",
    category: Category::Edr,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Devices,
            endpoints: &[HOSTS],
            permission: "the hosts:read scope",
            map: |raw, ctx| Ok(Mapped::Device(Box::new(mapping::host(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Alerts,
            endpoints: &[DETECTIONS],
            permission: "the detections:read scope",
            map: |raw, ctx| Ok(Mapped::Alert(Box::new(mapping::detection(raw, ctx)?))),
        },
    ],
    credentials: &[
        CredentialField::required("base_url", FieldKind::Url, "The tenant's API URL"),
        CredentialField::required("api_key", FieldKind::Secret, "An API key (Settings > Keys)"),
    ],
    options: &[],
    pacing: PaceLimits::new(50.0, 50.0),
    token_endpoint: None,
    credential_help: "An Acme administrator creates an API key with those scopes.",
    connect: client::connect,
};
