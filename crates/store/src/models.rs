//! What the store reads and writes: the rows behind accounts, connections, jobs,
//! synced records and health events.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tributary_model::{
    job::{ExportResult, JobStatus, JobTrigger},
    Advisory, AdvisoryChange, AdvisoryCode, ConnectionState, DataExportType, FreshnessFacts,
    Health, HealthName, Vendor,
};
use uuid::Uuid;

pub use crate::{idp::*, listing::*, outbox::NewWebhookEvent};

/// A tenant: owns API keys, organizations and webhook endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// An API key as stored: the hash, never the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    /// The key's public prefix (e.g. `trb_3f9a1c2e`), to recognise it in lists.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub prefix: String,
    /// Hex SHA-256 of the full key.
    pub key_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: String,
    pub identifier: Option<String>,
}

/// An organization as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationRecord {
    pub id: Uuid,
    pub name: String,
    pub identifier: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the organization was deleted (soft delete).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A connection as stored, including its sealed credentials and schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: Option<String>,
    pub vendor: Vendor,
    pub identifier: Option<String>,
    pub state: ConnectionState,
    pub refresh_interval_secs: i64,
    pub timeout_secs: i64,
    pub options: Option<Value>,
    /// AEAD-sealed credentials; only the engine and the credential check open them.
    pub sealed_credentials: Vec<u8>,
    pub credentials_updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the scheduler next queues a job; null when not scheduled.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The health from the most recent finished job.
    pub health: Option<Health>,
    pub consecutive_failures: u32,
    pub unhealthy_since: Option<DateTime<Utc>>,
    /// The health webhooks last reported (flap control).
    pub notified_health: Option<Health>,
    /// Jobs in a row that ended in one of Tributary's own transient failures (storage
    /// unavailable, a worker lost); sets the retry backoff. 0 after any other outcome.
    pub platform_retries: u32,
    /// No successful pull of an export for longer than this raises
    /// FRESHNESS_TARGET_MISSED; None: no target.
    pub freshness_target_secs: Option<i64>,
    /// Each export's freshness facts (filled by connection reads; empty elsewhere).
    pub freshness: Vec<FreshnessFacts>,
}

#[derive(Debug, Clone)]
pub struct NewConnection {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub vendor: Vendor,
    pub identifier: Option<String>,
    pub state: ConnectionState,
    pub refresh_interval_secs: i64,
    pub timeout_secs: i64,
    pub options: Option<Value>,
    pub sealed_credentials: Vec<u8>,
    /// When the first job is due (now, to sync at once).
    pub next_run_at: Option<DateTime<Utc>>,
    pub freshness_target_secs: Option<i64>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConnectionChanges {
    pub sealed_credentials: Option<Vec<u8>>,
    pub identifier: Option<Option<String>>,
    pub state: Option<ConnectionState>,
    pub refresh_interval_secs: Option<i64>,
    pub timeout_secs: Option<i64>,
    /// `Some(None)` removes the freshness target.
    pub freshness_target_secs: Option<Option<i64>>,
    /// Reschedule: `Some(Some(t))` due at t, `Some(None)` unscheduled.
    pub next_run_at: Option<Option<DateTime<Utc>>>,
    /// Forget the failure streak (new credentials deserve a fresh schedule).
    pub reset_failures: bool,
}

/// Filters for listing connections. Empty vectors mean "any".
#[derive(Debug, Clone, Default)]
pub struct ConnectionFilter {
    pub organization_id: Option<Uuid>,
    pub health_names: Vec<HealthName>,
    pub vendors: Vec<Vendor>,
    /// Without DELETED here, deleted connections are left out.
    pub states: Vec<ConnectionState>,
    pub identifier: Option<String>,
    pub is_active: Option<bool>,
    /// Connections with at least one of these advisories raised.
    pub advisory_codes: Vec<AdvisoryCode>,
}

/// A job as stored, with its per-export results.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub connection_id: Uuid,
    pub status: JobStatus,
    pub trigger: JobTrigger,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub health_name: Option<HealthName>,
    pub error: Option<String>,
    /// When the job was due: the connection's `next_run_at` for a scheduled job, the
    /// request time otherwise (None for jobs queued before this was recorded). A job's
    /// start lag is `started_at - due_at`.
    pub due_at: Option<DateTime<Utc>>,
    pub exports: Vec<ExportResult>,
}

/// A job a worker has leased, with the connection it runs.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job: JobRecord,
    pub connection: ConnectionRecord,
}

