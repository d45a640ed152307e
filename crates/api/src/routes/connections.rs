//! `/v1/provisioning/organizations/{organization_id}/connections`.

use axum::{
    extract::{Path, State},
    Json,
};
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use tributary_model::{
    credentials::Credentials, job::JobTrigger, options::parse_options, page::Page, Connection,
    ConnectionState, HealthName, Vendor,
};
use tributary_store::{
    models::{ConnectionChanges, ConnectionFilter, ConnectionRecord, NewConnection},
    SortKey, StoreError,
};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use tributary_engine::webhooks::events;

use super::organizations::live_organization;
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{JsonBody, Query},
    pagination::{CursorCodec, Pagination},
    state::AppState,
    validate::{path_uuid, BodyFields},
};

/// Default seconds between scheduled jobs (4 hours).
pub const DEFAULT_REFRESH_INTERVAL_SECS: i64 = 14_400;
/// Default job time limit (30 minutes).
pub const DEFAULT_TIMEOUT_SECS: i64 = 1_800;
/// `refresh_interval_secs` bounds: one minute to 30 days.
pub const REFRESH_BOUNDS: (i64, i64) = (60, 2_592_000);
/// `timeout_secs` bounds: ten seconds to one day.
pub const TIMEOUT_BOUNDS: (i64, i64) = (10, 86_400);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_connection, list_connections))
        .routes(routes!(
            get_connection,
            update_connection,
            delete_connection
        ))
}

/// Body of a create-connection request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConnectionCreate {
    pub vendor: Vendor,
    /// The vendor's credential object: `SentinelOneCredentials`, `CrowdStrikeCredentials`
    /// or `MsDefenderEndpointCredentials`. Write-only: never returned.
    #[schema(value_type = Object)]
    pub credentials: Value,
    pub identifier: Option<String>,
    /// Seconds between scheduled jobs, 60–2592000 (default 14400).
    pub refresh_interval_secs: Option<i64>,
    /// Job time limit in seconds, 10–86400 (default 1800).
    pub timeout_secs: Option<i64>,
    /// Vendor options: `init_load_timestamp`; CrowdStrike `member_cid`; SentinelOne
    /// `site_ids`, `account_ids`.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
}

/// Body of a PATCH: every field optional; a PATCH without `state` keeps the state.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConnectionUpdate {
    /// New credentials: validated against the vendor before they are saved.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<Value>,
    pub identifier: Option<String>,
    /// `ACTIVE` or `PAUSED` (use DELETE to delete).
    pub state: Option<ConnectionState>,
    pub refresh_interval_secs: Option<i64>,
    pub timeout_secs: Option<i64>,
}

/// Parses credentials for `vendor` and applies the outbound URL guard to its base URLs.
pub(crate) fn parse_credentials(
    state: &AppState,
    vendor: Vendor,
    value: &Value,
) -> ApiResult<Credentials> {
    let creds = Credentials::parse(vendor, value).map_err(|errs| {
        ApiError::Validation(
            errs.into_iter()
                .map(|e| e.under(&["body", "credentials"]))
                .collect(),
        )
    })?;
    for (field, url) in creds.base_urls() {
        if let Err(e) = state.guard.check_static(url) {
            return Err(ApiError::invalid(
                &["body", "credentials", field],
                "url_not_allowed",
                e.to_string(),
            ));
        }
    }
    Ok(creds)
}

pub(crate) fn seal(state: &AppState, connection_id: Uuid, creds: &Credentials) -> Vec<u8> {
    let json = creds.to_sealable_json().to_string();
    state.keyring.seal(connection_id, json.as_bytes())
}

/// Resolves a connection of the organization in the path; 404 for anything not the caller's.
pub(crate) async fn find_connection(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    conn_id: &str,
) -> ApiResult<ConnectionRecord> {
    let org = live_organization(state, caller, org_id).await?;
    let id = path_uuid("connection_id", conn_id)?;
    match state.store.get_connection(caller.account_id, id).await? {
        Some(c) if c.organization_id == org.id => Ok(c),
        _ => Err(ApiError::not_found("Connection")),
    }
}

