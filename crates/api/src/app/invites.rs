//! Connection invite tokens (the documented OnRamp contract): an integrator mints a
//! short-lived, single-use token scoped to one organization and vendor (a *create* token)
//! or to one connection (an *update* token), and its customer creates that connection, or
//! replaces that connection's credentials, with the token alone — through the API
//! (`X-CONNECTION-INVITE-TOKEN`) or the hosted page at `/connect/{token}`.
//!
//! Tokens are `tci_` and 48 random hex characters (192 bits); only their SHA-256 hash is
//! stored. A use is checked completely (scope, body, credentials with the vendor) before
//! the token is consumed, atomically, so a refused request leaves the token usable and
//! changes nothing, and of two concurrent uses one wins. Every use and every refusal of a
//! real token lands in the audit trail.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tributary_connectors::VendorSpec;
use tributary_engine::invites as tokens;
use tributary_model::{
    credentials::{CredentialField, FieldKind},
    options::parse_options,
    ConnectionState, DataExportType, Vendor,
};
use tributary_store::{
    invites::{Invite, InviteKind, InviteRefusal, NewInvite},
    models::{ConnectionRecord, OrganizationRecord},
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    audit::{self, Changes, Target},
    connections::{self, ConnectionCreate, ConnectionUpdate, ParseContext},
    destinations,
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    state::AppState,
    validate::{path_uuid, BodyFields},
};

/// The header that carries an invite token on Create and Update Connection.
pub const INVITE_HEADER: &str = "x-connection-invite-token";
/// Default lifetime of a token (the documented default), in seconds.
pub const DEFAULT_EXPIRY_SECS: i64 = 1800;
/// `expiry_secs` bounds: one minute to seven days.
pub const EXPIRY_BOUNDS: (i64, i64) = (60, 7 * 86_400);

/// Body of Create Connection Invite Token: `vendor` for a create token, or `connection_id`
/// (instead of `vendor`) for an update token.
#[derive(Debug, ToSchema)]
pub struct InviteTokenCreate {
    /// The vendor the customer will connect (a create token).
    pub vendor: Option<Vendor>,
    /// The connection whose credentials the customer will replace (an update token).
    pub connection_id: Option<Uuid>,
    /// The identifier the created connection gets (create tokens).
    pub identifier: Option<String>,
    /// The options the created connection gets (create tokens; the vendor's options).
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
    /// Seconds the token stays valid, 60–604800 (default 1800).
    #[schema(minimum = 60, maximum = 604800)]
    pub expiry_secs: Option<i64>,
}

/// A new invite token. Shown once: only its hash is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteToken {
    pub token: String,
}

/// Body of the validate call and of revoke.
#[derive(Debug, ToSchema)]
pub struct InviteTokenBody {
    pub token: String,
}

/// What a token is for and the vendor's credential form, as JSON Forms schemas (the
/// documented fields), plus Tributary's own: the token's kind, its connection, expiry
/// and the permission each data export needs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteSchema {
    #[schema(value_type = String)]
    pub vendor: Vendor,
    pub vendor_name: String,
    /// Tributary hosts no vendor logos: always null.
    pub logo_url: Option<String>,
    /// Where the credentials are explained: the hosted connect page of this token, when
    /// Tributary's public URL is configured.
    pub docs_url: Option<String>,
    /// `Secrets` (every vendor Tributary connects takes secrets, none OAuth).
    pub credentials_type: String,
    /// JSON Schema of the credential object.
    #[schema(value_type = Object)]
    pub data_schema: Value,
    /// JSON Forms UI schema: one control per field, secrets masked.
    #[schema(value_type = Object)]
    pub ui_schema: Value,
    /// `create` or `update`.
    pub kind: String,
    /// The connection an update token changes.
    pub connection_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    /// Each data export and the permission it needs in the vendor's words.
    pub exports: Vec<ExportPermission>,
}

/// One data export and the permission it needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportPermission {
    #[schema(value_type = String)]
    pub data_export_type: DataExportType,
    pub permission: String,
}

/// A parsed Create Connection Invite Token body.
#[derive(Debug)]
pub struct ParsedInviteCreate {
    pub target: InviteTarget,
    pub identifier: Option<String>,
    pub options: Option<Value>,
    pub expiry_secs: i64,
}

