//! The normalized vulnerability finding served by `/v2/vulnerability_findings`: one
//! OCSF-inspired model for every scanner (the documented v2 shape; where the documented
//! page does not show an enum or a nested shape, OCSF 1.3's Vulnerability Finding —
//! `docs/vms.md` says which). A finding's affected asset is a normalized device (the EDR
//! device shape), synced by the same connection's `assets` export.

mod enums;
mod finding;
mod mapped;

pub use enums::{FindingSeverity, FindingState, FindingType};
pub use finding::{
    AffectedCode, AffectedPackage, Analytic, Cvss, Epss, Finding, Product, Remediation,
    ResourceRelated, Ticket, Vulnerability,
};
pub use mapped::MappedFinding;
