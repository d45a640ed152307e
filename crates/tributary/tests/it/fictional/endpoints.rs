//! Acme Sentry's name and API paths.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("ACME_SENTRY");
pub const HOSTS: &str = "/api/v1/hosts";
pub const DETECTIONS: &str = "/api/v1/detections";
