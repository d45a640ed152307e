//! Vulnerability findings of a connection: the v2 API's listing (same filters and signed
//! cursors, through [`crate::app::findings`]) rendered with the shared records table, each
//! title linking to the finding's own page (the v2 document, through the same layer).

use askama::Template;
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
    let parsed = match page
        .items
        .iter()
        .map(|item| serde_json::from_str::<Finding>(item))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(findings) => findings,
        Err(e) => return ApiError::Internal(e.into()).into_response(),
    };
    let links = parsed
        .iter()
        .map(|f| format!("/dashboard/connections/{}/findings/{}", c.id, f.id))
        .collect();
    let rows = parsed.into_iter().map(cells).collect();
    let cursors = page.cursor.unwrap_or_default();
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
        links,
        previous: cursors.previous_cursor.map(|p| link(&view_params, &p)),
        next: cursors.next_cursor.map(|n| link(&view_params, &n)),
    })
}

/// One finding: its main fields, then the whole v2 document.
#[derive(Template)]
#[template(path = "dashboard/finding.html")]
struct FindingPage {
    csrf: String,
    id: String,
    label: String,
    title: String,
    fields: Vec<(&'static str, String)>,
    document: String,
}

pub async fn finding(
    State(state): State<AppState>,
    session: Session,
    Path((id, finding_id)): Path<(String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "Finding not found").into_response();
    let (Ok(id), Ok(finding_id)) = (id.parse(), finding_id.parse()) else {
        return not_found();
    };
    let Ok(c) = connections::find_live(&state, &session.caller, id).await else {
        return not_found();
    };
    let item = match findings::get(&state, &session.caller, c.id, finding_id).await {
        Ok(item) => item,
        Err(e) => return e.into_response(),
    };
    let (f, document) = match serde_json::from_str::<Finding>(&item).and_then(|f| {
        let v: serde_json::Value = serde_json::from_str(&item)?;
        Ok((f, serde_json::to_string_pretty(&v)?))
    }) {
        Ok(parsed) => parsed,
        Err(e) => return ApiError::Internal(e.into()).into_response(),
    };
    let title = or_dash(f.title.clone());
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| or_dash(t.map(|t| t.to_rfc3339()));
    let fields = vec![
        ("Severity", f.severity.as_str().to_owned()),
        ("State", f.state.as_str().to_owned()),
        ("CVEs", {
            let cves: Vec<&str> = f.vulnerabilities.iter().map(|v| v.uid.as_str()).collect();
            or_dash(Some(cves.join(", ")))
        }),
        (
            "Asset",
            f.resource
                .as_ref()
                .map_or_else(|| "—".into(), |d| first(&d.hostnames)),
        ),
        ("First seen", time(f.first_seen)),
        ("Last seen", time(f.last_seen)),
        ("Fixed at", time(f.fixed_at)),
        (
            "Fix available",
            f.has_fix
                .map_or_else(|| "—".into(), |h| if h { "yes" } else { "no" }.into()),
        ),
        (
            "Remediation",
            or_dash(f.remediation.as_ref().and_then(|r| r.desc.clone())),
        ),
        ("Vendor id", f.vendor_id.clone()),
    ];
    render(&FindingPage {
        csrf: session.csrf.clone(),
        id: c.id.to_string(),
        label: connections::label(&state, &c),
        title,
        fields,
        document,
    })
}
