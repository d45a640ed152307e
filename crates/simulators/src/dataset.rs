//! A lazily generated, time-ordered collection of records that changes over time.
//!
//! Record `i` of the initial set was last updated at `base_start + i * step` (all in the
//! past), so "updated within a range, oldest first" is a range of indices found by
//! arithmetic. Records changed or created later (`touch`, `add`) live in a small overlay
//! keyed by their new update time, which is always later than every initial record's:
//! the update-ordered stream is "initial records not in the overlay" then "the overlay".
//! Times are epoch nanoseconds, multiples of the dataset's resolution (the vendor's
//! timestamp precision), so a rendered timestamp is exactly the stored one.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    ops::Bound,
    sync::{RwLock, RwLockReadGuard},
};

use crate::fake::floor_to;

/// A record's identity and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef {
    pub index: u64,
    /// 0 for the original record; each change adds one (status progressions).
    pub version: u32,
    /// Last update, epoch nanoseconds.
    pub updated: i64,
    /// The first version's update time (creation-related times derive from it).
    pub origin: i64,
}

/// The order records are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    UpdatedAsc,
    UpdatedDesc,
    /// Creation order (ids and creation times grow with the index).
    IndexAsc,
    IndexDesc,
}

/// A position in a listing: the last record seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub updated: i64,
    pub index: u64,
}

impl Key {
    pub fn of(r: &RecordRef) -> Key {
        Key {
            updated: r.updated,
            index: r.index,
        }
    }
}

