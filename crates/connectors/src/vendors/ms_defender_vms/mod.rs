//! Microsoft Defender Vulnerability Management: the vulnerabilities of every onboarded
//! machine (`machinesVulnerabilities`), detailed from the CVE catalogue. There is no
//! incremental filter: each job reads a full snapshot, and a finding a complete snapshot
//! no longer lists is FIXED (`docs/vms.md`, "Snapshot reconciliation").

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

/// The application permission every endpoint of the export needs.
pub const PERMISSION: &str = "the Vulnerability.Read.All application permission";

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "Microsoft Defender Vulnerability Management",
    category: Category::Vms,
    exports: &[ExportSpec {
        data_export_type: DataExportType::Vulnerabilities,
        endpoints: &[VULNERABILITIES, MACHINE_VULNERABILITIES],
        permission: PERMISSION,
        map: |raw, ctx| Ok(Mapped::Finding(Box::new(mapping::finding(raw, ctx)?))),
    }],
    credentials: CREDENTIALS,
    options: &[],
    // Defender's API allows 100 calls per minute and 1,500 per hour: a burst of 100,
    // then the hourly average (429s are retried on their Retry-After).
    pacing: PaceLimits::new(100.0, 1500.0 / 3600.0),
    token_endpoint: Some(TOKEN),
    credential_help: "An Entra ID administrator adds it to the app registration (API \
                      permissions > Add a permission > APIs my organization uses > \
                      WindowsDefenderATP > Application permissions > \
                      Vulnerability.Read.All), then selects Grant admin consent.",
    connect: client::connect,
};
