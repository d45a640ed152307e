//! Tenable Vulnerability Management's name, default host and export paths: what the
//! client and the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("TENABLE");

/// The cloud, the default when no `base_url` is given.
pub const DEFAULT_BASE_URL: &str = "https://cloud.tenable.com";

pub const VULNS_EXPORT: &str = "/vulns/export";
pub const VULNS_STATUS: &str = "/vulns/export/{export_uuid}/status";
pub const VULNS_CHUNK: &str = "/vulns/export/{export_uuid}/chunks/{chunk_id}";
pub const VULNS_CANCEL: &str = "/vulns/export/{export_uuid}/cancel";
pub const ASSETS_EXPORT: &str = "/assets/export";
pub const ASSETS_STATUS: &str = "/assets/export/{export_uuid}/status";
pub const ASSETS_CHUNK: &str = "/assets/export/{export_uuid}/chunks/{chunk_id}";
pub const ASSETS_CANCEL: &str = "/assets/export/{export_uuid}/cancel";
