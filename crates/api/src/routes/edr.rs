//! `/v1/edr/alerts` and `/v1/edr/devices`: the normalized data of one connection (named
//! by `X-CONNECTION-ID`), in the documented shape, with filters, sorting, offset and
//! keyset-cursor pagination. Responses are assembled from the stored JSON pieces
//! without re-serializing records.

use axum::{
    extract::State,
    http::{header::CONTENT_TYPE, HeaderMap},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::value::RawValue;
use tributary_model::{
    edr::{Alert, AlertSeverity, AlertStatus, Device, DeviceStatus, Platform},
    page::Page,
    ConnectionState, SourceVendor,
};
use tributary_store::{
    models::{
        RecordFilter, RecordParts, RecordQuery, RecordSort, RecordSortField, StoredAlert,
        StoredDevice,
    },
    time::from_micros,
    SortKey,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::Query,
    pagination::{CursorCodec, Pagination},
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
    match state.store.get_connection(caller.account_id, id).await? {
        Some(c) if c.state != ConnectionState::Deleted => Ok(id),
        _ => Err(ApiError::not_found("Connection")),
    }
}

/// Options common to both lists.
struct Listing {
    pagination: Pagination,
    sort: RecordSort,
    sort_text: String,
    updated_since: Option<i64>,
    include_groups: bool,
}

fn parse_listing(params: &mut QueryParams, sortable: &[(&str, RecordSortField)]) -> Listing {
    let pagination = Pagination::parse(params);
    let sort_text = params
        .get(&["sort"])
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "updated_at".into());
    let (descending, name) = match sort_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sort_text.trim_start_matches('+')),
    };
    let field = match sortable.iter().find(|(n, _)| *n == name) {
        Some((_, f)) => *f,
        None => {
            let allowed: Vec<&str> = sortable.iter().map(|(n, _)| *n).collect();
            params.error(
                "sort",
                "enum",
                format!(
                    "Sort by one of {} (prefix `-` for descending)",
                    allowed.join(", ")
                ),
            );
            RecordSortField::UpdatedAt
        }
    };
    let updated_since = params
        .get(&["updatedSince"])
        .map(|(_, v)| v.to_owned())
        .and_then(|v| {
            match DateTime::parse_from_rfc3339(v.trim())
                .or_else(|_| DateTime::parse_from_rfc3339(&v.trim().replace(' ', "+")))
            {
                Ok(t) => Some(t.with_timezone(&Utc).timestamp_micros()),
                Err(_) => {
                    params.error(
                        "updatedSince",
                        "datetime_parsing",
                        "Input should be a date-time like 2021-01-01T00:00:00+00:00",
                    );
                    None
                }
            }
        });
    if updated_since.is_some() && pagination.cursor.is_some() {
        params.error(
            "updatedSince",
            "value_error",
            "updatedSince cannot be combined with cursor: the cursor already carries it",
        );
    }
    let include_groups = params.bool(&["includeDeviceGroups"], false);
    Listing {
        pagination,
        sort: RecordSort { field, descending },
        sort_text,
        updated_since,
        include_groups,
    }
}

fn vendors(params: &mut QueryParams) -> Vec<String> {
    params.enum_list(
        "vendor",
        |s| {
            [
                SourceVendor::Crowdstrike,
                SourceVendor::Sentinelone,
                SourceVendor::MsDefenderEndpoint,
            ]
            .into_iter()
            .find(|v| v.as_str() == s.to_ascii_lowercase())
            .map(|v| v.as_str().to_owned())
        },
        "crowdstrike, ms_defender_endpoint or sentinelone",
    )
}

/// `{…data…}` with extra members appended before the closing brace.
fn extend_object(data: &str, members: &[(&str, &str)]) -> String {
    let body = data.trim_end().strip_suffix('}').unwrap_or(data);
    let mut out = String::with_capacity(
        data.len()
            + members
                .iter()
                .map(|(k, v)| k.len() + v.len() + 4)
                .sum::<usize>(),
    );
    out.push_str(body);
    for (k, v) in members {
        if !out.ends_with('{') {
            out.push(',');
        }
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
        out.push_str(v);
    }
    out.push('}');
    out
}

