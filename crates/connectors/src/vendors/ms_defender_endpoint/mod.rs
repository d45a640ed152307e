//! Microsoft Defender for Endpoint: machines (devices) and alerts.

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
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "Microsoft Defender for Endpoint",
    category: Category::Edr,
    exports: &[
        ExportSpec {
            data_export_type: DataExportType::Devices,
            endpoints: &[MACHINES],
            permission: "the Machine.Read.All application permission",
            map: |raw, ctx| Ok(Mapped::Device(Box::new(mapping::map_device(raw, ctx)?))),
        },
        ExportSpec {
            data_export_type: DataExportType::Alerts,
            endpoints: &[ALERTS],
            permission: "the Alert.Read.All application permission",
            map: |raw, ctx| Ok(Mapped::Alert(Box::new(mapping::map_alert(raw, ctx)?))),
        },
    ],
    credentials: &[
        CredentialField::required(
            "tenant_id",
            FieldKind::Text,
            "The Microsoft Entra tenant (directory) id",
        ),
        CredentialField::required(
            "client_id",
            FieldKind::Text,
            "The app registration's application (client) id",
        ),
        CredentialField::required(
            "client_secret",
            FieldKind::Secret,
            "A client secret of the app registration (Certificates & secrets)",
        ),
        CredentialField::optional(
            "login_base_url",
            FieldKind::Url,
            DEFAULT_LOGIN_BASE_URL,
            "The sign-in host (public cloud by default)",
        ),
        CredentialField::optional(
            "api_base_url",
            FieldKind::Url,
            DEFAULT_API_BASE_URL,
            "The Defender API host (api.securitycenter.microsoft.com by default)",
        ),
    ],
    options: &[],
    // 100 calls per minute and 1,500 per hour per API: a burst of 100, then the hourly
    // average.
    pacing: PaceLimits::new(100.0, 1500.0 / 3600.0),
    token_endpoint: Some(TOKEN),
    credential_help: "An Entra ID administrator grants those WindowsDefenderATP application \
                      permissions to the app registration, with admin consent.",
    connect: client::connect,
};