/// Queues a job and wakes in-process workers. A job already queued or running is fine:
/// it will read the connection's current state when it runs.
pub(crate) async fn queue_job(
    state: &AppState,
    caller: &Caller,
    connection: Uuid,
    trigger: JobTrigger,
) -> ApiResult<()> {
    match state
        .store
        .enqueue_job(caller.account_id, connection, trigger)
        .await
    {
        Ok(_) | Err(StoreError::JobAlreadyActive(_)) => {
            state.wake.notify_waiters();
            Ok(())
        }
        Err(StoreError::Invalid(_)) => Ok(()), // not ACTIVE: nothing to run
        Err(e) => Err(e.into()),
    }
}

/// Create a connection. The first job is queued at once.
#[utoipa::path(post, path = "/organizations/{organization_id}/connections", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    request_body = ConnectionCreate,
    responses((status = 200, body = Connection), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn create_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Connection>> {
    let org = live_organization(&state, &caller, &org_id).await?;
    let mut f = BodyFields::new(&body, &["body"])?;
    let vendor = f
        .required("vendor")
        .and_then(|v| match v.as_str().map(str::parse::<Vendor>) {
            Some(Ok(v)) => Some(v),
            _ => {
                f.error(
                    "vendor",
                    "enum",
                    "Input should be 'CROWDSTRIKE', 'SENTINELONE' or 'MS_DEFENDER_ENDPOINT'",
                );
                None
            }
        });
    let credentials = f.required("credentials");
    let identifier = f.nullable_string("identifier", 255).flatten();
    let refresh = f.optional_int("refresh_interval_secs", REFRESH_BOUNDS.0, REFRESH_BOUNDS.1);
    let timeout = f.optional_int("timeout_secs", TIMEOUT_BOUNDS.0, TIMEOUT_BOUNDS.1);
    let options_raw = f.raw("options");
    let mut errors = std::mem::take(&mut f.errors);
    let (mut creds, mut options) = (None, None);
    if let Some(vendor) = vendor {
        if let Some(c) = credentials {
            match parse_credentials(&state, vendor, c) {
                Ok(c) => creds = Some(c),
                Err(ApiError::Validation(e)) => errors.extend(e),
                Err(e) => return Err(e),
            }
        }
        match options_raw.map(|o| parse_options(vendor, o)).transpose() {
            Ok(o) => options = o.flatten(),
            Err(e) => errors.extend(e.into_iter().map(|e| e.under(&["body", "options"]))),
        }
    }
    f.errors = errors;
    f.finish()?;
    let (vendor, creds) = (vendor.expect("validated"), creds.expect("validated"));
    let id = Uuid::now_v7();
    let new = NewConnection {
        id,
        organization_id: org.id,
        vendor,
        identifier,
        state: ConnectionState::Active,
        refresh_interval_secs: refresh.unwrap_or(DEFAULT_REFRESH_INTERVAL_SECS),
        timeout_secs: timeout.unwrap_or(DEFAULT_TIMEOUT_SECS),
        options,
        sealed_credentials: seal(&state, id, &creds),
        next_run_at: Some(Utc::now()),
    };
    let record = state
        .store
        .create_connection(caller.account_id, new)
        .await?;
    publish(
        &state,
        events::connection_event(events::CONNECTION_CREATED, &record),
    )
    .await;
    queue_job(&state, &caller, record.id, JobTrigger::Created).await?;
    Ok(Json(record.to_wire()))
}

/// List connections, e.g. every UNAUTHORIZED one with `healthStatusCodes=UNAUTHORIZED`.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections", tag = "Provisioning",
    params(
        ("organization_id" = Uuid, Path),
        ("healthStatusCodes" = Option<String>, Query, description = "Health names, comma-separated and/or repeated, e.g. `UNAUTHORIZED,VENDOR_SERVER_ERROR`"),
        ("vendor" = Option<String>, Query, description = "Vendors, comma-separated and/or repeated"),
        ("state" = Option<String>, Query, description = "States, comma-separated and/or repeated; DELETED connections appear only when asked for"),
        ("identifier" = Option<String>, Query, description = "Your identifier, exact match"),
        ("isActive" = Option<bool>, Query),
        ("limit" = Option<i64>, Query, description = "Page size, 1–1000 (default 100)"),
        ("offset" = Option<i64>, Query),
        ("excludeTotal" = Option<bool>, Query, description = "Return `total: null` (also `skipTotal`)"),
        ("enableCursor" = Option<bool>, Query),
        ("cursor" = Option<String>, Query),
    ),
    responses((status = 200, body = Page<Connection>), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn list_connections(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(mut params): Query,
) -> ApiResult<Json<Page<Connection>>> {
    let org = live_organization(&state, &caller, &org_id).await?;
    let pagination = Pagination::parse(&mut params);
    let filter = ConnectionFilter {
        organization_id: Some(org.id),
        health_names: params.enum_list(
            "healthStatusCodes",
            |s| s.parse::<HealthName>().ok(),
            "a health status code such as UNAUTHORIZED",
        ),
        vendors: params.enum_list(
            "vendor",
            |s| s.parse::<Vendor>().ok(),
            "CROWDSTRIKE, SENTINELONE or MS_DEFENDER_ENDPOINT",
        ),
        states: params.enum_list(
            "state",
            |s| s.parse::<ConnectionState>().ok(),
            "PENDING, ACTIVE, PAUSED or DELETED",
        ),
        identifier: params.get(&["identifier"]).map(|(_, v)| v.to_owned()),
        is_active: params
            .get(&["isActive"])
            .is_some()
            .then(|| params.bool(&["isActive"], false)),
    };
    params.finish()?;
    let codec = CursorCodec::new(
        &state.keyring,
        &format!("connections:{}:{filter:?}", caller.account_id),
    );
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_connections(caller.account_id, &filter, window)
        .await?;
    let key = |c: &ConnectionRecord| SortKey {
        key: c.created_at.timestamp_micros(),
        id: c.id,
    };
    Ok(Json(
        pagination.page(&codec, &window, page, key, |c| c.to_wire()),
    ))
}

/// Get a connection, with its health.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = Connection), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn get_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
) -> ApiResult<Json<Connection>> {
    Ok(Json(
        find_connection(&state, &caller, &org_id, &conn_id)
            .await?
            .to_wire(),
    ))
}

/// What a PATCH body asks for, validated.
pub(crate) struct Patch {
    pub credentials: Option<Credentials>,
    pub identifier: Option<Option<String>>,
    pub state: Option<ConnectionState>,
    pub refresh: Option<i64>,
    pub timeout: Option<i64>,
}

pub(crate) fn parse_patch(state: &AppState, vendor: Vendor, body: &Value) -> ApiResult<Patch> {
    let mut f = BodyFields::new(body, &["body"])?;
    let creds_raw = f.raw("credentials").filter(|v| !v.is_null());
    let identifier = f.nullable_string("identifier", 255);
    let new_state = match f.raw("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "ACTIVE" => Some(ConnectionState::Active),
        Some(Value::String(s)) if s == "PAUSED" => Some(ConnectionState::Paused),
        Some(_) => {
            f.error(
                "state",
                "enum",
                "Input should be 'ACTIVE' or 'PAUSED' (use DELETE to delete)",
            );
            None
        }
    };
    let refresh = f.optional_int("refresh_interval_secs", REFRESH_BOUNDS.0, REFRESH_BOUNDS.1);
    let timeout = f.optional_int("timeout_secs", TIMEOUT_BOUNDS.0, TIMEOUT_BOUNDS.1);
    let mut credentials = None;
    if let Some(raw) = creds_raw {
        match parse_credentials(state, vendor, raw) {
            Ok(c) => credentials = Some(c),
            Err(ApiError::Validation(e)) => f.errors.extend(e),
            Err(e) => return Err(e),
        }
    }
    f.finish()?;
    Ok(Patch {
        credentials,
        identifier,
        state: new_state,
        refresh,
        timeout,
    })
}

/// Checks new credentials against the vendor before anything is saved: refused → 400
/// naming the refused exports; vendor unreachable → 503 (nothing saved either way).
async fn verify_with_vendor(
    state: &AppState,
    creds: Credentials,
    options: Option<&Value>,
) -> ApiResult<()> {
    let check = state.engine.check_credentials(creds, options).await;
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

/// Update a connection. New credentials are checked against the vendor first: if the
/// vendor refuses them, nothing changes (400, naming the refused exports); if it accepts
/// them, they are saved and a job is queued at once.
#[utoipa::path(patch, path = "/organizations/{organization_id}/connections/{connection_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    request_body = ConnectionUpdate,
    responses((status = 200, body = Connection), (status = 400, description = "The vendor refused the new credentials"),
              (status = 401), (status = 404), (status = 409, description = "The connection is deleted"), (status = 422),
              (status = 503, description = "The vendor could not be reached to verify the credentials")),
    security(("api_key" = [])))]
