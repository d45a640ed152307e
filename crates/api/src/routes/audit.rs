//! `/v1/audit-events`: who changed what, when and from where (additive).

use axum::{extract::State, Json};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tributary_model::page::Page;
use tributary_store::{audit::AuditEvent, SortKey};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    app::audit,
    auth::Caller,
    error::ApiResult,
    extract::Query,
    pagination::{CursorCodec, Pagination},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// Who acted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// `api_key`, `dashboard` (a session opened with an API key), `invite_token` (a customer
    /// with a connection invite token; `api_key_id` is the key that minted it) or `cli`
    /// (on the server).
    #[serde(rename = "type")]
    #[schema(rename = "type", value_type = String, pattern = "^(api_key|dashboard|invite_token|cli)$")]
    pub kind: &'static str,
    /// The API key that acted, directly or through the dashboard session.
    pub api_key_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
}

/// One audited change. Credentials are never recorded: only the names of the fields
/// that changed (`changes.credentials.changed`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventOut {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    /// The client's address (the TCP peer).
    pub client_addr: Option<String>,
    /// `created`, `updated`, `deleted`, `tested`, `run`, `secret_rotated`, `redelivered`,
    /// `revoked` (API keys), `logged_in` or `logged_out`.
    pub action: String,
    /// `organization`, `connection`, `webhook`, `api_key`, `dashboard_session` or
    /// `connection_invite`.
    pub target_type: String,
    pub target_id: Uuid,
    /// `{field: {from, to}}` for each field that changed; null when nothing did.
    #[schema(value_type = Option<Object>)]
    pub changes: Option<Value>,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        AuditEventOut {
            id: e.id,
            at: e.at,
            actor: AuditActor {
                kind: e.actor_type.as_str(),
                api_key_id: e.api_key_id,
                session_id: e.session_id,
            },
            client_addr: e.client_addr,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            changes: e.changes,
        }
    }
}

/// The audit log: every change to organizations, connections, webhooks, API keys and
/// dashboard sessions, newest first. Kept as long as job history (no expiry).
#[utoipa::path(get, path = "/audit-events", tag = "Audit",
    params(
        ("targetType" = Option<String>, Query, description = "`organization`, `connection`, `webhook`, `api_key`, `dashboard_session`, `connection_invite`; comma-separated and/or repeated"),
        ("targetId" = Option<Uuid>, Query, description = "Events about this object"),
        ("action" = Option<String>, Query, description = "Actions, comma-separated and/or repeated"),
        ("apiKeyId" = Option<Uuid>, Query, description = "Events by this API key (directly or through the dashboard)"),
        ("sessionId" = Option<Uuid>, Query, description = "Events of this dashboard session"),
        ("since" = Option<DateTime<Utc>>, Query, description = "At or after this RFC 3339 time"),
        ("until" = Option<DateTime<Utc>>, Query, description = "Before this RFC 3339 time"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 100)"),
        ("offset" = Option<i64>, Query, minimum = 0),
        ("excludeTotal" = Option<bool>, Query),
        ("enableCursor" = Option<bool>, Query),
        ("cursor" = Option<String>, Query),
    ),
    responses((status = 200, body = Page<AuditEventOut>), (status = 401), (status = 422)),
    security(("api_key" = [])))]
async fn list_audit_events(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut params): Query,
) -> ApiResult<Json<Page<AuditEventOut>>> {
    let pagination = Pagination::parse(&mut params);
    let filter = audit::parse_filter(&mut params);
    params.finish()?;
    let codec = CursorCodec::new(
        &state.keyring,
        &format!("audit:{}:{filter:?}", caller.account_id),
    );
    let window = pagination.window(&codec)?;
    let page = audit::list(&state, &caller, &filter, window).await?;
    let key = |e: &AuditEvent| SortKey {
        key: e.at.timestamp_micros(),
        id: e.id,
    };
    Ok(Json(pagination.page(
        &codec,
        &window,
        page,
        key,
        AuditEventOut::from,
    )))
}
