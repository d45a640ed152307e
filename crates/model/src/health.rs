//! Connection health: the documented table, the precedence between failures,
//! and the runbook text for each status (DESIGN.md §4, seeds `000`/`001`/`003`).

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Advisory, DataExportType, ExportFreshness};

/// The health `name`: what is wrong with a connection, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthName {
    Healthy,
    ExecutionTimeout,
    RateLimitExceeded,
    VendorClientError,
    InternalError,
    VendorServerError,
    Unauthorized,
}

/// `HEALTHY` or `UNHEALTHY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthStatus {
    Healthy,
    Unhealthy,
}

/// Who must act to fix a failure. `LEEN` is the documented code for the platform operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResolutionOwner {
    Leen,
    Customer,
    Vendor,
}

impl HealthName {
    pub const ALL: [HealthName; 7] = [
        HealthName::Healthy,
        HealthName::ExecutionTimeout,
        HealthName::RateLimitExceeded,
        HealthName::VendorClientError,
        HealthName::InternalError,
        HealthName::VendorServerError,
        HealthName::Unauthorized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HealthName::Healthy => "HEALTHY",
            HealthName::ExecutionTimeout => "EXECUTION_TIMEOUT",
            HealthName::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            HealthName::VendorClientError => "VENDOR_CLIENT_ERROR",
            HealthName::InternalError => "INTERNAL_ERROR",
            HealthName::VendorServerError => "VENDOR_SERVER_ERROR",
            HealthName::Unauthorized => "UNAUTHORIZED",
        }
    }

    pub fn status(self) -> HealthStatus {
        match self {
            HealthName::Healthy => HealthStatus::Healthy,
            _ => HealthStatus::Unhealthy,
        }
    }

    pub fn is_healthy(self) -> bool {
        self == HealthName::Healthy
    }

    pub fn resolution_owner(self) -> ResolutionOwner {
        match self {
            HealthName::Unauthorized => ResolutionOwner::Customer,
            HealthName::VendorServerError => ResolutionOwner::Vendor,
            _ => ResolutionOwner::Leen,
        }
    }

    /// The documented description, word for word.
    pub fn description(self) -> &'static str {
        match self {
            HealthName::Healthy => "Connection is healthy",
            HealthName::ExecutionTimeout => "Execution timeout",
            HealthName::RateLimitExceeded => "Rate limit exceeded",
            HealthName::VendorClientError => "Vendor returned a 4xx client error",
            HealthName::InternalError => "Internal error",
            HealthName::VendorServerError => "Vendor returned a 5xx server error",
            HealthName::Unauthorized => "Connection is unauthorized",
        }
    }

    /// Who must act first when several exports fail: a lower rank wins.
    /// UNAUTHORIZED > EXECUTION_TIMEOUT > INTERNAL_ERROR > VENDOR_CLIENT_ERROR >
    /// RATE_LIMIT_EXCEEDED > VENDOR_SERVER_ERROR (DESIGN.md §4). HEALTHY ranks last.
    pub fn precedence(self) -> u8 {
        match self {
            HealthName::Unauthorized => 0,
            HealthName::ExecutionTimeout => 1,
            HealthName::InternalError => 2,
            HealthName::VendorClientError => 3,
            HealthName::RateLimitExceeded => 4,
            HealthName::VendorServerError => 5,
            HealthName::Healthy => 6,
        }
    }

    /// The most urgent of several names; HEALTHY when there are none.
    pub fn most_urgent(names: impl IntoIterator<Item = HealthName>) -> HealthName {
        names
            .into_iter()
            .min_by_key(|n| n.precedence())
            .unwrap_or(HealthName::Healthy)
    }

    /// The runbook step for this status: what to check, who acts, what fixes it. The
    /// connector registry adds what a vendor needs (its scopes and roles) to the
    /// UNAUTHORIZED step of that vendor's connections.
    pub fn resolution(self) -> &'static str {
        match self {
            HealthName::Healthy => "No action needed: the last job pulled every data export.",
            HealthName::Unauthorized => {
                "The customer must act. The vendor refused the credentials for the exports \
                 listed in details (revoked, expired, or missing a permission: partial data \
                 access). Check that the token or API client is still valid and can read each \
                 listed endpoint, then PATCH the connection with new credentials. Tributary \
                 validates them against the vendor and syncs at once."
            }
            HealthName::ExecutionTimeout => {
                "The platform operator must act. The job ran longer than timeout_secs; data \
                 committed before the limit is kept and the next job resumes from the last \
                 committed page. Check the job history for the slow export and the vendor's \
                 latency, and raise timeout_secs for large tenants."
            }
            HealthName::InternalError => {
                "The platform operator must act. Tributary failed while processing the \
                 vendor's data (storage error, or records it could not normalize; those are \
                 kept raw in quarantine). A storage outage or a lost worker is retried by \
                 itself within minutes (by default after 30 s, doubling to 10 min); if it \
                 persists, check the job's error and the server logs for the job id, fix \
                 the cause, then run the job again."
            }
            HealthName::VendorClientError => {
                "The platform operator must act. The vendor rejected a request as invalid \
                 (a 4xx other than 401, 403 or 429). Check the job's error, the connection's \
                 base URL or cloud region, and the vendor's API changes."
            }
            HealthName::RateLimitExceeded => {
                "The platform operator must act if it persists. The vendor kept answering 429 \
                 beyond the job's retry budget, often because other integrations share the \
                 tenant's quota. The next run retries; lengthen refresh_interval_secs or ask \
                 the customer for a higher quota if it recurs."
            }
            HealthName::VendorServerError => {
                "The vendor must act; usually nothing to do. The vendor's API failed (5xx, \
                 connection reset, DNS, TLS or read timeouts) after retries. These failures \
                 are usually temporary and clear on the next run; check the vendor's status \
                 page if they persist."
            }
        }
    }
}

