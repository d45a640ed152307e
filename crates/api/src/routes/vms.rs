//! `/v2/vulnerability_findings`: the vulnerability findings of one connection (named by
//! `X-CONNECTION-ID`), keyset-paginated, in the documented v2 shape. Listing is the
//! application layer's ([`crate::app::findings`]).

use axum::{
    extract::{Path, State},
    http::{header::CONTENT_TYPE, HeaderMap},
    response::{IntoResponse, Response},
};
use tributary_model::{page::Page, vms::Finding};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::data::{connection_id, connection_page, json_page};
use crate::{
    app::findings::{self, FindingListing},
    auth::Caller,
    error::ApiResult,
    extract::Query,
    openapi::HTTPValidationError,
    state::AppState,
    validate::path_uuid,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_findings))
        .routes(routes!(get_finding))
}

/// List the connection's vulnerability findings.
///
/// Keyset pagination only: pass `next_cursor` (or `previous_cursor`) back as `cursor`;
/// a cursor is bound to the filters it was issued for. `total` is always null. Items come
/// in the order Tributary stored their changes (oldest first), so walking to the end and
/// then following `next_cursor` later is a change feed. Filters are comma-separated.
#[utoipa::path(get, path = "/vulnerability_findings", tag = "VMS",
    params(
        ("X-CONNECTION-ID" = Uuid, Header, description = "A connection of your account"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "1–1000, default 100"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` or `previous_cursor` of a previous page"),
        ("severity" = Option<String>, Query, description = "e.g. `CRITICAL,HIGH` (UNKNOWN, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)"),
        ("state" = Option<String>, Query, description = "e.g. `OPEN,REOPENED` (OPEN, REOPENED, FIXED, SUPPRESSED, UNKNOWN)"),
        ("has_fix" = Option<bool>, Query),
        ("first_seen_since" = Option<String>, Query, description = "RFC 3339 date-time"),
        ("last_seen_since" = Option<String>, Query, description = "RFC 3339 date-time"),
        ("state_updated_since" = Option<String>, Query, description = "RFC 3339 date-time"),
        ("resourceId" = Option<String>, Query, description = "Asset ids (`resource_id`), comma-separated"),
        ("ids" = Option<String>, Query, description = "Finding ids, comma-separated, at most 100"),
    ),
    responses((status = 200, body = Page<Finding>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_findings(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(mut params): Query,
) -> ApiResult<Response> {
    let (state, caller) = (&state, &caller);
    let page = connection_page(state, caller, &headers, |connection| async move {
        let listing = FindingListing::parse(connection, &mut params);
        params.finish()?;
        findings::list(state, caller, listing).await
    })
    .await?;
    Ok(json_page(&page))
}

/// Get one vulnerability finding of the connection.
#[utoipa::path(get, path = "/vulnerability_findings/{id}", tag = "VMS",
    params(
        ("X-CONNECTION-ID" = Uuid, Header, description = "A connection of your account"),
        ("id" = Uuid, Path),
    ),
    responses((status = 200, body = Finding), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn get_finding(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: Uuid = path_uuid("id", &id)?;
    let connection = connection_id(&state, &caller, &headers).await?;
    let body = findings::get(&state, &caller, connection, id).await?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}
