use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Device, MitreTactic, Observable};
use crate::SourceVendor;

/// Normalized alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    None,
    Low,
    Medium,
    High,
    Critical,
    Info,
}

impl AlertSeverity {
    pub const ALL: [AlertSeverity; 6] = [
        AlertSeverity::None,
        AlertSeverity::Info,
        AlertSeverity::Low,
        AlertSeverity::Medium,
        AlertSeverity::High,
        AlertSeverity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::None => "none",
            AlertSeverity::Low => "low",
            AlertSeverity::Medium => "medium",
            AlertSeverity::High => "high",
            AlertSeverity::Critical => "critical",
            AlertSeverity::Info => "info",
        }
    }

    /// Order for sorting by severity: none < info < low < medium < high < critical.
    pub fn rank(self) -> i64 {
        match self {
            AlertSeverity::None => 0,
            AlertSeverity::Info => 1,
            AlertSeverity::Low => 2,
            AlertSeverity::Medium => 3,
            AlertSeverity::High => 4,
            AlertSeverity::Critical => 5,
        }
    }

    pub fn parse(s: &str) -> Option<AlertSeverity> {
        AlertSeverity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Normalized alert status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Unknown,
    New,
    InProgress,
    Unresolved,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 5] = [
        AlertStatus::Unknown,
        AlertStatus::New,
        AlertStatus::InProgress,
        AlertStatus::Unresolved,
        AlertStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Unknown => "unknown",
            AlertStatus::New => "new",
            AlertStatus::InProgress => "in_progress",
            AlertStatus::Unresolved => "unresolved",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        AlertStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A normalized EDR alert (seed `002`, "List Alerts").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub id: Uuid,
    /// Vendor's ID of the alert.
    pub vendor_id: String,
    /// Title of the alert, provided by the upstream vendor.
    pub title: Option<String>,
    /// Description of alert, provided by the upstream vendor.
    pub description: Option<String>,
    pub assigned_user: Option<String>,
    pub severity: AlertSeverity,
    pub vendor_severity: Option<String>,
    pub status: AlertStatus,
    pub vendor_status: Option<String>,
    pub first_event_time: Option<DateTime<Utc>>,
    pub last_event_time: Option<DateTime<Utc>>,
    pub resolved_time: Option<DateTime<Utc>>,
    pub vendor: SourceVendor,
    /// Process ID (a string, as documented).
    pub pid: Option<String>,
    pub process_created_at: Option<DateTime<Utc>>,
    pub process_filename: Option<String>,
    pub process_command_line: Option<String>,
    pub process_filepath: Option<String>,
    pub process_sha1: Option<String>,
    pub process_sha256: Option<String>,
    pub process_md5: Option<String>,
    pub parent_pid: Option<String>,
    pub user_name: Option<String>,
    pub windows_sid: Option<String>,
    pub active_directory_user_id: Option<String>,
    pub active_directory_domain: Option<String>,
    /// The device the alert concerns; the synced device when Tributary has it.
    pub device: Option<Device>,
    /// MITRE ATT&CK tactics (with their techniques) associated with the alert.
    pub mitre: Vec<MitreTactic>,
    /// OCSF observables; only with `includeObservables=true`, otherwise null.
    pub observables: Option<Vec<Observable>>,
    /// When Tributary last stored a change to this alert (additive; `updatedSince` and
    /// `sort=updated_at` read it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}
