//! `/v1/idp/*`: the identity records of one connection (named by `X-CONNECTION-ID`) in the
//! documented shape, and the sub-resources that walk one record's memberships. Listing is
//! the application layer's ([`crate::app::idp`]); this adapter reads the path, headers and
//! query and writes the page.

use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
};
use tributary_model::{
    idp::{IdpApplication, IdpGroup, IdpPolicy, IdpUser},
    page::Page,
};
use tributary_store::models::{IdpKind, IdpRelated, IdpRelation};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::data::{connection_page, json_page};
use crate::{
    app::idp::{self, IdpListing},
    auth::Caller,
    error::ApiResult,
    extract::Query,
    openapi::HTTPValidationError,
    state::AppState,
    validate::{path_uuid, QueryParams},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(user_groups))
        .routes(routes!(list_groups))
        .routes(routes!(group_users))
        .routes(routes!(list_applications))
        .routes(routes!(application_users))
        .routes(routes!(application_groups))
        .routes(routes!(list_policies))
        .routes(routes!(policy_groups))
        .routes(routes!(policy_applications))
        .routes(routes!(policy_users))
}

/// The connection the data belongs to.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the parameter; `data::connection_page` reads it
struct ConnectionHeader {
    /// A connection of your account.
    #[param(rename = "X-CONNECTION-ID")]
    connection: uuid::Uuid,
}

/// The parameters of every identity list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)] // documents the query `IdpListing::parse` reads
struct ListParams {
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Items to skip (default 0); not with `cursor`.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// `true`: `total` is null (cheaper).
    excludeTotal: Option<bool>,
    /// Same as `excludeTotal`.
    skipTotal: Option<bool>,
    /// `true`: keyset pages with `next_cursor` and `previous_cursor`.
    enableCursor: Option<bool>,
    /// `next_cursor` or `previous_cursor` of a previous page (signed, bound to this list).
    cursor: Option<String>,
    /// Only items Tributary stored a change of since this date-time, e.g.
    /// 2021-01-01T00:00:00+00:00 (not with `cursor`, which carries it).
    updatedSince: Option<String>,
}

/// What a list of groups can include.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct GroupIncludes {
    /// `true`: each group's members as `users` (at most 1000 each).
    includeIdpUsers: Option<bool>,
    /// `true`: the applications assigned to each group as `applications` (at most 1000).
    includeIdpApplications: Option<bool>,
}

/// What a list of applications can include.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct ApplicationIncludes {
    /// `true`: the users assigned to each application directly as `users` (at most 1000).
    includeIdpUsers: Option<bool>,
    /// `true`: the groups assigned to each application as `groups` (at most 1000).
    includeIdpGroups: Option<bool>,
}

/// A page of `kind`, or with `related` the records on the other side of the path
/// record's `relation` list.
async fn respond(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    kind: IdpKind,
    related: Option<(IdpRelation, &str, &str)>,
    mut params: QueryParams,
) -> ApiResult<Response> {
    let related = match related {
        Some((relation, name, raw)) => Some(IdpRelated {
            relation,
            anchor: path_uuid(name, raw)?,
        }),
        None => None,
    };
    let page = connection_page(state, caller, headers, |connection| async move {
        let listing = IdpListing::parse(kind, connection, related, &mut params);
        params.finish()?;
        idp::list(state, caller, listing).await
    })
    .await?;
    Ok(json_page(&page))
}

