//! Listing a dataset in order: initial records by arithmetic, then (or merged with) the
//! overlay of changed ones; deleted records are never listed.

use std::ops::Bound;

use super::{changed_ref, Dataset, Key, Order, Overlay, RecordRef, TimeRange};

impl Dataset {
    /// Up to `max` records in `range`, in `order`, strictly after position `after`.
    pub fn chunk(
        &self,
        range: TimeRange,
        order: Order,
        after: Option<Key>,
        max: usize,
    ) -> Vec<RecordRef> {
        let o = self.read();
        let mut out = Vec::with_capacity(max.min(4096));
        match order {
            Order::UpdatedAsc => self.chunk_updated_asc(&o, range, after, max, &mut out),
            Order::UpdatedDesc => self.chunk_updated_desc(&o, range, after, max, &mut out),
            Order::IndexAsc | Order::IndexDesc => {
                self.chunk_by_index(&o, range, order == Order::IndexAsc, after, max, &mut out)
            }
        }
        out
    }

    fn chunk_updated_asc(
        &self,
        o: &Overlay,
        range: TimeRange,
        after: Option<Key>,
        max: usize,
        out: &mut Vec<RecordRef>,
    ) {
        let (lo, hi) = self.base_bounds(range);
        let mut i = match after {
            None => lo,
            Some(k) if self.in_overlay_region(k) => hi,
            Some(k) => {
                let i = self.first_at_or_after(k.updated);
                let at_key = i < self.base_count && self.base_time(i) == k.updated;
                (if at_key && i <= k.index { i + 1 } else { i }).max(lo)
            }
        };
        while i < hi && out.len() < max {
            if !o.moved.contains(&i) {
                out.push(self.base_ref(i));
            }
            i += 1;
        }
        let start = after.map_or(Bound::Unbounded, |k| Bound::Excluded((k.updated, k.index)));
        for ((t, idx), _) in o.order.range((start, Bound::Unbounded)) {
            if out.len() >= max {
                break;
            }
            if range.contains(*t) {
                out.push(changed_ref(*idx, &o.state[idx]));
            }
        }
    }

    fn chunk_updated_desc(
        &self,
        o: &Overlay,
        range: TimeRange,
        after: Option<Key>,
        max: usize,
        out: &mut Vec<RecordRef>,
    ) {
        let (lo, hi) = self.base_bounds(range);
        let in_base = after.is_some_and(|k| !self.in_overlay_region(k));
        if !in_base {
            let end = after.map_or(Bound::Unbounded, |k| Bound::Excluded((k.updated, k.index)));
            for ((t, idx), _) in o.order.range((Bound::Unbounded, end)).rev() {
                if out.len() >= max {
                    return;
                }
                if range.contains(*t) {
                    out.push(changed_ref(*idx, &o.state[idx]));
                }
            }
        }
        let mut top = match after {
            Some(k) if in_base => self.first_at_or_after(k.updated).min(hi),
            _ => hi,
        };
        while top > lo && out.len() < max {
            top -= 1;
            if !o.moved.contains(&top) {
                out.push(self.base_ref(top));
            }
        }
    }

    /// Creation order: initial records not moved, merged with overlay records in range.
    fn chunk_by_index(
        &self,
        o: &Overlay,
        range: TimeRange,
        asc: bool,
        after: Option<Key>,
        max: usize,
        out: &mut Vec<RecordRef>,
    ) {
        let (lo, hi) = self.base_bounds(range);
        let past = |i: u64| match after {
            None => true,
            Some(k) if asc => i > k.index,
            Some(k) => i < k.index,
        };
        let mut changed: Vec<u64> = o
            .state
            .iter()
            .filter(|(i, c)| !c.deleted && range.contains(c.updated) && past(**i))
            .map(|(i, _)| *i)
            .collect();
        changed.sort_unstable_by(|a, b| if asc { a.cmp(b) } else { b.cmp(a) });
        let mut changed = changed.into_iter().peekable();
        let mut base: Box<dyn Iterator<Item = u64>> = if asc {
            let start = after.map_or(lo, |k| k.index.saturating_add(1).max(lo));
            Box::new(start..hi.max(start))
        } else {
            let end = after.map_or(hi, |k| k.index.min(hi));
            Box::new((lo..end.max(lo)).rev())
        };
        let mut next_base = base.find(|i| !o.moved.contains(i));
        while out.len() < max {
            let take_changed = match (next_base, changed.peek()) {
                (None, None) => break,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(b), Some(c)) => (asc && *c < b) || (!asc && *c > b),
            };
            if take_changed {
                let i = changed.next().expect("peeked");
                out.push(changed_ref(i, &o.state[&i]));
            } else if let Some(b) = next_base {
                out.push(self.base_ref(b));
                next_base = base.find(|i| !o.moved.contains(i));
            }
        }
    }

    /// Up to `limit` records in `range`, in `order`, from position `offset`.
    pub fn page_at(
        &self,
        range: TimeRange,
        order: Order,
        offset: u64,
        limit: usize,
    ) -> Vec<RecordRef> {
        if order != Order::UpdatedAsc {
            return self.page_at_by_walking(range, order, offset, limit);
        }
        let o = self.read();
        let (lo, hi) = self.base_bounds(range);
        let base_len = (hi - lo) - o.moved.range(lo..hi).count() as u64;
        if offset >= base_len {
            let skip = (offset - base_len) as usize;
            return o
                .order
                .keys()
                .filter(|(t, _)| range.contains(*t))
                .skip(skip)
                .take(limit)
                .map(|(_, idx)| changed_ref(*idx, &o.state[idx]))
                .collect();
        }
        // The offset-th initial index not moved to the overlay: each moved index at or
        // before the candidate pushes it one further (a short fixpoint).
        let mut i = lo + offset;
        loop {
            let candidate = lo + offset + o.moved.range(lo..=i).count() as u64;
            if candidate == i {
                break;
            }
            i = candidate;
        }
        drop(o);
        // (time of i, i - 1) sorts just before initial record i.
        let after = (i > lo).then(|| Key {
            updated: self.base_time(i),
            index: i - 1,
        });
        self.chunk(range, order, after, limit)
    }

    fn page_at_by_walking(
        &self,
        range: TimeRange,
        order: Order,
        offset: u64,
        limit: usize,
    ) -> Vec<RecordRef> {
        let mut skip = offset;
        let mut after = None;
        while skip > 0 {
            let part = self.chunk(range, order, after, skip.min(4096) as usize);
            let Some(last) = part.last() else {
                return vec![];
            };
            after = Some(Key::of(last));
            skip -= part.len() as u64;
        }
        self.chunk(range, order, after, limit)
    }
}
