//! Defender for Endpoint's name, default hosts and API paths: what the client and the
//! spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("MS_DEFENDER_ENDPOINT");

/// Microsoft Entra ID's public-cloud sign-in host.
pub const DEFAULT_LOGIN_BASE_URL: &str = "https://login.microsoftonline.com";
/// The classic Defender for Endpoint API host.
pub const DEFAULT_API_BASE_URL: &str = "https://api.securitycenter.microsoft.com";

pub const TOKEN: &str = "/{tenant_id}/oauth2/v2.0/token";
pub const MACHINES: &str = "/api/machines";
pub const ALERTS: &str = "/api/alerts";
