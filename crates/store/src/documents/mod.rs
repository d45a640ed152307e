//! One stored document per record kind: how a normalized record is split into the
//! columns the store keeps, and how those columns are rendered back into the documented
//! JSON. The API assembles responses from stored JSON text without re-serializing
//! records (`bench api`: re-parsing them was ~6% of the machine's CPU); the round-trip
//! tests here keep the split and the render in step: for every include option,
//! rendering what was split equals serializing the record as the API documents it.

pub mod edr;
pub mod idp;
mod json;
#[cfg(test)]
mod strategies;
pub mod vms;

use tributary_model::{record::Mapped, DataExportType};
use uuid::Uuid;

use crate::models::{IdpKind, PageRecords};

impl PageRecords {
    /// An empty page of `export`'s rows.
    pub fn empty(export: DataExportType) -> PageRecords {
        match export {
            DataExportType::Devices | DataExportType::Assets => PageRecords::Devices(Vec::new()),
            DataExportType::Alerts => PageRecords::Alerts(Vec::new()),
            DataExportType::Vulnerabilities => PageRecords::Findings(Vec::new()),
            DataExportType::Users => PageRecords::Idp(IdpKind::Users, Vec::new()),
            DataExportType::Groups => PageRecords::Idp(IdpKind::Groups, Vec::new()),
            DataExportType::Applications => PageRecords::Idp(IdpKind::Applications, Vec::new()),
            DataExportType::Policies => PageRecords::Idp(IdpKind::Policies, Vec::new()),
        }
    }

    /// Splits `record` into a row of this page. A record of another kind (a connector
    /// bug) is refused with the reason, for quarantine.
    pub fn push(&mut self, connection_id: Uuid, record: &Mapped) -> Result<(), String> {
        match (self, record) {
            (PageRecords::Devices(rows), Mapped::Device(d)) => rows.push(edr::device_row(d)),
            (PageRecords::Alerts(rows), Mapped::Alert(a)) => {
                rows.push(edr::alert_row(connection_id, a))
            }
            (PageRecords::Findings(rows), Mapped::Finding(f)) => rows.push(vms::finding_row(f)),
            (PageRecords::Idp(IdpKind::Users, rows), Mapped::IdpUser(u)) => {
                rows.push(idp::user_row(connection_id, u)?)
            }
            (PageRecords::Idp(IdpKind::Groups, rows), Mapped::IdpGroup(g)) => {
                rows.push(idp::group_row(connection_id, g)?)
            }
            (PageRecords::Idp(IdpKind::Applications, rows), Mapped::IdpApplication(a)) => {
                rows.push(idp::application_row(connection_id, a)?)
            }
            (PageRecords::Idp(IdpKind::Policies, rows), Mapped::IdpPolicy(p)) => {
                rows.push(idp::policy_row(connection_id, p)?)
            }
            _ => return Err("the mapping produced a record of another export".into()),
        }
        Ok(())
    }
}
