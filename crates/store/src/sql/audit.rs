//! The audit log and dashboard sessions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{connections::push_in, rows::CountRow, SqlStore};
use crate::{
    audit::{ActorType, AuditEvent, AuditFilter, DashboardSession, NewAuditEvent},
    db::Query,
    time::{from_micros, now_micros, to_micros},
    traits::{AuditStore, Result, SessionStore},
    window::{finish_page, Keyset, ListPage, ListWindow},
    StoreError,
};

const AUDIT_COLUMNS: &str = "id, account_id, at, actor_type, api_key_id, session_id, \
     client_addr, action, target_type, target_id, changes";

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    account_id: Uuid,
    at: i64,
    actor_type: String,
    api_key_id: Option<Uuid>,
    session_id: Option<Uuid>,
    client_addr: Option<String>,
    action: String,
    target_type: String,
    target_id: Uuid,
    changes: Option<String>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> std::result::Result<Self, StoreError> {
        let actor_type = ActorType::parse(&r.actor_type).ok_or_else(|| {
            StoreError::Corrupt(format!("audit event {}: actor {}", r.id, r.actor_type))
        })?;
        Ok(AuditEvent {
            id: r.id,
            account_id: r.account_id,
            at: from_micros(r.at),
            actor_type,
            api_key_id: r.api_key_id,
            session_id: r.session_id,
            client_addr: r.client_addr,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            changes: r.changes.and_then(|c| serde_json::from_str(&c).ok()),
        })
    }
}

/// The WHERE clause (after `WHERE account_id = $1`) for an audit filter.
fn filter_sql(filter: &AuditFilter, q: &mut Query) -> String {
    let mut sql = String::new();
    push_in(
        &mut sql,
        q,
        "target_type",
        filter.target_types.iter().cloned(),
    );
    push_in(&mut sql, q, "action", filter.actions.iter().cloned());
    for (col, id) in [
        ("target_id", filter.target_id),
        ("api_key_id", filter.api_key_id),
        ("session_id", filter.session_id),
    ] {
        if let Some(id) = id {
            let p = q.push_arg(id);
            sql.push_str(&format!(" AND {col} = {p}"));
        }
    }
    if let Some(since) = filter.since {
        let p = q.push_arg(to_micros(since));
        sql.push_str(&format!(" AND at >= {p}"));
    }
    if let Some(until) = filter.until {
        let p = q.push_arg(to_micros(until));
        sql.push_str(&format!(" AND at < {p}"));
    }
    sql
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_audit(&self, e: NewAuditEvent) -> Result<AuditEvent> {
        let q = Query::new(format!(
            "INSERT INTO audit_events ({AUDIT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {AUDIT_COLUMNS}"
        ))
        .bind(Uuid::now_v7())
        .bind(e.account_id)
        .bind(now_micros())
        .bind(e.actor_type.as_str())
        .bind(e.api_key_id)
        .bind(e.session_id)
        .bind(e.client_addr)
        .bind(e.action)
        .bind(e.target_type)
        .bind(e.target_id)
        .bind(e.changes.map(|c| c.to_string()));
        let row: AuditRow = self.db.writer().fetch_one(q).await?;
        row.try_into()
    }

    async fn list_audit(
        &self,
        account_id: Uuid,
        filter: &AuditFilter,
        window: ListWindow,
    ) -> Result<ListPage<AuditEvent>> {
        let mut q = Query::new("");
        let pa = q.push_arg(account_id);
        let where_sql = format!("WHERE account_id = {pa}{}", filter_sql(filter, &mut q));
        let total = if window.with_total {
            let mut count = q.clone();
            count.sql = format!("SELECT count(*) AS n FROM audit_events {where_sql}").into();
            let row: CountRow = self.db.reader().fetch_one(count).await?;
            Some(row.n)
        } else {
            None
        };
        let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events {where_sql}");
        let keyset = Keyset {
            key_col: "at",
            id_col: "id",
            descending: true,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<AuditRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
            total,
            has_more,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    account_id: Uuid,
    key_id: Uuid,
    created_at: i64,
    expires_at: i64,
}

impl From<SessionRow> for DashboardSession {
    fn from(r: SessionRow) -> Self {
        DashboardSession {
            id: r.id,
            account_id: r.account_id,
            key_id: r.key_id,
            created_at: from_micros(r.created_at),
            expires_at: from_micros(r.expires_at),
        }
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(
        &self,
        account_id: Uuid,
        key_id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<DashboardSession> {
        let q = Query::new(
            "INSERT INTO dashboard_sessions (id, account_id, key_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, account_id, key_id, created_at, expires_at",
        )
        .bind(Uuid::new_v4())
        .bind(account_id)
        .bind(key_id)
        .bind(now_micros())
        .bind(to_micros(expires_at));
        let row: SessionRow = self.db.writer().fetch_one(q).await?;
        Ok(row.into())
    }

    async fn live_session(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<DashboardSession>> {
        let q = Query::new(
            "SELECT s.id, s.account_id, s.key_id, s.created_at, s.expires_at \
             FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id \
             WHERE s.id = $1 AND s.ended_at IS NULL AND s.expires_at > $2 \
             AND k.revoked_at IS NULL",
        )
        .bind(id)
        .bind(to_micros(now));
        let row: Option<SessionRow> = self.db.reader().fetch_optional(q).await?;
        Ok(row.map(Into::into))
    }

    async fn end_session(&self, account_id: Uuid, id: Uuid) -> Result<bool> {
        let q = Query::new(
            "UPDATE dashboard_sessions SET ended_at = $3 \
             WHERE id = $1 AND account_id = $2 AND ended_at IS NULL",
        )
        .bind(id)
        .bind(account_id)
        .bind(now_micros());
        Ok(self.db.writer().execute(q).await? == 1)
    }
}
