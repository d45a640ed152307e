//! Connections: create, update (new credentials are verified with the vendor first),
//! delete, test, and finding a caller's connection; each change is audited. Request
//! bodies are in [`super::connection_bodies`].

use chrono::Utc;
use serde_json::Value;
use tributary_connectors::VendorSpec;
use tributary_engine::{probe::CredentialCheck, webhooks::events};
use tributary_model::{credentials::Credentials, job::JobTrigger, ConnectionState, Vendor};
use tributary_store::models::{
    ConnectionChanges, ConnectionRecord, NewConnection, NewWebhookEvent, OrganizationRecord,
};
use uuid::Uuid;

pub use super::connection_bodies::{
    ConnectionCreate, ConnectionUpdate, ParseContext, DEFAULT_REFRESH_INTERVAL_SECS,
    DEFAULT_TIMEOUT_SECS, REFRESH_BOUNDS, TIMEOUT_BOUNDS,
};
use super::{
    audit::{self, Changes, Target},
    destinations, jobs, organizations, wire,
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    state::AppState,
    validate::path_uuid,
};

/// The spec of a stored connection's vendor (a vendor this build no longer knows is an
/// operator problem: 500).
pub fn spec_of(state: &AppState, vendor: Vendor) -> ApiResult<&'static VendorSpec> {
    state.engine.registry().get(vendor).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "no connector for vendor {vendor} in this build"
        ))
    })
}

/// How pages name a connection: its identifier, else `<vendor> connection`.
pub fn label(state: &AppState, c: &ConnectionRecord) -> String {
    c.identifier.clone().unwrap_or_else(|| {
        format!(
            "{} connection",
            state.engine.registry().display_name(c.vendor)
        )
    })
}

/// A connection of the organization in the path; 404 for anything not the caller's.
pub async fn find(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    conn_id: &str,
) -> ApiResult<ConnectionRecord> {
    let org = organizations::live(state, caller, org_id).await?;
    let id = path_uuid("connection_id", conn_id)?;
    match state.store.get_connection(caller.account_id, id).await? {
        Some(c) if c.organization_id == org.id => Ok(c),
        _ => Err(ApiError::not_found("Connection")),
    }
}

/// A connection of the caller's account by id alone, unless deleted (data endpoints and
/// the dashboard); 404 otherwise.
pub async fn find_live(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<ConnectionRecord> {
    match state.store.get_connection(caller.account_id, id).await? {
        Some(c) if c.state != ConnectionState::Deleted => Ok(c),
        _ => Err(ApiError::not_found("Connection")),
    }
}

/// Creates a connection in `org` and queues its first job at once.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    org: &OrganizationRecord,
    body: ConnectionCreate,
) -> ApiResult<ConnectionRecord> {
    destinations::check_credentials(state, &body.credentials).await?;
    create_checked(state, caller, org, Uuid::now_v7(), body).await
}

/// Creates connection `id` from a body whose base URLs were resolved and checked (an
/// invite token reserves the id before the connection exists).
pub(crate) async fn create_checked(
    state: &AppState,
    caller: &Caller,
    org: &OrganizationRecord,
    id: Uuid,
    body: ConnectionCreate,
) -> ApiResult<ConnectionRecord> {
    let new = NewConnection {
        id,
        organization_id: org.id,
        vendor: body.vendor,
        identifier: body.identifier,
        state: ConnectionState::Active,
        refresh_interval_secs: body
            .refresh_interval_secs
            .unwrap_or(DEFAULT_REFRESH_INTERVAL_SECS),
        timeout_secs: body.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS),
        options: body.options,
        sealed_credentials: seal(state, id, &body.credentials),
        next_run_at: Some(Utc::now()),
        freshness_target_secs: body.freshness_target_secs,
    };
    let credential_fields = credential_names(&body.credentials);
    let record = state
        .store
        .create_connection(caller.account_id, new)
        .await?;
    let mut changes = Changes::default();
    changes
        .field("vendor", Value::Null, record.vendor)
        .field("organization_id", Value::Null, record.organization_id)
        .field("identifier", Value::Null, &record.identifier)
        .field(
            "refresh_interval_secs",
            Value::Null,
            record.refresh_interval_secs,
        )
        .field("timeout_secs", Value::Null, record.timeout_secs)
        .field(
            "freshness_target_secs",
            Value::Null,
            record.freshness_target_secs,
        )
        .field("options", Value::Null, &record.options)
        .credentials(credential_fields);
    audit::record(
        state,
        caller,
        "created",
        Target::Connection(record.id),
        changes,
    )
    .await;
    publish(state, connection_event(events::CONNECTION_CREATED, &record)).await;
    jobs::enqueue(state, caller, record.id, JobTrigger::Created).await?;
    Ok(record)
}

