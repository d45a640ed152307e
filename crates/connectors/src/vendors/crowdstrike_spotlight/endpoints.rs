//! Falcon Spotlight's name and paths (the token endpoint and hosts are Falcon's).

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("CROWDSTRIKE_SPOTLIGHT");

pub const VULNERABILITIES: &str = "/spotlight/combined/vulnerabilities/v1";
