//! Microsoft Entra ID through Microsoft Graph: users and groups (delta queries),
//! applications (service principals with their assigned users and groups) and
//! conditional-access policies with the groups, users and applications they target.

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

use crate::{
    oauth::microsoft,
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "Microsoft Entra ID",
    category: Category::Idp,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Users,
            endpoints: &[USERS_DELTA],
            permission: "the User.Read.All application permission",
            map: |raw, ctx| Ok(Mapped::IdpUser(Box::new(mapping::user(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Groups,
            endpoints: &[GROUPS_DELTA, GROUP],
            permission: "the Group.Read.All application permission",
            map: |raw, ctx| Ok(Mapped::IdpGroup(Box::new(mapping::group(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Applications,
            endpoints: &[SERVICE_PRINCIPALS, APP_ROLE_ASSIGNED_TO],
            permission: "the Application.Read.All application permission",
            map: |raw, ctx| {
                Ok(Mapped::IdpApplication(Box::new(mapping::application(
                    raw, ctx,
                )?)))
            },
        },
        ExportSpec {
            data_export_type: DataExportType::Policies,
            endpoints: &[POLICIES],
            permission: "the Policy.Read.All application permission",
            map: |raw, ctx| Ok(Mapped::IdpPolicy(Box::new(mapping::policy(raw, ctx)?))),
        },
    ],
    credentials: &[
        microsoft::TENANT_ID,
        microsoft::CLIENT_ID,
        microsoft::CLIENT_SECRET,
        microsoft::LOGIN_BASE_URL,
        CredentialField::optional(
            "graph_base_url",
            FieldKind::Url,
            DEFAULT_GRAPH_BASE_URL,
            "The Microsoft Graph host (graph.microsoft.com by default)",
        ),
    ],
    options: &[],
    // Graph's directory reads allow thousands of requests per 10 seconds per app and
    // tenant; this stays well under: a burst of 100, then 20/s (429s are retried on
    // their Retry-After).
    pacing: PaceLimits::new(100.0, 20.0),
    token_endpoint: Some(TOKEN),
    credential_help: "An Entra ID administrator (Privileged Role Administrator or Global \
                      Administrator) grants those Microsoft Graph application permissions \
                      to the app registration, with admin consent.",
    connect: client::connect,
};
