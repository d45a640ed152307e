use async_trait::async_trait;
use tributary_model::ConnectionState;
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::{Exec, Query},
    models::*,
    time::{now_micros, to_micros},
    traits::{ConnectionStore, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
};

pub(super) async fn fetch_connection(
    exec: Exec<'_>,
    account_id: Uuid,
    id: Uuid,
) -> Result<Option<ConnectionRecord>> {
    let q = Query::new(format!(
        "SELECT {CONNECTION_COLUMNS} FROM connections c \
         JOIN organizations o ON o.id = c.organization_id \
         WHERE c.id = $1 AND c.account_id = $2"
    ))
    .bind(id)
    .bind(account_id);
    let row: Option<ConnectionRow> = exec.fetch_optional(q).await?;
    row.map(ConnectionRecord::try_from).transpose()
}

/// Appends `AND col IN ($n, …)` for a non-empty list.
pub(super) fn push_in(
    sql: &mut String,
    q: &mut Query,
    col: &str,
    values: impl IntoIterator<Item = String>,
) {
    let placeholders: Vec<String> = values.into_iter().map(|v| q.push_arg(v)).collect();
    if !placeholders.is_empty() {
        sql.push_str(&format!(" AND {col} IN ({})", placeholders.join(", ")));
    }
}

/// The WHERE clause (after `WHERE c.account_id = $1`) for a connection filter.
fn filter_sql(filter: &ConnectionFilter, q: &mut Query) -> String {
    let mut sql = String::new();
    if let Some(org) = filter.organization_id {
        let p = q.push_arg(org);
        sql.push_str(&format!(" AND c.organization_id = {p}"));
    }
    push_in(
        &mut sql,
        q,
        "c.health_name",
        filter.health_names.iter().map(|h| h.as_str().to_owned()),
    );
    push_in(
        &mut sql,
        q,
        "c.vendor",
        filter.vendors.iter().map(|v| v.as_str().to_owned()),
    );
    if filter.states.is_empty() {
        sql.push_str(" AND c.state <> 'DELETED'");
    } else {
        push_in(
            &mut sql,
            q,
            "c.state",
            filter.states.iter().map(|s| s.as_str().to_owned()),
        );
    }
    if !filter.advisory_codes.is_empty() {
        let codes: Vec<String> = filter
            .advisory_codes
            .iter()
            .map(|c| q.push_arg(c.as_str().to_owned()))
            .collect();
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM connection_advisories a \
             WHERE a.connection_id = c.id AND a.code IN ({}))",
            codes.join(", ")
        ));
    }
    if let Some(ident) = &filter.identifier {
        let p = q.push_arg(ident.clone());
        sql.push_str(&format!(" AND c.identifier = {p}"));
    }
    match filter.is_active {
        Some(true) => sql.push_str(" AND c.state = 'ACTIVE'"),
        Some(false) => sql.push_str(" AND c.state <> 'ACTIVE'"),
        None => {}
    }
    sql
}

#[async_trait]
impl ConnectionStore for SqlStore {
    async fn create_connection(
        &self,
        account_id: Uuid,
        conn: NewConnection,
    ) -> Result<ConnectionRecord> {
        let now = now_micros();
        let q = Query::new(
            "INSERT INTO connections (id, account_id, organization_id, vendor, identifier, state, \
             refresh_interval_secs, timeout_secs, options, credentials, credentials_updated_at, \
             created_at, updated_at, next_run_at, freshness_target_secs) \
             SELECT $1, $2, o.id, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, $12, $13 \
             FROM organizations o WHERE o.id = $3 AND o.account_id = $2 AND o.deleted_at IS NULL",
        )
        .bind(conn.id)
        .bind(account_id)
        .bind(conn.organization_id)
        .bind(conn.vendor.as_str())
        .bind(conn.identifier)
        .bind(conn.state.as_str())
        .bind(conn.refresh_interval_secs)
        .bind(conn.timeout_secs)
        .bind(conn.options.map(|o| o.to_string()))
        .bind(conn.sealed_credentials)
        .bind(now)
        .bind(conn.next_run_at.map(to_micros))
        .bind(conn.freshness_target_secs);
        let inserted = self.db.writer().execute(q).await?;
        if inserted == 0 {
            return Err(crate::StoreError::Invalid(
                "organization does not exist in this account".into(),
            ));
        }
        fetch_connection(self.db.writer(), account_id, conn.id)
            .await?
            .ok_or_else(|| crate::StoreError::Corrupt("connection vanished after insert".into()))
    }

