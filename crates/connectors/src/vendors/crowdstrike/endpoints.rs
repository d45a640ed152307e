//! CrowdStrike's name, default cloud and API paths: what the client and the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("CROWDSTRIKE");

/// The US-1 cloud, the default when no `base_url` is given.
pub const DEFAULT_BASE_URL: &str = "https://api.crowdstrike.com";

pub const TOKEN: &str = "/oauth2/token";
pub const DEVICE_QUERY: &str = "/devices/queries/devices-scroll/v1";
pub const DEVICE_ENTITIES: &str = "/devices/entities/devices/v2";
pub const ALERT_QUERY: &str = "/alerts/queries/alerts/v2";
pub const ALERT_ENTITIES: &str = "/alerts/entities/alerts/v2";
