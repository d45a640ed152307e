//! Alerts and devices of a connection: the EDR API's listing (same filters, sorting and
//! signed cursors, through [`crate::app::records`]) rendered as a table.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use tributary_model::edr::{Alert, AlertSeverity, AlertStatus, Device, DeviceStatus, Platform};

use super::{render, view::Choice, Session};
use crate::{
    app::{
        connections,
        records::{self, Listing, RecordList},
    },
    state::AppState,
    validate::QueryParams,
    ApiError,
};

pub struct FilterView {
    pub name: &'static str,
    pub options: Vec<Choice>,
}

/// A table of records with filters, sorting and cursor links (shared by every record page).
#[derive(Template)]
#[template(path = "dashboard/records.html")]
pub(super) struct Page {
    pub csrf: String,
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    /// Shown beside the title; None when the list does not count (v2 keyset lists).
    pub total: Option<i64>,
    pub filters: Vec<FilterView>,
    pub sorts: Vec<Choice>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Where each row's first cell links (a record's own page); empty when rows do not.
    pub links: Vec<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// Rows per page.
const PAGE: &str = "50";

pub async fn alerts(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    page(&state, &session, &id, query.as_deref(), RecordList::Alerts)
        .await
        .unwrap_or_else(|r| r)
}

pub async fn devices(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    page(&state, &session, &id, query.as_deref(), RecordList::Devices)
        .await
        .unwrap_or_else(|r| r)
}

pub(super) fn or_dash(s: Option<String>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
}

pub(super) fn first(list: &[String]) -> String {
    or_dash(list.first().cloned())
}

fn alert_cells(a: Alert) -> Vec<String> {
    vec![
        or_dash(a.title),
        a.severity.as_str().to_owned(),
        a.status.as_str().to_owned(),
        a.device.map_or_else(|| "—".into(), |d| first(&d.hostnames)),
        or_dash(a.first_event_time.map(|t| t.to_rfc3339())),
        or_dash(a.user_name),
        a.vendor_id,
    ]
}

fn device_cells(d: Device) -> Vec<String> {
    vec![
        first(&d.hostnames),
        d.platform.as_str().to_owned(),
        or_dash(d.status.map(|s| s.as_str().to_owned())),
        or_dash(d.os_version),
        first(&d.ipv4s),
        first(&d.mac_addresses),
        or_dash(d.last_seen.map(|t| t.to_rfc3339())),
    ]
}

/// The query string of another page of the same listing.
pub(super) fn link(params: &QueryParams, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = params
        .pairs()
        .iter()
        .filter(|(k, v)| k != "cursor" && !v.is_empty())
        .cloned()
        .collect();
    pairs.sort();
    pairs.push(("cursor".into(), cursor.to_owned()));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn filters(list: RecordList, params: &QueryParams) -> Vec<FilterView> {
    let view = |name: &'static str, values: Vec<&'static str>| FilterView {
        name,
        options: values
            .into_iter()
            .map(|v| Choice::new(v, v, params.get(&[name]).map(|(_, s)| s)))
            .collect(),
    };
    match list {
        RecordList::Alerts => vec![
            view("severity", AlertSeverity::ALL.map(|s| s.as_str()).to_vec()),
            view("status", AlertStatus::ALL.map(|s| s.as_str()).to_vec()),
        ],
        RecordList::Devices => vec![
            view("platform", Platform::ALL.map(|s| s.as_str()).to_vec()),
            view("status", DeviceStatus::ALL.map(|s| s.as_str()).to_vec()),
        ],
    }
}

fn sort_choices(list: RecordList, current: Option<&str>) -> Vec<Choice> {
    list.sorts()
        .iter()
        .flat_map(|(n, _)| {
            [
                (format!("-{n}"), format!("{n} ↓")),
                (n.to_string(), format!("{n} ↑")),
            ]
        })
        .map(|(v, l)| Choice::new(v, l, current))
        .collect()
}

async fn page(
    state: &AppState,
    session: &Session,
    id: &str,
    query: Option<&str>,
    list: RecordList,
) -> Result<Response, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "Connection not found").into_response();
    let id = id.parse().map_err(|_| not_found())?;
    let c = connections::find_live(state, &session.caller, id)
        .await
        .map_err(|_| not_found())?;
    let mut params = QueryParams::parse(query);
    // The dashboard shows the newest first, a page at a time, with cursor links.
    params.set_default("sort", &format!("-{}", list.sorts()[0].0));
    params.set_default("limit", PAGE);
    params.set_default("enableCursor", "true");
    let listing = Listing::parse(list, c.id, &mut params, state.engine.registry());
    let view_params = params.clone();
    if let Err(e) = params.finish() {
        return Err(e.into_response());
    }
    let page = records::list(state, &session.caller, listing)
        .await
        .map_err(ApiError::into_response)?;
    let rows = page
        .items
        .iter()
        .map(|item| match list {
            RecordList::Alerts => serde_json::from_str(item).map(alert_cells),
            RecordList::Devices => serde_json::from_str(item).map(device_cells),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.into()).into_response())?;
    let links = page.cursor.unwrap_or_default();
    let (kind, headers) = match list {
        RecordList::Alerts => (
            "Alerts",
            vec![
                "Title",
                "Severity",
                "Status",
                "Device",
                "First event",
                "User",
                "Vendor id",
            ],
        ),
        RecordList::Devices => (
            "Devices",
            vec![
                "Hostname",
                "Platform",
                "Status",
                "OS",
                "IPv4",
                "MAC",
                "Last seen",
            ],
        ),
    };
    Ok(render(&Page {
        csrf: session.csrf.clone(),
        id: c.id.to_string(),
        label: connections::label(state, &c),
        kind,
        total: Some(page.total.unwrap_or(0)),
        filters: filters(list, &view_params),
        sorts: sort_choices(list, view_params.get(&["sort"]).map(|(_, s)| s)),
        headers,
        rows,
        links: vec![],
        previous: links.previous_cursor.map(|p| link(&view_params, &p)),
        next: links.next_cursor.map(|n| link(&view_params, &n)),
    }))
}