    async fn list_connections(
        &self,
        account_id: Uuid,
        filter: &ConnectionFilter,
        window: ListWindow,
    ) -> Result<ListPage<ConnectionRecord>> {
        let total = if window.with_total {
            let mut q = Query::new("");
            let pa = q.push_arg(account_id);
            let where_sql = filter_sql(filter, &mut q);
            q.sql = format!(
                "SELECT count(*) AS n FROM connections c WHERE c.account_id = {pa}{where_sql}"
            )
            .into();
            let row: CountRow = self.db.reader().fetch_one(q).await?;
            Some(row.n)
        } else {
            None
        };
        let mut q = Query::new("");
        let pa = q.push_arg(account_id);
        let where_sql = filter_sql(filter, &mut q);
        let mut sql = format!(
            "SELECT {CONNECTION_COLUMNS} FROM connections c \
             JOIN organizations o ON o.id = c.organization_id \
             WHERE c.account_id = {pa}{where_sql}"
        );
        let keyset = Keyset {
            key_col: "c.created_at",
            id_col: "c.id",
            descending: false,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<ConnectionRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        let mut items: Vec<ConnectionRecord> = rows
            .into_iter()
            .map(ConnectionRecord::try_from)
            .collect::<Result<_>>()?;
        super::freshness::attach(self.db.reader(), &mut items).await?;
        Ok(ListPage {
            items,
            total,
            has_more,
        })
    }

    async fn get_connection(&self, account_id: Uuid, id: Uuid) -> Result<Option<ConnectionRecord>> {
        let mut found = fetch_connection(self.db.reader(), account_id, id).await?;
        if let Some(c) = found.as_mut() {
            super::freshness::attach(self.db.reader(), std::slice::from_mut(c)).await?;
        }
        Ok(found)
    }

    async fn update_connection(
        &self,
        account_id: Uuid,
        id: Uuid,
        changes: ConnectionChanges,
    ) -> Result<Option<ConnectionRecord>> {
        let now = now_micros();
        let mut q = Query::new("");
        let mut sets = vec![format!("updated_at = {}", q.push_arg(now))];
        if let Some(creds) = changes.sealed_credentials {
            sets.push(format!("credentials = {}", q.push_arg(creds)));
            sets.push(format!("credentials_updated_at = {}", q.push_arg(now)));
        }
        if let Some(ident) = changes.identifier {
            sets.push(format!("identifier = {}", q.push_arg(ident)));
        }
        if let Some(state) = changes.state {
            sets.push(format!("state = {}", q.push_arg(state.as_str())));
        }
        if let Some(v) = changes.refresh_interval_secs {
            sets.push(format!("refresh_interval_secs = {}", q.push_arg(v)));
        }
        if let Some(v) = changes.timeout_secs {
            sets.push(format!("timeout_secs = {}", q.push_arg(v)));
        }
        if let Some(v) = changes.freshness_target_secs {
            sets.push(format!("freshness_target_secs = {}", q.push_arg(v)));
        }
        if let Some(next) = changes.next_run_at {
            sets.push(format!("next_run_at = {}", q.push_arg(next.map(to_micros))));
        }
        if changes.reset_failures {
            sets.push("consecutive_failures = 0".to_owned());
            sets.push("platform_retries = 0".to_owned());
        }
        let pid = q.push_arg(id);
        let pa = q.push_arg(account_id);
        q.sql = format!(
            "UPDATE connections SET {} WHERE id = {pid} AND account_id = {pa}",
            sets.join(", ")
        )
        .into();
        let mut tx = self.db.begin().await?;
        if tx.exec().execute(q).await? == 0 {
            return Ok(None);
        }
        if let Some(state) = changes.state.filter(|s| *s != ConnectionState::Active) {
            // A paused or deleted connection must not run: drop its queued job.
            let q = Query::new(
                "UPDATE jobs SET status = 'CANCELLED', finished_at = $2, error = $3 \
                 WHERE connection_id = $1 AND status = 'QUEUED'",
            )
            .bind(id)
            .bind(now)
            .bind(format!("connection is {state}"));
            tx.exec().execute(q).await?;
        }
        let mut record = fetch_connection(tx.exec(), account_id, id).await?;
        if let Some(c) = record.as_mut() {
            super::freshness::attach(tx.exec(), std::slice::from_mut(c)).await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    async fn connection_account(&self, id: Uuid) -> Result<Option<Uuid>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            account_id: Uuid,
        }
        let q = Query::new("SELECT account_id FROM connections WHERE id = $1").bind(id);
        let row: Option<Row> = self.db.reader().fetch_optional(q).await?;
        Ok(row.map(|r| r.account_id))
    }

    async fn count_connections_by_health(
        &self,
        account_id: Uuid,
    ) -> Result<Vec<(Option<String>, i64)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            health_name: Option<String>,
            n: i64,
        }
        let q = Query::new(
            "SELECT health_name, count(*) AS n FROM connections \
             WHERE account_id = $1 AND state <> 'DELETED' GROUP BY health_name",
        )
        .bind(account_id);
        let rows: Vec<Row> = self.db.reader().fetch_all(q).await?;
        Ok(rows.into_iter().map(|r| (r.health_name, r.n)).collect())
    }
}
