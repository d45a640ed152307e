//! Alerts and devices of a connection, with the EDR API's filters and cursor paging.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::Value;
use tributary_model::edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform};
use tributary_store::{
    models::{RecordFilter, RecordParts, RecordQuery, RecordSort, RecordSortField},
    ListWindow, Position, SortKey,
};

use super::{render, view::Choice, Session};
use crate::{pagination::CursorCodec, state::AppState, ApiError};

pub struct FilterView {
    pub name: &'static str,
    pub options: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "dashboard/records.html")]
struct Page {
    csrf: String,
    id: String,
    label: String,
    kind: &'static str,
    total: i64,
    filters: Vec<FilterView>,
    sorts: Vec<Choice>,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    previous: Option<String>,
    next: Option<String>,
}

const PAGE: i64 = 50;

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "—".into(),
        Some(other) => other.to_string(),
    }
}

fn first(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
        .unwrap_or("—")
        .to_owned()
}

/// Query string for another page of the same listing.
fn link(q: &HashMap<String, String>, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = q
        .iter()
        .filter(|(k, v)| *k != "cursor" && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.sort();
    pairs.push(("cursor".into(), cursor.to_owned()));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

struct Listing {
    label: String,
    id: uuid::Uuid,
    sort: RecordSort,
    window: ListWindow,
    context: String,
}

async fn listing(
    state: &AppState,
    session: &Session,
    id: &str,
    q: &HashMap<String, String>,
    kind: &str,
    sorts: &[(&str, RecordSortField)],
) -> Result<Listing, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "Connection not found").into_response();
    let id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    let c = state
        .store
        .get_connection(session.caller.account_id, id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(not_found)?;
    let sort_text = q
        .get("sort")
        .cloned()
        .unwrap_or_else(|| format!("-{}", sorts[0].0));
    let (desc, name) = sort_text
        .strip_prefix('-')
        .map_or((false, sort_text.as_str()), |r| (true, r));
    let field = sorts
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(sorts[0].1, |s| s.1);
    let mut filters: Vec<_> = q.iter().filter(|(k, _)| *k != "cursor").collect();
    filters.sort();
    let context = format!("dashboard:{kind}:{id}:{filters:?}");
    let codec = CursorCodec::new(&state.keyring, &context);
    let position = match q.get("cursor").filter(|c| !c.is_empty()) {
        Some(c) => codec.decode(c).map_err(IntoResponse::into_response)?,
        None => Position::Offset(0),
    };
    let label = c
        .identifier
        .clone()
        .unwrap_or_else(|| format!("{} connection", c.vendor.display_name()));
    Ok(Listing {
        label,
        id,
        sort: RecordSort {
            field,
            descending: desc,
        },
        window: ListWindow {
            limit: PAGE,
            position,
            with_total: true,
        },
        context,
    })
}

fn pick(q: &HashMap<String, String>, key: &str) -> Vec<String> {
    q.get(key)
        .filter(|v| !v.is_empty())
        .cloned()
        .into_iter()
        .collect()
}

fn sort_choices(sorts: &[(&str, RecordSortField)], current: Option<&String>) -> Vec<Choice> {
    sorts
        .iter()
        .flat_map(|(n, _)| {
            [
                (format!("-{n}"), format!("{n} ↓")),
                (n.to_string(), format!("{n} ↑")),
            ]
        })
        .map(|(v, l)| {
            Choice::new(
                v,
                l,
                current
                    .map(String::as_str)
                    .or(Some(&format!("-{}", sorts[0].0))),
            )
        })
        .collect()
}

pub async fn alerts(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let sorts = [
        ("updated_at", RecordSortField::UpdatedAt),
        ("first_event_time", RecordSortField::FirstEventTime),
        ("last_event_time", RecordSortField::LastEventTime),
        ("severity", RecordSortField::Severity),
    ];
    let l = match listing(&state, &session, &id, &q, "alerts", &sorts).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let filter = RecordFilter {
        severities: pick(&q, "severity"),
        statuses: pick(&q, "status"),
        ..Default::default()
    };
    let query = RecordQuery {
        connection_id: l.id,
        filter,
        sort: l.sort,
        window: l.window,
        parts: RecordParts::default(),
    };
    let page = match state
        .store
        .list_alerts(session.caller.account_id, &query)
        .await
    {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let codec = CursorCodec::new(&state.keyring, &l.context);
    let next = page
        .has_more
        .then(|| {
            page.items.last().map(|a| {
                link(
                    &q,
                    &codec.encode(Position::After(SortKey {
                        key: a.sort_key,
                        id: a.id,
                    })),
                )
            })
        })
        .flatten();
    let previous = (!matches!(l.window.position, Position::Offset(0)))
        .then(|| {
            page.items.first().map(|a| {
                link(
                    &q,
                    &codec.encode(Position::Before(SortKey {
                        key: a.sort_key,
                        id: a.id,
                    })),
                )
            })
        })
        .flatten();
    let rows = page
        .items
        .iter()
        .map(|a| {
            let v: Value = serde_json::from_str(&a.data).unwrap_or(Value::Null);
            let device: Value = a
                .device_data
                .as_deref()
                .or(a.device_snapshot.as_deref())
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(Value::Null);
            vec![
                text(&v, "title"),
                text(&v, "severity"),
                text(&v, "status"),
                first(&device, "hostnames"),
                text(&v, "first_event_time"),
                text(&v, "user_name"),
                text(&v, "vendor_id"),
            ]
        })
        .collect();
    let (sev, st) = (
        q.get("severity").map(String::as_str),
        q.get("status").map(String::as_str),
    );
    render(&Page {
        csrf: session.csrf,
        id: l.id.to_string(),
        label: l.label,
        kind: "Alerts",
        total: page.total.unwrap_or(0),
        filters: vec![
            FilterView {
                name: "severity",
                options: AlertSeverity::ALL
                    .iter()
                    .map(|s| Choice::new(s.as_str(), s.as_str(), sev))
                    .collect(),
            },
            FilterView {
                name: "status",
                options: AlertStatus::ALL
                    .iter()
                    .map(|s| Choice::new(s.as_str(), s.as_str(), st))
                    .collect(),
            },
        ],
        sorts: sort_choices(&sorts, q.get("sort")),
        headers: vec![
            "Title",
            "Severity",
            "Status",
            "Device",
            "First event",
            "User",
            "Vendor id",
        ],
        rows,
        previous,
        next,
    })
}

pub async fn devices(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let sorts = [
        ("last_seen", RecordSortField::LastSeen),
        ("updated_at", RecordSortField::UpdatedAt),
    ];
    let l = match listing(&state, &session, &id, &q, "devices", &sorts).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let filter = RecordFilter {
        platforms: pick(&q, "platform"),
        statuses: pick(&q, "status"),
        ..Default::default()
    };
    let query = RecordQuery {
        connection_id: l.id,
        filter,
        sort: l.sort,
        window: l.window,
        parts: RecordParts::default(),
    };
    let page = match state
        .store
        .list_devices(session.caller.account_id, &query)
        .await
    {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let codec = CursorCodec::new(&state.keyring, &l.context);
    let next = page
        .has_more
        .then(|| {
            page.items.last().map(|d| {
                link(
                    &q,
                    &codec.encode(Position::After(SortKey {
                        key: d.sort_key,
                        id: d.id,
                    })),
                )
            })
        })
        .flatten();
    let previous = (!matches!(l.window.position, Position::Offset(0)))
        .then(|| {
            page.items.first().map(|d| {
                link(
                    &q,
                    &codec.encode(Position::Before(SortKey {
                        key: d.sort_key,
                        id: d.id,
                    })),
                )
            })
        })
        .flatten();
    let rows = page
        .items
        .iter()
        .map(|d| {
            let v: Value = serde_json::from_str(&d.data).unwrap_or(Value::Null);
            vec![
                first(&v, "hostnames"),
                text(&v, "platform"),
                text(&v, "status"),
                text(&v, "os_version"),
                first(&v, "ipv4s"),
                first(&v, "mac_addresses"),
                text(&v, "last_seen"),
            ]
        })
        .collect();
    let (pl, st) = (
        q.get("platform").map(String::as_str),
        q.get("status").map(String::as_str),
    );
    render(&Page {
        csrf: session.csrf,
        id: l.id.to_string(),
        label: l.label,
        kind: "Devices",
        total: page.total.unwrap_or(0),
        filters: vec![
            FilterView {
                name: "platform",
                options: Platform::ALL
                    .iter()
                    .map(|p| Choice::new(p.as_str(), p.as_str(), pl))
                    .collect(),
            },
            FilterView {
                name: "status",
                options: DeviceStatus::ALL
                    .iter()
                    .map(|s| Choice::new(s.as_str(), s.as_str(), st))
                    .collect(),
            },
        ],
        sorts: sort_choices(&sorts, q.get("sort")),
        headers: vec![
            "Hostname",
            "Platform",
            "Status",
            "OS",
            "IPv4",
            "MAC",
            "Last seen",
        ],
        rows,
        previous,
        next,
    })
}
