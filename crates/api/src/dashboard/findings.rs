//! Vulnerability findings of a connection: the v2 API's listing (same filters and signed
//! cursors, through [`crate::app::findings`]) rendered with the shared records table.

use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use tributary_model::vms::{Finding, FindingSeverity, FindingState};

use super::{
    records::{first, link, or_dash, FilterView, Page},
    render,
    view::Choice,
    Session,
};
use crate::{
    app::{
        connections,
        findings::{self, FindingListing},
    },
    state::AppState,
    validate::QueryParams,
    ApiError,
};

fn cells(f: Finding) -> Vec<String> {
    vec![
        or_dash(f.title),
        f.severity.as_str().to_owned(),
        f.state.as_str().to_owned(),
        f.resource
            .map_or_else(|| "—".into(), |d| first(&d.hostnames)),
        f.vulnerabilities
            .iter()
            .map(|v| v.uid.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        or_dash(f.last_seen.map(|t| t.to_rfc3339())),
        f.has_fix
            .map_or_else(|| "—".into(), |h| if h { "yes" } else { "no" }.into()),
    ]
}

fn filter(name: &'static str, values: &[&'static str], params: &QueryParams) -> FilterView {
    FilterView {
        name,
        options: values
            .iter()
            .map(|v| Choice::new(*v, *v, params.get(&[name]).map(|(_, s)| s)))
            .collect(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "Connection not found").into_response();
    let Ok(id) = id.parse() else {
        return not_found();
    };
    let Ok(c) = connections::find_live(&state, &session.caller, id).await else {
        return not_found();
    };
    let mut params = QueryParams::parse(query.as_deref());
    params.set_default("limit", "50");
    let listing = FindingListing::parse(c.id, &mut params);
    let view_params = params.clone();
    if let Err(e) = params.finish() {
        return e.into_response();
    }
    let page = match findings::list(&state, &session.caller, listing).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let rows = match page
        .items
        .iter()
        .map(|item| serde_json::from_str::<Finding>(item).map(cells))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(rows) => rows,
        Err(e) => return ApiError::Internal(e.into()).into_response(),
    };
    let links = page.cursor.unwrap_or_default();
    let severities: Vec<&'static str> = FindingSeverity::ALL.iter().map(|s| s.as_str()).collect();
    let states: Vec<&'static str> = FindingState::ALL.iter().map(|s| s.as_str()).collect();
    render(&Page {
        csrf: session.csrf.clone(),
        id: c.id.to_string(),
        label: connections::label(&state, &c),
        kind: "Vulnerability findings",
        total: None,
        filters: vec![
            filter("severity", &severities, &view_params),
            filter("state", &states, &view_params),
        ],
        sorts: vec![],
        headers: vec![
            "Title",
            "Severity",
            "State",
            "Asset",
            "CVEs",
            "Last seen",
            "Fix",
        ],
        rows,
        previous: links.previous_cursor.map(|p| link(&view_params, &p)),
        next: links.next_cursor.map(|n| link(&view_params, &n)),
    })
}
