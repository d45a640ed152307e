//! Defender for Endpoint's name, default hosts and API paths: what the client and the
//! spec share.

use tributary_model::{
    credentials::{CredentialField, FieldKind},
    Vendor,
};

pub const VENDOR: Vendor = Vendor::named("MS_DEFENDER_ENDPOINT");

use crate::oauth::microsoft;
pub use crate::oauth::microsoft::{DEFAULT_LOGIN_BASE_URL, TOKEN};

/// The classic Defender for Endpoint API host.
pub const DEFAULT_API_BASE_URL: &str = "https://api.securitycenter.microsoft.com";
/// The resource the token is for (the documented scope; Defender Vulnerability
/// Management's API is the same resource).
pub const SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";

pub const MACHINES: &str = "/api/machines";
pub const ALERTS: &str = "/api/alerts";

/// The credentials of the Defender API (an app registration with client credentials),
/// shared by Defender for Endpoint and Defender Vulnerability Management.
pub const CREDENTIALS: &[CredentialField] = &[
    microsoft::TENANT_ID,
    microsoft::CLIENT_ID,
    microsoft::CLIENT_SECRET,
    microsoft::LOGIN_BASE_URL,
    CredentialField::optional(
        "api_base_url",
        FieldKind::Url,
        DEFAULT_API_BASE_URL,
        "The Defender API host (api.securitycenter.microsoft.com by default)",
    ),
];
