//! Connection health beyond the `health` field: the credential test, the history of
//! changes, uptime over a window, and the account-wide summary for operators.

use axum::{
    extract::{Path, State},
    Json,
};
use chrono::Utc;
use serde::Serialize;
use tributary_engine::{probe::CredentialCheck, uptime::Uptime};
use tributary_model::{
    page::Page, Advisory, AdvisoryChange, DataExportType, Health, HealthName, ResolutionOwner,
    Vendor,
};
use tributary_store::{
    models::{ConnectionFilter, HealthEvent},
    ListWindow, Position, SortKey,
};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    app::{connections, health::connection_uptime, quarantine::QuarantinedSample, wire},
    auth::Caller,
    error::ApiResult,
    extract::Query,
    pagination::{CursorCodec, Pagination},
    state::AppState,
};

pub fn connection_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(test_connection))
        .routes(routes!(health_history))
        .routes(routes!(health_uptime))
        .routes(routes!(quarantine_sample))
}

pub fn summary_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health_summary))
}

/// Test the saved credentials: one minimal request per data export.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}/test", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = CredentialCheck), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn test_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
) -> ApiResult<Json<CredentialCheck>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    Ok(Json(connections::test(&state, &caller, &conn).await?))
}

/// One change of a connection's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChange {
    pub id: Uuid,
    /// The previous health name; null for the first job.
    pub from: Option<HealthName>,
    pub to: HealthName,
    pub at: chrono::DateTime<Utc>,
    /// The job whose result changed it.
    pub job_id: Option<Uuid>,
    /// The full health at that moment (details, resolution owner, advisories, …).
    pub health: Health,
    /// Set when this entry records an advisory raised or cleared (then `from` and `to`
    /// are the unchanged health name).
    pub advisory_change: Option<AdvisoryChange>,
    /// The advisory raised or cleared.
    pub advisory: Option<Advisory>,
}

impl From<HealthEvent> for HealthChange {
    fn from(e: HealthEvent) -> Self {
        HealthChange {
            id: e.id,
            from: e.from,
            to: e.to,
            at: e.at,
            job_id: e.job_id,
            health: e.health,
            advisory_change: e.advisory_change,
            advisory: e.advisory,
        }
    }
}

/// The history of a connection's health changes and of its advisories raised and
/// cleared, newest first.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}/health/history", tag = "Health",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query), ("excludeTotal" = Option<bool>, Query),
        ("enableCursor" = Option<bool>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<HealthChange>), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn health_history(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
    Query(mut params): Query,
) -> ApiResult<Json<Page<HealthChange>>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let pagination = Pagination::parse(&mut params);
    params.finish()?;
    let codec = CursorCodec::new(&state.keyring, &format!("health:{}", conn.id));
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_health_events(caller.account_id, conn.id, window)
        .await?;
    let key = |e: &HealthEvent| SortKey {
        key: e.at.timestamp_micros(),
        id: e.id,
    };
    Ok(Json(pagination.page(
        &codec,
        &window,
        page,
        key,
        HealthChange::from,
    )))
}

/// A redacted sample of the records that could not be normalized (the
/// QUARANTINED_RECORDS advisory's `sample`), newest first: the error and the record's
/// shape, never its values.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}/quarantine", tag = "Health",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path),
        ("data_export_type" = Option<DataExportType>, Query, description = "Only this export's records"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "1–1000 like every list (default 20)")),
    responses((status = 200, body = Vec<QuarantinedSample>), (status = 401), (status = 404),
              (status = 422, body = crate::openapi::HTTPValidationError)),
    security(("api_key" = [])))]
async fn quarantine_sample(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
    Query(mut params): Query,
) -> ApiResult<Json<Vec<QuarantinedSample>>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let limit = params.int("limit", 20, 1, 1000);
    let export = params
        .enum_list(
            "data_export_type",
            |s| s.parse::<DataExportType>().ok(),
            "a data export type such as alerts",
        )
        .first()
        .copied();
    params.finish()?;
    let entries = state
        .store
        .list_quarantine(caller.account_id, conn.id, export, limit)
        .await?;
    Ok(Json(
        entries.into_iter().map(QuarantinedSample::from).collect(),
    ))
}

