//! Row shapes as selected, and their conversion into store models. The derives decode
//! from either backend.

use std::str::FromStr;

use tributary_model::{
    job::ExportResult, ConnectionState, DataExportType, Health, HealthName, Vendor,
};
use uuid::Uuid;

use crate::{
    models::*,
    time::{from_micros, opt_from_micros},
    traits::QuarantineEntry,
    StoreError,
};

pub(super) fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    T::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn parse_opt<T: FromStr>(what: &str, s: Option<&str>) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| parse(what, s)).transpose()
}

#[derive(sqlx::FromRow)]
pub(super) struct MetaRow {
    pub value: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct IdRow {
    pub id: Uuid,
}

#[derive(sqlx::FromRow)]
pub(super) struct CountRow {
    pub n: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: i64,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: r.id,
            name: r.name,
            created_at: from_micros(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ApiKeyRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        ApiKey {
            id: r.id,
            account_id: r.account_id,
            name: r.name,
            prefix: r.prefix,
            created_at: from_micros(r.created_at),
            last_used_at: opt_from_micros(r.last_used_at),
            revoked_at: opt_from_micros(r.revoked_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub identifier: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl From<OrganizationRow> for OrganizationRecord {
    fn from(r: OrganizationRow) -> Self {
        OrganizationRecord {
            id: r.id,
            name: r.name,
            identifier: r.identifier,
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
            deleted_at: opt_from_micros(r.deleted_at),
        }
    }
}

/// The columns every connection query selects (with the organization name joined).
pub(super) const CONNECTION_COLUMNS: &str = "c.id, c.account_id, c.organization_id, \
    o.name AS organization_name, c.vendor, c.identifier, c.state, c.refresh_interval_secs, \
    c.timeout_secs, c.options, c.credentials, c.credentials_updated_at, c.created_at, \
    c.updated_at, c.next_run_at, c.health, c.consecutive_failures, c.unhealthy_since, \
    c.notified_health, c.platform_retries, c.freshness_target_secs";

#[derive(sqlx::FromRow)]
pub(super) struct ConnectionRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: Option<String>,
    pub vendor: String,
    pub identifier: Option<String>,
    pub state: String,
    pub refresh_interval_secs: i64,
    pub timeout_secs: i64,
    pub options: Option<String>,
    pub credentials: Vec<u8>,
    pub credentials_updated_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub next_run_at: Option<i64>,
    pub health: Option<String>,
    pub consecutive_failures: i64,
    pub unhealthy_since: Option<i64>,
    pub notified_health: Option<String>,
    pub platform_retries: i64,
    pub freshness_target_secs: Option<i64>,
}

impl TryFrom<ConnectionRow> for ConnectionRecord {
    type Error = StoreError;

    fn try_from(r: ConnectionRow) -> Result<Self, StoreError> {
        Ok(ConnectionRecord {
            id: r.id,
            account_id: r.account_id,
            organization_id: r.organization_id,
            organization_name: r.organization_name,
            vendor: parse::<Vendor>("connection vendor", &r.vendor)?,
            identifier: r.identifier,
            state: parse::<ConnectionState>("connection state", &r.state)?,
            refresh_interval_secs: r.refresh_interval_secs,
            timeout_secs: r.timeout_secs,
            options: r.options.as_deref().map(serde_json::from_str).transpose()?,
            sealed_credentials: r.credentials,
            credentials_updated_at: from_micros(r.credentials_updated_at),
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
            next_run_at: opt_from_micros(r.next_run_at),
            health: r
                .health
                .as_deref()
                .map(serde_json::from_str::<Health>)
                .transpose()?,
            consecutive_failures: r.consecutive_failures.clamp(0, u32::MAX as i64) as u32,
            unhealthy_since: opt_from_micros(r.unhealthy_since),
            notified_health: r
                .notified_health
                .as_deref()
                .map(serde_json::from_str::<Health>)
                .transpose()?,
            platform_retries: r.platform_retries.clamp(0, u32::MAX as i64) as u32,
            freshness_target_secs: r.freshness_target_secs,
            freshness: Vec::new(),
        })
    }
}

pub(super) const JOB_COLUMNS: &str = "j.id, j.account_id, j.connection_id, j.status, \
    j.trigger, j.created_at, j.started_at, j.finished_at, j.lease_owner, j.lease_expires_at, \
    j.attempts, j.health_name, j.error, j.due_at";

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub connection_id: Uuid,
    pub status: String,
    pub trigger: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub attempts: i64,
    pub health_name: Option<String>,
    pub error: Option<String>,
    pub due_at: Option<i64>,
}

impl JobRow {
    pub fn into_record(self, exports: Vec<ExportResult>) -> Result<JobRecord, StoreError> {
        Ok(JobRecord {
            id: self.id,
            account_id: self.account_id,
            connection_id: self.connection_id,
            status: parse("job status", &self.status)?,
            trigger: parse("job trigger", &self.trigger)?,
            created_at: from_micros(self.created_at),
            started_at: opt_from_micros(self.started_at),
            finished_at: opt_from_micros(self.finished_at),
            lease_owner: self.lease_owner,
            lease_expires_at: opt_from_micros(self.lease_expires_at),
            attempts: self.attempts.clamp(0, u32::MAX as i64) as u32,
            health_name: parse_opt::<HealthName>("job health", self.health_name.as_deref())?,
            error: self.error,
            due_at: opt_from_micros(self.due_at),
            exports,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ExportRow {
    pub job_id: Uuid,
    pub data_export_type: String,
    pub endpoints: String,
    pub records_upserted: i64,
    pub records_quarantined: i64,
    pub pages: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub health_name: String,
    pub records_received: i64,
    pub full_listing: bool,
    pub rate_limited_responses: i64,
    pub rate_limit_wait_ms: i64,
}

impl TryFrom<ExportRow> for ExportResult {
    type Error = StoreError;

    fn try_from(r: ExportRow) -> Result<Self, StoreError> {
        Ok(ExportResult {
            data_export_type: parse::<DataExportType>("export type", &r.data_export_type)?,
            endpoints: serde_json::from_str(&r.endpoints)?,
            records_upserted: r.records_upserted.max(0) as u64,
            records_quarantined: r.records_quarantined.max(0) as u64,
            pages: r.pages.max(0) as u64,
            http_status: r.http_status.and_then(|s| u16::try_from(s).ok()),
            error: r.error,
            health: parse("export health", &r.health_name)?,
            records_received: r.records_received.max(0) as u64,
            full_listing: r.full_listing,
            rate_limited_responses: r.rate_limited_responses.clamp(0, u32::MAX as i64) as u32,
            rate_limit_wait_ms: r.rate_limit_wait_ms.max(0) as u64,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct HealthEventRow {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub job_id: Option<Uuid>,
    pub from_name: Option<String>,
    pub to_name: String,
    pub at: i64,
    pub health: String,
    pub advisory_change: Option<String>,
    pub advisory: Option<String>,
}

impl TryFrom<HealthEventRow> for HealthEvent {
    type Error = StoreError;

    fn try_from(r: HealthEventRow) -> Result<Self, StoreError> {
        Ok(HealthEvent {
            id: r.id,
            connection_id: r.connection_id,
            job_id: r.job_id,
            from: parse_opt("health from", r.from_name.as_deref())?,
            to: parse("health to", &r.to_name)?,
            at: from_micros(r.at),
            health: serde_json::from_str(&r.health)?,
            advisory_change: parse_opt("advisory change", r.advisory_change.as_deref())?,
            advisory: r
                .advisory
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct QuarantineRow {
    pub id: Uuid,
    pub job_id: Uuid,
    pub data_export_type: String,
    pub vendor_id: Option<String>,
    pub error: String,
    pub raw: String,
    pub created_at: i64,
}

impl TryFrom<QuarantineRow> for QuarantineEntry {
    type Error = StoreError;

    fn try_from(r: QuarantineRow) -> Result<Self, StoreError> {
        Ok(QuarantineEntry {
            id: r.id,
            job_id: r.job_id,
            data_export_type: parse("export type", &r.data_export_type)?,
            vendor_id: r.vendor_id,
            error: r.error,
            raw: r.raw,
            created_at: from_micros(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ExportRunRow {
    pub job_id: Uuid,
    pub finished_at: i64,
    pub data_export_type: String,
    pub health_name: String,
    pub records_upserted: i64,
    pub records_quarantined: i64,
    pub records_received: i64,
    pub full_listing: bool,
}

impl TryFrom<ExportRunRow> for ExportRun {
    type Error = StoreError;

    fn try_from(r: ExportRunRow) -> Result<Self, StoreError> {
        Ok(ExportRun {
            job_id: r.job_id,
            finished_at: from_micros(r.finished_at),
            data_export_type: parse("export type", &r.data_export_type)?,
            health: parse("export health", &r.health_name)?,
            records_upserted: r.records_upserted.max(0) as u64,
            records_quarantined: r.records_quarantined.max(0) as u64,
            records_received: r.records_received.max(0) as u64,
            full_listing: r.full_listing,
        })
    }
}
