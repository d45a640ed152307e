//! Webhook endpoints: create, update, delete, rotate the signing secret and redeliver,
//! each audited (the secret never is). Bodies parse into the published types.

use chrono::Utc;
use serde_json::Value;
use tributary_engine::webhooks::{events::ALL_EVENT_TYPES, signing};
use tributary_store::models::{
    DeliveryRecord, NewWebhookEndpoint, WebhookEndpoint, WebhookEndpointChanges,
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    audit::{self, Changes, Target},
    destinations,
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    state::AppState,
    validate::{path_uuid, BodyFields},
};

/// Body of `POST /v1/webhooks`.
#[derive(Debug, ToSchema)]
pub struct WebhookCreate {
    /// An https URL on a public address (at most 2048 characters).
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// `connection.health_changed`, `connection.created`, `connection.deleted`, `job.failed`,
    /// `webhook_endpoint.disabled`, `connection.advisory_raised`, `connection.advisory_cleared`,
    /// `vendor_incident.opened`, `vendor_incident.updated`, `vendor_incident.resolved`;
    /// null for every type except the opt-in `job.failed` and advisory events.
    pub event_types: Option<Vec<String>>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Add a fix link (`data.fix_link`: the hosted page of a fresh update token) to
    /// `connection.health_changed` events of failures the customer must resolve.
    /// Default false.
    pub include_fix_link: Option<bool>,
}

/// Body of `PATCH /v1/webhooks/{webhook_id}`: every field optional.
#[derive(Debug, Default, ToSchema)]
pub struct WebhookUpdate {
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    /// A new description; null clears it.
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
    /// New event types; null: every type except the opt-in `job.failed` and advisory events.
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Option<Option<Vec<String>>>,
    /// `true` re-enables an endpoint Tributary disabled.
    pub enabled: Option<bool>,
    pub include_fix_link: Option<bool>,
}

fn event_types(f: &mut BodyFields<'_>) -> Option<Option<Vec<String>>> {
    match f.raw("event_types")? {
        Value::Null => Some(None),
        Value::Array(items) => {
            let mut types = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(t) if ALL_EVENT_TYPES.contains(&t) => types.push(t.to_owned()),
                    _ => f.error(
                        "event_types",
                        "enum",
                        format!(
                            "Each event type should be one of {}",
                            ALL_EVENT_TYPES.join(", ")
                        ),
                    ),
                }
            }
            Some(Some(types))
        }
        _ => {
            f.error("event_types", "list_type", "Input should be a valid list");
            None
        }
    }
}

fn enabled(f: &mut BodyFields<'_>) -> Option<bool> {
    flag(f, "enabled")
}

fn flag(f: &mut BodyFields<'_>, name: &'static str) -> Option<bool> {
    match f.raw(name) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            f.error(name, "bool_type", "Input should be a valid boolean");
            None
        }
    }
}

/// The URL's published shape (checked as sent) and the guard's static rules.
fn static_url_check(state: &AppState, f: &mut BodyFields<'_>, body: &Value, url: Option<&String>) {
    let Some(url) = url else {
        return;
    };
    let raw = body.get("url").and_then(Value::as_str).unwrap_or(url);
    let checked = state.guard.check_shape(raw, true);
    if let Err(e) = checked.and_then(|()| state.guard.check_static(url).map(drop)) {
        f.error("url", "url_not_allowed", e.to_string());
    }
}

impl WebhookCreate {
    pub fn parse(state: &AppState, body: &Value) -> ApiResult<Self> {
        let mut f = BodyFields::documented::<Self>(body, &["body"])?;
        let url = f.required_string("url", 2048);
        static_url_check(state, &mut f, body, url.as_ref());
        let description = f.nullable_string("description", 1000).flatten();
        let event_types = event_types(&mut f).flatten();
        let enabled = enabled(&mut f);
        let include_fix_link = flag(&mut f, "include_fix_link");
        f.finish()?;
        Ok(WebhookCreate {
            url: url.expect("validated"),
            description,
            event_types,
            enabled,
            include_fix_link,
        })
    }
}

impl WebhookUpdate {
    pub fn parse(state: &AppState, body: &Value) -> ApiResult<Self> {
        let mut f = BodyFields::documented::<Self>(body, &["body"])?;
        let url = f.nullable_string("url", 2048).flatten();
        static_url_check(state, &mut f, body, url.as_ref());
        let description = f.nullable_string("description", 1000);
        let event_types = event_types(&mut f);
        let enabled = enabled(&mut f);
        let include_fix_link = flag(&mut f, "include_fix_link");
        f.finish()?;
        Ok(WebhookUpdate {
            url,
            description,
            event_types,
            enabled,
            include_fix_link,
        })
    }
}

