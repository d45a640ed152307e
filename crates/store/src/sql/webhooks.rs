//! Webhook endpoints, the event outbox and deliveries.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::{Dialect, Exec, Query},
    models::*,
    time::{from_micros, now_micros, opt_from_micros, to_micros},
    traits::{Result, WebhookStore},
    window::{finish_page, Keyset, ListPage, ListWindow},
    StoreError,
};

const ENDPOINT_COLUMNS: &str = "id, account_id, url, description, event_types, enabled, \
    disabled_reason, secret, previous_secret, previous_expires_at, failing_since, created_at, updated_at, \
    include_fix_link";

/// `job.failed` and the advisory events are opt-in: an endpoint without a filter does
/// not get them (existing endpoints see no new event types after an upgrade).
pub const OPT_IN_EVENTS: &[&str] = &[
    "job.failed",
    "connection.advisory_raised",
    "connection.advisory_cleared",
];

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: Uuid,
    account_id: Uuid,
    url: String,
    description: Option<String>,
    event_types: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    secret: Vec<u8>,
    previous_secret: Option<Vec<u8>>,
    previous_expires_at: Option<i64>,
    failing_since: Option<i64>,
    created_at: i64,
    updated_at: i64,
    include_fix_link: bool,
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = StoreError;

    fn try_from(r: EndpointRow) -> Result<Self> {
        Ok(WebhookEndpoint {
            id: r.id,
            account_id: r.account_id,
            url: r.url,
            description: r.description,
            event_types: r
                .event_types
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            sealed_secret: r.secret,
            previous_sealed_secret: r.previous_secret,
            previous_expires_at: opt_from_micros(r.previous_expires_at),
            failing_since: opt_from_micros(r.failing_since),
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
            include_fix_link: r.include_fix_link,
        })
    }
}

async fn fetch_endpoint(
    exec: Exec<'_>,
    account_id: Option<Uuid>,
    id: Uuid,
) -> Result<Option<WebhookEndpoint>> {
    let mut q = Query::new("");
    let pid = q.push_arg(id);
    let mut sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = {pid} AND deleted_at IS NULL"
    );
    if let Some(a) = account_id {
        let pa = q.push_arg(a);
        sql.push_str(&format!(" AND account_id = {pa}"));
    }
    q.sql = sql.into();
    let row: Option<EndpointRow> = exec.fetch_optional(q).await?;
    row.map(WebhookEndpoint::try_from).transpose()
}