/// Expired leases found by [`crate::JobStore::requeue_expired`].
#[derive(Debug, Clone, Default)]
pub struct RequeueOutcome {
    /// Jobs put back in the queue for another worker.
    pub requeued: Vec<Uuid>,
    /// Jobs that lost their worker too many times; the engine must finish them.
    pub exhausted: Vec<JobRecord>,
}

/// The new health state a finished job leaves on its connection.
#[derive(Debug, Clone)]
pub struct ConnectionHealthUpdate {
    pub health: Health,
    pub consecutive_failures: u32,
    pub unhealthy_since: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    /// See [`ConnectionRecord::platform_retries`].
    pub platform_retries: u32,
}

/// Everything recorded when a job finishes, in one transaction.
#[derive(Debug, Clone)]
pub struct JobFinish {
    pub status: JobStatus,
    pub finished_at: DateTime<Utc>,
    pub health_name: HealthName,
    pub error: Option<String>,
    pub exports: Vec<ExportResult>,
    pub connection: ConnectionHealthUpdate,
    /// Set when the health name changed; recorded in the health history.
    pub health_event: Option<NewHealthEvent>,
    /// Advisories raised or cleared by this job; recorded in the health history. The
    /// advisories now raised are `connection.health.advisories`.
    pub advisory_events: Vec<NewAdvisoryEvent>,
    /// Webhook events, written to the outbox in the same transaction.
    pub webhook_events: Vec<NewWebhookEvent>,
    /// The health webhooks now report as current (set with a notification, or silently
    /// for a connection's first healthy job).
    pub notified_health: Option<Health>,
    /// What the new health says about the vendor, for vendor incidents (None: nothing,
    /// e.g. a vendor this build does not know).
    pub vendor: Option<crate::incidents::VendorObservation>,
}

/// A change of a connection's health.
#[derive(Debug, Clone)]
pub struct NewHealthEvent {
    pub from: Option<HealthName>,
    pub to: HealthName,
    pub at: DateTime<Utc>,
}

/// An advisory raised or cleared.
#[derive(Debug, Clone)]
pub struct NewAdvisoryEvent {
    pub change: AdvisoryChange,
    pub advisory: Advisory,
    pub at: DateTime<Utc>,
}

/// One recorded change of health, or of one advisory (then `from` and `to` are the
/// unchanged health name).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthEvent {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub job_id: Option<Uuid>,
    pub from: Option<HealthName>,
    pub to: HealthName,
    pub at: DateTime<Utc>,
    pub health: Health,
    /// Set for an advisory change.
    pub advisory_change: Option<AdvisoryChange>,
    pub advisory: Option<Advisory>,
}

/// What one finished job's export saw: the history advisories learn baselines from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRun {
    pub job_id: Uuid,
    pub finished_at: DateTime<Utc>,
    pub data_export_type: DataExportType,
    pub health: HealthName,
    pub records_upserted: u64,
    pub records_quarantined: u64,
    pub records_received: u64,
    pub full_listing: bool,
}

/// A normalized device ready to store. `data` is the device JSON without
/// `device_groups`, which is kept apart so the API can add it only on request.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub id: Uuid,
    pub vendor_id: String,
    pub vendor: String,
    pub platform: String,
    pub status: Option<String>,
    /// `last_seen` in microseconds, `i64::MIN` when unknown (sorts first).
    pub last_seen_key: i64,
    pub content_hash: i64,
    pub data: String,
    pub device_groups: String,
}

/// A normalized alert ready to store. `data` is the alert JSON without `device` and
/// `observables`, which are kept apart so the API can assemble each response cheaply.
#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: Uuid,
    pub vendor_id: String,
    pub vendor: String,
    pub device_id: Option<Uuid>,
    pub severity: String,
    pub severity_rank: i64,
    pub status: String,
    /// Event times in microseconds, `i64::MIN` when unknown (sorts first).
    pub first_event_key: i64,
    pub last_event_key: i64,
    pub content_hash: i64,
    pub data: String,
    pub observables: String,
    pub device_snapshot: Option<String>,
    pub device_snapshot_groups: Option<String>,
}

/// A record the connector could not normalize, kept raw.
#[derive(Debug, Clone)]
pub struct QuarantinedRecord {
    pub vendor_id: Option<String>,
    pub error: String,
    /// The record as the vendor sent it (truncated to 64 KiB).
    pub raw: String,
}

/// A vulnerability finding ready to store. `data` is its JSON without `resource` (the
/// asset is a device row, joined by `resource_id`) and without `updated_at`.
#[derive(Debug, Clone)]
pub struct FindingRow {
    pub id: Uuid,
    pub vendor_id: String,
    pub vendor: String,
    pub resource_id: Option<Uuid>,
    pub severity: String,
    pub state: String,
    pub has_fix: Option<bool>,
    /// Times in microseconds, `i64::MIN` when unknown.
    pub first_seen_key: i64,
    pub last_seen_key: i64,
    pub state_updated_key: i64,
    pub content_hash: i64,
    pub data: String,
    /// The asset as the finding described it, served until the asset itself is synced.
    pub resource_snapshot: Option<String>,
}