/// Applies a validated PATCH: new credentials are verified with the vendor first (refused
/// → 400 naming the refused exports, unreachable → 503, nothing saved either way), then
/// saved with an immediate job.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    current: &ConnectionRecord,
    patch: ConnectionUpdate,
) -> ApiResult<ConnectionRecord> {
    if current.state == ConnectionState::Deleted {
        return Err(ApiError::Conflict("Connection is deleted".into()));
    }
    if let Some(creds) = &patch.credentials {
        destinations::check_credentials(state, creds).await?;
        verify_with_vendor(state, current.vendor, creds, current.options.as_ref()).await?;
    }
    update_checked(state, caller, current, patch).await
}

/// Applies a PATCH whose credentials (if any) were already checked and verified.
pub(crate) async fn update_checked(
    state: &AppState,
    caller: &Caller,
    current: &ConnectionRecord,
    patch: ConnectionUpdate,
) -> ApiResult<ConnectionRecord> {
    if current.state == ConnectionState::Deleted {
        return Err(ApiError::Conflict("Connection is deleted".into()));
    }
    let resumed =
        patch.state == Some(ConnectionState::Active) && current.state != ConnectionState::Active;
    let new_credentials = patch.credentials.is_some();
    let changed_fields = patch
        .credentials
        .as_ref()
        .map(|c| changed_credentials(state, current, c))
        .unwrap_or_default();
    let changes = ConnectionChanges {
        sealed_credentials: patch
            .credentials
            .as_ref()
            .map(|c| seal(state, current.id, c)),
        identifier: patch.identifier,
        state: patch.state,
        refresh_interval_secs: patch.refresh_interval_secs,
        timeout_secs: patch.timeout_secs,
        freshness_target_secs: patch.freshness_target_secs,
        // New credentials or a resume: run now instead of at the next interval.
        next_run_at: (new_credentials || resumed).then(|| Some(Utc::now())),
        reset_failures: new_credentials,
    };
    let updated = state
        .store
        .update_connection(caller.account_id, current.id, changes)
        .await?
        .ok_or_else(|| ApiError::not_found("Connection"))?;
    let mut changes = Changes::default();
    changes
        .field("identifier", &current.identifier, &updated.identifier)
        .field("state", current.state, updated.state)
        .field(
            "refresh_interval_secs",
            current.refresh_interval_secs,
            updated.refresh_interval_secs,
        )
        .field("timeout_secs", current.timeout_secs, updated.timeout_secs)
        .field(
            "freshness_target_secs",
            current.freshness_target_secs,
            updated.freshness_target_secs,
        )
        .credentials(changed_fields);
    audit::record(
        state,
        caller,
        "updated",
        Target::Connection(updated.id),
        changes,
    )
    .await;
    if new_credentials || resumed {
        let trigger = if new_credentials {
            JobTrigger::CredentialsUpdated
        } else {
            JobTrigger::Manual
        };
        jobs::enqueue(state, caller, updated.id, trigger).await?;
    }
    Ok(updated)
}

/// Soft-deletes a connection (state DELETED, never synced again) and returns it.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    current: ConnectionRecord,
) -> ApiResult<ConnectionRecord> {
    if current.state == ConnectionState::Deleted {
        return Ok(current);
    }
    let changes = ConnectionChanges {
        state: Some(ConnectionState::Deleted),
        next_run_at: Some(None),
        ..Default::default()
    };
    let updated = state
        .store
        .update_connection(caller.account_id, current.id, changes)
        .await?
        .ok_or_else(|| ApiError::not_found("Connection"))?;
    let mut changes = Changes::default();
    changes.field("state", current.state, updated.state);
    audit::record(
        state,
        caller,
        "deleted",
        Target::Connection(updated.id),
        changes,
    )
    .await;
    publish(
        state,
        connection_event(events::CONNECTION_DELETED, &updated),
    )
    .await;
    Ok(updated)
}

