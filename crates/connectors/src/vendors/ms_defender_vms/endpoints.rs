//! Defender Vulnerability Management's name and API paths (the hosts, the credentials, the
//! token endpoint and the scope are Defender for Endpoint's: it is the same API).

use tributary_model::Vendor;

pub use super::super::ms_defender_endpoint::endpoints::{
    CREDENTIALS, DEFAULT_API_BASE_URL, DEFAULT_LOGIN_BASE_URL, SCOPE, TOKEN,
};

pub const VENDOR: Vendor = Vendor::named("MS_DEFENDER_VMS");

/// Every vulnerability on every machine: the snapshot a job reads whole.
pub const MACHINE_VULNERABILITIES: &str = "/api/vulnerabilities/machinesVulnerabilities";
/// The CVE catalogue: titles, descriptions, CVSS and exploit facts, read once per job.
pub const VULNERABILITIES: &str = "/api/vulnerabilities";
