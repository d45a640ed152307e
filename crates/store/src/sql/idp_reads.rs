//! The reads of `/v1/idp/*`: pages of one kind of identity record (oldest change first,
//! keyset or offset), optionally those related to one record through a membership list,
//! and membership references for includes.

use async_trait::async_trait;
use uuid::Uuid;

use super::{
    listing::{scoped_where, Listing},
    SqlStore,
};
use crate::{
    db::Query,
    models::{IdpKind, IdpQuery, IdpRelation, IdpSide, StoredIdpRecord, StoredIdpRef},
    traits::{IdpStore, Result},
    window::{ListPage, ListWindow},
    StoreError,
};

/// The WHERE clause of `query` (scoped to the account), its arguments bound in `q`, and
/// whether anything narrows it beyond the connection.
fn where_clause(account_id: Uuid, query: &IdpQuery, q: &mut Query) -> Result<(String, bool)> {
    let mut sql = scoped_where("a", query.connection_id, account_id, q);
    if let Some(related) = query.related {
        let r = related.relation;
        let (this, anchor) = if query.kind == r.member() {
            ("member_id", "parent_id")
        } else if query.kind == r.parent() {
            ("parent_id", "member_id")
        } else {
            return Err(StoreError::Invalid(format!(
                "{:?} are not listed by {}",
                query.kind,
                r.as_str()
            )));
        };
        let pc = q.push_arg(query.connection_id);
        let pr = q.push_arg(r.as_str());
        let pa = q.push_arg(related.anchor);
        sql.push_str(&format!(
            " AND a.id IN (SELECT m.{this} FROM idp_memberships m WHERE \
             m.connection_id = {pc} AND m.relation = {pr} AND m.{anchor} = {pa})"
        ));
    }
    if let Some(since) = query.updated_since {
        let p = q.push_arg(since);
        sql.push_str(&format!(" AND a.updated_at >= {p}"));
    }
    Ok((
        sql,
        query.related.is_some() || query.updated_since.is_some(),
    ))
}

fn select(kind: IdpKind) -> String {
    format!(
        "SELECT a.id, a.updated_at AS sort_key, a.updated_at, a.is_deleted, a.data FROM {} a",
        kind.table()
    )
}

#[async_trait]
impl IdpStore for SqlStore {
    async fn list_idp(
        &self,
        account_id: Uuid,
        query: &IdpQuery,
    ) -> Result<ListPage<StoredIdpRecord>> {
        let mut q = Query::new("");
        let (where_sql, filtered) = where_clause(account_id, query, &mut q)?;
        let select = select(query.kind);
        let listing = Listing {
            table: query.kind.table(),
            alias: "a",
            select: &select,
            sort_col: "a.updated_at",
            descending: false,
            counted: &[query.kind.export()],
        };
        let conn = query.connection_id;
        self.list_page(
            account_id,
            conn,
            &listing,
            q,
            &where_sql,
            filtered,
            &query.window,
        )
        .await
    }

    async fn get_idp(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        kind: IdpKind,
        id: Uuid,
    ) -> Result<Option<StoredIdpRecord>> {
        let query = IdpQuery {
            connection_id,
            kind,
            related: None,
            updated_since: None,
            window: ListWindow::first(1),
        };
        let mut q = Query::new("");
        let (where_sql, _) = where_clause(account_id, &query, &mut q)?;
        let p = q.push_arg(id);
        q.sql = format!("{}{where_sql} AND a.id = {p}", select(kind)).into();
        self.db.reader().fetch_optional(q).await
    }

    async fn list_idp_refs(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        relation: IdpRelation,
        side: IdpSide,
        anchors: &[Uuid],
        per_anchor: i64,
    ) -> Result<Vec<StoredIdpRef>> {
        // A page's references in one query: ROW_NUMBER caps each anchor's list, ordered
        // by the other side's vendor id.
        if anchors.is_empty() {
            return Ok(Vec::new());
        }
        let (anchor, other, other_vendor, table) = match side {
            IdpSide::Parent => (
                "parent_id",
                "member_id",
                "member_vendor_id",
                relation.member(),
            ),
            IdpSide::Member => (
                "member_id",
                "parent_id",
                "parent_vendor_id",
                relation.parent(),
            ),
        };
        let mut q = Query::new("")
            .bind(connection_id)
            .bind(relation.as_str())
            .bind(account_id)
            .bind(per_anchor);
        let ps = q.push_ids(anchors);
        q.sql = format!(
            "SELECT anchor_id, id, vendor_id, label, email FROM (\
             SELECT m.{anchor} AS anchor_id, m.{other} AS id, m.{other_vendor} AS vendor_id, \
             t.label, t.email, ROW_NUMBER() OVER (PARTITION BY m.{anchor} \
             ORDER BY m.{other_vendor}, m.{other}) AS rn \
             FROM idp_memberships m LEFT JOIN {} t ON t.id = m.{other} \
             WHERE m.connection_id = $1 AND m.relation = $2 AND m.{anchor} IN ({ps}) \
             AND EXISTS (SELECT 1 FROM connections c WHERE c.id = $1 AND c.account_id = $3)\
             ) x WHERE rn <= $4 ORDER BY anchor_id, rn",
            table.table()
        )
        .into();
        self.db.reader().fetch_all(q).await
    }
}
