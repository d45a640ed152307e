//! Listing a dataset: an update-time range answered natively, an order, and an optional
//! residual filter evaluated on each candidate record (a scan, so only used for filters
//! the dataset cannot answer by arithmetic).

use crate::dataset::{Dataset, Key, Order, RecordRef, TimeRange};

/// Records per step of a filtered scan.
const SCAN_CHUNK: usize = 4096;

/// One page and whether more records follow it.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<RecordRef>,
    pub more: bool,
}

/// A listing of `data`.
pub struct Query<'a> {
    pub data: &'a Dataset,
    pub range: TimeRange,
    pub order: Order,
    pub filter: Option<&'a (dyn Fn(&RecordRef) -> bool + Sync)>,
}

impl Query<'_> {
    /// Matching records.
    pub fn count(&self) -> u64 {
        let Some(filter) = self.filter else {
            return self.data.count(self.range);
        };
        let mut n = 0;
        self.scan(None, |r| {
            if filter(r) {
                n += 1;
            }
            true
        });
        n
    }

    /// Up to `limit` records strictly after position `after`.
    pub fn after(&self, after: Option<Key>, limit: usize) -> Page {
        let Some(filter) = self.filter else {
            let mut items = self.data.chunk(self.range, self.order, after, limit + 1);
            return finish(&mut items, limit);
        };
        let mut items = Vec::new();
        self.scan(after, |r| {
            if filter(r) {
                items.push(*r);
            }
            items.len() <= limit
        });
        finish(&mut items, limit)
    }

    /// Up to `limit` records from position `offset`.
    pub fn at(&self, offset: u64, limit: usize) -> Page {
        let Some(filter) = self.filter else {
            let mut items = self.data.page_at(self.range, self.order, offset, limit + 1);
            return finish(&mut items, limit);
        };
        let mut skipped = 0;
        let mut items = Vec::new();
        self.scan(None, |r| {
            if filter(r) {
                if skipped < offset {
                    skipped += 1;
                } else {
                    items.push(*r);
                }
            }
            items.len() <= limit
        });
        finish(&mut items, limit)
    }

    /// Visits candidates in order until `visit` returns false.
    fn scan(&self, mut after: Option<Key>, mut visit: impl FnMut(&RecordRef) -> bool) {
        loop {
            let part = self.data.chunk(self.range, self.order, after, SCAN_CHUNK);
            let Some(last) = part.last() else {
                return;
            };
            after = Some(Key::of(last));
            for r in &part {
                if !visit(r) {
                    return;
                }
            }
        }
    }
}

/// Pages through an explicit set of records (an `ids=` lookup): sorts them in `order`,
/// then takes `limit` after position `after`, or from `offset`.
pub fn page_of(
    mut items: Vec<RecordRef>,
    order: Order,
    after: Option<Key>,
    offset: u64,
    limit: usize,
) -> Page {
    let key = |r: &RecordRef| match order {
        Order::UpdatedAsc | Order::UpdatedDesc => (r.updated, r.index),
        Order::IndexAsc | Order::IndexDesc => (0, r.index),
    };
    items.sort_by_key(key);
    items.dedup_by_key(|r| r.index);
    let desc = matches!(order, Order::UpdatedDesc | Order::IndexDesc);
    if desc {
        items.reverse();
    }
    if let Some(a) = after {
        let a = key(&RecordRef {
            index: a.index,
            updated: a.updated,
            version: 0,
            origin: 0,
            prior: 0,
        });
        items.retain(|r| if desc { key(r) < a } else { key(r) > a });
    }
    let mut rest: Vec<RecordRef> = items
        .into_iter()
        .skip(offset as usize)
        .take(limit + 1)
        .collect();
    finish(&mut rest, limit)
}

fn finish(items: &mut Vec<RecordRef>, limit: usize) -> Page {
    let more = items.len() > limit;
    items.truncate(limit);
    Page {
        items: std::mem::take(items),
        more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtered_and_unfiltered_pages_agree() {
        let d = Dataset::new(100, 1_000_000_000_000, 100_000, 1);
        let even = |r: &RecordRef| r.index % 2 == 0;
        let q = Query {
            data: &d,
            range: TimeRange::default(),
            order: Order::UpdatedAsc,
            filter: Some(&even),
        };
        assert_eq!(q.count(), 50);
        let p = q.at(48, 5);
        assert_eq!(
            p.items.iter().map(|r| r.index).collect::<Vec<_>>(),
            vec![96, 98]
        );
        assert!(!p.more);
        let p = q.after(None, 3);
        assert!(p.more);
        assert_eq!(p.items.len(), 3);
        let all = Query { filter: None, ..q };
        assert_eq!(all.count(), 100);
        let last = all.at(97, 5);
        assert_eq!(last.items.len(), 3);
        assert!(!last.more);
        assert!(all.at(95, 4).more);
    }
}
