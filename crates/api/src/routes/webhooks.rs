//! `/v1/webhooks`: endpoints that receive signed events, their secrets and delivery log.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tributary_model::page::Page;
use tributary_store::{
    models::{DeliveryAttempt, DeliveryRecord, WebhookEndpoint},
    SortKey,
};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    app::webhooks::{self, WebhookCreate, WebhookUpdate},
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{JsonBody, Query},
    pagination::{CursorCodec, Pagination},
    state::AppState,
    validate::path_uuid,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(redeliver))
}

/// A webhook endpoint (the secret is never returned after creation or rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// Event types delivered; null: every type except the opt-in `job.failed` and advisory events.
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    /// `connection.health_changed` events of failures the customer must resolve carry
    /// `data.fix_link` for this endpoint.
    pub include_fix_link: bool,
    /// Set when Tributary disabled the endpoint because it kept failing.
    pub disabled_reason: Option<String>,
    /// First failed delivery since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookEndpoint> for WebhookOut {
    fn from(e: WebhookEndpoint) -> Self {
        WebhookOut {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            include_fix_link: e.include_fix_link,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret: returned once, by create and rotate.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookOut,
    /// `whsec_…`: verify `webhook-signature` with any Standard Webhooks library.
    pub secret: String,
}

/// Create a webhook endpoint. The response holds its signing secret, shown only this once.
#[utoipa::path(post, path = "/webhooks", tag = "Webhooks", request_body = WebhookCreate,
    responses((status = 201, body = WebhookWithSecret), (status = 401), (status = 422)), security(("api_key" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    let body = WebhookCreate::parse(&state, &body)?;
    let (endpoint, secret) = webhooks::create(&state, &caller, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret {
            endpoint: endpoint.into(),
            secret,
        }),
    ))
}

/// List webhook endpoints.
#[utoipa::path(get, path = "/webhooks", tag = "Webhooks",
    params(("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query), ("excludeTotal" = Option<bool>, Query),
           ("enableCursor" = Option<bool>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<WebhookOut>), (status = 401), (status = 422)), security(("api_key" = [])))]
async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut params): Query,
) -> ApiResult<Json<Page<WebhookOut>>> {
    let pagination = Pagination::parse(&mut params);
    params.finish()?;
    let codec = CursorCodec::new(&state.keyring, &format!("webhooks:{}", caller.account_id));
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_endpoints(caller.account_id, window)
        .await?;
    let key = |e: &WebhookEndpoint| SortKey {
        key: e.created_at.timestamp_micros(),
        id: e.id,
    };
    Ok(Json(pagination.page(
        &codec,
        &window,
        page,
        key,
        WebhookOut::from,
    )))
}

/// Get a webhook endpoint.
#[utoipa::path(get, path = "/webhooks/{webhook_id}", tag = "Webhooks", params(("webhook_id" = Uuid, Path)),
    responses((status = 200, body = WebhookOut), (status = 401), (status = 404), (status = 422)), security(("api_key" = [])))]
async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookOut>> {
    Ok(Json(webhooks::find(&state, &caller, &id).await?.into()))
}

/// Update a webhook endpoint; `enabled: true` re-enables an endpoint Tributary disabled.
#[utoipa::path(patch, path = "/webhooks/{webhook_id}", tag = "Webhooks", params(("webhook_id" = Uuid, Path)), request_body = WebhookUpdate,
    responses((status = 200, body = WebhookOut), (status = 401), (status = 404), (status = 422)), security(("api_key" = [])))]
async fn update_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<WebhookOut>> {
    let endpoint = webhooks::find(&state, &caller, &id).await?;
    let body = WebhookUpdate::parse(&state, &body)?;
    let updated = webhooks::update(&state, &caller, &endpoint, body).await?;
    Ok(Json(updated.into()))
}

