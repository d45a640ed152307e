use async_trait::async_trait;
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::{Exec, Query},
    models::{NewOrganization, OrganizationRecord},
    time::now_micros,
    traits::{OrganizationStore, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
};

const ORG_COLUMNS: &str = "id, name, identifier, created_at, updated_at, deleted_at";

async fn fetch_org(
    exec: Exec<'_>,
    account_id: Uuid,
    id: Uuid,
) -> Result<Option<OrganizationRecord>> {
    let q = Query::new(format!(
        "SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id);
    let row: Option<OrganizationRow> = exec.fetch_optional(q).await?;
    Ok(row.map(Into::into))
}

#[async_trait]
impl OrganizationStore for SqlStore {
    async fn create_organization(
        &self,
        account_id: Uuid,
        org: NewOrganization,
    ) -> Result<OrganizationRecord> {
        let now = now_micros();
        let q = Query::new(format!(
            "INSERT INTO organizations (id, account_id, name, identifier, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {ORG_COLUMNS}"
        ))
        .bind(Uuid::now_v7())
        .bind(account_id)
        .bind(org.name)
        .bind(org.identifier)
        .bind(now);
        let row: OrganizationRow = self.db.writer().fetch_one(q).await?;
        Ok(row.into())
    }

    async fn list_organizations(
        &self,
        account_id: Uuid,
        include_deleted: bool,
        window: ListWindow,
    ) -> Result<ListPage<OrganizationRecord>> {
        let deleted = if include_deleted {
            ""
        } else {
            " AND deleted_at IS NULL"
        };
        let total = if window.with_total {
            let q = Query::new(format!(
                "SELECT count(*) AS n FROM organizations WHERE account_id = $1{deleted}"
            ))
            .bind(account_id);
            let row: CountRow = self.db.reader().fetch_one(q).await?;
            Some(row.n)
        } else {
            None
        };
        let mut q = Query::new("");
        let pa = q.push_arg(account_id);
        let mut sql =
            format!("SELECT {ORG_COLUMNS} FROM organizations WHERE account_id = {pa}{deleted}");
        let keyset = Keyset {
            key_col: "created_at",
            id_col: "id",
            descending: false,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<OrganizationRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items: rows.into_iter().map(Into::into).collect(),
            total,
            has_more,
        })
    }

    async fn get_organization(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<Option<OrganizationRecord>> {
        fetch_org(self.db.reader(), account_id, id).await
    }

    async fn delete_organization(
        &self,
        account_id: Uuid,
        id: Uuid,
    ) -> Result<Option<OrganizationRecord>> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let q = Query::new(
            "UPDATE organizations SET deleted_at = $3, updated_at = $3 \
             WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(account_id)
        .bind(now);
        tx.exec().execute(q).await?;
        // Its connections go with it: they stop syncing and leave default lists.
        let q = Query::new(
            "UPDATE connections SET state = 'DELETED', updated_at = $3, next_run_at = NULL \
             WHERE organization_id = $1 AND account_id = $2 AND state <> 'DELETED'",
        )
        .bind(id)
        .bind(account_id)
        .bind(now);
        tx.exec().execute(q).await?;
        let q = Query::new(
            "UPDATE jobs SET status = 'CANCELLED', finished_at = $2, \
             error = 'organization deleted' \
             WHERE status = 'QUEUED' AND connection_id IN \
             (SELECT id FROM connections WHERE organization_id = $1)",
        )
        .bind(id)
        .bind(now);
        tx.exec().execute(q).await?;
        let org = fetch_org(tx.exec(), account_id, id).await?;
        tx.commit().await?;
        Ok(org)
    }
}