#[derive(Debug, Clone, Copy)]
pub enum InviteTarget {
    Vendor(&'static VendorSpec),
    Connection(Uuid),
}

impl InviteTokenCreate {
    /// Parses a body: exactly one of `vendor` and `connection_id`, else 422.
    pub fn parse(body: &Value, cx: ParseContext<'_>) -> ApiResult<ParsedInviteCreate> {
        let mut f = BodyFields::documented::<Self>(body, &["body"])?;
        let vendor = match f.raw("vendor") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_str().map(|name| cx.registry.parse(name)) {
                Some(Ok(spec)) => Some(spec),
                _ => {
                    let expected = cx.registry.names();
                    f.error("vendor", "enum", format!("Input should be {expected}"));
                    None
                }
            },
        };
        let vendor_given = !matches!(f.raw("vendor"), None | Some(Value::Null));
        let connection = match f.raw("connection_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match s.parse::<Uuid>() {
                Ok(id) => Some(id),
                Err(_) => {
                    f.error(
                        "connection_id",
                        "uuid_parsing",
                        "Input should be a valid UUID",
                    );
                    None
                }
            },
            Some(_) => {
                f.error(
                    "connection_id",
                    "uuid_type",
                    "Input should be a valid UUID string",
                );
                None
            }
        };
        let connection_given = !matches!(f.raw("connection_id"), None | Some(Value::Null));
        if vendor_given == connection_given {
            f.error(
                if vendor_given {
                    "connection_id"
                } else {
                    "vendor"
                },
                "value_error",
                "Send exactly one of `vendor` (a token that creates a connection) and \
                 `connection_id` (a token that updates that connection's credentials)",
            );
        }
        let identifier = f.nullable_string("identifier", 255).flatten();
        let expiry = f.optional_int("expiry_secs", EXPIRY_BOUNDS.0, EXPIRY_BOUNDS.1);
        let options_raw = f.raw("options").filter(|o| !o.is_null());
        let mut options = None;
        if connection_given && (identifier.is_some() || options_raw.is_some()) {
            f.error(
                if identifier.is_some() {
                    "identifier"
                } else {
                    "options"
                },
                "value_error",
                "`identifier` and `options` apply to create tokens: an update token \
                 changes only the connection's credentials",
            );
        }
        if let (Some(spec), Some(raw)) = (vendor, options_raw) {
            match parse_options(spec.vendor, spec.options, raw) {
                Ok(o) => options = o,
                Err(e) => f
                    .errors
                    .extend(e.into_iter().map(|e| e.under(&["body", "options"]))),
            }
        }
        f.finish()?;
        let target = match (vendor, connection) {
            (Some(spec), None) => InviteTarget::Vendor(spec),
            (None, Some(id)) => InviteTarget::Connection(id),
            _ => unreachable!("exactly one was checked"),
        };
        Ok(ParsedInviteCreate {
            target,
            identifier,
            options,
            expiry_secs: expiry.unwrap_or(DEFAULT_EXPIRY_SECS),
        })
    }
}

impl InviteTokenBody {
    pub fn parse(body: &Value) -> ApiResult<String> {
        let mut f = BodyFields::documented::<Self>(body, &["body"])?;
        let token = f.required_string("token", 200);
        f.finish()?;
        Ok(token.expect("validated"))
    }
}

/// A fresh token and its hash.
fn generate_token() -> (String, String) {
    let token = tokens::generate_token();
    let hash = tokens::token_hash(&token);
    (token, hash)
}

/// Mints a token in `org` (audited as `created` on the invite). An update token's
/// connection must be a live connection of the organization (404 otherwise).
pub async fn mint(
    state: &AppState,
    caller: &Caller,
    org: &OrganizationRecord,
    body: ParsedInviteCreate,
) -> ApiResult<(String, Invite)> {
    mint_in(state, caller, org.id, body).await
}

