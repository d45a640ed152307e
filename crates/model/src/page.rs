//! The documented list envelope.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `{"count", "total", "items"}`; in cursor mode also `next_cursor` and `previous_cursor`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// Items in this page.
    pub count: usize,
    /// Items matching the query; null with `excludeTotal=true` (or `skipTotal=true`).
    /// Always present.
    #[schema(required = true)]
    pub total: Option<i64>,
    pub items: Vec<T>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<CursorLinks>,
}

/// Present only in cursor mode (`enableCursor=true`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CursorLinks {
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// Pass as `cursor` for the previous page; null on the first page.
    #[schema(required = true)]
    pub previous_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: Option<i64>, cursor: Option<CursorLinks>) -> Self {
        Page {
            count: items.len(),
            total,
            items,
            cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            count: self.count,
            total: self.total,
            items: self.items.into_iter().map(f).collect(),
            cursor: self.cursor,
        }
    }
}