/// The rows of one page, by the table they go to.
#[derive(Debug, Clone)]
pub enum PageRecords {
    /// Devices: EDR devices and vulnerability scanners' assets.
    Devices(Vec<DeviceRow>),
    Alerts(Vec<AlertRow>),
    Findings(Vec<FindingRow>),
    /// Identity records of one kind.
    Idp(IdpKind, Vec<IdpRow>),
}

impl PageRecords {
    pub fn len(&self) -> usize {
        match self {
            PageRecords::Devices(v) => v.len(),
            PageRecords::Alerts(v) => v.len(),
            PageRecords::Findings(v) => v.len(),
            PageRecords::Idp(_, v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids of the page's records, for a complete listing's reconciliation.
    pub fn ids(&self) -> Vec<Uuid> {
        match self {
            PageRecords::Devices(v) => v.iter().map(|r| r.id).collect(),
            PageRecords::Alerts(v) => v.iter().map(|r| r.id).collect(),
            PageRecords::Findings(v) => v.iter().map(|r| r.id).collect(),
            PageRecords::Idp(_, v) => v.iter().map(|r| r.id).collect(),
        }
    }
}

/// One vendor page, committed atomically with the watermark it allows.
#[derive(Debug, Clone)]
pub struct PageCommit {
    pub connection_id: Uuid,
    pub job_id: Uuid,
    /// The worker's lease id; the commit is refused if the lease was lost.
    pub lease_owner: String,
    pub export: DataExportType,
    pub records: PageRecords,
    pub quarantined: Vec<QuarantinedRecord>,
    /// The watermark to store once this page is committed (None: leave it).
    pub watermark: Option<String>,
    /// The time `watermark` stands for, kept as the export's `newest_record_at`; None
    /// for a vendor's resume token, whose commit time is kept instead.
    pub watermark_at: Option<DateTime<Utc>>,
}

/// What a page commit changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageCommitted {
    /// Rows inserted or whose content changed.
    pub upserted: u64,
    pub inserted: u64,
    pub quarantined: u64,
}

/// The normalized record filters of the EDR API. Empty vectors mean "any".
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub vendors: Vec<String>,
    pub severities: Vec<String>,
    pub statuses: Vec<String>,
    pub platforms: Vec<String>,
    pub device_ids: Vec<Uuid>,
    /// Only records whose stored content changed at or after this instant (microseconds).
    pub updated_since: Option<i64>,
}

/// Sortable columns of alerts and devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSortField {
    UpdatedAt,
    FirstEventTime,
    LastEventTime,
    Severity,
    LastSeen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSort {
    pub field: RecordSortField,
    pub descending: bool,
}

/// The optional, bulky parts of a record, read only when the response shows them (an
/// alert's observables are as large as the alert itself).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordParts {
    pub observables: bool,
    pub device_groups: bool,
}

#[derive(Debug, Clone)]
pub struct RecordQuery {
    pub connection_id: Uuid,
    pub filter: RecordFilter,
    pub sort: RecordSort,
    pub window: crate::ListWindow,
    pub parts: RecordParts,
}

/// A stored alert with what the API needs to render it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredAlert {
    pub id: Uuid,
    /// The value of the sort column, for cursors.
    pub sort_key: i64,
    pub updated_at: i64,
    pub data: String,
    /// Read only with [`RecordParts::observables`].
    pub observables: Option<String>,
    /// The synced device, when Tributary has it.
    pub device_data: Option<String>,
    pub device_groups: Option<String>,
    pub device_snapshot: Option<String>,
    pub device_snapshot_groups: Option<String>,
}

/// A stored device with what the API needs to render it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredDevice {
    pub id: Uuid,
    pub sort_key: i64,
    pub updated_at: i64,
    pub data: String,
    /// Read only with [`RecordParts::device_groups`].
    pub device_groups: Option<String>,
}

/// The documented filters of `/v2/vulnerability_findings`. Empty vectors mean "any";
/// times are microseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingFilter {
    pub severities: Vec<String>,
    pub states: Vec<String>,
    pub has_fix: Option<bool>,
    pub first_seen_since: Option<i64>,
    pub last_seen_since: Option<i64>,
    pub state_updated_since: Option<i64>,
    pub resource_ids: Vec<Uuid>,
    pub ids: Vec<Uuid>,
}

