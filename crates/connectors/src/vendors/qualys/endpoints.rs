//! Qualys VMDR's name and API paths: what the client and the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("QUALYS");

/// Host List Detection: hosts with their detections, paged by truncation.
pub const DETECTIONS: &str = "/api/2.0/fo/asset/host/vm/detection/";
/// The KnowledgeBase: a QID's title, CVEs, CVSS and solution.
pub const KNOWLEDGE_BASE: &str = "/api/2.0/fo/knowledge_base/vuln/";
