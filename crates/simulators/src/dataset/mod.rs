//! A lazily generated, time-ordered collection of records that changes over time.
//!
//! Record `i` of the initial set was last updated at `base_start + i * step` (all in the
//! past), so "updated within a range, oldest first" is a range of indices found by
//! arithmetic. Records changed or created later (`touch`, `add`) live in a small overlay
//! keyed by their new update time, which is always later than every initial record's:
//! the update-ordered stream is "initial records not in the overlay" then "the overlay".
//! A deleted record (`delete`) leaves every listing and lookup; its tombstone, keyed by the
//! deletion time, is listed by `deleted` for APIs that report deletions.
//! Times are epoch nanoseconds, multiples of the dataset's resolution (the vendor's
//! timestamp precision), so a rendered timestamp is exactly the stored one.

mod walk;

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
    /// The update time before the last change (`origin` for the first version): when a
    /// state the record left began (a fixed finding was last seen then).
    pub prior: i64,
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
    prior: i64,
    /// Deleted at `updated`: listed only as a tombstone.
    deleted: bool,
}

#[derive(Default)]
struct Overlay {
    /// Live changed and added records by (update time, index).
    order: BTreeMap<(i64, u64), u32>,
    state: HashMap<u64, Changed>,
    /// Initial records that moved into the overlay (changed or deleted).
    moved: BTreeSet<u64>,
    /// Tombstones by (deletion time, index).
    tombstones: BTreeSet<(i64, u64)>,
    extra: u64,
    last_time: i64,
    touches: u64,
    deletes: u64,
}

impl Overlay {
    fn is_deleted(&self, index: u64) -> bool {
        self.state.get(&index).is_some_and(|c| c.deleted)
    }
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

    /// Live records now (initial and added, less deleted).
    pub fn len(&self) -> u64 {
        let o = self.read();
        self.base_count + o.extra - o.tombstones.len() as u64
    }

    /// Records ever created: indices below this were issued (some may be deleted).
    pub fn created(&self) -> u64 {
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
            prior: t,
        }
    }

    /// The current state of record `index` (None when it does not exist or was deleted).
    pub fn get(&self, index: u64) -> Option<RecordRef> {
        let o = self.read();
        if let Some(c) = o.state.get(&index) {
            return (!c.deleted).then(|| changed_ref(index, c));
        }
        (index < self.base_count).then(|| self.base_ref(index))
    }

    /// Record `index`'s tombstone (its last state, `updated` the deletion time), if deleted.
    pub fn tombstone(&self, index: u64) -> Option<RecordRef> {
        let o = self.read();
        let c = o.state.get(&index).filter(|c| c.deleted)?;
        Some(changed_ref(index, c))
    }

    /// Up to `max` tombstones deleted within `range`, oldest deletion first, strictly after
    /// position `after`.
    pub fn deleted(&self, range: TimeRange, after: Option<Key>, max: usize) -> Vec<RecordRef> {
        let o = self.read();
        let start = after.map_or(Bound::Unbounded, |k| Bound::Excluded((k.updated, k.index)));
        o.tombstones
            .range((start, Bound::Unbounded))
            .filter(|(t, _)| range.contains(*t))
            .take(max)
            .map(|(_, i)| changed_ref(*i, &o.state[i]))
            .collect()
    }

    /// The latest change time so far (the last initial record's time before any change):
    /// every later change is strictly later, so it is a safe watermark for "everything up
    /// to now" even when changes were given times ahead of the clock.
    pub fn latest(&self) -> i64 {
        self.read().last_time
    }

    /// Records created at or before `t` (deleted ones included): indices below this
    /// existed then. Added records have strictly increasing creation times, so this is a
    /// binary search over the overlay; every initial record predates every change.
    pub fn created_by(&self, t: i64) -> u64 {
        let o = self.read();
        let (mut lo, mut hi) = (0, o.extra);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let origin = o
                .state
                .get(&(self.base_count + mid))
                .map_or(i64::MAX, |c| c.origin);
            if origin <= t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.base_count + lo
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

    /// Changes `n` existing records (spread over the set): each one's version goes up and
    /// its update time moves to `now`. Returns their indices.
    pub fn touch(&self, n: u64, now: i64) -> Vec<u64> {
        self.change(n, now, false)
    }

    /// Deletes `n` existing records (spread over the set) at `now`. Returns their indices.
    pub fn delete(&self, n: u64, now: i64) -> Vec<u64> {
        self.change(n, now, true)
    }

    fn change(&self, n: u64, now: i64, delete: bool) -> Vec<u64> {
        let mut o = self.overlay.write().unwrap_or_else(|e| e.into_inner());
        let created = self.base_count + o.extra;
        let live = created - o.tombstones.len() as u64;
        let mut changed = Vec::new();
        for _ in 0..n.min(live) {
            let index = self.pick(&mut o, created, delete);
            let old = o.state.get(&index).copied().unwrap_or(Changed {
                version: 0,
                updated: self.base_time(index),
                origin: self.base_time(index),
                prior: self.base_time(index),
                deleted: false,
            });
            o.order.remove(&(old.updated, index));
            let t = self.next_time(&mut o, now);
            if delete {
                o.tombstones.insert((t, index));
            } else {
                o.order.insert((t, index), old.version + 1);
            }
            let new = Changed {
                version: old.version + 1,
                updated: t,
                origin: old.origin,
                prior: old.updated,
                deleted: delete,
            };
            o.state.insert(index, new);
            if index < self.base_count {
                o.moved.insert(index);
            }
            changed.push(index);
        }
        changed
    }

    /// The next live record to change: a fixed stride through the indices, so changes
    /// spread over the set and repeat for the same seed (deletions use their own stride).
    fn pick(&self, o: &mut Overlay, created: u64, delete: bool) -> u64 {
        loop {
            let index = if delete {
                o.deletes += 1;
                (o.deletes.wrapping_mul(6_007) + 101) % created
            } else {
                o.touches += 1;
                ((o.touches - 1).wrapping_mul(7_919) + 13) % created
            };
            if !o.is_deleted(index) {
                return index;
            }
        }
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
                    prior: t,
                    deleted: false,
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
        prior: c.prior,
    }
}

#[cfg(test)]
mod tests;
