//! The `Store` trait, split by domain. Every read that a handler can reach takes the
//! caller's account id, so an unscoped lookup cannot be misused; the engine passes the
//! account id it reads from the job row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::{job::JobTrigger, DataExportType, Health};
use uuid::Uuid;

use crate::{
    audit::{AuditEvent, AuditFilter, DashboardSession, NewAuditEvent},
    incidents::{IncidentStatus, VendorIncident},
    invites::{Invite, NewInvite},
    models::*,
    retention::{JobTiming, PruneCursor, PruneStep, RetentionPolicy},
    window::{ListPage, ListWindow},
    Dialect, StoreError,
};

pub type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
pub trait AccountStore {
    async fn create_account(&self, name: &str) -> Result<Account>;
    async fn get_account(&self, id: Uuid) -> Result<Option<Account>>;
    async fn list_accounts(&self) -> Result<Vec<Account>>;
    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKey>;
    async fn list_api_keys(&self, account_id: Uuid) -> Result<Vec<ApiKey>>;
    /// Returns false when no such (unrevoked) key exists in the account.
    async fn revoke_api_key(&self, account_id: Uuid, key_id: Uuid) -> Result<bool>;
    /// The unrevoked key with this hash: authentication's only unscoped lookup.
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>>;
    /// Records use, at most once a minute per key (cheap enough for every request).
    async fn touch_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
pub trait OrganizationStore {
    async fn create_organization(
        &self,
        account_id: Uuid,
        org: NewOrganization,
    ) -> Result<OrganizationRecord>;
    /// Deleted organizations are left out unless `include_deleted`.
    async fn list_organizations(
        &self,
        account_id: Uuid,
        include_deleted: bool,
        window: ListWindow,
    ) -> Result<ListPage<OrganizationRecord>>;
    async fn get_organization(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<Option<OrganizationRecord>>;
    /// Soft-deletes the organization and its connections; returns it, or None when absent.
    async fn delete_organization(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<Option<OrganizationRecord>>;
}

#[async_trait]
pub trait ConnectionStore {
    async fn create_connection(
        &self,
        account_id: Uuid,
        conn: NewConnection,
    ) -> Result<ConnectionRecord>;
    async fn list_connections(
        &self,
        account_id: Uuid,
        filter: &ConnectionFilter,
        window: ListWindow,
    ) -> Result<ListPage<ConnectionRecord>>;
    async fn get_connection(&self, account_id: Uuid, id: Uuid) -> Result<Option<ConnectionRecord>>;
    /// Applies the changes; a state leaving ACTIVE also cancels the connection's queued job.
    async fn update_connection(
        &self,
        account_id: Uuid,
        id: Uuid,
        changes: ConnectionChanges,
    ) -> Result<Option<ConnectionRecord>>;
    /// The account owning a connection. Operator tooling only (`tributary sync`): API
    /// handlers always know the caller's account and use the scoped reads.
    async fn connection_account(&self, id: Uuid) -> Result<Option<Uuid>>;
    /// Connections of every account, for the health summary and dashboard counters.
    async fn count_connections_by_health(
        &self,
        account_id: Uuid,
    ) -> Result<Vec<(Option<String>, i64)>>;
}

#[async_trait]
pub trait JobStore {
    /// Queues a job now; `JobAlreadyActive` when one is queued or running.
    async fn enqueue_job(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        trigger: JobTrigger,
    ) -> Result<JobRecord>;
    /// Queues a SCHEDULE job for every ACTIVE connection due at `now` without an
    /// active job; returns the new job ids.
    async fn enqueue_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>>;
    /// When the next connection without a job in flight is due (None: none scheduled).
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>>;
    /// Leases the oldest queued job to `worker`, until `lease_until`.
    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>>;
    /// Extends a lease; false when the worker lost it.
    async fn heartbeat(
        &self,
        job_id: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives a job back to the queue (graceful shutdown).
    async fn release_job(&self, job_id: Uuid, worker: &str) -> Result<bool>;
    /// Re-queues jobs whose lease expired; those past `max_attempts` are returned to finish.
    async fn requeue_expired(
        &self,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<RequeueOutcome>;
    /// Creates the job's per-export rows (idempotent, for a re-claimed job).
    async fn begin_exports(
        &self,
        job_id: Uuid,
        exports: &[(DataExportType, Vec<String>)],
    ) -> Result<()>;
    /// Records the end of a job, its connection's new health and the health event, atomically.
    /// `worker` None finishes a job no worker holds (exhausted or cancelled).
    async fn finish_job(&self, job_id: Uuid, worker: Option<&str>, finish: JobFinish)
        -> Result<()>;
    /// Cancels a queued job whose connection may no longer run.
    async fn cancel_job(&self, job_id: Uuid, reason: &str) -> Result<bool>;
    async fn get_job(&self, account_id: Uuid, job_id: Uuid) -> Result<Option<JobRecord>>;
    /// Newest first.
    async fn list_jobs(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<JobRecord>>;
    /// Jobs queued and the age of the oldest, for metrics.
    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats>;
}

/// Queue depth and lag.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueStats {
    pub queued: i64,
    pub running: i64,
    pub oldest_queued_secs: f64,
}

#[async_trait]
pub trait RecordStore {
    /// Writes one vendor page, its quarantined records, the job's progress and the
    /// watermark in one transaction. Refused with `LeaseLost` if the worker lost the job.
    async fn commit_page(&self, page: PageCommit) -> Result<PageCommitted>;
    /// After a complete listing of `listing.export` (see [`CompleteListing`]): marks the
    /// export's records the listing did not see as gone (identity records deleted,
    /// vulnerability findings FIXED), in one transaction. Refused with `LeaseLost` if the
    /// worker lost the job, and with `Invalid` for an export whose records cannot be
    /// reconciled (devices, alerts, assets).
    async fn reconcile_listing(&self, listing: CompleteListing) -> Result<Reconciled>;
    /// Benchmarks only (`bench ingest`'s physical limit): creates the bare table of
    /// [`RecordStore::bare_insert_alerts`] if missing. The service never uses it.
    async fn create_bare_alerts(&self) -> Result<()>;
    /// Benchmarks only: writes `rows` into a bare table of the alert columns with one
    /// index (its primary key), in one transaction, by the statement page commits use —
    /// the physical limit of a page commit of the same row bytes in this store.
    async fn bare_insert_alerts(&self, connection_id: Uuid, rows: &[AlertRow]) -> Result<()>;
    /// Benchmarks only: drops the bare table.
    async fn drop_bare_alerts(&self) -> Result<()>;
    async fn get_watermark(
        &self,
        connection_id: Uuid,
        export: DataExportType,
    ) -> Result<Option<String>>;
    async fn list_alerts(
        &self,
        account_id: Uuid,
        query: &RecordQuery,
    ) -> Result<ListPage<StoredAlert>>;
    async fn list_devices(
        &self,
        account_id: Uuid,
        query: &RecordQuery,
    ) -> Result<ListPage<StoredDevice>>;
    async fn record_counts(&self, account_id: Uuid, connection_id: Uuid) -> Result<RecordCounts>;
    /// Raw records kept because they could not be normalized, newest first (of one
    /// export, or of all).
    async fn list_quarantine(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        export: Option<DataExportType>,
        limit: i64,
    ) -> Result<Vec<QuarantineEntry>>;
}

#[async_trait]
pub trait FindingStore {
    /// A keyset page of a connection's vulnerability findings, oldest change first, with
    /// the affected asset joined (`total` is always None).
    async fn list_findings(
        &self,
        account_id: Uuid,
        query: &FindingQuery,
    ) -> Result<ListPage<StoredFinding>>;
    /// One finding of a connection of the account.
    async fn get_finding(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        id: Uuid,
    ) -> Result<Option<StoredFinding>>;
}

#[async_trait]
pub trait IdpStore {
    /// A page of one kind of a connection's identity records, oldest change first; with
    /// `query.related`, only the records on the other side of one record's membership list.
    async fn list_idp(
        &self,
        account_id: Uuid,
        query: &IdpQuery,
    ) -> Result<ListPage<StoredIdpRecord>>;
    /// One identity record of a connection of the account.
    async fn get_idp(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        kind: IdpKind,
        id: Uuid,
    ) -> Result<Option<StoredIdpRecord>>;
    /// The memberships of each of `anchors` in `relation`, read from `side`: at most
    /// `per_anchor` each, ordered by the other side's vendor id, in one query.
    async fn list_idp_refs(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        relation: IdpRelation,
        side: IdpSide,
        anchors: &[Uuid],
        per_anchor: i64,
    ) -> Result<Vec<StoredIdpRef>>;
}

/// A quarantined record as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineEntry {
    pub id: Uuid,
    pub job_id: Uuid,
    pub data_export_type: DataExportType,
    pub vendor_id: Option<String>,
    pub error: String,
    pub raw: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait HealthStore {
    /// Newest first.
    async fn list_health_events(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<HealthEvent>>;
    /// Every change in `[from, to)` plus the last change before `from` (the state at
    /// `from`), oldest first: what uptime over a window needs.
    async fn health_events_between(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HealthEvent>>;
    /// The current health of a connection as stored (test and engine convenience).
    async fn connection_health(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
    ) -> Result<Option<Health>>;
    /// ACTIVE connections with a health, no queued or running job, and no probe since
    /// `probed_before` (oldest probe first): the ones to probe between jobs.
    async fn probe_candidates(
        &self,
        probed_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ConnectionRecord>>;
    /// Records a probe; false (nothing written) when a job ran or finished meanwhile.
    async fn record_probe(&self, probe: ProbeRecord) -> Result<bool>;
    /// The exports of the connection's last `jobs` finished jobs, newest first.
    async fn export_history(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        jobs: i64,
    ) -> Result<Vec<ExportRun>>;
}

/// Vendor incidents (docs/health.md): written with the health changes that cause them
/// (`JobFinish::vendor`, `ProbeHealth::vendor`), read here.
#[async_trait]
pub trait IncidentStore {
    /// The incidents that affected a connection of `account_id`, newest opened first,
    /// each listing only that account's connections.
    async fn list_vendor_incidents(
        &self,
        account_id: Uuid,
        status: Option<IncidentStatus>,
        window: ListWindow,
    ) -> Result<ListPage<VendorIncident>>;
}

#[async_trait]
pub trait WebhookStore {
    async fn create_endpoint(
        &self,
        account_id: Uuid,
        endpoint: NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint>;
    async fn list_endpoints(
        &self,
        account_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<WebhookEndpoint>>;
    async fn get_endpoint(&self, account_id: Uuid, id: Uuid) -> Result<Option<WebhookEndpoint>>;
    /// Enabling an endpoint clears its failure streak; disabling cancels its pending deliveries.
    async fn update_endpoint(
        &self,
        account_id: Uuid,
        id: Uuid,
        changes: WebhookEndpointChanges,
    ) -> Result<Option<WebhookEndpoint>>;
    /// Deletes the endpoint and cancels its pending deliveries; false when absent.
    async fn delete_endpoint(&self, account_id: Uuid, id: Uuid) -> Result<bool>;
    /// Writes an event to the outbox with a delivery per matching endpoint.
    async fn publish_event(&self, event: NewWebhookEvent) -> Result<()>;
    /// Leases due deliveries, oldest first and at most one per endpoint at a time
    /// (an endpoint receives its events in order).
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueDelivery>>;
    /// Records an attempt and the delivery's next state.
    async fn record_attempt(&self, outcome: AttemptOutcome) -> Result<()>;
    /// Turns a failing endpoint off and cancels its pending deliveries.
    async fn disable_endpoint(&self, id: Uuid, reason: &str) -> Result<()>;
    /// Newest first.
    async fn list_deliveries(
        &self,
        account_id: Uuid,
        endpoint_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<DeliveryRecord>>;
    async fn get_delivery(
        &self,
        account_id: Uuid,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<DeliveryRecord>>;
    /// Queues a delivery again now, whatever its state.
    async fn redeliver(
        &self,
        account_id: Uuid,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<DeliveryRecord>>;
}

#[async_trait]
pub trait AuditStore {
    /// Records one audited change (its id and time are assigned here).
    async fn record_audit(&self, event: NewAuditEvent) -> Result<AuditEvent>;
    /// Newest first. Never pruned: retention bounds job and health history, not this.
    async fn list_audit(
        &self,
        account_id: Uuid,
        filter: &AuditFilter,
        window: ListWindow,
    ) -> Result<ListPage<AuditEvent>>;
}

#[async_trait]
pub trait SessionStore {
    async fn create_session(
        &self,
        account_id: Uuid,
        key_id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<DashboardSession>;
    /// The session, unless it ended, expired or its key was revoked.
    async fn live_session(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<DashboardSession>>;
    /// Ends a session (logout); false when it was not live.
    async fn end_session(&self, account_id: Uuid, id: Uuid) -> Result<bool>;
}

#[async_trait]
pub trait InviteStore {
    async fn create_invite(&self, account_id: Uuid, invite: NewInvite) -> Result<Invite>;
    /// The invite with this token hash, whatever its state: the token is its own
    /// authentication, so this is (like `find_api_key`) an unscoped lookup.
    async fn find_invite(&self, token_hash: &str) -> Result<Option<Invite>>;
    async fn get_invite(&self, account_id: Uuid, id: Uuid) -> Result<Option<Invite>>;
    /// Marks the invite used by `connection_id` at `now`, atomically: false when it was
    /// already used, revoked or expired (of two concurrent uses, one wins).
    async fn consume_invite(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        connection_id: Uuid,
    ) -> Result<bool>;
    /// Undoes the consumption made at `used_at` (the change it was for failed).
    async fn release_invite(&self, id: Uuid, used_at: DateTime<Utc>) -> Result<bool>;
    /// Keeps (or with None, drops) sealed credentials the hosted page checked, until the
    /// customer confirms; false when the invite was used or revoked.
    async fn set_invite_pending(&self, id: Uuid, sealed: Option<Vec<u8>>) -> Result<bool>;
    /// Revokes an unused, unrevoked invite of the account; false otherwise.
    async fn revoke_invite(&self, account_id: Uuid, id: Uuid) -> Result<bool>;
}

/// Bounded history and the figures about it.
#[async_trait]
pub trait MaintenanceStore {
    /// One small pruning step under `policy` at time `now`: at most `batch` rows of each
    /// table by age, and the count rule over the next `batch / 10` connections (at least
    /// one) after `cursor`. Short transactions: syncs interleave between steps.
    async fn prune_step(
        &self,
        policy: &RetentionPolicy,
        now: DateTime<Utc>,
        batch: i64,
        cursor: PruneCursor,
    ) -> Result<PruneStep>;
    /// Rows in each table of [`crate::retention::RETAINED_TABLES`], in that order.
    async fn table_rows(&self) -> Result<Vec<(&'static str, i64)>>;
    /// Bytes the database holds in use (SQLite: pages in use; PostgreSQL: the schema's
    /// tables with their indexes and TOAST).
    async fn database_bytes(&self) -> Result<i64>;
    /// Timings of the jobs that started at or after `since` (the fleet benchmark).
    async fn job_timings(&self, since: DateTime<Utc>) -> Result<Vec<JobTiming>>;
}

/// Freshness between jobs (docs/health.md, "Freshness").
#[async_trait]
pub trait FreshnessStore {
    /// Connections whose FRESHNESS_TARGET_MISSED advisories are out of date at `now`: an
    /// ACTIVE connection with a target and an export without a successful pull within it
    /// (counted from creation when none ever succeeded) that is not advised yet, or an
    /// advised export whose target is met again (or removed). Connections with a job
    /// queued or running are left to the job. `freshness` is filled.
    async fn freshness_candidates(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ConnectionRecord>>;
    /// Writes advisories re-assessed between jobs; false (nothing written) when a job was
    /// queued, ran or finished meanwhile.
    async fn record_advisory_update(&self, update: AdvisoryUpdate) -> Result<bool>;
    /// Every export of every ACTIVE connection (operator-level: the fleet's gauges).
    async fn freshness_samples(&self) -> Result<Vec<FreshnessSample>>;
}

/// Everything Tributary stores, on SQLite or PostgreSQL.
#[async_trait]
pub trait Store:
    AccountStore
    + OrganizationStore
    + ConnectionStore
    + JobStore
    + RecordStore
    + FindingStore
    + IdpStore
    + HealthStore
    + IncidentStore
    + FreshnessStore
    + WebhookStore
    + AuditStore
    + SessionStore
    + InviteStore
    + MaintenanceStore
    + Send
    + Sync
    + 'static
{
    fn dialect(&self) -> Dialect;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;
    async fn get_meta(&self, key: &str) -> Result<Option<String>>;
    async fn set_meta(&self, key: &str, value: &str) -> Result<()>;
    /// Refreshes the query planner's statistics of the record tables and (PostgreSQL)
    /// their visibility map, as autovacuum does on its own schedule (benchmarks call it
    /// after a bulk load so they measure the steady state, not the minute before
    /// autovacuum runs).
    async fn analyze(&self) -> Result<()>;
    async fn close(&self);
}
