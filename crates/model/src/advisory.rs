//! Advisories: warnings that leave a connection's documented health as it is but tell the
//! truth about it (no new data for far longer than usual, a listing that shrank, a
//! credential about to expire, 429s that cost time, quarantined records). The seeds'
//! other vendor calls this level "Warning", between Connected and Failure. Everything here
//! is additive to the documented health object (`health.advisories[]`).

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DataExportType, ResolutionOwner};

/// What an advisory warns about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdvisoryCode {
    /// An export kept succeeding without a new or changed record for far longer than its
    /// own history says is normal.
    NoNewData,
    /// A complete listing came back much smaller than its recent baseline.
    VolumeDrop,
    /// The vendor says the credential expires soon.
    CredentialExpiring,
    /// 429s that cleared within the retry budget, and the time they cost.
    RateLimited,
    /// Records the vendor sent that could not be normalized (kept raw in quarantine).
    QuarantinedRecords,
    /// No successful pull of an export within the connection's `freshness_target_secs`.
    FreshnessTargetMissed,
}

impl AdvisoryCode {
    pub const ALL: [AdvisoryCode; 6] = [
        AdvisoryCode::NoNewData,
        AdvisoryCode::VolumeDrop,
        AdvisoryCode::CredentialExpiring,
        AdvisoryCode::RateLimited,
        AdvisoryCode::QuarantinedRecords,
        AdvisoryCode::FreshnessTargetMissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryCode::NoNewData => "NO_NEW_DATA",
            AdvisoryCode::VolumeDrop => "VOLUME_DROP",
            AdvisoryCode::CredentialExpiring => "CREDENTIAL_EXPIRING",
            AdvisoryCode::RateLimited => "RATE_LIMITED",
            AdvisoryCode::QuarantinedRecords => "QUARANTINED_RECORDS",
            AdvisoryCode::FreshnessTargetMissed => "FRESHNESS_TARGET_MISSED",
        }
    }

    /// Who acts on it.
    pub fn resolution_owner(self) -> ResolutionOwner {
        match self {
            // The customer's tool stopped producing data, lost part of its scope, or its
            // token is about to lapse: only the customer can look in the console.
            AdvisoryCode::NoNewData
            | AdvisoryCode::VolumeDrop
            | AdvisoryCode::CredentialExpiring => ResolutionOwner::Customer,
            // Our pacing and our mappings: the platform operator's.
            AdvisoryCode::RateLimited | AdvisoryCode::QuarantinedRecords => ResolutionOwner::Leen,
            // Pulls are the platform's to run on time; when the connection is unhealthy,
            // its health names who acts first.
            AdvisoryCode::FreshnessTargetMissed => ResolutionOwner::Leen,
        }
    }

    /// The runbook step: what to check and what fixes it.
    pub fn resolution(self) -> &'static str {
        match self {
            AdvisoryCode::NoNewData => {
                "The customer should check in the vendor's console that the tool still \
                 produces this data (agents reporting, detections raised) and that the \
                 credentials' scope still covers it. If the console shows new data that \
                 Tributary does not, tell the platform operator."
            }
            AdvisoryCode::VolumeDrop => {
                "The customer should compare the count in the vendor's console with the \
                 baseline in the evidence: a narrowed token scope (sites, accounts, groups) \
                 or a bulk decommission explains a drop. Records the listing no longer has \
                 are marked deleted; widening the scope and running a job restores them."
            }
            AdvisoryCode::CredentialExpiring => {
                "The customer must rotate the credential before it expires: in SentinelOne, \
                 Settings > Users > Service Users > the service user > Actions > Generate \
                 API token (pick a new expiry), then PATCH the connection with the new \
                 api_token; in Microsoft Entra ID, App registrations > the app > \
                 Certificates & secrets > New client secret, then PATCH the connection's \
                 client_secret. Tributary checks it with the vendor before saving."
            }
            AdvisoryCode::RateLimited => {
                "The platform operator may act. The vendor answered 429 but the retries \
                 cleared within the job's budget; the evidence says how long it cost. If it \
                 recurs, lengthen refresh_interval_secs or ask the customer whether other \
                 integrations share the tenant's quota."
            }
            AdvisoryCode::QuarantinedRecords => {
                "The platform operator must act. Some records could not be normalized; they \
                 are kept raw in quarantine (a redacted sample is at the `sample` path in \
                 the evidence). Fix the mapping, then run the job with an earlier \
                 init_load_timestamp to pull them again."
            }
            AdvisoryCode::FreshnessTargetMissed => {
                "If the connection is unhealthy, its health's resolution comes first: no \
                 pull succeeds until it is fixed. Otherwise the platform operator must act: \
                 check that the scheduler and workers run (tributary_job_queue_lag_seconds) \
                 and that refresh_interval_secs is well below freshness_target_secs; \
                 trigger a job to pull now."
            }
        }
    }
}

impl fmt::Display for AdvisoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdvisoryCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AdvisoryCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown advisory code `{s}`"))
    }
}

/// One warning about a connection (or one of its exports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Advisory {
    pub code: AdvisoryCode,
    /// The export it is about; null when it is about the whole connection (a credential).
    pub data_export_type: Option<DataExportType>,
    /// What is going on, in words safe to show a customer.
    pub message: String,
    /// When it was first raised (kept while it stays raised).
    pub since: DateTime<Utc>,
    pub resolution_owner: ResolutionOwner,
    /// The figures behind it (a JSON object; each code's members are documented in
    /// docs/health.md).
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

impl Advisory {
    /// An advisory of `code` raised at `since`, its owner from the code.
    pub fn new(
        code: AdvisoryCode,
        data_export_type: Option<DataExportType>,
        message: String,
        since: DateTime<Utc>,
        evidence: serde_json::Value,
    ) -> Self {
        Advisory {
            code,
            data_export_type,
            message,
            since,
            resolution_owner: code.resolution_owner(),
            evidence,
        }
    }

    /// Identifies an advisory across jobs: its code and export.
    pub fn key(&self) -> (AdvisoryCode, Option<DataExportType>) {
        (self.code, self.data_export_type)
    }
}

/// Whether an advisory was raised or cleared (health history and webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryChange {
    Raised,
    Cleared,
}

impl AdvisoryChange {
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryChange::Raised => "raised",
            AdvisoryChange::Cleared => "cleared",
        }
    }
}

impl FromStr for AdvisoryChange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "raised" => Ok(AdvisoryChange::Raised),
            "cleared" => Ok(AdvisoryChange::Cleared),
            other => Err(format!("unknown advisory change `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_on_the_wire() {
        for code in AdvisoryCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(code.as_str().parse::<AdvisoryCode>().unwrap(), code);
        }
        assert!("NOPE".parse::<AdvisoryCode>().is_err());
    }
}
