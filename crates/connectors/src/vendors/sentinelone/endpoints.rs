//! SentinelOne's name and API paths: what the client and the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("SENTINELONE");

pub const AGENTS: &str = "/web/api/v2.1/agents";
pub const THREATS: &str = "/web/api/v2.1/threats";
/// `POST {"data": {"apiToken": …}}` → `{"data": {"createdAt", "expiresAt"}}`: when the
/// token the connection uses expires (the CREDENTIAL_EXPIRING advisory).
pub const API_TOKEN_DETAILS: &str = "/web/api/v2.1/users/api-token-details";
