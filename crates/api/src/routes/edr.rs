//! `/v1/edr/alerts` and `/v1/edr/devices`: the normalized data of one connection (named
//! by `X-CONNECTION-ID`), in the documented shape. Listing is the application layer's
//! ([`crate::app::records`]); this adapter reads the headers and writes the page.

use axum::{
    extract::State,
    http::{header::CONTENT_TYPE, HeaderMap},
    response::{IntoResponse, Response},
};
use serde_json::value::RawValue;
use tributary_model::{
    edr::{Alert, Device},
    page::Page,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    app::{
        connections::find_live,
        records::{Listing, RecordList},
    },
    auth::Caller,
    error::{ApiError, ApiResult},
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

/// The connection named by `X-CONNECTION-ID`, if it is the caller's and not deleted.
async fn connection_id(state: &AppState, caller: &Caller, headers: &HeaderMap) -> ApiResult<Uuid> {
    let loc = ["header", "x-connection-id"];
    let raw = headers
        .get("x-connection-id")
        .ok_or_else(|| ApiError::invalid(&loc, "missing", "Field required"))?;
    let id: Uuid = raw
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| ApiError::invalid(&loc, "uuid_parsing", "Input should be a valid UUID"))?;
    Ok(find_live(state, caller, id).await?.id)
}

async fn respond(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    list: RecordList,
    mut params: QueryParams,
) -> ApiResult<Response> {
    let connection = connection_id(state, caller, headers).await?;
    let listing = Listing::parse(list, connection, &mut params, state.engine.registry());
    params.finish()?;
    let page = crate::app::records::list(state, caller, listing).await?;
    Ok(([(CONTENT_TYPE, "application/json")], page_json(&page)).into_response())
}

/// The page envelope around items that are already JSON text, byte for byte what
/// serializing the [`Page`] would give.
///
/// The items are the stored documents our own mappings serialized, spliced together
/// without being parsed again (re-validating them was ~6% of the machine's CPU under
/// `bench api`).
fn page_json(page: &Page<String>) -> String {
    #[derive(serde::Serialize)]
    struct Head {
        count: usize,
        total: Option<i64>,
    }
    let head = serde_json::to_string(&Head {
        count: page.count,
        total: page.total,
    })
    .expect("numbers serialize");
    let tail = match &page.cursor {
        Some(links) => serde_json::to_string(links).expect("strings serialize"),
        None => "{}".to_owned(),
    };
    let items_len: usize = page.items.iter().map(|i| i.len() + 1).sum();
    let mut body = String::with_capacity(head.len() + tail.len() + items_len + 16);
    body.push_str(head.strip_suffix('}').expect("an object"));
    body.push_str(",\"items\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        debug_assert!(
            serde_json::from_str::<&RawValue>(item).is_ok(),
            "stored records are JSON: {item}"
        );
        body.push_str(item);
    }
    body.push(']');
    let links = tail.strip_prefix('{').expect("an object");
    if links != "}" {
        body.push(',');
    }
    body.push_str(links);
    body
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_bodies_are_what_serde_would_write() {
        use tributary_model::page::CursorLinks;
        let items = vec!["{\"a\":1}".to_owned(), "{\"b\":[true,null]}".to_owned()];
        let links = CursorLinks {
            next_cursor: Some("n\"x".into()),
            previous_cursor: None,
        };
        for (items, total, cursor) in [
            (items.clone(), Some(7), Some(links)),
            (items, None, None),
            (vec![], Some(0), None),
        ] {
            let page = Page::new(items, total, cursor);
            let raw = page
                .clone()
                .map(|i| RawValue::from_string(i).expect("test items are JSON"));
            assert_eq!(page_json(&page), serde_json::to_string(&raw).unwrap());
        }
    }
}