fn timestamp(us: i64) -> String {
    format!(
        "\"{}\"",
        from_micros(us).to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

fn device_json(data: &str, groups: Option<&str>, include_groups: bool) -> String {
    if include_groups {
        extend_object(data, &[("device_groups", groups.unwrap_or("[]"))])
    } else {
        data.to_owned()
    }
}

/// One alert item: the stored JSON with its device, observables and `updated_at` spliced in.
fn render_alert(a: StoredAlert, include_groups: bool, include_observables: bool) -> String {
    let device = match (&a.device_data, &a.device_snapshot) {
        (Some(d), _) => device_json(d, a.device_groups.as_deref(), include_groups),
        (None, Some(s)) => device_json(s, a.device_snapshot_groups.as_deref(), include_groups),
        (None, None) => "null".to_owned(),
    };
    let observables = match (include_observables, &a.observables) {
        (true, Some(o)) => o.as_str(),
        _ => "null",
    };
    let updated = timestamp(a.updated_at);
    extend_object(
        &a.data,
        &[
            ("device", &device),
            ("observables", observables),
            ("updated_at", &updated),
        ],
    )
}

fn render_device(d: StoredDevice, include_groups: bool) -> String {
    let updated = timestamp(d.updated_at);
    let with_groups = device_json(&d.data, d.device_groups.as_deref(), include_groups);
    extend_object(&with_groups, &[("updated_at", &updated)])
}

fn json_response(page: Page<String>) -> Response {
    ([(CONTENT_TYPE, "application/json")], page_json(&page)).into_response()
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
        ("limit" = Option<i64>, Query, description = "1–1000, default 100"), ("offset" = Option<i64>, Query),
        ("excludeTotal" = Option<bool>, Query), ("skipTotal" = Option<bool>, Query),
        ("includeDeviceGroups" = Option<bool>, Query), ("includeObservables" = Option<bool>, Query),
        ("severity" = Option<String>, Query, description = "none, info, low, medium, high, critical"),
        ("status" = Option<String>, Query, description = "unknown, new, in_progress, unresolved, resolved"),
        ("vendor" = Option<String>, Query, description = "crowdstrike, ms_defender_endpoint, sentinelone"),
        ("deviceId" = Option<String>, Query, description = "Device ids (as in `device.id`)"),
    ),
    responses((status = 200, body = Page<Alert>), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(mut params): Query,
) -> ApiResult<Response> {
    let connection = connection_id(&state, &caller, &headers).await?;
    let sortable = [
        ("updated_at", RecordSortField::UpdatedAt),
        ("first_event_time", RecordSortField::FirstEventTime),
        ("last_event_time", RecordSortField::LastEventTime),
        ("severity", RecordSortField::Severity),
    ];
    let listing = parse_listing(&mut params, &sortable);
    let include_observables = params.bool(&["includeObservables"], false);
    let mut filter = RecordFilter {
        severities: params.enum_list(
            "severity",
            |s| AlertSeverity::parse(s).map(|v| v.as_str().to_owned()),
            "none, info, low, medium, high or critical",
        ),
        statuses: params.enum_list(
            "status",
            |s| AlertStatus::parse(s).map(|v| v.as_str().to_owned()),
            "unknown, new, in_progress, unresolved or resolved",
        ),
        vendors: vendors(&mut params),
        device_ids: params.enum_list("deviceId", |s| s.parse::<Uuid>().ok(), "a device UUID"),
        ..Default::default()
    };
    params.finish()?;
    let context = format!(
        "alerts:{connection}:{}:{:?}:{:?}:{:?}:{:?}",
        listing.sort_text, filter.severities, filter.statuses, filter.vendors, filter.device_ids
    );
    let codec = CursorCodec::new(&state.keyring, &context);
    let (window, carried) = listing.pagination.window_with(&codec)?;
    filter.updated_since = listing.updated_since.or(carried);
    let query = RecordQuery {
        connection_id: connection,
        filter,
        sort: listing.sort,
        window,
        parts: RecordParts {
            observables: include_observables,
            device_groups: listing.include_groups,
        },
    };
    let page = state.store.list_alerts(caller.account_id, &query).await?;
    let include_groups = listing.include_groups;
    let key = |a: &StoredAlert| SortKey {
        key: a.sort_key,
        id: a.id,
    };
    let page = listing.pagination.page_with(
        &codec,
        &window,
        page,
        query.filter.updated_since,
        key,
        |a| render_alert(a, include_groups, include_observables),
    );
    Ok(json_response(page))
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
        ("updatedSince" = Option<String>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query),
        ("excludeTotal" = Option<bool>, Query), ("skipTotal" = Option<bool>, Query),
        ("includeDeviceGroups" = Option<bool>, Query),
        ("platform" = Option<String>, Query, description = "mac, windows, linux, unknown"),
        ("status" = Option<String>, Query, description = "active, offline, quarantined"),
        ("vendor" = Option<String>, Query),
    ),
    responses((status = 200, body = Page<Device>), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(mut params): Query,
) -> ApiResult<Response> {
    let connection = connection_id(&state, &caller, &headers).await?;
    let sortable = [
        ("updated_at", RecordSortField::UpdatedAt),
        ("last_seen", RecordSortField::LastSeen),
    ];
    let listing = parse_listing(&mut params, &sortable);
    let mut filter = RecordFilter {
        platforms: params.enum_list(
            "platform",
            |s| Platform::parse(s).map(|v| v.as_str().to_owned()),
            "mac, windows, linux or unknown",
        ),
        statuses: params.enum_list(
            "status",
            |s| DeviceStatus::parse(s).map(|v| v.as_str().to_owned()),
            "active, offline or quarantined",
        ),
        vendors: vendors(&mut params),
        ..Default::default()
    };
    params.finish()?;
    let context = format!(
        "devices:{connection}:{}:{:?}:{:?}:{:?}",
        listing.sort_text, filter.platforms, filter.statuses, filter.vendors
    );
    let codec = CursorCodec::new(&state.keyring, &context);
    let (window, carried) = listing.pagination.window_with(&codec)?;
    filter.updated_since = listing.updated_since.or(carried);
    let query = RecordQuery {
        connection_id: connection,
        filter,
        sort: listing.sort,
        window,
        parts: RecordParts {
            observables: false,
            device_groups: listing.include_groups,
        },
    };
    let page = state.store.list_devices(caller.account_id, &query).await?;
    let include_groups = listing.include_groups;
    let key = |d: &StoredDevice| SortKey {
        key: d.sort_key,
        id: d.id,
    };
    let page = listing.pagination.page_with(
        &codec,
        &window,
        page,
        query.filter.updated_since,
        key,
        |d| render_device(d, include_groups),
    );
    Ok(json_response(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_extended_in_place() {
        assert_eq!(
            extend_object("{\"a\":1}", &[("b", "2"), ("c", "null")]),
            "{\"a\":1,\"b\":2,\"c\":null}"
        );
        assert_eq!(extend_object("{}", &[("b", "[]")]), "{\"b\":[]}");
    }

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