async fn mint_in(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    body: ParsedInviteCreate,
) -> ApiResult<(String, Invite)> {
    let (kind, vendor, connection_id) = match body.target {
        InviteTarget::Vendor(spec) => (InviteKind::Create, spec.vendor, None),
        InviteTarget::Connection(id) => {
            let conn = state.store.get_connection(caller.account_id, id).await?;
            match conn {
                Some(c) if c.organization_id == org_id && c.state != ConnectionState::Deleted => {
                    (InviteKind::Update, c.vendor, Some(c.id))
                }
                _ => return Err(ApiError::not_found("Connection")),
            }
        }
    };
    let (token, token_hash) = generate_token();
    let invite = state
        .store
        .create_invite(
            caller.account_id,
            NewInvite {
                id: Uuid::now_v7(),
                organization_id: org_id,
                token_hash,
                kind,
                vendor,
                connection_id,
                identifier: body.identifier,
                options: body.options,
                created_by_key_id: Some(caller.key_id),
                expires_at: Utc::now() + Duration::seconds(body.expiry_secs),
            },
        )
        .await?;
    let mut changes = Changes::default();
    changes
        .field("kind", Value::Null, invite.kind.as_str())
        .field("organization_id", Value::Null, invite.organization_id)
        .field("vendor", Value::Null, invite.vendor)
        .field("connection_id", Value::Null, invite.connection_id)
        .field("expires_at", Value::Null, invite.expires_at);
    audit::record(
        state,
        caller,
        "created",
        Target::ConnectionInvite(invite.id),
        changes,
    )
    .await;
    Ok((token, invite))
}

/// Body of a fix-link request (optional).
#[derive(Debug, ToSchema)]
pub struct FixLinkRequest {
    /// Seconds the token stays valid, 60–604800 (default 1800).
    #[schema(minimum = 60, maximum = 604800)]
    pub expiry_secs: Option<i64>,
}

impl FixLinkRequest {
    /// Parses an optional JSON body: empty (or `null`) means the defaults.
    pub fn parse(raw: &[u8]) -> ApiResult<Option<i64>> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let body: Value = serde_json::from_slice(raw).map_err(|e| {
            ApiError::invalid(&["body"], "json_invalid", format!("JSON decode error: {e}"))
        })?;
        if body.is_null() {
            return Ok(None);
        }
        let mut f = BodyFields::documented::<Self>(&body, &["body"])?;
        let expiry = f.optional_int("expiry_secs", EXPIRY_BOUNDS.0, EXPIRY_BOUNDS.1);
        f.finish()?;
        Ok(expiry)
    }
}

/// A fix link: a fresh update token for a connection and its hosted page.
#[derive(Debug, Serialize, ToSchema)]
pub struct FixLink {
    pub token: String,
    /// The hosted page: absolute when Tributary's public URL is configured
    /// (`public_url`), else a path on this server.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Mints an update token for `conn` (which must be live) and returns its page.
pub async fn fix_link(
    state: &AppState,
    caller: &Caller,
    conn: &ConnectionRecord,
    expiry_secs: Option<i64>,
) -> ApiResult<FixLink> {
    if conn.state == ConnectionState::Deleted {
        return Err(ApiError::Conflict("Connection is deleted".into()));
    }
    let body = ParsedInviteCreate {
        target: InviteTarget::Connection(conn.id),
        identifier: None,
        options: None,
        expiry_secs: expiry_secs.unwrap_or(DEFAULT_EXPIRY_SECS),
    };
    let (token, invite) = mint_in(state, caller, conn.organization_id, body).await?;
    Ok(FixLink {
        url: tokens::page_url(state.settings.public_url.as_deref(), &token),
        token,
        expires_at: invite.expires_at,
    })
}

/// Records that the hosted page checked credentials with the vendor for `invite`.
pub async fn record_check(state: &AppState, invite: &Invite, addr: Option<IpAddr>, valid: bool) {
    let mut changes = Changes::default();
    changes.field("is_valid", Value::Null, valid);
    audit::record(
        state,
        &bearer(invite, addr),
        "checked",
        Target::ConnectionInvite(invite.id),
        changes,
    )
    .await;
}

/// Revokes a token of the caller's organization `org` (by its value). 404 for a token
/// that is not the organization's (or not one at all), 409 for one already used.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    org: &OrganizationRecord,
    token: &str,
) -> ApiResult<Invite> {
    let invite = match state.store.find_invite(&tokens::token_hash(token)).await? {
        Some(i) if i.account_id == caller.account_id && i.organization_id == org.id => i,
        _ => return Err(ApiError::not_found("Connection invite token")),
    };
    if invite.used_at.is_some() {
        return Err(ApiError::Conflict(
            "Connection invite token was already used: there is nothing to revoke".into(),
        ));
    }
    if state
        .store
        .revoke_invite(caller.account_id, invite.id)
        .await?
    {
        let mut changes = Changes::default();
        changes.field("revoked", false, true);
        audit::record(
            state,
            caller,
            "revoked",
            Target::ConnectionInvite(invite.id),
            changes,
        )
        .await;
    }
    Ok(state
        .store
        .get_invite(caller.account_id, invite.id)
        .await?
        .unwrap_or(invite))
}

