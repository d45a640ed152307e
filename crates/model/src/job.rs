//! Jobs: one run of a connection, and what each of its data exports did.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{DataExportType, HealthName};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Leased by a worker.
    Running,
    /// Every export finished.
    Succeeded,
    /// At least one export failed, or the job timed out; see `health` and `exports`.
    Failed,
    /// Dropped before it ran (its connection was paused or deleted).
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown job status `{s}`"))
    }
}

/// Why a job was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobTrigger {
    /// The connection was due (`refresh_interval_secs`).
    Schedule,
    /// Someone asked for a run now (API, CLI or dashboard).
    Manual,
    /// The connection was just created.
    Created,
    /// New credentials were saved.
    CredentialsUpdated,
}

impl JobTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            JobTrigger::Schedule => "SCHEDULE",
            JobTrigger::Manual => "MANUAL",
            JobTrigger::Created => "CREATED",
            JobTrigger::CredentialsUpdated => "CREDENTIALS_UPDATED",
        }
    }
}

impl FromStr for JobTrigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            JobTrigger::Schedule,
            JobTrigger::Manual,
            JobTrigger::Created,
            JobTrigger::CredentialsUpdated,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| format!("unknown job trigger `{s}`"))
    }
}

/// What one data export did during a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportResult {
    pub data_export_type: DataExportType,
    /// The vendor endpoints this export calls.
    pub endpoints: Vec<String>,
    /// Records written (inserted or changed) in our store.
    pub records_upserted: u64,
    /// Records the vendor sent that could not be normalized; kept raw.
    pub records_quarantined: u64,
    /// Vendor pages committed.
    pub pages: u64,
    /// The vendor's HTTP status that ended the export, if it failed on one.
    pub http_status: Option<u16>,
    /// Why the export failed; null when it succeeded.
    pub error: Option<String>,
    /// This export's classification; HEALTHY when it succeeded.
    pub health: HealthName,
    /// Records the vendor sent (normalized or quarantined), whether changed or not.
    #[serde(default)]
    pub records_received: u64,
    /// Whether this run listed everything the vendor has for the export (the baseline of
    /// the VOLUME_DROP advisory), not only what changed since a watermark.
    #[serde(default)]
    pub full_listing: bool,
    /// 429 answers this export met that were retried (cleared or not).
    #[serde(default)]
    pub rate_limited_responses: u32,
    /// Milliseconds spent waiting on those 429s (`Retry-After` or backoff).
    #[serde(default)]
    pub rate_limit_wait_ms: u64,
}

/// One run of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Job {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub status: JobStatus,
    pub trigger: JobTrigger,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Seconds from start to finish (or to now while running).
    pub duration_secs: Option<f64>,
    /// The health this job produced; null until it finishes.
    pub health: Option<HealthName>,
    /// A job-level error (for example a timeout), when there is one.
    pub error: Option<String>,
    /// How many times a worker picked this job up (a dead worker's job is re-queued).
    pub attempts: u32,
    pub exports: Vec<ExportResult>,
}