impl fmt::Display for HealthName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HealthName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HealthName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| format!("unknown health status code `{s}`"))
    }
}

impl ResolutionOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionOwner::Leen => "LEEN",
            ResolutionOwner::Customer => "CUSTOMER",
            ResolutionOwner::Vendor => "VENDOR",
        }
    }
}

impl FromStr for ResolutionOwner {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "LEEN" => Ok(ResolutionOwner::Leen),
            "CUSTOMER" => Ok(ResolutionOwner::Customer),
            "VENDOR" => Ok(ResolutionOwner::Vendor),
            other => Err(format!("unknown resolution owner `{other}`")),
        }
    }
}

/// One failing data export, as listed in `health.details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthDetail {
    /// The data export that failed, e.g. `alerts`.
    pub data_export_type: DataExportType,
    /// The vendor endpoint it calls, e.g. `/web/api/v2.1/threats`.
    pub endpoint: String,
    /// This export's own classification.
    pub name: HealthName,
    /// The vendor's HTTP status, when the failure was an HTTP answer.
    pub http_status: Option<u16>,
    /// What went wrong, in words safe to show a customer (never a secret).
    pub message: String,
    /// What saw it: a `job`, or a `probe` between jobs (one cheap request per export).
    #[serde(default)]
    pub source: HealthSource,
}

/// What observed a failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthSource {
    #[default]
    Job,
    Probe,
}

/// A connection's health, derived from its most recent finished job.
/// The first five fields are the documented object; the rest are additive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub name: HealthName,
    pub status: HealthStatus,
    pub description: String,
    pub resolution_owner: ResolutionOwner,
    /// Every failing export; null when healthy.
    pub details: Option<Vec<HealthDetail>>,
    /// When the job this health comes from finished.
    pub checked_at: DateTime<Utc>,
    /// The job this health comes from.
    pub last_job_id: Uuid,
    /// When the connection last turned unhealthy; null when healthy.
    pub unhealthy_since: Option<DateTime<Utc>>,
    /// Unhealthy jobs in a row (0 when healthy).
    pub consecutive_failures: u32,
    /// When the next scheduled job is due; null for a paused or deleted connection.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The runbook step for this status.
    pub resolution: String,
    /// Warnings that leave `name` as it is (empty when there are none). Additive: each
    /// has a code, the export it is about, a message, since when, who acts and the
    /// figures behind it.
    #[serde(default)]
    pub advisories: Vec<Advisory>,
    /// Each export's data age, computed when the connection is read (additive; see
    /// docs/health.md, "Freshness"). Always an array; empty where a health is recorded
    /// rather than read (history entries, health and advisory webhook events).
    #[serde(default)]
    pub freshness: Vec<ExportFreshness>,
}