/// The caller acting with `invite`: its account, the key that minted it, the token.
pub fn bearer(invite: &Invite, addr: Option<IpAddr>) -> Caller {
    Caller {
        account_id: invite.account_id,
        key_id: invite.created_by_key_id.unwrap_or(Uuid::nil()),
        session_id: None,
        addr,
        invite_id: Some(invite.id),
    }
}

/// Records a refused use of a real token (a forged one names no account: it is only
/// logged and counted against the address).
async fn refused(state: &AppState, invite: &Invite, addr: Option<IpAddr>, reason: &str) {
    let mut changes = Changes::default();
    changes.field("reason", Value::Null, reason);
    audit::record(
        state,
        &bearer(invite, addr),
        "refused",
        Target::ConnectionInvite(invite.id),
        changes,
    )
    .await;
}

/// Refuses a use of `invite` (audited) with `error`.
pub async fn refuse(
    state: &AppState,
    invite: &Invite,
    addr: Option<IpAddr>,
    error: ApiError,
) -> ApiError {
    let reason = match &error {
        ApiError::Unauthorized(m)
        | ApiError::Forbidden(m)
        | ApiError::Conflict(m)
        | ApiError::BadRequest(m)
        | ApiError::NotFound(m) => m.clone(),
        other => other.to_string(),
    };
    refused(state, invite, addr, &reason).await;
    error
}

/// The invite `token` names, whatever its state: 401 for a missing or unknown (forged)
/// token. The rate limits apply first (429): per token and per client address; an
/// unknown token also counts as a failed authentication of the address.
pub async fn lookup(state: &AppState, token: &str, addr: Option<IpAddr>) -> ApiResult<Invite> {
    let token = token.trim();
    let hash = tokens::token_hash(token);
    let limits = state.limiter.settings().enabled;
    let ip = addr.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    if limits {
        if let Some(refusal) = state.limiter.blocked(ip) {
            return Err(ApiError::RateLimited(refusal));
        }
        state
            .limiter
            .check_invite(&hash, ip)
            .map_err(ApiError::RateLimited)?;
    }
    if token.is_empty() {
        return Err(ApiError::Unauthorized(
            "Missing connection invite token".into(),
        ));
    }
    let Some(invite) = state.store.find_invite(&hash).await? else {
        tracing::info!(addr = ?addr, "refused an unknown connection invite token");
        if limits {
            if let Some(refusal) = state.limiter.failed_auth(ip) {
                return Err(ApiError::RateLimited(refusal));
            }
        }
        return Err(ApiError::Unauthorized(
            "Invalid connection invite token".into(),
        ));
    };
    Ok(invite)
}

/// Why `invite` cannot be used now, as the error to answer (None when it can).
pub fn refusal_error(invite: &Invite) -> Option<ApiError> {
    Some(match invite.refusal(Utc::now())? {
        InviteRefusal::Expired => ApiError::Unauthorized(format!(
            "Connection invite token expired at {}: ask for a new one",
            invite
                .expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )),
        InviteRefusal::Revoked => {
            ApiError::Unauthorized("Connection invite token was revoked: ask for a new one".into())
        }
        InviteRefusal::Used => ApiError::Conflict(
            "Connection invite token was already used: each token works once".into(),
        ),
    })
}

/// The invite `token` names, if it may be used now: [`lookup`], then 401 for an
/// expired or revoked token and 409 for a used one (audited).
pub async fn resolve(state: &AppState, token: &str, addr: Option<IpAddr>) -> ApiResult<Invite> {
    let invite = lookup(state, token, addr).await?;
    match refusal_error(&invite) {
        None => Ok(invite),
        Some(error) => Err(refuse(state, &invite, addr, error).await),
    }
}