/// Checks the saved credentials: one minimal request per data export.
pub async fn test(
    state: &AppState,
    caller: &Caller,
    conn: &ConnectionRecord,
) -> ApiResult<CredentialCheck> {
    let spec = spec_of(state, conn.vendor)?;
    let json = open_credentials(state, conn)?;
    let creds = spec.parse_credentials(&json).map_err(|_| {
        ApiError::Internal(anyhow::anyhow!(
            "stored credentials of {} do not parse",
            conn.id
        ))
    })?;
    let check = state
        .engine
        .check_credentials(spec, &creds, conn.options.as_ref())
        .await;
    let mut changes = Changes::default();
    changes.field("is_valid", Value::Null, check.is_valid);
    audit::record(
        state,
        caller,
        "tested",
        Target::Connection(conn.id),
        changes,
    )
    .await;
    Ok(check)
}

/// The saved credentials of `conn`, opened (as their sealable JSON object).
fn open_credentials(state: &AppState, conn: &ConnectionRecord) -> ApiResult<Value> {
    let plain = state
        .keyring
        .open(conn.id, &conn.sealed_credentials)
        .map_err(|e| {
            ApiError::Internal(anyhow::anyhow!(
                "cannot open credentials of {}: {e}",
                conn.id
            ))
        })?;
    serde_json::from_slice(&plain).map_err(|e| ApiError::Internal(e.into()))
}

/// The names of the credential fields a PATCH changes (compared with the saved ones;
/// every field when they cannot be opened).
fn changed_credentials(
    state: &AppState,
    conn: &ConnectionRecord,
    new: &Credentials,
) -> Vec<String> {
    let new = new.to_sealable_json();
    let old = open_credentials(state, conn).unwrap_or(Value::Null);
    audit::changed_credential_fields(&old, &new)
}

/// The names of the credential fields given.
fn credential_names(creds: &Credentials) -> Vec<String> {
    let json = creds.to_sealable_json();
    audit::changed_credential_fields(&Value::Null, &json)
}

fn seal(state: &AppState, connection_id: Uuid, creds: &Credentials) -> Vec<u8> {
    let json = creds.to_sealable_json().to_string();
    state.keyring.seal(connection_id, json.as_bytes())
}

/// Checks new credentials against the vendor before anything is saved.
pub(crate) async fn verify_with_vendor(
    state: &AppState,
    vendor: Vendor,
    creds: &Credentials,
    options: Option<&Value>,
) -> ApiResult<()> {
    let spec = spec_of(state, vendor)?;
    let check = state.engine.check_credentials(spec, creds, options).await;
    if check.is_valid {
        return Ok(());
    }
    let details: Vec<String> = check
        .details
        .iter()
        .flatten()
        .map(|f| {
            let status = f.http_status.map(|s| format!(" ({s})")).unwrap_or_default();
            format!(
                "{} at {}{status}: {}",
                f.data_export_type, f.endpoint, f.message
            )
        })
        .collect();
    let detail = format!(
        "{}. Nothing was changed. {}",
        check.message,
        details.join("; ")
    );
    if check.refused() {
        Err(ApiError::BadRequest(format!(
            "Credentials were refused: {detail}"
        )))
    } else {
        Err(ApiError::Unavailable(format!(
            "Credentials could not be verified: {detail}"
        )))
    }
}

fn connection_event(kind: &str, c: &ConnectionRecord) -> NewWebhookEvent {
    events::connection_event(kind, c, &wire::connection(c))
}

/// Writes a webhook event to the outbox; a failure is logged, never shown to the caller
/// (the change itself succeeded).
async fn publish(state: &AppState, event: NewWebhookEvent) {
    if let Err(e) = state.store.publish_event(event).await {
        tracing::error!(error = %e, "could not write a webhook event");
    }
}
