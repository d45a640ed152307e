//! List windows: offset pages and keyset (cursor) pages.

use uuid::Uuid;

/// A position in a list ordered by (`key`, `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub key: i64,
    pub id: Uuid,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Skip this many rows (offset pagination).
    Offset(i64),
    /// Rows strictly after this key, in list order (the next page).
    After(SortKey),
    /// Rows strictly before this key, in list order (the previous page).
    Before(SortKey),
}

/// Which rows of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListWindow {
    pub limit: i64,
    pub position: Position,
    /// Count every matching row (costs a count query).
    pub with_total: bool,
}

impl ListWindow {
    pub fn first(limit: i64) -> Self {
        ListWindow {
            limit,
            position: Position::Offset(0),
            with_total: true,
        }
    }
}

/// One page of a list, in list order.
#[derive(Debug, Clone)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub total: Option<i64>,
    /// More rows exist beyond this page in the direction of travel
    /// (after it for offset/After windows, before it for Before windows).
    pub has_more: bool,
}

impl<T> ListPage<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> ListPage<U> {
        ListPage {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            has_more: self.has_more,
        }
    }
}

/// Builds the ORDER BY, keyset WHERE and LIMIT parts for a list ordered by
/// (`key_col`, `id_col`), ascending unless `descending`.
pub(crate) struct Keyset<'a> {
    pub key_col: &'a str,
    pub id_col: &'a str,
    pub descending: bool,
}

impl Keyset<'_> {
    /// A deep offset page, rewritten to start at its first row: that row is found by
    /// walking `OFFSET` rows of the narrow (connection, sort key, id) index (an index-only
    /// scan once the table is vacuumed) instead of reading and discarding every skipped
    /// row in full. Returns the window to apply after it (offset 0); other windows are
    /// returned unchanged. `where_sql` is the list's WHERE clause, bound in `q` already.
    pub(crate) fn seek_offset(
        &self,
        window: &ListWindow,
        table: &str,
        alias: &str,
        where_sql: &str,
        sql: &mut String,
        q: &mut crate::db::Query,
    ) -> ListWindow {
        let Position::Offset(offset) = window.position else {
            return *window;
        };
        if offset <= 0 {
            return *window;
        }
        let (k, i) = (self.key_col, self.id_col);
        let (op, dir) = if self.descending {
            ("<=", "DESC")
        } else {
            (">=", "ASC")
        };
        let po = q.push_arg(offset);
        sql.push_str(&format!(
            " AND ({k}, {i}) {op} (SELECT {k}, {i} FROM {table} {alias}{where_sql} \
             ORDER BY {k} {dir}, {i} {dir} LIMIT 1 OFFSET {po})"
        ));
        ListWindow {
            position: Position::Offset(0),
            ..*window
        }
    }

    /// Appends the window's conditions and ordering to `sql` (which must end inside a
    /// WHERE clause). Returns whether rows come back reversed (a Before window).
    pub(crate) fn apply(
        &self,
        window: &ListWindow,
        sql: &mut String,
        q: &mut crate::db::Query,
    ) -> bool {
        let (k, i) = (self.key_col, self.id_col);
        let mut reversed = false;
        let forward_op = if self.descending { "<" } else { ">" };
        let backward_op = if self.descending { ">" } else { "<" };
        match window.position {
            Position::Offset(_) => {}
            Position::After(pos) => {
                let pk = q.push_arg(pos.key);
                let pi = q.push_arg(pos.id);
                sql.push_str(&format!(" AND ({k}, {i}) {forward_op} ({pk}, {pi})"));
            }
            Position::Before(pos) => {
                let pk = q.push_arg(pos.key);
                let pi = q.push_arg(pos.id);
                sql.push_str(&format!(" AND ({k}, {i}) {backward_op} ({pk}, {pi})"));
                reversed = true;
            }
        }
        let dir = if self.descending != reversed {
            "DESC"
        } else {
            "ASC"
        };
        sql.push_str(&format!(" ORDER BY {k} {dir}, {i} {dir}"));
        let pl = q.push_arg(window.limit + 1);
        sql.push_str(&format!(" LIMIT {pl}"));
        if let Position::Offset(off) = window.position {
            let po = q.push_arg(off);
            sql.push_str(&format!(" OFFSET {po}"));
        }
        reversed
    }
}

/// Trims the extra probe row and restores list order.
pub(crate) fn finish_page<T>(
    mut rows: Vec<T>,
    window: &ListWindow,
    reversed: bool,
) -> (Vec<T>, bool) {
    let has_more = rows.len() as i64 > window.limit;
    rows.truncate(window.limit.max(0) as usize);
    if reversed {
        rows.reverse();
    }
    (rows, has_more)
}
