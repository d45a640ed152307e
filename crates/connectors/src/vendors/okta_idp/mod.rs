//! Okta (Workforce Identity): users, groups with their members, apps with their
//! assignments, and policies of every type (authentication policies with their apps).

mod api;
pub mod client;
pub mod endpoints;
pub mod mapping;
mod readers;

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
    name: "Okta",
    category: Category::Idp,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Users,
            endpoints: &[USERS],
            permission: "the okta.users.read scope (a read-only administrator's API token)",
            map: |raw, ctx| Ok(Mapped::IdpUser(Box::new(mapping::user(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Groups,
            endpoints: &[GROUPS, GROUP_USERS],
            permission: "the okta.groups.read scope",
            map: |raw, ctx| Ok(Mapped::IdpGroup(Box::new(mapping::group(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Applications,
            endpoints: &[APPS, APP_USERS, APP_GROUPS],
            permission: "the okta.apps.read scope",
            map: |raw, ctx| Ok(Mapped::IdpApplication(Box::new(mapping::app(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Policies,
            endpoints: &[POLICIES, POLICY_APPS],
            permission: "the okta.policies.read scope",
            map: |raw, ctx| Ok(Mapped::IdpPolicy(Box::new(mapping::policy(raw, ctx)?))),
        },
    ],
    credentials: &[
        CredentialField::required(
            "domain",
            FieldKind::Url,
            "The Okta org URL, e.g. https://example.okta.com",
        ),
        CredentialField::required(
            "api_token",
            FieldKind::Secret,
            "An API token (Security > API > Tokens), sent as `SSWS <token>`",
        ),
    ],
    options: &[OptionField {
        name: "reconcile_every_hours",
        kind: OptionKind::Integer { min: 0, max: 720 },
        description: "How often (hours, default 24; 0: every sync) users and groups are \
                      listed whole to find the ones Okta deleted",
    }],
    // Okta's per-minute limits are per endpoint family and announced on every response
    // (the client waits on them); this bounds the rate overall: a burst of 100, then 25/s.
    pacing: PaceLimits::new(100.0, 25.0),
    token_endpoint: None,
    credential_help: "An Okta super administrator creates the API token while signed in as \
                      an administrator with read access to users, groups, apps and \
                      policies (e.g. the Read-Only Administrator role); the token has that \
                      administrator's permissions.",
    connect: client::connect,
};
