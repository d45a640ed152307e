//! `/v1/provisioning/organizations/{organization_id}/connections`: an adapter over
//! [`crate::app::connections`].

use axum::{
    extract::{FromRequestParts, Path, State},
    http::request::Parts,
    Json,
};
use tributary_model::{page::Page, AdvisoryCode, Connection, ConnectionState, HealthName};
use tributary_store::{
    invites::Invite,
    models::{ConnectionFilter, ConnectionRecord},
    SortKey,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::{
        connections::{self, ConnectionCreate, ConnectionUpdate, ParseContext},
        invites, organizations, wire,
    },
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{JsonBody, Query},
    layers::ClientAddr,
    openapi::HTTPValidationError,
    pagination::{CursorCodec, Pagination},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_connection, list_connections))
        .routes(routes!(
            get_connection,
            update_connection,
            delete_connection
        ))
}

/// Who calls Create or Update Connection: an API key, or (without one) a customer with a
/// connection invite token in `X-CONNECTION-INVITE-TOKEN`.
enum Actor {
    Key(Caller),
    Invite(Box<Invite>, Option<std::net::IpAddr>),
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // `layers::authenticate` let a request with an invite token and no API key through.
        if parts.extensions.get::<Caller>().is_none() {
            if let Some(token) = parts.headers.get(invites::INVITE_HEADER) {
                let addr = parts.extensions.get::<ClientAddr>().map(|a| a.0);
                let token = token.to_str().unwrap_or("");
                return Ok(Actor::Invite(
                    Box::new(invites::resolve(state, token, addr).await?),
                    addr,
                ));
            }
        }
        Ok(Actor::Key(Caller::from_request_parts(parts, state).await?))
    }
}

/// Create a connection. The first job is queued at once. With a create token in
/// `X-CONNECTION-INVITE-TOKEN` instead of an API key: the token's organization and
/// vendor only, its identifier and options; the credentials are verified with the vendor
/// first (400 when refused, the token stays usable); the token then works no more.
#[utoipa::path(post, path = "/organizations/{organization_id}/connections", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    request_body = ConnectionCreate,
    responses((status = 200, body = Connection),
              (status = 400, description = "With an invite token: the vendor refused the credentials"),
              (status = 401, description = "Missing or invalid API key; unknown, expired or revoked invite token"),
              (status = 403, description = "The invite token is for another organization or vendor, or is an update token"),
              (status = 404), (status = 409, description = "The invite token was already used"),
              (status = 422, body = HTTPValidationError),
              (status = 503, description = "With an invite token: the vendor could not be reached to verify the credentials")),
    security(("api_key" = []), ("connection_invite_token" = [])))]
