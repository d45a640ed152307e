//! SentinelOne's name and API paths: what the client and the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("SENTINELONE");

pub const AGENTS: &str = "/web/api/v2.1/agents";
pub const THREATS: &str = "/web/api/v2.1/threats";
