//! Sending due deliveries.

use std::time::Instant;

use chrono::Utc;
use tributary_model::ConnectionState;
use tributary_store::models::{AttemptOutcome, DeliveryAttempt, DeliveryStatus, DueDelivery};

use super::{events, signing};
use crate::{invites, Engine};

/// Receivers' answers are kept this long in the delivery log.
const MAX_RESPONSE_CHARS: usize = 1024;

/// Sends every delivery due now (at most `limit`); returns how many were attempted.
pub async fn deliver_due(
    engine: &Engine,
    worker: &str,
    limit: i64,
) -> Result<usize, tributary_store::StoreError> {
    let now = Utc::now();
    let lease = now
        + chrono::Duration::from_std(engine.settings.webhooks.request_timeout * 2)
            .unwrap_or_default();
    let due = engine
        .store
        .claim_deliveries(worker, now, lease, limit)
        .await?;
    let n = due.len();
    let sends = due.into_iter().map(|d| async move {
        let outcome = attempt(engine, worker, &d).await;
        let failed = outcome.status != DeliveryStatus::Succeeded;
        if let Err(e) = engine.store.record_attempt(outcome).await {
            tracing::error!(delivery = %d.delivery_id, error = %e, "could not record a webhook attempt");
            return;
        }
        if failed {
            maybe_disable(engine, &d).await;
        }
    });
    futures::future::join_all(sends).await;
    Ok(n)
}

/// One signed POST.
async fn attempt(engine: &Engine, worker: &str, d: &DueDelivery) -> AttemptOutcome {
    let started = Instant::now();
    let at = Utc::now();
    let result = send(engine, d).await;
    let latency_ms = started.elapsed().as_millis() as i64;
    let (status_code, error, response) = match result {
        Ok((status, body)) => (
            Some(status),
            (!(200..300).contains(&status)).then(|| format!("receiver answered {status}")),
            Some(body),
        ),
        Err(e) => (None, Some(e), None),
    };
    let ok = status_code.is_some_and(|s| (200..300).contains(&s));
    let label = if ok { "success" } else { "failure" };
    metrics::counter!("tributary_webhook_attempts_total", "outcome" => label).increment(1);
    let schedule = &engine.settings.webhooks.retry_schedule;
    let (status, next_attempt_at) = if ok {
        (DeliveryStatus::Succeeded, None)
    } else {
        match schedule.get(d.attempts as usize) {
            Some(wait) => (
                DeliveryStatus::Pending,
                Some(at + chrono::Duration::from_std(*wait).unwrap_or_default()),
            ),
            None => (DeliveryStatus::Failed, None),
        }
    };
    AttemptOutcome {
        delivery_id: d.delivery_id,
        worker: worker.to_owned(),
        attempt: DeliveryAttempt {
            at,
            status_code,
            latency_ms,
            error,
            response,
        },
        status,
        next_attempt_at,
    }
}

/// Signs and posts the payload; the receiver's status and the start of its answer.
async fn send(engine: &Engine, d: &DueDelivery) -> Result<(u16, String), String> {
    let endpoint = &d.endpoint;
    let open = |sealed: &[u8]| {
        engine
            .keyring
            .open(endpoint.id, sealed)
            .ok()
            .and_then(|s| String::from_utf8(s).ok())
    };
    let mut secrets =
        vec![open(&endpoint.sealed_secret).ok_or("the signing secret cannot be opened")?];
    if let (Some(prev), Some(until)) = (
        &endpoint.previous_sealed_secret,
        endpoint.previous_expires_at,
    ) {
        if Utc::now() < until {
            secrets.extend(open(prev));
        }
    }
    let payload = with_fix_link(engine, d).await;
    let msg_id = d.message_id.to_string();
    let timestamp = Utc::now().timestamp();
    let signature: Vec<String> = secrets
        .iter()
        .filter_map(|s| signing::sign(s, &msg_id, timestamp, &payload))
        .collect();
    let resp = engine
        .webhook_client
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature.join(" "))
        .body(payload)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "the receiver did not answer in time".to_owned()
            } else {
                "could not connect to the receiver".to_owned()
            }
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    Ok((status, body.chars().take(MAX_RESPONSE_CHARS).collect()))
}

/// The payload to send: for an endpoint that asked for fix links, a
/// `connection.health_changed` event of a failure the customer must resolve gets
/// `data.fix_link` `{url, expires_at}` — the hosted page of an update token derived from
/// the delivery (the same on every retry). The token is never written to the outbox or
/// the delivery log. Anything unexpected sends the event as it is.
async fn with_fix_link(engine: &Engine, d: &DueDelivery) -> String {
    if !d.endpoint.include_fix_link || d.event_type != events::HEALTH_CHANGED {
        return d.payload.clone();
    }
    let Ok(mut body) = serde_json::from_str::<serde_json::Value>(&d.payload) else {
        return d.payload.clone();
    };
    let data = &body["data"];
    let customer =
        data["health"]["resolution_owner"] == "CUSTOMER" && data["health"]["status"] != "HEALTHY";
    let conn_id = data["connection_id"].as_str().and_then(|c| c.parse().ok());
    let (true, Some(conn_id)) = (customer, conn_id) else {
        return d.payload.clone();
    };
    let conn = match engine
        .store
        .get_connection(d.endpoint.account_id, conn_id)
        .await
    {
        Ok(Some(c)) if c.state != ConnectionState::Deleted => c,
        _ => return d.payload.clone(),
    };
    let w = &engine.settings.webhooks;
    let lifetime = chrono::Duration::from_std(w.fix_link_lifetime).unwrap_or_default();
    match invites::fix_link_for_delivery(
        engine.store.as_ref(),
        &engine.keyring,
        d.delivery_id,
        &conn,
        lifetime,
    )
    .await
    {
        Ok((token, expires_at)) => {
            body["data"]["fix_link"] = serde_json::json!({
                "url": invites::page_url(w.public_url.as_deref(), &token),
                "expires_at": expires_at,
            });
            body.to_string()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not mint a fix link for a webhook");
            d.payload.clone()
        }
    }
}

/// An endpoint failing for longer than `disable_after` is disabled, and that is reported
/// to the account's other endpoints and in the endpoint itself.
async fn maybe_disable(engine: &Engine, d: &DueDelivery) {
    let endpoint = &d.endpoint;
    let limit =
        chrono::Duration::from_std(engine.settings.webhooks.disable_after).unwrap_or_default();
    let failing_since = endpoint.failing_since.unwrap_or_else(Utc::now);
    if Utc::now() - failing_since < limit {
        return;
    }
    let reason = format!(
        "disabled automatically: every delivery failed since {}",
        failing_since.to_rfc3339()
    );
    if let Err(e) = engine.store.disable_endpoint(endpoint.id, &reason).await {
        tracing::error!(endpoint = %endpoint.id, error = %e, "could not disable a failing webhook endpoint");
        return;
    }
    tracing::warn!(endpoint = %endpoint.id, url = %endpoint.url, "webhook endpoint disabled: {reason}");
    metrics::counter!("tributary_webhook_endpoints_disabled_total").increment(1);
    let data = serde_json::json!({"account_id": endpoint.account_id, "endpoint_id": endpoint.id, "url": endpoint.url, "reason": reason});
    let event = events::envelope(
        uuid::Uuid::now_v7(),
        events::ENDPOINT_DISABLED,
        endpoint.account_id,
        data,
    );
    if let Err(e) = engine.store.publish_event(event).await {
        tracing::error!(error = %e, "could not report a disabled webhook endpoint");
    }
}
