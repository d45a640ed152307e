//! What each connector pulls: its data exports and the vendor endpoints each one calls.
//! Health details name these endpoints; `GET /v1/connectors` publishes them.

use tributary_model::{DataExportType, Vendor};

/// One data export of a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSpec {
    pub data_export_type: DataExportType,
    /// The vendor endpoints the export calls, in call order.
    pub endpoints: &'static [&'static str],
}

pub const SENTINELONE_AGENTS: &str = "/web/api/v2.1/agents";
pub const SENTINELONE_THREATS: &str = "/web/api/v2.1/threats";
pub const CROWDSTRIKE_TOKEN: &str = "/oauth2/token";
pub const CROWDSTRIKE_DEVICE_QUERY: &str = "/devices/queries/devices-scroll/v1";
pub const CROWDSTRIKE_DEVICE_ENTITIES: &str = "/devices/entities/devices/v2";
pub const CROWDSTRIKE_ALERT_QUERY: &str = "/alerts/queries/alerts/v2";
pub const CROWDSTRIKE_ALERT_ENTITIES: &str = "/alerts/entities/alerts/v2";
pub const DEFENDER_TOKEN: &str = "/{tenant_id}/oauth2/v2.0/token";
pub const DEFENDER_MACHINES: &str = "/api/machines";
pub const DEFENDER_ALERTS: &str = "/api/alerts";

const SENTINELONE: &[ExportSpec] = &[
    ExportSpec {
        data_export_type: DataExportType::Devices,
        endpoints: &[SENTINELONE_AGENTS],
    },
    ExportSpec {
        data_export_type: DataExportType::Alerts,
        endpoints: &[SENTINELONE_THREATS],
    },
];

const CROWDSTRIKE: &[ExportSpec] = &[
    ExportSpec {
        data_export_type: DataExportType::Devices,
        endpoints: &[CROWDSTRIKE_DEVICE_QUERY, CROWDSTRIKE_DEVICE_ENTITIES],
    },
    ExportSpec {
        data_export_type: DataExportType::Alerts,
        endpoints: &[CROWDSTRIKE_ALERT_QUERY, CROWDSTRIKE_ALERT_ENTITIES],
    },
];

const DEFENDER: &[ExportSpec] = &[
    ExportSpec {
        data_export_type: DataExportType::Devices,
        endpoints: &[DEFENDER_MACHINES],
    },
    ExportSpec {
        data_export_type: DataExportType::Alerts,
        endpoints: &[DEFENDER_ALERTS],
    },
];

/// The exports of `vendor`, devices first (so alerts can link to synced devices).
pub fn exports(vendor: Vendor) -> &'static [ExportSpec] {
    match vendor {
        Vendor::Sentinelone => SENTINELONE,
        Vendor::Crowdstrike => CROWDSTRIKE,
        Vendor::MsDefenderEndpoint => DEFENDER,
    }
}

/// The endpoint that gets the vendor's credentials (for token errors), if any.
pub fn token_endpoint(vendor: Vendor) -> Option<&'static str> {
    match vendor {
        Vendor::Sentinelone => None,
        Vendor::Crowdstrike => Some(CROWDSTRIKE_TOKEN),
        Vendor::MsDefenderEndpoint => Some(DEFENDER_TOKEN),
    }
}
