//! Data categories: each category is one normalized schema served by one part of the API
//! (EDR at `/v1/edr/*` today; vulnerability management and identity next), and owns the
//! data export types its connectors pull.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DataExportType;

/// A kind of security tool, and the normalized schema its data is served in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    /// Endpoint detection and response: devices and alerts (`/v1/edr/*`).
    Edr,
    /// Vulnerability management: assets and vulnerability findings
    /// (`/v2/vulnerability_findings`).
    Vms,
    /// Identity providers: users, groups, applications and policies, and the memberships
    /// between them (`/v1/idp/*`).
    Idp,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Edr, Category::Vms, Category::Idp];

    /// The wire name, e.g. `EDR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Edr => "EDR",
            Category::Vms => "VMS",
            Category::Idp => "IDP",
        }
    }

    /// The data exports of this category, in the order a job syncs them (records that
    /// others link to come first: devices before the alerts that name them).
    pub fn data_exports(self) -> &'static [DataExportType] {
        match self {
            Category::Edr => &[DataExportType::Devices, DataExportType::Alerts],
            Category::Vms => &[DataExportType::Assets, DataExportType::Vulnerabilities],
            // Users first: groups, applications and policies name them.
            Category::Idp => &[
                DataExportType::Users,
                DataExportType::Groups,
                DataExportType::Applications,
                DataExportType::Policies,
            ],
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_belongs_to_its_category() {
        for c in Category::ALL {
            for e in c.data_exports() {
                assert_eq!(e.category(), c, "{e}");
            }
        }
        for e in DataExportType::ALL {
            assert!(e.category().data_exports().contains(&e), "{e}");
        }
    }
}