/// The vendor's credential form as JSON Forms schemas.
pub fn form_schemas(spec: &VendorSpec) -> (Value, Value) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut elements = Vec::new();
    for field in spec.credentials {
        properties.insert(field.name.to_owned(), field_schema(field));
        if field.default.is_none() {
            required.push(field.name);
        }
        let mut control =
            json!({"type": "Control", "scope": format!("#/properties/{}", field.name)});
        if field.kind == FieldKind::Secret {
            control["options"] = json!({"format": "password"});
        }
        elements.push(control);
    }
    (
        json!({"type": "object", "properties": properties, "required": required}),
        json!({"type": "VerticalLayout", "elements": elements}),
    )
}

fn field_schema(field: &CredentialField) -> Value {
    let mut s = json!({
        "type": "string",
        "title": field.name,
        "description": field.description,
        "minLength": 1,
    });
    match field.kind {
        FieldKind::Secret => s["password"] = json!(true),
        FieldKind::Url => s["format"] = json!("uri"),
        FieldKind::Text => {}
    }
    if let Some(d) = field.default {
        s["default"] = json!(d);
    }
    s
}

/// Each export of `spec` and the permission it needs.
pub fn export_permissions(spec: &VendorSpec) -> Vec<ExportPermission> {
    spec.exports
        .iter()
        .map(|e| ExportPermission {
            data_export_type: e.data_export_type,
            permission: e.permission.to_owned(),
        })
        .collect()
}

/// The hosted page of a token, when the public URL is configured.
pub fn page_url(state: &AppState, token: &str) -> Option<String> {
    let base = state.settings.public_url.as_deref()?;
    Some(tokens::page_url(Some(base), token))
}

/// The validate call: what the token is for and the vendor's credential form. Refused
/// like any use; does not consume the token.
pub async fn validate(
    state: &AppState,
    org_id: &str,
    token: &str,
    addr: Option<IpAddr>,
) -> ApiResult<InviteSchema> {
    let invite = resolve(state, token, addr).await?;
    check_org(state, &invite, org_id, addr).await?;
    let spec = connections::spec_of(state, invite.vendor)?;
    Ok(schema(state, &invite, spec, token))
}

/// The schema answer for a resolved invite.
pub fn schema(state: &AppState, invite: &Invite, spec: &VendorSpec, token: &str) -> InviteSchema {
    let (data_schema, ui_schema) = form_schemas(spec);
    InviteSchema {
        vendor: spec.vendor,
        vendor_name: spec.name.to_owned(),
        logo_url: None,
        docs_url: page_url(state, token),
        credentials_type: "Secrets".into(),
        data_schema,
        ui_schema,
        kind: invite.kind.as_str().to_owned(),
        connection_id: invite.connection_id,
        expires_at: invite.expires_at,
        exports: export_permissions(spec),
    }
}

/// The path's organization must be the token's (403 otherwise, audited).
pub async fn check_org(
    state: &AppState,
    invite: &Invite,
    org_id: &str,
    addr: Option<IpAddr>,
) -> ApiResult<()> {
    let org = path_uuid("organization_id", org_id)?;
    if org != invite.organization_id {
        let e =
            ApiError::Forbidden("This connection invite token is for another organization".into());
        return Err(refuse(state, invite, addr, e).await);
    }
    Ok(())
}

/// The token's organization, unless it was deleted since (404, audited).
async fn live_org(
    state: &AppState,
    invite: &Invite,
    addr: Option<IpAddr>,
) -> ApiResult<OrganizationRecord> {
    match state
        .store
        .get_organization(invite.account_id, invite.organization_id)
        .await?
    {
        Some(org) if org.deleted_at.is_none() => Ok(org),
        _ => Err(refuse(state, invite, addr, ApiError::not_found("Organization")).await),
    }
}

/// The connection an update token changes, unless it was deleted since (404, audited).
pub async fn target_connection(
    state: &AppState,
    invite: &Invite,
    addr: Option<IpAddr>,
) -> ApiResult<ConnectionRecord> {
    let id = invite.connection_id.unwrap_or(Uuid::nil());
    match state.store.get_connection(invite.account_id, id).await? {
        Some(c) if c.state != ConnectionState::Deleted => Ok(c),
        _ => Err(refuse(state, invite, addr, ApiError::not_found("Connection")).await),
    }
}

