//! What every record listing shares: the WHERE clause scoped to the caller's account, the
//! total (from the per-connection counters when unfiltered, a count otherwise), and the
//! offset-seek and keyset window over the listing's sort index.

use tributary_model::DataExportType;
use uuid::Uuid;

use super::{rows::CountRow, SqlStore};
use crate::{
    db::{Query, Row},
    traits::{RecordStore, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
};

/// ` WHERE {alias}.connection_id = … AND` the connection is the account's and not
/// deleted; arguments bound in `q`. A page with rows thus proves the connection is the
/// caller's (the API skips its own lookup then).
pub(super) fn scoped_where(
    alias: &str,
    connection_id: Uuid,
    account_id: Uuid,
    q: &mut Query,
) -> String {
    let pc = q.push_arg(connection_id);
    let pa = q.push_arg(account_id);
    format!(
        " WHERE {alias}.connection_id = {pc} AND EXISTS (SELECT 1 FROM connections c \
         WHERE c.id = {pc} AND c.account_id = {pa} AND c.state <> 'DELETED')"
    )
}

/// One listing: its table, its SELECT and its sort.
pub(super) struct Listing<'a> {
    pub table: &'a str,
    pub alias: &'a str,
    /// `SELECT … FROM {table} {alias} …`, without WHERE.
    pub select: &'a str,
    pub sort_col: &'a str,
    pub descending: bool,
    /// The exports whose record counters total the unfiltered listing.
    pub counted: &'a [DataExportType],
}

impl SqlStore {
    /// A page of `listing` under `where_sql` (built by [`scoped_where`] plus filters, its
    /// arguments bound in `q`); `filtered` says whether anything beyond the connection
    /// narrows it (then the total is counted).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn list_page<T: Row>(
        &self,
        account_id: Uuid,
        connection_id: Uuid,
        listing: &Listing<'_>,
        mut q: Query,
        where_sql: &str,
        filtered: bool,
        window: &ListWindow,
    ) -> Result<ListPage<T>> {
        let Listing { table, alias, .. } = *listing;
        let total = match (window.with_total, filtered) {
            (false, _) => None,
            // Unfiltered totals come from the per-connection counter, not a scan.
            (true, false) => {
                let counts = self.record_counts(account_id, connection_id).await?;
                Some(listing.counted.iter().map(|e| counts.get(*e)).sum())
            }
            (true, true) => {
                let count_q = Query {
                    sql: format!("SELECT count(*) AS n FROM {table} {alias}{where_sql}").into(),
                    args: q.args.clone(),
                };
                let row: CountRow = self.db.reader().fetch_one(count_q).await?;
                Some(row.n)
            }
        };
        let mut sql = format!("{}{where_sql}", listing.select);
        let keyset = Keyset {
            key_col: listing.sort_col,
            id_col: &format!("{alias}.id"),
            descending: listing.descending,
        };
        let window = keyset.seek_offset(window, table, alias, where_sql, &mut sql, &mut q);
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<T> = self.db.reader().fetch_all(q).await?;
        let (items, has_more) = finish_page(rows, &window, reversed);
        Ok(ListPage {
            items,
            total,
            has_more,
        })
    }
}
