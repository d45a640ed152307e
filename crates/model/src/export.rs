//! Data export types: the kinds of data a connection pulls.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Category;

/// One kind of data a connector exports, as named in `health.details[].data_export_type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataExportType {
    /// Endpoints (hosts, agents, machines).
    Devices,
    /// Detections (alerts, threats).
    Alerts,
    /// A vulnerability scanner's assets (stored as devices).
    Assets,
    /// Vulnerability findings.
    Vulnerabilities,
    /// Identity provider users.
    Users,
    /// Identity provider groups, with their members.
    Groups,
    /// Applications, with their assigned users and groups.
    Applications,
    /// Identity policies, with their targets.
    Policies,
}

impl DataExportType {
    /// Every export type; [`Category::data_exports`] gives one category's in sync order.
    pub const ALL: [DataExportType; 8] = [
        DataExportType::Devices,
        DataExportType::Alerts,
        DataExportType::Assets,
        DataExportType::Vulnerabilities,
        DataExportType::Users,
        DataExportType::Groups,
        DataExportType::Applications,
        DataExportType::Policies,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataExportType::Devices => "devices",
            DataExportType::Alerts => "alerts",
            DataExportType::Assets => "assets",
            DataExportType::Vulnerabilities => "vulnerabilities",
            DataExportType::Users => "users",
            DataExportType::Groups => "groups",
            DataExportType::Applications => "applications",
            DataExportType::Policies => "policies",
        }
    }

    /// The category whose schema this export's records are normalized into.
    pub fn category(self) -> Category {
        match self {
            DataExportType::Devices | DataExportType::Alerts => Category::Edr,
            DataExportType::Assets | DataExportType::Vulnerabilities => Category::Vms,
            DataExportType::Users
            | DataExportType::Groups
            | DataExportType::Applications
            | DataExportType::Policies => Category::Idp,
        }
    }
}

impl fmt::Display for DataExportType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataExportType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataExportType::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown data export type `{s}`"))
    }
}