/// List the connection's users.
///
/// Oldest change first (Tributary's `updated_at`, ties on id); deleted users stay listed
/// with `is_deleted: true`. The users page of the documented API was not visible: these
/// fields are Tributary's design in the documented style (see `docs/idp.md`).
#[utoipa::path(get, path = "/idp/users", tag = "IDP",
    params(ConnectionHeader, ListParams),
    responses((status = 200, body = Page<IdpUser>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query,
) -> ApiResult<Response> {
    respond(&state, &caller, &headers, IdpKind::Users, None, params).await
}

/// List the groups a user belongs to (additive).
#[utoipa::path(get, path = "/idp/users/{user_id}/groups", tag = "IDP",
    params(ConnectionHeader, ("user_id" = Uuid, Path, description = "A user's id"),
           ListParams, GroupIncludes),
    responses((status = 200, body = Page<IdpGroup>), (status = 401),
              (status = 404, description = "No such user on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn user_groups(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((IdpRelation::GroupUsers, "user_id", id.as_str()));
    respond(&state, &caller, &headers, IdpKind::Groups, related, params).await
}

/// List the connection's groups.
///
/// `users` (the members) appears only with `includeIdpUsers=true` and `applications` (the
/// applications assigned to the group) only with `includeIdpApplications=true`: compact
/// references, at most 1000 per group; `/idp/groups/{group_id}/users` walks any number.
#[utoipa::path(get, path = "/idp/groups", tag = "IDP",
    params(ConnectionHeader, ListParams, GroupIncludes),
    responses((status = 200, body = Page<IdpGroup>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_groups(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query,
) -> ApiResult<Response> {
    respond(&state, &caller, &headers, IdpKind::Groups, None, params).await
}

/// List a group's members (additive).
#[utoipa::path(get, path = "/idp/groups/{group_id}/users", tag = "IDP",
    params(ConnectionHeader, ("group_id" = Uuid, Path, description = "A group's id"),
           ListParams),
    responses((status = 200, body = Page<IdpUser>), (status = 401),
              (status = 404, description = "No such group on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn group_users(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((IdpRelation::GroupUsers, "group_id", id.as_str()));
    respond(&state, &caller, &headers, IdpKind::Users, related, params).await
}

/// List the connection's applications.
///
/// `users` (assigned directly) appears only with `includeIdpUsers=true` and `groups`
/// (assigned groups) only with `includeIdpGroups=true`: compact references, at most 1000
/// per application; the sub-resources walk any number.
#[utoipa::path(get, path = "/idp/applications", tag = "IDP",
    params(ConnectionHeader, ListParams, ApplicationIncludes),
    responses((status = 200, body = Page<IdpApplication>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_applications(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query,
) -> ApiResult<Response> {
    respond(
        &state,
        &caller,
        &headers,
        IdpKind::Applications,
        None,
        params,
    )
    .await
}

/// List the users assigned to an application directly (additive).
#[utoipa::path(get, path = "/idp/applications/{application_id}/users", tag = "IDP",
    params(ConnectionHeader, ("application_id" = Uuid, Path, description = "An application's id"),
           ListParams),
    responses((status = 200, body = Page<IdpUser>), (status = 401),
              (status = 404, description = "No such application on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn application_users(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((IdpRelation::ApplicationUsers, "application_id", id.as_str()));
    respond(&state, &caller, &headers, IdpKind::Users, related, params).await
}

/// List the groups assigned to an application (additive).
#[utoipa::path(get, path = "/idp/applications/{application_id}/groups", tag = "IDP",
    params(ConnectionHeader, ("application_id" = Uuid, Path, description = "An application's id"),
           ListParams, GroupIncludes),
    responses((status = 200, body = Page<IdpGroup>), (status = 401),
              (status = 404, description = "No such application on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn application_groups(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((
        IdpRelation::ApplicationGroups,
        "application_id",
        id.as_str(),
    ));
    respond(&state, &caller, &headers, IdpKind::Groups, related, params).await
}

/// List the connection's policies.
///
/// The groups, applications and users a policy targets are its sub-resources. The
/// policies page of the documented API showed only those paths: the fields are Tributary's
/// design in the documented style (see `docs/idp.md`).
#[utoipa::path(get, path = "/idp/policies", tag = "IDP",
    params(ConnectionHeader, ListParams),
    responses((status = 200, body = Page<IdpPolicy>), (status = 401), (status = 404),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn list_policies(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query,
) -> ApiResult<Response> {
    respond(&state, &caller, &headers, IdpKind::Policies, None, params).await
}

/// List the groups a policy targets.
#[utoipa::path(get, path = "/idp/policies/{policy_id}/groups", tag = "IDP",
    params(ConnectionHeader, ("policy_id" = Uuid, Path, description = "A policy's id"),
           ListParams, GroupIncludes),
    responses((status = 200, body = Page<IdpGroup>), (status = 401),
              (status = 404, description = "No such policy on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn policy_groups(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((IdpRelation::PolicyGroups, "policy_id", id.as_str()));
    respond(&state, &caller, &headers, IdpKind::Groups, related, params).await
}

/// List the applications a policy targets.
#[utoipa::path(get, path = "/idp/policies/{policy_id}/applications", tag = "IDP",
    params(ConnectionHeader, ("policy_id" = Uuid, Path, description = "A policy's id"),
           ListParams, ApplicationIncludes),
    responses((status = 200, body = Page<IdpApplication>), (status = 401),
              (status = 404, description = "No such policy on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn policy_applications(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((IdpRelation::PolicyApplications, "policy_id", id.as_str()));
    respond(
        &state,
        &caller,
        &headers,
        IdpKind::Applications,
        related,
        params,
    )
    .await
}

/// List the users a policy targets directly.
#[utoipa::path(get, path = "/idp/policies/{policy_id}/users", tag = "IDP",
    params(ConnectionHeader, ("policy_id" = Uuid, Path, description = "A policy's id"),
           ListParams),
    responses((status = 200, body = Page<IdpUser>), (status = 401),
              (status = 404, description = "No such policy on this connection"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn policy_users(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query,
) -> ApiResult<Response> {
    let related = Some((IdpRelation::PolicyUsers, "policy_id", id.as_str()));
    respond(&state, &caller, &headers, IdpKind::Users, related, params).await
}