/// Uptime over the last `days` days (1–90, default 7), with one entry per day.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}/health/uptime", tag = "Health",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path), ("days" = Option<i64>, Query)),
    responses((status = 200, body = Uptime), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn health_uptime(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
    Query(mut params): Query,
) -> ApiResult<Json<Uptime>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let days = params.int("days", 7, 1, 90);
    params.finish()?;
    Ok(Json(
        connection_uptime(&state, caller.account_id, conn.id, conn.created_at, days).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NameCount {
    /// A health name, or null for connections no job has checked yet.
    pub name: Option<HealthName>,
    pub resolution_owner: Option<ResolutionOwner>,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerCount {
    pub resolution_owner: ResolutionOwner,
    /// Unhealthy connections this owner must act on.
    pub unhealthy: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnhealthyConnection {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: Option<String>,
    pub vendor: Vendor,
    pub health: Health,
}

/// The account's connection health at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthSummary {
    pub total: i64,
    pub healthy: i64,
    pub unhealthy: i64,
    /// Not checked yet.
    pub unknown: i64,
    /// Unhealthy counts by who must act, platform (LEEN) first.
    pub by_resolution_owner: Vec<OwnerCount>,
    /// Counts by health name, platform-owned failures first.
    pub by_name: Vec<NameCount>,
    /// Up to 100 unhealthy connections, platform-owned first, longest-unhealthy first.
    pub unhealthy_connections: Vec<UnhealthyConnection>,
}

/// Order in which owners are listed: the operator's own failures first.
fn owner_rank(o: ResolutionOwner) -> u8 {
    match o {
        ResolutionOwner::Leen => 0,
        ResolutionOwner::Customer => 1,
        ResolutionOwner::Vendor => 2,
    }
}

/// Health summary across the account: counts by health name and by resolution owner.
#[utoipa::path(get, path = "/health/summary", tag = "Health",
    responses((status = 200, body = HealthSummary), (status = 401)),
    security(("api_key" = [])))]
async fn health_summary(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<HealthSummary>> {
    let counts = state
        .store
        .count_connections_by_health(caller.account_id)
        .await?;
    let mut by_name: Vec<NameCount> = counts
        .iter()
        .map(|(name, n)| {
            let name = name.as_deref().and_then(|s| s.parse::<HealthName>().ok());
            NameCount {
                name,
                resolution_owner: name.map(|n| n.resolution_owner()),
                count: *n,
            }
        })
        .collect();
    let sort_key = |c: &NameCount| match c.name {
        Some(n) if !n.is_healthy() => (0, owner_rank(n.resolution_owner()), n.precedence()),
        Some(_) => (1, 0, 0),
        None => (2, 0, 0),
    };
    by_name.sort_by_key(sort_key);
    let count_where = |f: &dyn Fn(Option<HealthName>) -> bool| {
        by_name
            .iter()
            .filter(|c| f(c.name))
            .map(|c| c.count)
            .sum::<i64>()
    };
    let mut by_owner: Vec<OwnerCount> = [
        ResolutionOwner::Leen,
        ResolutionOwner::Customer,
        ResolutionOwner::Vendor,
    ]
    .into_iter()
    .map(|o| OwnerCount {
        resolution_owner: o,
        unhealthy: count_where(&|n| {
            n.is_some_and(|n| !n.is_healthy() && n.resolution_owner() == o)
        }),
    })
    .collect();
    by_owner.sort_by_key(|o| owner_rank(o.resolution_owner));
    let unhealthy_names: Vec<HealthName> = HealthName::ALL
        .into_iter()
        .filter(|n| !n.is_healthy())
        .collect();
    let filter = ConnectionFilter {
        health_names: unhealthy_names,
        ..Default::default()
    };
    let window = ListWindow {
        limit: 1000,
        position: Position::Offset(0),
        with_total: false,
    };
    let mut unhealthy: Vec<UnhealthyConnection> = state
        .store
        .list_connections(caller.account_id, &filter, window)
        .await?
        .items
        .into_iter()
        .filter_map(|c| {
            let shown = wire::connection(&c);
            shown.health.map(|health| UnhealthyConnection {
                id: c.id,
                organization_id: c.organization_id,
                organization_name: c.organization_name,
                vendor: c.vendor,
                health,
            })
        })
        .collect();
    unhealthy.sort_by_key(|u| {
        (
            owner_rank(u.health.resolution_owner),
            u.health.unhealthy_since,
        )
    });
    unhealthy.truncate(100);
    Ok(Json(HealthSummary {
        total: by_name.iter().map(|c| c.count).sum(),
        healthy: count_where(&|n| n == Some(HealthName::Healthy)),
        unhealthy: count_where(&|n| n.is_some_and(|n| !n.is_healthy())),
        unknown: count_where(&|n| n.is_none()),
        by_resolution_owner: by_owner,
        by_name,
        unhealthy_connections: unhealthy,
    }))
}
