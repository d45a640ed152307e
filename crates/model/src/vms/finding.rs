//! The finding and its nested objects. Every documented field is always present (null or
//! empty when the vendor does not say); the fields after `vulnerabilities` are additive.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{FindingSeverity, FindingState, FindingType};
use crate::{edr::Device, SourceVendor};

/// One weakness on one asset, as one scanner reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    pub id: Uuid,
    pub title: Option<String>,
    pub description: Option<String>,
    /// What the scanner observed (plugin output, detection results).
    pub analytic_output: Option<String>,
    pub severity: FindingSeverity,
    pub state: FindingState,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub finding_type: FindingType,
    /// When the vendor first found it.
    pub first_seen: Option<DateTime<Utc>>,
    /// When the vendor last found it.
    pub last_seen: Option<DateTime<Utc>>,
    /// A ticket tracking it at the vendor, if any.
    pub ticket: Option<Ticket>,
    /// Whether a fix (patch, upgrade) exists.
    pub has_fix: Option<bool>,
    pub remediation: Option<Remediation>,
    /// The product that reported it.
    pub product: Product,
    /// The detection (plugin, rule, check) that found it.
    pub analytic: Option<Analytic>,
    pub resource_related: ResourceRelated,
    /// Vendor-specific pass-through data; the values vary by vendor.
    pub vendor_data: serde_json::Value,
    /// The vulnerabilities (CVEs and the like) behind the finding.
    pub vulnerabilities: Vec<Vulnerability>,
    /// The vendor that reported it (additive).
    pub vendor: SourceVendor,
    /// The vendor's id of the finding (additive).
    pub vendor_id: String,
    /// When the state last changed: when it was fixed, reopened, suppressed, or first
    /// found (additive; `state_updated_since` reads it).
    pub state_updated_at: Option<DateTime<Utc>>,
    /// When it was fixed; null unless FIXED (additive).
    pub fixed_at: Option<DateTime<Utc>>,
    /// The affected asset's id: a device id (additive; the `resourceId` filter reads it).
    pub resource_id: Option<Uuid>,
    /// The affected asset, a normalized device (additive).
    pub resource: Option<Device>,
    /// When Tributary last stored a change to this finding (additive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    pub uid: Option<String>,
    pub url: Option<String>,
    pub status: Option<String>,
}

/// How to fix it (OCSF `remediation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Remediation {
    /// What to do, in the vendor's words.
    pub desc: Option<String>,
    /// Knowledge-base articles or patches that fix it (e.g. `KB5053594`).
    pub kb_articles: Vec<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// E.g. `Tenable`.
    pub vendor_name: String,
    /// E.g. `Tenable Vulnerability Management`.
    pub name: String,
}

/// The detection logic (OCSF `analytic`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Analytic {
    /// E.g. `PLUGIN`, `QID`, `RULE`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub analytic_type: Option<String>,
    pub uid: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
}

/// Where the weakness is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct ResourceRelated {
    pub affected_code: Option<AffectedCode>,
    /// A container image reference.
    pub affected_image: Option<String>,
    /// The operating system, as the vendor names it.
    pub affected_os: Option<String>,
    pub affected_package: Option<AffectedPackage>,
    pub port: Option<i64>,
    /// E.g. `tcp`.
    pub protocol: Option<String>,
    pub service: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AffectedCode {
    pub file_path: Option<String>,
    pub start_line_number: Option<i64>,
    pub end_line_number: Option<i64>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AffectedPackage {
    pub name: Option<String>,
    pub version: Option<String>,
    /// The first version without the weakness, when known (additive).
    pub fixed_version: Option<String>,
}

/// One vulnerability (a CVE, or the vendor's own id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Vulnerability {
    /// E.g. `CVE-2021-44228`.
    pub uid: String,
    pub published: Option<DateTime<Utc>>,
    pub last_modified: Option<DateTime<Utc>>,
    /// The vendor's status of the vulnerability record, when it has one.
    pub status: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: FindingSeverity,
    pub cvss: Vec<Cvss>,
    pub epss: Option<Epss>,
    /// E.g. `CWE-79`.
    pub cwes: Vec<String>,
    /// A public exploit exists.
    pub is_exploit_available: Option<bool>,
    /// Listed as exploited in the wild (CISA KEV).
    pub is_known_exploited: Option<bool>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cvss {
    /// E.g. `3.1`.
    pub version: String,
    pub base_score: f64,
    pub vector_string: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Epss {
    pub score: f64,
    pub percentile: Option<f64>,
}
