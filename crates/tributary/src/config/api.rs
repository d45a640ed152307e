//! The API's own settings: the public URL, the slow-client timeout, request budgets and
//! dashboard sessions.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tributary_api::{rate_limit::RateLimitSettings, ApiSettings};

use super::Config;

/// Request budgets (`[rate_limit]`, `TRIBUTARY_RATE_LIMIT__*`). Per process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// False turns every limit off.
    pub enabled: bool,
    /// Sustained requests per minute for one API key.
    pub requests_per_minute: u32,
    /// Requests one API key may send at once before the sustained rate applies.
    pub burst: u32,
    /// Failed authentications per minute from one client address (also its burst); past
    /// it, the address gets 429 until the budget refills.
    pub failed_auth_per_minute: u32,
    /// Requests per minute one connection invite token may make (also its burst); one
    /// client address may make four times as many.
    pub invite_uses_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        let d = RateLimitSettings::default();
        RateLimitConfig {
            enabled: d.enabled,
            requests_per_minute: d.requests_per_minute,
            burst: d.burst,
            failed_auth_per_minute: d.failed_auth_per_minute,
            invite_uses_per_minute: d.invite_uses_per_minute,
        }
    }
}

/// Dashboard sessions (`[dashboard]`, `TRIBUTARY_DASHBOARD__*`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// How long a session lasts after login, in seconds.
    pub session_lifetime_secs: u64,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            session_lifetime_secs: 12 * 3600,
        }
    }
}

impl Config {
    /// The API's settings from this configuration.
    pub fn api_settings(&self) -> ApiSettings {
        let r = &self.rate_limit;
        ApiSettings {
            body_limit_bytes: self.body_limit_bytes,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            public_url: self.public_url.clone(),
            session_lifetime: Duration::from_secs(self.dashboard.session_lifetime_secs),
            rate_limit: RateLimitSettings {
                enabled: r.enabled,
                requests_per_minute: r.requests_per_minute,
                burst: r.burst,
                failed_auth_per_minute: r.failed_auth_per_minute,
                invite_uses_per_minute: r.invite_uses_per_minute,
            },
        }
    }

    /// Problems with the API's settings, in words that say what to change.
    pub(super) fn api_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let r = &self.rate_limit;
        if r.requests_per_minute == 0
            || r.burst == 0
            || r.failed_auth_per_minute == 0
            || r.invite_uses_per_minute == 0
        {
            problems.push(
                "rate_limit.requests_per_minute, burst, failed_auth_per_minute and \
                 invite_uses_per_minute must be \
                 positive (set rate_limit.enabled = false to turn limits off)"
                    .into(),
            );
        }
        if self.header_read_timeout_secs == 0 {
            problems.push("header_read_timeout_secs must be at least 1".into());
        }
        if self.dashboard.session_lifetime_secs < 60 {
            problems.push("dashboard.session_lifetime_secs must be at least 60".into());
        }
        if let Some(url) = &self.public_url {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                problems.push(format!(
                    "public_url = `{url}` must start with https:// or http:// (TRIBUTARY_PUBLIC_URL)"
                ));
            }
        }
        problems
    }
}
