//! The audit log page: the account's changes, newest first, filtered by object and action.

use askama::Template;
use axum::{extract::State, response::Response};
use tributary_store::{audit::AuditEvent, ListWindow, Position};

use super::{
    render,
    view::{when, Choice},
    Session,
};
use crate::{
    app::audit::{self, ACTIONS, TARGET_TYPES},
    extract::Query,
    state::AppState,
};

const PAGE: i64 = 50;

pub struct Row {
    pub at: String,
    pub actor: String,
    pub addr: String,
    pub action: String,
    pub target: String,
    pub changes: String,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct Page {
    csrf: String,
    rows: Vec<Row>,
    target_options: Vec<Choice>,
    action_options: Vec<Choice>,
    older: Option<String>,
}

fn row(e: AuditEvent) -> Row {
    let short = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()[..8].to_owned());
    let actor = match (
        e.actor_type.as_str(),
        short(e.api_key_id),
        short(e.session_id),
    ) {
        ("dashboard", Some(key), Some(session)) => format!("dashboard {session} (key {key})"),
        (kind, Some(key), _) => format!("{kind} {key}"),
        (kind, None, _) => kind.to_owned(),
    };
    Row {
        at: when(Some(e.at)),
        actor,
        addr: e.client_addr.unwrap_or_else(|| "—".into()),
        action: e.action,
        target: format!("{} {}", e.target_type, e.target_id),
        changes: e.changes.map(|c| c.to_string()).unwrap_or_default(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(mut params): Query,
) -> Response {
    let filter = audit::parse_filter(&mut params);
    let offset = params.int("offset", 0, 0, i64::MAX);
    let window = ListWindow {
        limit: PAGE,
        position: Position::Offset(offset),
        with_total: false,
    };
    let listed = if params.errors.is_empty() {
        audit::list(&state, &session.caller, &filter, window).await
    } else {
        Ok(tributary_store::ListPage {
            items: vec![],
            total: None,
            has_more: false,
        })
    };
    let page = match listed {
        Ok(page) => page,
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let pick = |name: &str| params.get(&[name]).map(|(_, v)| v.to_owned());
    let (target, action) = (pick("targetType"), pick("action"));
    let choices = |all: &[&str], current: &Option<String>| -> Vec<Choice> {
        all.iter()
            .map(|v| Choice::new(*v, *v, current.as_deref()))
            .collect()
    };
    let mut next = vec![("offset".to_owned(), (offset + PAGE).to_string())];
    next.extend(target.clone().map(|t| ("targetType".to_owned(), t)));
    next.extend(action.clone().map(|a| ("action".to_owned(), a)));
    render(&Page {
        csrf: session.csrf,
        older: page
            .has_more
            .then(|| serde_urlencoded::to_string(&next).unwrap_or_default()),
        rows: page.items.into_iter().map(row).collect(),
        target_options: choices(&TARGET_TYPES, &target),
        action_options: choices(&ACTIONS, &action),
    })
}
