//! Connection invite tokens (OnRamp): mint, validate, revoke. An adapter over
//! [`crate::app::invites`]; the token's use on Create and Update Connection is in
//! [`super::connections`].

use axum::{
    extract::{Path, State},
    Extension, Json,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    app::{
        connections,
        connections::ParseContext,
        invites::{
            self, FixLink, FixLinkRequest, InviteSchema, InviteToken, InviteTokenBody,
            InviteTokenCreate,
        },
        organizations,
    },
    auth::Caller,
    error::ApiResult,
    extract::JsonBody,
    layers::ClientAddr,
    openapi::HTTPValidationError,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_invite_token))
        .routes(routes!(validate_invite_token))
        .routes(routes!(revoke_invite_token))
        .routes(routes!(create_fix_link))
}

/// Create a connection invite token: with `vendor`, a token that creates exactly one
/// connection to that vendor in the organization; with `connection_id` instead, a token
/// that replaces that connection's credentials. Single use, valid `expiry_secs` (default
/// 1800). Shown once: only its hash is stored. Its hosted page is `/connect/{token}`.
#[utoipa::path(post, path = "/organizations/{organization_id}/connection-invite-tokens", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    request_body = InviteTokenCreate,
    responses((status = 200, body = InviteToken), (status = 401), (status = 404, description = "No such organization (or connection)"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn create_invite_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<InviteToken>> {
    let org = organizations::live(&state, &caller, &org_id).await?;
    let parsed = InviteTokenCreate::parse(&body, ParseContext::of(&state))?;
    let (token, _) = invites::mint(&state, &caller, &org, parsed).await?;
    Ok(Json(InviteToken { token }))
}

/// Validate a connection invite token: what it is for and the vendor's credential form
/// as JSON Forms schemas. Needs no API key (the token is the credential); does not use
/// the token up. Expired, used, revoked, unknown or another organization's tokens are
/// refused (401, 409, 403).
#[utoipa::path(post, path = "/organizations/{organization_id}/connection-invite-token/validate", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    request_body = InviteTokenBody,
    responses((status = 200, body = InviteSchema), (status = 401, description = "Unknown, expired or revoked token"),
              (status = 403, description = "The token is for another organization"),
              (status = 409, description = "The token was already used"),
              (status = 422, body = HTTPValidationError)),
    security(()))]
async fn validate_invite_token(
    State(state): State<AppState>,
    Path(org_id): Path<String>,
    client: Option<Extension<ClientAddr>>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<InviteSchema>> {
    let addr = client.map(|Extension(ClientAddr(ip))| ip);
    let token = InviteTokenBody::parse(&body)?;
    let schema = invites::validate(&state, &org_id, &token, addr).await?;
    Ok(Json(schema))
}

/// A revoked token.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedInviteToken {
    pub id: Uuid,
    /// `create` or `update`.
    pub kind: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

/// Revoke a connection invite token of the caller's account (by its value): it can no
/// longer be used. 409 when it was already used.
#[utoipa::path(post, path = "/organizations/{organization_id}/connection-invite-tokens/revoke", tag = "Provisioning",
    params(("organization_id" = Uuid, Path)),
    request_body = InviteTokenBody,
    responses((status = 200, body = RevokedInviteToken), (status = 401), (status = 404),
              (status = 409, description = "The token was already used"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn revoke_invite_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<RevokedInviteToken>> {
    let org = organizations::live(&state, &caller, &org_id).await?;
    let token = InviteTokenBody::parse(&body)?;
    let invite = invites::revoke(&state, &caller, &org, &token).await?;
    Ok(Json(RevokedInviteToken {
        id: invite.id,
        kind: invite.kind.as_str().to_owned(),
        revoked_at: invite.revoked_at,
        expires_at: invite.expires_at,
    }))
}

/// Create a fix link: an update token for the connection and the URL of its hosted page,
/// where the customer enters new credentials (for a connection whose health the customer
/// must resolve, such as UNAUTHORIZED). The body is optional.
#[utoipa::path(post, path = "/organizations/{organization_id}/connections/{connection_id}/fix-link", tag = "Provisioning",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    request_body(content = Option<FixLinkRequest>),
    responses((status = 200, body = FixLink), (status = 401), (status = 404),
              (status = 409, description = "The connection is deleted"),
              (status = 422, body = HTTPValidationError)),
    security(("api_key" = [])))]
async fn create_fix_link(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<FixLink>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let expiry = FixLinkRequest::parse(&body)?;
    Ok(Json(
        invites::fix_link(&state, &caller, &conn, expiry).await?,
    ))
}