/// Delete a webhook endpoint; its pending deliveries are cancelled.
#[utoipa::path(delete, path = "/webhooks/{webhook_id}", tag = "Webhooks", params(("webhook_id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 404), (status = 422)), security(("api_key" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let endpoint = webhooks::find(&state, &caller, &id).await?;
    webhooks::delete(&state, &caller, &endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the signing secret. The new secret is returned once; the old one keeps signing
/// (a second `v1,` signature) for the overlap period so receivers can switch without loss.
#[utoipa::path(post, path = "/webhooks/{webhook_id}/rotate-secret", tag = "Webhooks", params(("webhook_id" = Uuid, Path)),
    responses((status = 200, body = WebhookWithSecret), (status = 401), (status = 404), (status = 422)), security(("api_key" = [])))]
async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookWithSecret>> {
    let endpoint = webhooks::find(&state, &caller, &id).await?;
    let (updated, secret) = webhooks::rotate_secret(&state, &caller, &endpoint).await?;
    Ok(Json(WebhookWithSecret {
        endpoint: updated.into(),
        secret,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status; null when it could not be reached.
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    /// The event id (`webhook-id`).
    pub message_id: Uuid,
    pub event_type: String,
    /// PENDING, SUCCEEDED, FAILED (every retry failed) or CANCELLED (endpoint disabled or deleted).
    pub status: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptOut>,
    #[schema(value_type = Object)]
    pub payload: Value,
}

impl From<DeliveryRecord> for DeliveryOut {
    fn from(d: DeliveryRecord) -> Self {
        DeliveryOut {
            id: d.id,
            message_id: d.message_id,
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            finished_at: d.finished_at,
            attempts: d
                .attempts
                .into_iter()
                .map(|a: DeliveryAttempt| AttemptOut {
                    at: a.at,
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    error: a.error,
                    response: a.response,
                })
                .collect(),
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::Null),
        }
    }
}

/// The delivery log of an endpoint, newest first, with every attempt.
#[utoipa::path(get, path = "/webhooks/{webhook_id}/deliveries", tag = "Webhooks",
    params(("webhook_id" = Uuid, Path), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query),
           ("excludeTotal" = Option<bool>, Query), ("enableCursor" = Option<bool>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<DeliveryOut>), (status = 401), (status = 404), (status = 422)), security(("api_key" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(mut params): Query,
) -> ApiResult<Json<Page<DeliveryOut>>> {
    let endpoint = webhooks::find(&state, &caller, &id).await?;
    let pagination = Pagination::parse(&mut params);
    params.finish()?;
    let codec = CursorCodec::new(&state.keyring, &format!("deliveries:{}", endpoint.id));
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_deliveries(caller.account_id, endpoint.id, window)
        .await?;
    let key = |d: &DeliveryRecord| SortKey {
        key: d.created_at.timestamp_micros(),
        id: d.id,
    };
    Ok(Json(pagination.page(
        &codec,
        &window,
        page,
        key,
        DeliveryOut::from,
    )))
}

/// One delivery with its attempts.
#[utoipa::path(get, path = "/webhooks/{webhook_id}/deliveries/{delivery_id}", tag = "Webhooks",
    params(("webhook_id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 200, body = DeliveryOut), (status = 401), (status = 404), (status = 422)), security(("api_key" = [])))]
async fn get_delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryOut>> {
    let endpoint = webhooks::find(&state, &caller, &id).await?;
    let delivery = path_uuid("delivery_id", &delivery)?;
    let d = state
        .store
        .get_delivery(caller.account_id, endpoint.id, delivery)
        .await?;
    d.map(|d| Json(d.into()))
        .ok_or_else(|| ApiError::not_found("Delivery"))
}

/// Send a delivery again now (whatever its state).
#[utoipa::path(post, path = "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tag = "Webhooks",
    params(("webhook_id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, body = DeliveryOut), (status = 401), (status = 404), (status = 409, description = "The endpoint is disabled"), (status = 422)),
    security(("api_key" = [])))]
async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<DeliveryOut>)> {
    let endpoint = webhooks::find(&state, &caller, &id).await?;
    let delivery = path_uuid("delivery_id", &delivery)?;
    let d = webhooks::redeliver(&state, &caller, &endpoint, delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(d.into())))
}
