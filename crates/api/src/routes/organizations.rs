//! `/v1/provisioning/organizations`: the integrator's customers.

use axum::{
    extract::{Path, State},
    Json,
};
use tributary_model::{connection::Organization, page::Page};
use tributary_store::{
    models::{NewOrganization, OrganizationRecord},
    SortKey,
};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::{organizations, wire},
    auth::Caller,
    error::ApiResult,
    extract::{JsonBody, Query},
    pagination::{CursorCodec, Pagination},
    state::AppState,
    validate::BodyFields,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_organization, list_organizations))
        .routes(routes!(get_organization, delete_organization))
}

/// Body of `POST /v1/provisioning/organizations`.
#[derive(Debug, ToSchema)]
pub struct OrganizationCreate {
    /// A display name for the customer (1–255 characters).
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// Your own reference for the customer.
    #[schema(max_length = 255)]
    pub identifier: Option<String>,
}

impl OrganizationCreate {
    pub fn parse(body: &serde_json::Value) -> ApiResult<Self> {
        let mut fields = BodyFields::documented::<Self>(body, &["body"])?;
        let name = fields.required_string("name", 255);
        let identifier = fields.nullable_string("identifier", 255).flatten();
        fields.finish()?;
        Ok(OrganizationCreate {
            name: name.expect("validated"),
            identifier,
        })
    }
}

/// Create an organization.
#[utoipa::path(post, path = "/organizations", tag = "Provisioning",
    request_body = OrganizationCreate,
    responses((status = 200, body = Organization), (status = 401), (status = 422)),
    security(("api_key" = [])))]
async fn create_organization(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Organization>> {
    let body = OrganizationCreate::parse(&body)?;
    let org = NewOrganization {
        name: body.name,
        identifier: body.identifier,
    };
    let created = organizations::create(&state, &caller, org).await?;
    Ok(Json(wire::organization(&created)))
}

/// List organizations.
#[utoipa::path(get, path = "/organizations", tag = "Provisioning",
    params(
        ("limit" = Option<i64>, Query, description = "Page size, 1–1000 (default 100)"),
        ("offset" = Option<i64>, Query, description = "Rows to skip (offset mode)"),
        ("excludeTotal" = Option<bool>, Query, description = "Return `total: null` (also `skipTotal`)"),
        ("enableCursor" = Option<bool>, Query, description = "Cursor mode: returns `next_cursor`/`previous_cursor`"),
        ("cursor" = Option<String>, Query, description = "A cursor from a previous page"),
        ("includeDeleted" = Option<bool>, Query, description = "Include soft-deleted organizations"),
    ),
    responses((status = 200, body = Page<Organization>), (status = 401), (status = 422)),
    security(("api_key" = [])))]
async fn list_organizations(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut params): Query,
) -> ApiResult<Json<Page<Organization>>> {
    let pagination = Pagination::parse(&mut params);
    let include_deleted = params.bool(&["includeDeleted"], false);
    params.finish()?;
    let codec = CursorCodec::new(
        &state.keyring,
        &format!("organizations:{}:{include_deleted}", caller.account_id),
    );
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_organizations(caller.account_id, include_deleted, window)
        .await?;
    let key = |o: &OrganizationRecord| SortKey {
        key: o.created_at.timestamp_micros(),
        id: o.id,
    };
    Ok(Json(pagination.page(&codec, &window, page, key, |o| {
        wire::organization(&o)
    })))
}

/// Get an organization.
#[utoipa::path(get, path = "/organizations/{organization_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    responses((status = 200, body = Organization), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn get_organization(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(wire::organization(
        &organizations::live(&state, &caller, &id).await?,
    )))
}

/// Soft-delete an organization and its connections (they stop syncing).
#[utoipa::path(delete, path = "/organizations/{organization_id}", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    responses((status = 200, body = Organization), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn delete_organization(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Organization>> {
    let org = organizations::live(&state, &caller, &id).await?;
    let deleted = organizations::delete(&state, &caller, &org).await?;
    Ok(Json(wire::organization(&deleted)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::assert_parser_follows_schema;

    #[test]
    fn the_body_parses_into_the_published_type() {
        assert_parser_follows_schema::<OrganizationCreate, _>(OrganizationCreate::parse);
    }
}