/// An endpoint of the caller's account; 404 otherwise.
pub async fn find(state: &AppState, caller: &Caller, raw: &str) -> ApiResult<WebhookEndpoint> {
    let id = path_uuid("webhook_id", raw)?;
    state
        .store
        .get_endpoint(caller.account_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook endpoint"))
}

/// Creates an endpoint; returns it with its signing secret (shown once).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    body: WebhookCreate,
) -> ApiResult<(WebhookEndpoint, String)> {
    destinations::check_url(state, &["body", "url"], &body.url).await?;
    let id = Uuid::now_v7();
    let secret = signing::generate_secret();
    let new = NewWebhookEndpoint {
        id,
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled.unwrap_or(true),
        sealed_secret: state.keyring.seal(id, secret.as_bytes()),
        include_fix_link: body.include_fix_link.unwrap_or(false),
    };
    let endpoint = state.store.create_endpoint(caller.account_id, new).await?;
    let mut changes = Changes::default();
    changes
        .field("url", Value::Null, &endpoint.url)
        .field("description", Value::Null, &endpoint.description)
        .field("event_types", Value::Null, &endpoint.event_types)
        .field("enabled", Value::Null, endpoint.enabled)
        .field("include_fix_link", Value::Null, endpoint.include_fix_link);
    audit::record(state, caller, "created", Target::Webhook(id), changes).await;
    Ok((endpoint, secret))
}

/// Applies a validated PATCH.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    current: &WebhookEndpoint,
    body: WebhookUpdate,
) -> ApiResult<WebhookEndpoint> {
    if let Some(url) = &body.url {
        destinations::check_url(state, &["body", "url"], url).await?;
    }
    let changes = WebhookEndpointChanges {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled,
        include_fix_link: body.include_fix_link,
        rotate: None,
    };
    let updated = state
        .store
        .update_endpoint(caller.account_id, current.id, changes)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook endpoint"))?;
    let mut changes = Changes::default();
    changes
        .field("url", &current.url, &updated.url)
        .field("description", &current.description, &updated.description)
        .field("event_types", &current.event_types, &updated.event_types)
        .field("enabled", current.enabled, updated.enabled)
        .field(
            "include_fix_link",
            current.include_fix_link,
            updated.include_fix_link,
        );
    audit::record(
        state,
        caller,
        "updated",
        Target::Webhook(current.id),
        changes,
    )
    .await;
    Ok(updated)
}

/// Deletes an endpoint; its pending deliveries are cancelled.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    endpoint: &WebhookEndpoint,
) -> ApiResult<()> {
    state
        .store
        .delete_endpoint(caller.account_id, endpoint.id)
        .await?;
    let mut changes = Changes::default();
    changes.field("url", &endpoint.url, Value::Null);
    audit::record(
        state,
        caller,
        "deleted",
        Target::Webhook(endpoint.id),
        changes,
    )
    .await;
    Ok(())
}

/// A new signing secret (returned once); the old one keeps signing for the overlap.
pub async fn rotate_secret(
    state: &AppState,
    caller: &Caller,
    endpoint: &WebhookEndpoint,
) -> ApiResult<(WebhookEndpoint, String)> {
    let secret = signing::generate_secret();
    let overlap = chrono::Duration::from_std(state.engine.settings().webhooks.rotation_overlap)
        .unwrap_or_default();
    let changes = WebhookEndpointChanges {
        rotate: Some((
            state.keyring.seal(endpoint.id, secret.as_bytes()),
            Utc::now() + overlap,
        )),
        ..Default::default()
    };
    let updated = state
        .store
        .update_endpoint(caller.account_id, endpoint.id, changes)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook endpoint"))?;
    let target = Target::Webhook(endpoint.id);
    audit::record(state, caller, "secret_rotated", target, Changes::default()).await;
    Ok((updated, secret))
}

/// Queues a delivery again now; 409 while the endpoint is disabled.
pub async fn redeliver(
    state: &AppState,
    caller: &Caller,
    endpoint: &WebhookEndpoint,
    delivery: Uuid,
) -> ApiResult<DeliveryRecord> {
    if !endpoint.enabled {
        return Err(ApiError::Conflict(
            "The webhook endpoint is disabled; enable it first".into(),
        ));
    }
    let d = state
        .store
        .redeliver(caller.account_id, endpoint.id, delivery)
        .await?
        .ok_or_else(|| ApiError::not_found("Delivery"))?;
    let mut changes = Changes::default();
    changes.field("delivery_id", Value::Null, d.id);
    audit::record(
        state,
        caller,
        "redelivered",
        Target::Webhook(endpoint.id),
        changes,
    )
    .await;
    Ok(d)
}