/// Consumes the token for `connection_id` (409 when another use won), records the use,
/// runs `change`, and gives the token back if the change fails.
async fn consume_for<T>(
    state: &AppState,
    invite: &Invite,
    addr: Option<IpAddr>,
    connection_id: Uuid,
    change: impl std::future::Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    let at = Utc::now();
    if !state
        .store
        .consume_invite(invite.id, at, connection_id)
        .await?
    {
        let e = ApiError::Conflict(
            "Connection invite token was already used: each token works once".into(),
        );
        return Err(refuse(state, invite, addr, e).await);
    }
    match change.await {
        Ok(t) => {
            let mut changes = Changes::default();
            changes.field("connection_id", Value::Null, connection_id);
            audit::record(
                state,
                &bearer(invite, addr),
                "used",
                Target::ConnectionInvite(invite.id),
                changes,
            )
            .await;
            Ok(t)
        }
        Err(e) => {
            if let Err(release) = state.store.release_invite(invite.id, at).await {
                tracing::error!(error = %release, "could not give an invite token back");
            }
            Err(e)
        }
    }
}

/// Create Connection with a create token: the path's organization and the body's vendor
/// must be the token's; `identifier` and `options` are the token's (a body may repeat
/// them, not change them). The credentials are verified with the vendor first (refused →
/// 400, unreachable → 503, token unused); then the token is consumed and the connection
/// created, with its first job queued at once.
pub async fn create_connection(
    state: &AppState,
    invite: &Invite,
    addr: Option<IpAddr>,
    org_id: &str,
    body: &Value,
) -> ApiResult<ConnectionRecord> {
    check_org(state, invite, org_id, addr).await?;
    if invite.kind != InviteKind::Create {
        let e = ApiError::Forbidden(
            "This is an update token: it can only update the credentials of its connection".into(),
        );
        return Err(refuse(state, invite, addr, e).await);
    }
    let org = live_org(state, invite, addr).await?;
    let mut parsed = ConnectionCreate::parse(body, ParseContext::of(state))?;
    if parsed.vendor != invite.vendor {
        let e = ApiError::Forbidden(format!(
            "This connection invite token is for {}, not {}",
            invite.vendor, parsed.vendor
        ));
        return Err(refuse(state, invite, addr, e).await);
    }
    for (field, token_value, body_value) in [
        (
            "identifier",
            invite.identifier.clone().map(Value::String),
            parsed.identifier.clone().map(Value::String),
        ),
        ("options", invite.options.clone(), parsed.options.clone()),
    ] {
        if let (Some(t), Some(b)) = (&token_value, &body_value) {
            if t != b {
                let e = ApiError::Forbidden(format!(
                    "`{field}` is set by the connection invite token and cannot be changed"
                ));
                return Err(refuse(state, invite, addr, e).await);
            }
        }
    }
    parsed.identifier = invite.identifier.clone().or(parsed.identifier);
    parsed.options = invite.options.clone().or(parsed.options);
    destinations::check_credentials(state, &parsed.credentials).await?;
    connections::verify_with_vendor(
        state,
        parsed.vendor,
        &parsed.credentials,
        parsed.options.as_ref(),
    )
    .await?;
    let id = Uuid::now_v7();
    let caller = bearer(invite, addr);
    consume_for(
        state,
        invite,
        addr,
        id,
        connections::create_checked(state, &caller, &org, id, parsed),
    )
    .await
}

