//! Acme Directory, a fictional identity provider that exists only in this folder: its
//! spec, its client, its mapping and a minimal simulator of its API. `tests/it/idp.rs`
//! adds it to the vendor registry with one line and syncs it end to end; nothing else in
//! the tree names it.

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
    name: "Acme Directory",
    category: Category::Idp,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Users,
            endpoints: &[USERS],
            permission: "the users:read scope",
            map: |raw, ctx| Ok(Mapped::IdpUser(Box::new(mapping::user(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Groups,
            endpoints: &[GROUPS],
            permission: "the groups:read scope",
            map: |raw, ctx| Ok(Mapped::IdpGroup(Box::new(mapping::group(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Applications,
            endpoints: &[APPS],
            permission: "the apps:read scope",
            map: |raw, ctx| Ok(Mapped::IdpApplication(Box::new(mapping::app(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Policies,
            endpoints: &[POLICIES],
            permission: "the policies:read scope",
            map: |raw, ctx| Ok(Mapped::IdpPolicy(Box::new(mapping::policy(raw, ctx)?))),
        },
    ],
    credentials: &[
        CredentialField::required("base_url", FieldKind::Url, "The directory's API URL"),
        CredentialField::required("api_key", FieldKind::Secret, "An API key (Admin > Keys)"),
    ],
    options: &[],
    pacing: PaceLimits::new(50.0, 50.0),
    token_endpoint: None,
    credential_help: "An Acme Directory administrator creates an API key with those scopes.",
    connect: client::connect,
};
