use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::Health;
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::Query,
    models::HealthEvent,
    time::to_micros,
    traits::{HealthStore, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
};

const EVENT_COLUMNS: &str =
    "e.id, e.connection_id, e.job_id, e.from_name, e.to_name, e.at, e.health";

#[async_trait]
impl HealthStore for SqlStore {
    async fn list_health_events(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        window: ListWindow,
    ) -> Result<ListPage<HealthEvent>> {
        let total = if window.with_total {
            let q = Query::new(
                "SELECT count(*) AS n FROM health_events WHERE connection_id = $1 AND account_id = $2",
            )
            .bind(connection_id)
            .bind(account_id);
            let row: CountRow = self.db.reader().fetch_one(q).await?;
            Some(row.n)
        } else {
            None
        };
        let mut q = Query::new("");
        let pc = q.push_arg(connection_id);
        let pa = q.push_arg(account_id);
        let mut sql = format!(
            "SELECT {EVENT_COLUMNS} FROM health_events e \
             WHERE e.connection_id = {pc} AND e.account_id = {pa}"
        );
        let keyset = Keyset {
            key_col: "e.at",
            id_col: "e.id",
            descending: true,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<HealthEventRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(HealthEvent::try_from)
                .collect::<Result<_>>()?,
            total,
            has_more,
        })
    }

    async fn health_events_between(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HealthEvent>> {
        let (from, to) = (to_micros(from), to_micros(to));
        let q = Query::new(format!(
            "SELECT {EVENT_COLUMNS} FROM health_events e \
             WHERE e.connection_id = $1 AND e.account_id = $2 AND e.at < $3 \
             ORDER BY e.at DESC, e.id DESC LIMIT 1"
        ))
        .bind(connection_id)
        .bind(account_id)
        .bind(from);
        let before: Option<HealthEventRow> = self.db.reader().fetch_optional(q).await?;
        let q = Query::new(format!(
            "SELECT {EVENT_COLUMNS} FROM health_events e \
             WHERE e.connection_id = $1 AND e.account_id = $2 AND e.at >= $3 AND e.at < $4 \
             ORDER BY e.at, e.id"
        ))
        .bind(connection_id)
        .bind(account_id)
        .bind(from)
        .bind(to);
        let rows: Vec<HealthEventRow> = self.db.reader().fetch_all(q).await?;
        before
            .into_iter()
            .chain(rows)
            .map(HealthEvent::try_from)
            .collect()
    }

    async fn connection_health(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
    ) -> Result<Option<Health>> {
        Ok(self
            .get_connection_inner(account_id, connection_id)
            .await?
            .and_then(|c| c.health))
    }
}

impl SqlStore {
    async fn get_connection_inner(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<Option<crate::models::ConnectionRecord>> {
        super::connections::fetch_connection(self.db.reader(), account_id, id).await
    }
}