/// Writes an event and one delivery per matching endpoint (inside the caller's transaction).
pub(super) async fn insert_event(tx: &mut crate::db::Tx, event: &NewWebhookEvent) -> Result<()> {
    let now = now_micros();
    let q = Query::new(
        "INSERT INTO webhook_messages (id, account_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.id)
    .bind(event.account_id)
    .bind(event.event_type.clone())
    .bind(event.payload.clone())
    .bind(now);
    tx.exec().execute(q).await?;
    let q = Query::new(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints \
         WHERE account_id = $1 AND enabled AND deleted_at IS NULL ORDER BY created_at, id"
    ))
    .bind(event.account_id);
    let endpoints: Vec<EndpointRow> = tx.exec().fetch_all(q).await?;
    for (i, e) in endpoints.into_iter().enumerate() {
        let types: Option<Vec<String>> = e
            .event_types
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?;
        let wanted = match &types {
            Some(t) => t.contains(&event.event_type),
            None => !OPT_IN_EVENTS.contains(&event.event_type.as_str()),
        };
        if !wanted {
            continue;
        }
        let q = Query::new(
            "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, seq, status, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, 'PENDING', $5, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(event.id)
        .bind(e.id)
        // Per-endpoint order: creation time, then position in this transaction.
        .bind(now.saturating_mul(16).saturating_add(i as i64 % 16))
        .bind(now);
        tx.exec().execute(q).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    message_id: Uuid,
    endpoint_id: Uuid,
    event_type: String,
    payload: String,
    status: String,
    next_attempt_at: Option<i64>,
    created_at: i64,
    finished_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: Uuid,
    at: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
    response: Option<String>,
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.message_id, d.endpoint_id, m.event_type, m.payload, d.status, \
    d.next_attempt_at, d.created_at, d.finished_at FROM webhook_deliveries d \
    JOIN webhook_messages m ON m.id = d.message_id JOIN webhook_endpoints e ON e.id = d.endpoint_id";

impl SqlStore {
    async fn delivery_records(&self, rows: Vec<DeliveryRow>) -> Result<Vec<DeliveryRecord>> {
        let mut attempts: HashMap<Uuid, Vec<DeliveryAttempt>> = HashMap::new();
        if !rows.is_empty() {
            let mut q = Query::new("");
            let ps: Vec<String> = rows.iter().map(|r| q.push_arg(r.id)).collect();
            q.sql = format!(
                "SELECT delivery_id, at, status_code, latency_ms, error, response FROM webhook_attempts \
                 WHERE delivery_id IN ({}) ORDER BY at, id",
                ps.join(", ")
            )
            .into();
            let found: Vec<AttemptRow> = self.db.reader().fetch_all(q).await?;
            for a in found {
                attempts
                    .entry(a.delivery_id)
                    .or_default()
                    .push(DeliveryAttempt {
                        at: from_micros(a.at),
                        status_code: a.status_code.and_then(|s| u16::try_from(s).ok()),
                        latency_ms: a.latency_ms,
                        error: a.error,
                        response: a.response,
                    });
            }
        }
        rows.into_iter()
            .map(|r| {
                Ok(DeliveryRecord {
                    attempts: attempts.remove(&r.id).unwrap_or_default(),
                    id: r.id,
                    message_id: r.message_id,
                    endpoint_id: r.endpoint_id,
                    event_type: r.event_type,
                    payload: r.payload,
                    status: DeliveryStatus::parse(&r.status)
                        .ok_or_else(|| StoreError::Corrupt("delivery status".into()))?,
                    next_attempt_at: opt_from_micros(r.next_attempt_at),
                    created_at: from_micros(r.created_at),
                    finished_at: opt_from_micros(r.finished_at),
                })
            })
            .collect()
    }

    async fn cancel_pending(
        &self,
        tx: &mut crate::db::Tx,
        endpoint_id: Uuid,
        now: i64,
    ) -> Result<()> {
        let q = Query::new(
            "UPDATE webhook_deliveries SET status = 'CANCELLED', finished_at = $2, next_attempt_at = NULL \
             WHERE endpoint_id = $1 AND status = 'PENDING'",
        )
        .bind(endpoint_id)
        .bind(now);
        tx.exec().execute(q).await?;
        Ok(())
    }
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn create_endpoint(
        &self,
        account_id: Uuid,
        e: NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint> {
        let q = Query::new(format!(
            "INSERT INTO webhook_endpoints (id, account_id, url, description, event_types, enabled, secret, created_at, updated_at, include_fix_link) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING {ENDPOINT_COLUMNS}"
        ))
        .bind(e.id)
        .bind(account_id)
        .bind(e.url)
        .bind(e.description)
        .bind(e.event_types.map(|t| serde_json::to_string(&t)).transpose()?)
        .bind(e.enabled)
        .bind(e.sealed_secret)
        .bind(now_micros())
        .bind(e.include_fix_link);
        let row: EndpointRow = self.db.writer().fetch_one(q).await?;
        row.try_into()
    }

    async fn list_endpoints(
        &self,
        account_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<WebhookEndpoint>> {
        let total = if window.with_total {
            let q = Query::new("SELECT count(*) AS n FROM webhook_endpoints WHERE account_id = $1 AND deleted_at IS NULL").bind(account_id);
            Some(self.db.reader().fetch_one::<CountRow>(q).await?.n)
        } else {
            None
        };
        let mut q = Query::new("");
        let pa = q.push_arg(account_id);
        let mut sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = {pa} AND deleted_at IS NULL");
        let reversed = Keyset {
            key_col: "created_at",
            id_col: "id",
            descending: false,
        }
        .apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<EndpointRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(WebhookEndpoint::try_from)
                .collect::<Result<_>>()?,
            total,
            has_more,
        })
    }

    async fn get_endpoint(&self, account_id: Uuid, id: Uuid) -> Result<Option<WebhookEndpoint>> {
        fetch_endpoint(self.db.reader(), Some(account_id), id).await
    }

    async fn update_endpoint(
        &self,
        account_id: Uuid,
        id: Uuid,
        changes: WebhookEndpointChanges,
    ) -> Result<Option<WebhookEndpoint>> {
        let now = now_micros();
        let mut q = Query::new("");
        let mut sets = vec![format!("updated_at = {}", q.push_arg(now))];
        if let Some(url) = changes.url {
            sets.push(format!("url = {}", q.push_arg(url)));
        }
        if let Some(d) = changes.description {
            sets.push(format!("description = {}", q.push_arg(d)));
        }
        if let Some(t) = changes.event_types {
            let t = t.map(|t| serde_json::to_string(&t)).transpose()?;
            sets.push(format!("event_types = {}", q.push_arg(t)));
        }
        if let Some(f) = changes.include_fix_link {
            sets.push(format!("include_fix_link = {}", q.push_arg(f)));
        }
        if let Some(enabled) = changes.enabled {
            sets.push(format!("enabled = {}", q.push_arg(enabled)));
            if enabled {
                sets.push("disabled_reason = NULL, failing_since = NULL".to_owned());
            }
        }
        if let Some((secret, until)) = changes.rotate {
            sets.push("previous_secret = secret".to_owned());
            sets.push(format!(
                "previous_expires_at = {}",
                q.push_arg(to_micros(until))
            ));
            sets.push(format!("secret = {}", q.push_arg(secret)));
        }
        let pid = q.push_arg(id);
        let pa = q.push_arg(account_id);
        q.sql = format!("UPDATE webhook_endpoints SET {} WHERE id = {pid} AND account_id = {pa} AND deleted_at IS NULL", sets.join(", ")).into();
        let mut tx = self.db.begin().await?;
        if tx.exec().execute(q).await? == 0 {
            return Ok(None);
        }
        if changes.enabled == Some(false) {
            self.cancel_pending(&mut tx, id, now).await?;
        }
        let endpoint = fetch_endpoint(tx.exec(), Some(account_id), id).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn delete_endpoint(&self, account_id: Uuid, id: Uuid) -> Result<bool> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let q = Query::new("UPDATE webhook_endpoints SET deleted_at = $3, enabled = FALSE WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL")
            .bind(id)
            .bind(account_id)
            .bind(now);
        if tx.exec().execute(q).await? == 0 {
            return Ok(false);
        }
        self.cancel_pending(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn publish_event(&self, event: NewWebhookEvent) -> Result<()> {
        let mut tx = self.db.begin().await?;
        insert_event(&mut tx, &event).await?;
        tx.commit().await
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        let lock = match self.db.dialect() {
            Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let q = Query::new(format!(
            "UPDATE webhook_deliveries SET lease_owner = $1, lease_expires_at = $2 WHERE id IN ( \
               SELECT d.id FROM webhook_deliveries d \
               WHERE d.status = 'PENDING' AND d.next_attempt_at <= $3 \
                 AND (d.lease_expires_at IS NULL OR d.lease_expires_at < $3) \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
                                 AND p.status = 'PENDING' AND p.seq < d.seq) \
               ORDER BY d.seq LIMIT $4{lock}) RETURNING id"
        ))
        .bind(worker)
        .bind(to_micros(lease_until))
        .bind(to_micros(now))
        .bind(limit);
        let ids: Vec<IdRow> = self.db.writer().fetch_all(q).await?;
        let mut out = Vec::with_capacity(ids.len());
        for IdRow { id } in ids {
            #[derive(sqlx::FromRow)]
            struct Row {
                message_id: Uuid,
                endpoint_id: Uuid,
                event_type: String,
                payload: String,
                attempts: i64,
                message_created_at: i64,
            }
            let q = Query::new(
                "SELECT d.message_id, d.endpoint_id, m.event_type, m.payload, d.attempts, m.created_at AS message_created_at \
                 FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id WHERE d.id = $1",
            )
            .bind(id);
            let row: Row = self.db.writer().fetch_one(q).await?;
            let Some(endpoint) = fetch_endpoint(self.db.writer(), None, row.endpoint_id).await?
            else {
                continue;
            };
            out.push(DueDelivery {
                delivery_id: id,
                message_id: row.message_id,
                event_type: row.event_type,
                payload: row.payload,
                message_created_at: from_micros(row.message_created_at),
                attempts: row.attempts.max(0) as u32,
                endpoint,
            });
        }
        Ok(out)
    }

    async fn record_attempt(&self, o: AttemptOutcome) -> Result<()> {
        let at = to_micros(o.attempt.at);
        let mut tx = self.db.begin().await?;
        let q = Query::new(
            "INSERT INTO webhook_attempts (id, delivery_id, at, status_code, latency_ms, error, response) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(o.delivery_id)
        .bind(at)
        .bind(o.attempt.status_code.map(i64::from))
        .bind(o.attempt.latency_ms)
        .bind(o.attempt.error.clone())
        .bind(o.attempt.response.clone());
        tx.exec().execute(q).await?;
        let finished = (o.status != DeliveryStatus::Pending).then_some(at);
        let q = Query::new(
            "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, next_attempt_at = $3, \
             finished_at = $4, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND status = 'PENDING'",
        )
        .bind(o.delivery_id)
        .bind(o.status.as_str())
        .bind(o.next_attempt_at.map(to_micros))
        .bind(finished);
        tx.exec().execute(q).await?;
        let failing = if o.status == DeliveryStatus::Succeeded {
            "NULL"
        } else {
            "COALESCE(failing_since, $2)"
        };
        let q = Query::new(format!(
            "UPDATE webhook_endpoints SET failing_since = {failing} \
             WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $1)"
        ))
        .bind(o.delivery_id)
        .bind(at);
        tx.exec().execute(q).await?;
        tx.commit().await
    }

    async fn disable_endpoint(&self, id: Uuid, reason: &str) -> Result<()> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let q = Query::new("UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(reason)
            .bind(now);
        tx.exec().execute(q).await?;
        self.cancel_pending(&mut tx, id, now).await?;
        tx.commit().await
    }

    async fn list_deliveries(
        &self,
        account_id: Uuid,
        endpoint_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<DeliveryRecord>> {
        let total = if window.with_total {
            let q = Query::new(
                "SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                 WHERE d.endpoint_id = $1 AND e.account_id = $2",
            )
            .bind(endpoint_id)
            .bind(account_id);
            Some(self.db.reader().fetch_one::<CountRow>(q).await?.n)
        } else {
            None
        };
        let mut q = Query::new("");
        let pe = q.push_arg(endpoint_id);
        let pa = q.push_arg(account_id);
        let mut sql =
            format!("{DELIVERY_SELECT} WHERE d.endpoint_id = {pe} AND e.account_id = {pa}");
        let reversed = Keyset {
            key_col: "d.created_at",
            id_col: "d.id",
            descending: true,
        }
        .apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<DeliveryRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items: self.delivery_records(rows).await?,
            total,
            has_more,
        })
    }

    async fn get_delivery(
        &self,
        account_id: Uuid,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<DeliveryRecord>> {
        let q = Query::new(format!(
            "{DELIVERY_SELECT} WHERE d.id = $1 AND d.endpoint_id = $2 AND e.account_id = $3"
        ))
        .bind(id)
        .bind(endpoint_id)
        .bind(account_id);
        let row: Option<DeliveryRow> = self.db.reader().fetch_optional(q).await?;
        Ok(self
            .delivery_records(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn redeliver(
        &self,
        account_id: Uuid,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<DeliveryRecord>> {
        let now = now_micros();
        let q = Query::new(
            "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = $4, finished_at = NULL, \
             lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND endpoint_id = $2 AND endpoint_id IN \
             (SELECT id FROM webhook_endpoints WHERE account_id = $3 AND deleted_at IS NULL)",
        )
        .bind(id)
        .bind(endpoint_id)
        .bind(account_id)
        .bind(now);
        if self.db.writer().execute(q).await? == 0 {
            return Ok(None);
        }
        self.get_delivery(account_id, endpoint_id, id).await
    }
}
