//! Microsoft Defender for Endpoint: machines (devices) and alerts.

pub mod client;
pub mod endpoints;
pub mod mapping;

pub use endpoints::VENDOR;
use endpoints::*;
use tributary_model::{record::Mapped, Category, DataExportType};

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
    credentials: CREDENTIALS,
    options: &[],
    // 100 calls per minute and 1,500 per hour per API: a burst of 100, then the hourly
    // average.
    pacing: PaceLimits::new(100.0, 1500.0 / 3600.0),
    token_endpoint: Some(TOKEN),
    credential_help: "An Entra ID administrator grants those WindowsDefenderATP application \
                      permissions to the app registration, with admin consent.",
    connect: client::connect,
};