/// A keyset page of findings, in the order Tributary stored their changes.
#[derive(Debug, Clone)]
pub struct FindingQuery {
    pub connection_id: Uuid,
    pub filter: FindingFilter,
    pub window: crate::ListWindow,
}

/// A stored finding with what the API needs to render it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredFinding {
    pub id: Uuid,
    /// `updated_at`, the keyset's sort key.
    pub sort_key: i64,
    pub updated_at: i64,
    pub data: String,
    pub resource_id: Option<Uuid>,
    /// The synced asset, when Tributary has it.
    pub resource_data: Option<String>,
    pub resource_snapshot: Option<String>,
}

/// Counts of synced records for one connection, per export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordCounts(pub std::collections::BTreeMap<DataExportType, i64>);

impl RecordCounts {
    /// The records of `export` (0 when none were synced).
    pub fn get(&self, export: DataExportType) -> i64 {
        self.0.get(&export).copied().unwrap_or(0)
    }
}

/// A webhook endpoint as stored (secrets sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub account_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// Event types delivered; None: every type except the opt-in ones (`job.failed`,
    /// `connection.advisory_raised`, `connection.advisory_cleared`).
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    /// Why Tributary disabled it (keeps failing), if it did.
    pub disabled_reason: Option<String>,
    pub sealed_secret: Vec<u8>,
    /// The secret before the last rotation, still signing until `previous_expires_at`.
    pub previous_sealed_secret: Option<Vec<u8>>,
    pub previous_expires_at: Option<DateTime<Utc>>,
    /// First failed attempt since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `connection.health_changed` events of failures the customer must resolve carry a
    /// fix link (an update token's hosted page) for this endpoint.
    pub include_fix_link: bool,
}

#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    pub sealed_secret: Vec<u8>,
    pub include_fix_link: bool,
}

/// A partial update; None leaves a field unchanged.
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<Option<Vec<String>>>,
    pub enabled: Option<bool>,
    pub include_fix_link: Option<bool>,
    /// A new secret; the current one keeps signing until the given time.
    pub rotate: Option<(Vec<u8>, DateTime<Utc>)>,
}

/// A delivery a sender has leased.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery_id: Uuid,
    pub message_id: Uuid,
    pub event_type: String,
    pub payload: String,
    pub message_created_at: DateTime<Utc>,
    pub attempts: u32,
    pub endpoint: WebhookEndpoint,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    /// Every scheduled attempt failed.
    Failed,
    /// The endpoint was deleted or disabled before it succeeded.
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Succeeded => "SUCCEEDED",
            DeliveryStatus::Failed => "FAILED",
            DeliveryStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Succeeded,
            DeliveryStatus::Failed,
            DeliveryStatus::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The start of the receiver's answer (for debugging), at most 1 KiB.
    pub response: Option<String>,
}

/// A delivery and its attempts, for the delivery log.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub message_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: Vec<DeliveryAttempt>,
}

/// The result of one attempt and what happens next.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub delivery_id: Uuid,
    pub worker: String,
    pub attempt: DeliveryAttempt,
    /// Succeeded, or Pending with the next attempt time, or Failed when exhausted.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// What a probe between jobs leaves: always its time; a new health when it changed.
#[derive(Debug, Clone)]
pub struct ProbeRecord {
    pub connection_id: Uuid,
    /// When the probe started: a job that finished since then wins, the probe is dropped.
    pub started_at: DateTime<Utc>,
    pub update: Option<ProbeHealth>,
}

/// The health a probe sets (the connection's failure streak and schedule stay the jobs').
#[derive(Debug, Clone)]
pub struct ProbeHealth {
    pub health: Health,
    pub event: NewHealthEvent,
    pub webhook_events: Vec<NewWebhookEvent>,
    pub notified_health: Option<Health>,
    /// What the new health says about the vendor, for vendor incidents.
    pub vendor: Option<crate::incidents::VendorObservation>,
}

/// Advisories re-assessed between jobs (the freshness pass): the connection's health with
/// its new advisories, each raise or clear for the history, and the webhook events.
#[derive(Debug, Clone)]
pub struct AdvisoryUpdate {
    pub connection_id: Uuid,
    /// When the assessment started: a job queued, running or finished since wins.
    pub started_at: DateTime<Utc>,
    /// The health as it was read, with `advisories` replaced.
    pub health: Health,
    pub events: Vec<NewAdvisoryEvent>,
    pub webhook_events: Vec<NewWebhookEvent>,
}

/// One export of an ACTIVE connection, for the fleet's freshness gauges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreshnessSample {
    pub vendor: Vendor,
    pub facts: FreshnessFacts,
}
