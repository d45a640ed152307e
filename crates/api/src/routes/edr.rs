//! `/v1/edr/alerts` and `/v1/edr/devices`: the normalized data of one connection (named
//! by `X-CONNECTION-ID`), in the documented shape. Listing is the application layer's
//! ([`crate::app::records`]); this adapter reads the headers and writes the page.

use axum::{extract::State, http::HeaderMap, response::Response};
use tributary_model::{
    edr::{Alert, Device},
    page::Page,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::data::{connection_page, json_page};
use crate::{
    app::records::{Listing, RecordList},
    auth::Caller,
    error::ApiResult,
    extract::Query,
    openapi::HTTPValidationError,
    state::AppState,
    validate::QueryParams,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(list_devices))
}

async fn respond(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    list: RecordList,
    mut params: QueryParams,
) -> ApiResult<Response> {
    let page = connection_page(state, caller, headers, |connection| async move {
        let listing = Listing::parse(list, connection, &mut params, state.engine.registry());
        params.finish()?;
        crate::app::records::list(state, caller, listing).await
    })
    .await?;
    Ok(json_page(&page))
}

/// List the connection's alerts.
///
/// Sort with `sort=updated_at|first_event_time|last_event_time|severity` (prefix `-` for
/// descending; ties break on id; default `updated_at` ascending). Filter with `severity`,
/// `status`, `vendor` and `deviceId` (comma-separated and/or repeated) and `updatedSince`.
/// `observables` is null unless `includeObservables=true`; `device.device_groups` appears
/// only with `includeDeviceGroups=true`.
#[utoipa::path(get, path = "/edr/alerts", tag = "EDR",
    params(
        ("X-CONNECTION-ID" = Uuid, Header, description = "A connection of your account"),
        ("sort" = Option<String>, Query, description = "updated_at, first_event_time, last_event_time or severity; `-` prefix for descending"),
        ("enableCursor" = Option<bool>, Query), ("cursor" = Option<String>, Query),
        ("updatedSince" = Option<String>, Query, description = "Only items updated since this date-time, e.g. 2021-01-01T00:00:00+00:00 (not with cursor)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "1–1000, default 100"),
        ("offset" = Option<i64>, Query, minimum = 0),
        ("excludeTotal" = Option<bool>, Query), ("skipTotal" = Option<bool>, Query),
        ("includeDeviceGroups" = Option<bool>, Query), ("includeObservables" = Option<bool>, Query),
        ("severity" = Option<String>, Query, description = "none, info, low, medium, high, critical"),
        ("status" = Option<String>, Query, description = "unknown, new, in_progress, unresolved, resolved"),
        ("vendor" = Option<String>, Query, description = "crowdstrike, ms_defender_endpoint, sentinelone"),
        ("deviceId" = Option<String>, Query, description = "Device ids (as in `device.id`)"),
    ),
    responses((status = 200, body = Page<Alert>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query,
) -> ApiResult<Response> {
    respond(&state, &caller, &headers, RecordList::Alerts, params).await
}

/// List the connection's devices.
///
/// Sort with `sort=updated_at|last_seen` (prefix `-` for descending; default `updated_at`
/// ascending). Filter with `platform`, `status`, `vendor` and `updatedSince`.
#[utoipa::path(get, path = "/edr/devices", tag = "EDR",
    params(
        ("X-CONNECTION-ID" = Uuid, Header, description = "A connection of your account"),
        ("sort" = Option<String>, Query, description = "updated_at or last_seen; `-` prefix for descending"),
        ("enableCursor" = Option<bool>, Query), ("cursor" = Option<String>, Query),
        ("updatedSince" = Option<String>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "1–1000, default 100"),
        ("offset" = Option<i64>, Query, minimum = 0),
        ("excludeTotal" = Option<bool>, Query), ("skipTotal" = Option<bool>, Query),
        ("includeDeviceGroups" = Option<bool>, Query),
        ("platform" = Option<String>, Query, description = "mac, windows, linux, unknown"),
        ("status" = Option<String>, Query, description = "active, offline, quarantined"),
        ("vendor" = Option<String>, Query),
    ),
    responses((status = 200, body = Page<Device>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query,
) -> ApiResult<Response> {
    respond(&state, &caller, &headers, RecordList::Devices, params).await
}