async fn create_connection(
    State(state): State<AppState>,
    actor: Actor,
    Path(org_id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Connection>> {
    let caller = match actor {
        Actor::Key(caller) => caller,
        Actor::Invite(invite, addr) => {
            let record = invites::create_connection(&state, &invite, addr, &org_id, &body).await?;
            return Ok(Json(wire::connection(&record)));
        }
    };
    let org = organizations::live(&state, &caller, &org_id).await?;
    let body = ConnectionCreate::parse(&body, ParseContext::of(&state))?;
    let record = connections::create(&state, &caller, &org, body).await?;
    Ok(Json(wire::connection(&record)))
}

/// List connections, e.g. every UNAUTHORIZED one with `healthStatusCodes=UNAUTHORIZED`.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections", tag = "Provisioning",
    params(
        ("organization_id" = Uuid, Path),
        ("healthStatusCodes" = Option<String>, Query, description = "Health names, comma-separated and/or repeated, e.g. `UNAUTHORIZED,VENDOR_SERVER_ERROR`"),
        ("advisoryCodes" = Option<String>, Query, description = "Connections with at least one of these advisories raised, comma-separated and/or repeated, e.g. `NO_NEW_DATA,CREDENTIAL_EXPIRING` (an unknown code is a 422)"),
        ("vendor" = Option<String>, Query, description = "Vendors, comma-separated and/or repeated"),
        ("state" = Option<String>, Query, description = "States, comma-separated and/or repeated; DELETED connections appear only when asked for"),
        ("identifier" = Option<String>, Query, description = "Your identifier, exact match"),
        ("isActive" = Option<bool>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 100)"),
        ("offset" = Option<i64>, Query, minimum = 0),
        ("excludeTotal" = Option<bool>, Query, description = "Return `total: null` (also `skipTotal`)"),
        ("enableCursor" = Option<bool>, Query),
        ("cursor" = Option<String>, Query),
    ),
    responses((status = 200, body = Page<Connection>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_connections(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(mut params): Query,
) -> ApiResult<Json<Page<Connection>>> {
    let org = organizations::live(&state, &caller, &org_id).await?;
    let pagination = Pagination::parse(&mut params);
    let registry = state.engine.registry();
    let filter = ConnectionFilter {
        organization_id: Some(org.id),
        health_names: params.enum_list(
            "healthStatusCodes",
            |s| s.parse::<HealthName>().ok(),
            "a health status code such as UNAUTHORIZED",
        ),
        vendors: params.enum_list(
            "vendor",
            |s| registry.parse(s).ok().map(|spec| spec.vendor),
            &registry.names(),
        ),
        states: params.enum_list(
            "state",
            |s| s.parse::<ConnectionState>().ok(),
            "PENDING, ACTIVE, PAUSED or DELETED",
        ),
        identifier: params.get(&["identifier"]).map(|(_, v)| v.to_owned()),
        is_active: params
            .get(&["isActive"])
            .is_some()
            .then(|| params.bool(&["isActive"], false)),
        advisory_codes: params.enum_list(
            "advisoryCodes",
            |s| s.parse::<AdvisoryCode>().ok(),
            "an advisory code such as NO_NEW_DATA",
        ),
    };
    params.finish()?;
    let codec = CursorCodec::new(
        &state.keyring,
        &format!("connections:{}:{filter:?}", caller.account_id),
    );
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_connections(caller.account_id, &filter, window)
        .await?;
    let key = |c: &ConnectionRecord| SortKey {
        key: c.created_at.timestamp_micros(),
        id: c.id,
    };
    Ok(Json(pagination.page(&codec, &window, page, key, |c| {
        wire::connection(&c)
    })))
}

/// Get a connection, with its health.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = Connection), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn get_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
) -> ApiResult<Json<Connection>> {
    let c = connections::find(&state, &caller, &org_id, &conn_id).await?;
    Ok(Json(wire::connection(&c)))
}

/// Update a connection. New credentials are checked against the vendor first: if the
/// vendor refuses them, nothing changes (400, naming the refused exports); if it accepts
/// them, they are saved and a job is queued at once. With an update token in
/// `X-CONNECTION-INVITE-TOKEN` instead of an API key: that connection's `credentials`
/// only; the token works once.
#[utoipa::path(patch, path = "/organizations/{organization_id}/connections/{connection_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    request_body = ConnectionUpdate,
    responses((status = 200, body = Connection), (status = 400, description = "The vendor refused the new credentials"),
              (status = 401, description = "Missing or invalid API key; unknown, expired or revoked invite token"),
              (status = 403, description = "The invite token is for another organization or connection, is a create token, or the body changes more than credentials"),
              (status = 404), (status = 409, description = "The connection is deleted, or the invite token was already used"),
              (status = 422, body = HTTPValidationError),
              (status = 503, description = "The vendor could not be reached to verify the credentials")),
    security(("api_key" = []), ("connection_invite_token" = [])))]
async fn update_connection(
    State(state): State<AppState>,
    actor: Actor,
    Path((org_id, conn_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Connection>> {
    let caller = match actor {
        Actor::Key(caller) => caller,
        Actor::Invite(invite, addr) => {
            let record =
                invites::update_connection(&state, &invite, addr, &org_id, &conn_id, &body).await?;
            return Ok(Json(wire::connection(&record)));
        }
    };
    let current = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let spec = connections::spec_of(&state, current.vendor)?;
    let patch = ConnectionUpdate::parse(&body, spec, ParseContext::of(&state))?;
    let updated = connections::update(&state, &caller, &current, patch).await?;
    Ok(Json(wire::connection(&updated)))
}

/// Delete a connection (soft delete: state DELETED, never synced again). Returns it.
#[utoipa::path(delete, path = "/organizations/{organization_id}/connections/{connection_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = Connection), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn delete_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
) -> ApiResult<Json<Connection>> {
    let current = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let deleted = connections::delete(&state, &caller, current).await?;
    Ok(Json(wire::connection(&deleted)))
}