async fn update_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Connection>> {
    let current = find_connection(&state, &caller, &org_id, &conn_id).await?;
    let patch = parse_patch(&state, current.vendor, &body)?;
    Ok(Json(
        apply_patch(&state, &caller, &current, patch)
            .await?
            .to_wire(),
    ))
}

/// Applies a validated PATCH: new credentials are verified with the vendor first, then
/// saved with an immediate job (shared by the API and the dashboard).
pub(crate) async fn apply_patch(
    state: &AppState,
    caller: &Caller,
    current: &ConnectionRecord,
    patch: Patch,
) -> ApiResult<ConnectionRecord> {
    if current.state == ConnectionState::Deleted {
        return Err(ApiError::Conflict("Connection is deleted".into()));
    }
    if let Some(creds) = &patch.credentials {
        verify_with_vendor(state, creds.clone(), current.options.as_ref()).await?;
    }
    let resumed =
        patch.state == Some(ConnectionState::Active) && current.state != ConnectionState::Active;
    let new_credentials = patch.credentials.is_some();
    let changes = ConnectionChanges {
        sealed_credentials: patch
            .credentials
            .as_ref()
            .map(|c| seal(state, current.id, c)),
        identifier: patch.identifier,
        state: patch.state,
        refresh_interval_secs: patch.refresh,
        timeout_secs: patch.timeout,
        // New credentials or a resume: run now instead of at the next interval.
        next_run_at: (new_credentials || resumed).then(|| Some(Utc::now())),
        reset_failures: new_credentials,
    };
    let updated = state
        .store
        .update_connection(caller.account_id, current.id, changes)
        .await?
        .ok_or_else(|| ApiError::not_found("Connection"))?;
    if new_credentials || resumed {
        let trigger = if new_credentials {
            JobTrigger::CredentialsUpdated
        } else {
            JobTrigger::Manual
        };
        queue_job(state, caller, updated.id, trigger).await?;
    }
    Ok(updated)
}

/// Delete a connection (soft delete: state DELETED, never synced again). Returns it.
#[utoipa::path(delete, path = "/organizations/{organization_id}/connections/{connection_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = Connection), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn delete_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
) -> ApiResult<Json<Connection>> {
    let current = find_connection(&state, &caller, &org_id, &conn_id).await?;
    if current.state == ConnectionState::Deleted {
        return Ok(Json(current.to_wire()));
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
    publish(
        &state,
        events::connection_event(events::CONNECTION_DELETED, &updated),
    )
    .await;
    Ok(Json(updated.to_wire()))
}

/// Writes a webhook event to the outbox; a failure is logged, never shown to the caller
/// (the change itself succeeded).
async fn publish(state: &AppState, event: tributary_store::models::NewWebhookEvent) {
    if let Err(e) = state.store.publish_event(event).await {
        tracing::error!(error = %e, "could not write a webhook event");
    }
}
