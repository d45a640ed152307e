//! An identity connection's users and groups: the `/v1/idp/*` listing (same paging and
//! signed cursors, through [`crate::app::idp`]) rendered with the shared records table;
//! group rows count their members and applications from the includes.

use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use tributary_model::idp::{IdpGroup, IdpUser};
use tributary_store::models::IdpKind;

use super::{
    records::{link, or_dash, Page},
    render, Session,
};
use crate::{
    app::{
        connections,
        idp::{self, IdpListing, MAX_INCLUDED},
    },
    state::AppState,
    validate::QueryParams,
    ApiError,
};

const USER_HEADERS: [&str; 7] = [
    "Username",
    "Name",
    "Email",
    "Status",
    "Department",
    "Last login",
    "Deleted",
];

const GROUP_HEADERS: [&str; 7] = [
    "Name",
    "Types",
    "Description",
    "Members",
    "Applications",
    "Membership changed",
    "Deleted",
];

fn deleted(is_deleted: bool) -> String {
    if is_deleted { "deleted" } else { "—" }.to_owned()
}

fn user_cells(u: IdpUser) -> Vec<String> {
    vec![
        or_dash(u.username),
        or_dash(u.display_name),
        or_dash(u.email),
        u.status.as_str().to_owned(),
        or_dash(u.department),
        or_dash(u.last_login_at.map(|t| t.to_rfc3339())),
        deleted(u.is_deleted),
    ]
}

/// An included list holds at most [`MAX_INCLUDED`] references: a full one reads "1000+".
fn count<T>(list: Option<Vec<T>>) -> String {
    match list.map(|l| l.len()) {
        Some(n) if n as i64 >= MAX_INCLUDED => format!("{n}+"),
        Some(n) => n.to_string(),
        None => "—".into(),
    }
}

fn group_cells(g: IdpGroup) -> Vec<String> {
    let types: Vec<&str> = g.types.iter().map(|t| t.as_str()).collect();
    vec![
        or_dash(g.name),
        or_dash(Some(types.join(", "))),
        or_dash(g.description),
        count(g.users),
        count(g.applications),
        or_dash(g.last_membership_updated_at.map(|t| t.to_rfc3339())),
        deleted(g.is_deleted),
    ]
}

pub async fn users(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    page(&state, &session, &id, query.as_deref(), IdpKind::Users)
        .await
        .unwrap_or_else(|r| r)
}

pub async fn groups(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    page(&state, &session, &id, query.as_deref(), IdpKind::Groups)
        .await
        .unwrap_or_else(|r| r)
}

/// The table of `kind` (users or groups), oldest change first, 50 rows a page.
async fn page(
    state: &AppState,
    session: &Session,
    id: &str,
    query: Option<&str>,
    kind: IdpKind,
) -> Result<Response, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "Connection not found").into_response();
    let id = id.parse().map_err(|_| not_found())?;
    let c = connections::find_live(state, &session.caller, id)
        .await
        .map_err(|_| not_found())?;
    let mut params = QueryParams::parse(query);
    params.set_default("limit", "50");
    params.set_default("enableCursor", "true");
    if kind == IdpKind::Groups {
        params.set_default("includeIdpUsers", "true");
        params.set_default("includeIdpApplications", "true");
    }
    let listing = IdpListing::parse(kind, c.id, None, &mut params);
    let view_params = params.clone();
    params.finish().map_err(ApiError::into_response)?;
    let page = idp::list(state, &session.caller, listing)
        .await
        .map_err(ApiError::into_response)?;
    let rows = page
        .items
        .iter()
        .map(|item| match kind {
            IdpKind::Users => serde_json::from_str(item).map(user_cells),
            _ => serde_json::from_str(item).map(group_cells),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.into()).into_response())?;
    let (title, headers) = match kind {
        IdpKind::Users => ("Users", USER_HEADERS.to_vec()),
        _ => ("Groups", GROUP_HEADERS.to_vec()),
    };
    let links = page.cursor.unwrap_or_default();
    Ok(render(&Page {
        csrf: session.csrf.clone(),
        id: c.id.to_string(),
        label: connections::label(state, &c),
        kind: title,
        total: page.total,
        filters: vec![],
        sorts: vec![],
        headers,
        rows,
        links: vec![],
        previous: links.previous_cursor.map(|p| link(&view_params, &p)),
        next: links.next_cursor.map(|n| link(&view_params, &n)),
    }))
}