impl Health {
    /// Builds the full object for `name`, filling the documented fields from the table.
    pub fn new(name: HealthName, details: Vec<HealthDetail>, facts: HealthFacts) -> Self {
        Health {
            name,
            status: name.status(),
            description: name.description().to_owned(),
            resolution_owner: name.resolution_owner(),
            details: if name.is_healthy() || details.is_empty() {
                None
            } else {
                Some(details)
            },
            checked_at: facts.checked_at,
            last_job_id: facts.last_job_id,
            unhealthy_since: facts.unhealthy_since,
            consecutive_failures: facts.consecutive_failures,
            next_run_at: facts.next_run_at,
            resolution: name.resolution().to_owned(),
            advisories: Vec::new(),
            freshness: Vec::new(),
        }
    }
}

/// The additive facts that come from job history rather than from the table.
#[derive(Debug, Clone, Copy)]
pub struct HealthFacts {
    pub checked_at: DateTime<Utc>,
    pub last_job_id: Uuid,
    pub unhealthy_since: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub next_run_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_documentation() {
        let rows = [
            ("HEALTHY", "HEALTHY", "LEEN", "Connection is healthy"),
            (
                "EXECUTION_TIMEOUT",
                "UNHEALTHY",
                "LEEN",
                "Execution timeout",
            ),
            (
                "RATE_LIMIT_EXCEEDED",
                "UNHEALTHY",
                "LEEN",
                "Rate limit exceeded",
            ),
            (
                "VENDOR_CLIENT_ERROR",
                "UNHEALTHY",
                "LEEN",
                "Vendor returned a 4xx client error",
            ),
            ("INTERNAL_ERROR", "UNHEALTHY", "LEEN", "Internal error"),
            (
                "VENDOR_SERVER_ERROR",
                "UNHEALTHY",
                "VENDOR",
                "Vendor returned a 5xx server error",
            ),
            (
                "UNAUTHORIZED",
                "UNHEALTHY",
                "CUSTOMER",
                "Connection is unauthorized",
            ),
        ];
        for (name, status, owner, description) in rows {
            let n: HealthName = name.parse().unwrap();
            let status_json = serde_json::to_value(n.status()).unwrap();
            assert_eq!(status_json, status);
            assert_eq!(n.resolution_owner().as_str(), owner);
            assert_eq!(n.description(), description);
            assert_eq!(serde_json::to_value(n).unwrap(), name);
        }
    }

    #[test]
    fn precedence_follows_who_must_act_first() {
        use HealthName::*;
        let order = [
            Unauthorized,
            ExecutionTimeout,
            InternalError,
            VendorClientError,
            RateLimitExceeded,
            VendorServerError,
        ];
        for (i, a) in order.iter().enumerate() {
            for b in &order[i + 1..] {
                assert_eq!(HealthName::most_urgent([*b, *a]), *a);
            }
        }
        assert_eq!(HealthName::most_urgent([]), Healthy);
        assert_eq!(
            HealthName::most_urgent([Healthy, VendorServerError]),
            VendorServerError
        );
    }

    #[test]
    fn healthy_has_null_details() {
        let facts = HealthFacts {
            checked_at: Utc::now(),
            last_job_id: Uuid::nil(),
            unhealthy_since: None,
            consecutive_failures: 0,
            next_run_at: None,
        };
        let h = Health::new(HealthName::Healthy, vec![], facts);
        let v = serde_json::to_value(&h).unwrap();
        assert!(v["details"].is_null());
        assert_eq!(v["resolution_owner"], "LEEN");
    }
}