/// Update Connection with an update token: the path must name the token's organization
/// and connection, and the body may carry only `credentials` (required). They are
/// verified with the vendor first (refused → 400, token unused); then the token is
/// consumed and the credentials saved, with a job queued at once.
pub async fn update_connection(
    state: &AppState,
    invite: &Invite,
    addr: Option<IpAddr>,
    org_id: &str,
    conn_id: &str,
    body: &Value,
) -> ApiResult<ConnectionRecord> {
    check_org(state, invite, org_id, addr).await?;
    let conn = path_uuid("connection_id", conn_id)?;
    if invite.kind != InviteKind::Update || invite.connection_id != Some(conn) {
        let e = ApiError::Forbidden(match invite.kind {
            InviteKind::Create => {
                "This is a create token: it can only create one connection".to_owned()
            }
            InviteKind::Update => {
                "This connection invite token is for another connection".to_owned()
            }
        });
        return Err(refuse(state, invite, addr, e).await);
    }
    let current = target_connection(state, invite, addr).await?;
    let spec = connections::spec_of(state, current.vendor)?;
    let patch = ConnectionUpdate::parse(body, spec, ParseContext::of(state))?;
    if patch.identifier.is_some()
        || patch.state.is_some()
        || patch.refresh_interval_secs.is_some()
        || patch.timeout_secs.is_some()
    {
        let e =
            ApiError::Forbidden("An update token changes only the connection's credentials".into());
        return Err(refuse(state, invite, addr, e).await);
    }
    let Some(creds) = &patch.credentials else {
        return Err(ApiError::invalid(
            &["body", "credentials"],
            "missing",
            "Field required",
        ));
    };
    destinations::check_credentials(state, creds).await?;
    connections::verify_with_vendor(state, current.vendor, creds, current.options.as_ref()).await?;
    let caller = bearer(invite, addr);
    consume_for(
        state,
        invite,
        addr,
        current.id,
        connections::update_checked(state, &caller, &current, patch),
    )
    .await
}

#[cfg(test)]
mod tests {
    use tributary_connectors::{guard::UrlGuard, Registry};

    use super::*;
    use crate::validate::assert_parser_follows_schema;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let (a, ha) = generate_token();
        let (b, _) = generate_token();
        assert!(a.starts_with("tci_") && a.len() == 52, "{a}");
        assert_ne!(a, b);
        assert_eq!(ha, tokens::token_hash(&a));
        assert!(!ha.contains(&a[4..]));
    }

    #[test]
    fn a_body_names_exactly_one_target() {
        let (registry, guard) = (Registry::builtin(), UrlGuard::from_list("127.0.0.1"));
        let cx = ParseContext {
            registry: &registry,
            guard: &guard,
        };
        let create = InviteTokenCreate::parse(&json!({"vendor": "SENTINELONE"}), cx).unwrap();
        assert!(
            matches!(create.target, InviteTarget::Vendor(s) if s.vendor == Vendor::named("SENTINELONE"))
        );
        assert_eq!(create.expiry_secs, DEFAULT_EXPIRY_SECS);
        let id = Uuid::now_v7();
        let update =
            InviteTokenCreate::parse(&json!({"connection_id": id, "expiry_secs": 60}), cx).unwrap();
        assert!(matches!(update.target, InviteTarget::Connection(c) if c == id));
        for bad in [
            json!({}),
            json!({"vendor": null, "connection_id": null}),
            json!({"vendor": "SENTINELONE", "connection_id": id}),
            json!({"vendor": "SENTINELONE", "expiry_secs": 59}),
            json!({"vendor": "SENTINELONE", "expiry_secs": 604801}),
            json!({"vendor": "NOPE"}),
            json!({"connection_id": "x"}),
            json!({"connection_id": id, "identifier": "a"}),
            json!({"vendor": "SENTINELONE", "extra": 1}),
        ] {
            assert!(
                matches!(
                    InviteTokenCreate::parse(&bad, cx),
                    Err(ApiError::Validation(_))
                ),
                "{bad}"
            );
        }
        assert_parser_follows_schema::<InviteTokenBody, _>(InviteTokenBody::parse);
    }

    #[test]
    fn the_form_schema_follows_the_credential_spec() {
        let registry = Registry::builtin();
        let spec = registry.parse("SENTINELONE").unwrap();
        let (data, ui) = form_schemas(spec);
        let names: Vec<&str> = spec.credentials.iter().map(|f| f.name).collect();
        let props = data["properties"].as_object().unwrap();
        assert_eq!(props.len(), names.len());
        for f in spec.credentials {
            let p = &props[f.name];
            assert_eq!(p["description"], f.description);
            assert_eq!(p["password"] == json!(true), f.kind == FieldKind::Secret);
        }
        let controls = ui["elements"].as_array().unwrap();
        assert_eq!(controls.len(), names.len());
        assert_eq!(controls[0]["scope"], format!("#/properties/{}", names[0]));
        let required: Vec<&str> = data["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let want: Vec<&str> = spec
            .credentials
            .iter()
            .filter(|f| f.default.is_none())
            .map(|f| f.name)
            .collect();
        assert_eq!(required, want);
    }
}
