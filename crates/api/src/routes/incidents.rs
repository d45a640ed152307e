//! `GET /v1/health/incidents`: vendor incidents that affected the caller's connections
//! (docs/health.md, "Vendor incidents"), each listing only the caller's connections.

use axum::{extract::State, Json};
use tributary_engine::incidents::{view, IncidentView};
use tributary_model::page::Page;
use tributary_store::{
    incidents::{IncidentStatus, VendorIncident},
    SortKey,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::Caller,
    error::ApiResult,
    extract::Query,
    pagination::{CursorCodec, Pagination},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_incidents))
}

/// Vendor incidents: several connections to one vendor host failing on the vendor's side
/// at once (VENDOR_SERVER_ERROR), newest opened first. Only incidents that affected a
/// connection of the caller's account, and in each only the account's connections.
#[utoipa::path(get, path = "/health/incidents", tag = "Health",
    params(
        ("status" = Option<String>, Query, description = "`open` or `resolved` (comma-separated and/or repeated); any when absent"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 100)"),
        ("offset" = Option<i64>, Query, minimum = 0),
        ("excludeTotal" = Option<bool>, Query),
        ("enableCursor" = Option<bool>, Query),
        ("cursor" = Option<String>, Query),
    ),
    responses((status = 200, body = Page<IncidentView>), (status = 401),
              (status = 422, body = crate::openapi::HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut params): Query,
) -> ApiResult<Json<Page<IncidentView>>> {
    let pagination = Pagination::parse(&mut params);
    let statuses = params.enum_list("status", IncidentStatus::parse, "`open` or `resolved`");
    params.finish()?;
    // Both statuses (or none) is every incident.
    let status = statuses
        .first()
        .copied()
        .filter(|first| statuses.iter().all(|s| s == first));
    let codec = CursorCodec::new(
        &state.keyring,
        &format!("incidents:{}:{:?}", caller.account_id, status),
    );
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_vendor_incidents(caller.account_id, status, window)
        .await?;
    let key = |i: &VendorIncident| SortKey {
        key: i.opened_at.timestamp_micros(),
        id: i.id,
    };
    let account = caller.account_id;
    Ok(Json(
        pagination.page(&codec, &window, page, key, |i| view(&i, account)),
    ))
}