/// Inclusive bounds on the update time, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl TimeRange {
    pub fn contains(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }

    /// The intersection with `other`.
    pub fn and(self, other: TimeRange) -> TimeRange {
        let pick = |a: Option<i64>, b: Option<i64>, f: fn(i64, i64) -> i64| match (a, b) {
            (Some(a), Some(b)) => Some(f(a, b)),
            (a, b) => a.or(b),
        };
        TimeRange {
            since: pick(self.since, other.since, i64::max),
            until: pick(self.until, other.until, i64::min),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Changed {
    version: u32,
    updated: i64,
    origin: i64,
}

#[derive(Default)]
struct Overlay {
    order: BTreeMap<(i64, u64), u32>,
    state: HashMap<u64, Changed>,
    /// Initial records that moved into the overlay.
    moved: BTreeSet<u64>,
    extra: u64,
    last_time: i64,
    touches: u64,
}

/// See the module documentation.
pub struct Dataset {
    base_count: u64,
    base_start: i64,
    step: i64,
    res: i64,
    overlay: RwLock<Overlay>,
}

impl Dataset {
    /// `count` initial records spread over `span_ns` ending before `end_ns`, with times
    /// that are multiples of `res_ns`.
    pub fn new(count: u64, end_ns: i64, span_ns: i64, res_ns: i64) -> Self {
        let res = res_ns.max(1);
        let step = floor_to(span_ns / count.max(1) as i64, res).max(res);
        Dataset {
            base_count: count,
            base_start: floor_to(end_ns - step * count as i64, res),
            step,
            res,
            overlay: RwLock::new(Overlay {
                last_time: end_ns,
                ..Default::default()
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Records now (initial and added).
    pub fn len(&self) -> u64 {
        self.base_count + self.read().extra
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records at start.
    pub fn base_count(&self) -> u64 {
        self.base_count
    }

    fn base_time(&self, i: u64) -> i64 {
        self.base_start + self.step * i as i64
    }

    fn base_ref(&self, i: u64) -> RecordRef {
        let t = self.base_time(i);
        RecordRef {
            index: i,
            version: 0,
            updated: t,
            origin: t,
        }
    }

    /// The current state of record `index`.
    pub fn get(&self, index: u64) -> Option<RecordRef> {
        let o = self.read();
        if let Some(c) = o.state.get(&index) {
            return Some(changed_ref(index, c));
        }
        (index < self.base_count).then(|| self.base_ref(index))
    }

    /// First initial index updated at or after `t`.
    fn first_at_or_after(&self, t: i64) -> u64 {
        if t <= self.base_start {
            return 0;
        }
        let n = (t - self.base_start + self.step - 1) / self.step;
        (n.max(0) as u64).min(self.base_count)
    }

    /// The initial indices `[lo, hi)` whose original time is within `range`.
    fn base_bounds(&self, range: TimeRange) -> (u64, u64) {
        let lo = range.since.map_or(0, |s| self.first_at_or_after(s));
        let hi = range.until.map_or(self.base_count, |u| {
            self.first_at_or_after(u.saturating_add(1))
        });
        (lo, hi.max(lo))
    }

    /// Whether a key lies past every initial record (in the overlay's region).
    fn in_overlay_region(&self, k: Key) -> bool {
        self.base_count == 0 || k.updated > self.base_time(self.base_count - 1)
    }

    /// Records whose update time is in `range`.
    pub fn count(&self, range: TimeRange) -> u64 {
        let o = self.read();
        let (lo, hi) = self.base_bounds(range);
        let base = (hi - lo) - o.moved.range(lo..hi).count() as u64;
        let over = o.order.keys().filter(|(t, _)| range.contains(*t)).count() as u64;
        base + over
    }

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
            .filter(|(i, c)| range.contains(c.updated) && past(**i))
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

    /// Changes `n` existing records (spread over the set): each one's version goes up and
    /// its update time moves to `now`. Returns their indices.
    pub fn touch(&self, n: u64, now: i64) -> Vec<u64> {
        let len = self.len();
        if len == 0 {
            return vec![];
        }
        let mut o = self.overlay.write().unwrap_or_else(|e| e.into_inner());
        let mut touched = Vec::new();
        for _ in 0..n.min(len) {
            let index = (o.touches.wrapping_mul(7_919) + 13) % len;
            o.touches += 1;
            let old = o.state.get(&index).copied().unwrap_or(Changed {
                version: 0,
                updated: self.base_time(index),
                origin: self.base_time(index),
            });
            o.order.remove(&(old.updated, index));
            let t = self.next_time(&mut o, now);
            o.order.insert((t, index), old.version + 1);
            o.state.insert(
                index,
                Changed {
                    version: old.version + 1,
                    updated: t,
                    origin: old.origin,
                },
            );
            if index < self.base_count {
                o.moved.insert(index);
            }
            touched.push(index);
        }
        touched
    }

    /// Adds `n` new records updated `now`. Returns their indices.
    pub fn add(&self, n: u64, now: i64) -> Vec<u64> {
        let mut o = self.overlay.write().unwrap_or_else(|e| e.into_inner());
        let mut added = Vec::new();
        for _ in 0..n {
            let index = self.base_count + o.extra;
            o.extra += 1;
            let t = self.next_time(&mut o, now);
            o.order.insert((t, index), 0);
            o.state.insert(
                index,
                Changed {
                    version: 0,
                    updated: t,
                    origin: t,
                },
            );
            added.push(index);
        }
        added
    }

    /// A strictly increasing change time at the dataset's resolution.
    fn next_time(&self, o: &mut Overlay, now: i64) -> i64 {
        let t = floor_to(now, self.res).max(o.last_time + self.res);
        o.last_time = t;
        t
    }
}

fn changed_ref(index: u64, c: &Changed) -> RecordRef {
    RecordRef {
        index,
        version: c.version,
        updated: c.updated,
        origin: c.origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[RecordRef]) -> Vec<u64> {
        v.iter().map(|r| r.index).collect()
    }

    fn walk(d: &Dataset, range: TimeRange, order: Order, size: usize) -> Vec<u64> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let p = d.chunk(range, order, after, size);
            if p.is_empty() {
                return out;
            }
            after = p.last().map(Key::of);
            out.extend(ids(&p));
        }
    }

    #[test]
    fn ranges_pages_and_changes() {
        let now = 1_000_000_000_000_000_000;
        let d = Dataset::new(10, now, 10_000, 1_000);
        let all = TimeRange::default();
        assert_eq!(d.count(all), 10);
        assert_eq!(
            ids(&d.chunk(all, Order::UpdatedAsc, None, 3)),
            vec![0, 1, 2]
        );
        let t7 = d.base_time(7);
        let since = TimeRange {
            since: Some(t7),
            until: None,
        };
        assert_eq!(
            ids(&d.chunk(since, Order::UpdatedAsc, None, 10)),
            vec![7, 8, 9]
        );
        assert_eq!(
            d.count(TimeRange {
                since: Some(t7 + 1),
                until: None
            }),
            2
        );
        assert_eq!(
            d.count(TimeRange {
                since: None,
                until: Some(t7)
            }),
            8
        );
        let touched = d.touch(2, now);
        let added = d.add(1, now);
        assert_eq!(d.len(), 11);
        let order = walk(&d, all, Order::UpdatedAsc, 4);
        assert_eq!(order.len(), 11);
        assert_eq!(&order[8..], &[touched[0], touched[1], added[0]]);
        assert_eq!(d.get(touched[0]).unwrap().version, 1);
        let mut desc = walk(&d, all, Order::UpdatedDesc, 3);
        desc.reverse();
        assert_eq!(desc, order);
        let mut by_offset = Vec::new();
        for off in (0..11).step_by(3) {
            by_offset.extend(ids(&d.page_at(all, Order::UpdatedAsc, off, 3)));
        }
        assert_eq!(by_offset, order);
        assert_eq!(
            walk(&d, all, Order::IndexAsc, 4),
            (0..11).collect::<Vec<_>>()
        );
        assert_eq!(
            walk(&d, all, Order::IndexDesc, 4),
            (0..11).rev().collect::<Vec<_>>()
        );
        let recent = TimeRange {
            since: Some(d.get(touched[0]).unwrap().updated),
            until: None,
        };
        assert_eq!(d.count(recent), 3);
        assert_eq!(walk(&d, recent, Order::IndexAsc, 2).len(), 3);
        assert_eq!(ids(&d.page_at(all, Order::IndexDesc, 9, 5)), vec![1, 0]);
    }
}
