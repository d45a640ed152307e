//! Who belongs to what. Initial group memberships are arithmetic: membership record `i`
//! below the initial count puts slot `k` of group `g` (a keyed permutation of the initial
//! users, so a group never lists a user twice), half of them in the first tenth of the
//! groups (big groups) and half spread over all. Memberships added later pick a group and
//! either a user created since or the group's next unused slot; deleted membership records
//! are removed members. App assignments and policy targets are in `assignments`.

use std::collections::{HashMap, HashSet};

use super::collections::{groups, memberships, stream, users};
use crate::{
    dataset::{RecordRef, TimeRange},
    fake::Rng,
    ids::feistel,
    world::World,
};

/// The arithmetic layout of the initial memberships.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    seed: u64,
    edges: u64,
    groups: u64,
    users: u64,
    big: u64,
    half: u64,
}

impl Layout {
    pub fn of(world: &World) -> Layout {
        let groups = groups(world).base_count();
        let edges = memberships(world).base_count();
        Layout {
            seed: world.seed,
            edges,
            groups,
            users: users(world).base_count(),
            big: (groups / 10).max(1),
            half: edges / 2,
        }
    }

    /// Initial memberships of big group `g` in the first half.
    fn first_half_of(&self, g: u64) -> u64 {
        if g >= self.big || g >= self.half {
            0
        } else {
            (self.half - g).div_ceil(self.big)
        }
    }

    /// The (group, slot) of initial membership `i`.
    pub fn edge(&self, i: u64) -> Option<(u64, u64)> {
        if i >= self.edges || self.groups == 0 {
            return None;
        }
        if i < self.half {
            return Some((i % self.big, i / self.big));
        }
        let j = i - self.half;
        let g = j % self.groups;
        Some((g, self.first_half_of(g) + j / self.groups))
    }

    /// Initial membership records of group `g`, in ascending order.
    pub fn edges_of(&self, g: u64) -> impl Iterator<Item = u64> + '_ {
        let first = (0..self.first_half_of(g)).map(move |k| g + k * self.big);
        let second = (self.half + g..self.edges).step_by(self.groups.max(1) as usize);
        let second = second.take_while(move |_| g < self.groups);
        first.chain(second)
    }

    /// How many initial slots group `g` has.
    pub fn slots(&self, g: u64) -> u64 {
        if g >= self.groups {
            return 0;
        }
        let rest = self.edges - self.half;
        let second = if g < rest {
            (rest - g).div_ceil(self.groups)
        } else {
            0
        };
        self.first_half_of(g) + second
    }

    /// The initial user in slot `slot` of group `g` (None past the last user).
    pub fn slot_user(&self, g: u64, slot: u64) -> Option<u64> {
        permuted(self.seed ^ g.wrapping_mul(0x9E37_79B9), slot, self.users)
    }
}

/// Position `k` of a keyed permutation of `0..n` (a Feistel network on the smallest square
/// covering `n`, walking the cycle back into range). None when `k >= n`.
pub fn permuted(key: u64, k: u64, n: u64) -> Option<u64> {
    if k >= n {
        return None;
    }
    let m = (n as f64).sqrt().ceil() as u64 + 1;
    let mut y = feistel(k, m, key);
    while y >= n {
        y = feistel(y, m, key);
    }
    Some(y)
}

/// One membership edge now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The membership record.
    pub record: u64,
    pub group: u64,
    pub user: u64,
    /// When the user joined (the record's creation; initial ones: long ago).
    pub added: i64,
    /// When the membership was removed (the record's deletion), if it was.
    pub removed: Option<i64>,
}

/// The membership changes made since start, by group: one pass over the added and
/// deleted membership records (bounded by the number of changes, not the directory).
#[derive(Debug, Default)]
pub struct Changes {
    /// Added memberships by group, oldest first (removed ones carry `removed`).
    pub added: HashMap<u64, Vec<Edge>>,
    /// Initial memberships removed, by group.
    pub removed: HashMap<u64, Vec<Edge>>,
    /// The latest change per group.
    pub last: HashMap<u64, i64>,
}

impl Changes {
    /// Reads every change from the world.
    pub fn of(world: &World) -> Changes {
        let layout = Layout::of(world);
        let data = memberships(world);
        let mut out = Changes::default();
        let mut next_slot: HashMap<u64, u64> = HashMap::new();
        let mut joined: HashSet<(u64, u64)> = HashSet::new();
        for record in data.base_count()..data.created() {
            let (r, removed) = match (data.get(record), data.tombstone(record)) {
                (Some(r), _) => (r, None),
                (None, Some(t)) => (t, Some(t.updated)),
                (None, None) => continue,
            };
            let Some((group, user)) = added_edge(world, &layout, &r, &mut next_slot, &mut joined)
            else {
                continue;
            };
            let edge = Edge {
                record,
                group,
                user,
                added: r.origin,
                removed,
            };
            out.note(group, removed.unwrap_or(r.origin));
            out.added.entry(group).or_default().push(edge);
        }
        for t in data.deleted(TimeRange::default(), None, usize::MAX) {
            let Some((group, slot)) = layout.edge(t.index) else {
                continue;
            };
            let Some(user) = layout.slot_user(group, slot) else {
                continue;
            };
            let edge = Edge {
                record: t.index,
                group,
                user,
                added: t.origin,
                removed: Some(t.updated),
            };
            out.note(group, t.updated);
            out.removed.entry(group).or_default().push(edge);
        }
        out
    }

    fn note(&mut self, group: u64, at: i64) {
        let last = self.last.entry(group).or_insert(at);
        *last = (*last).max(at);
    }

    /// Whether initial membership `record` of `group` was removed.
    pub fn base_removed(&self, group: u64, record: u64) -> bool {
        self.removed
            .get(&group)
            .is_some_and(|v| v.iter().any(|e| e.record == record))
    }
}

/// The (group, user) of a membership added after start: a group that existed then
/// (skewed to the big ones), and a user created since (40 %) or the group's next slot.
fn added_edge(
    world: &World,
    layout: &Layout,
    r: &RecordRef,
    next_slot: &mut HashMap<u64, u64>,
    joined: &mut HashSet<(u64, u64)>,
) -> Option<(u64, u64)> {
    let mut g = Rng::for_record(world.seed, stream::MEMBER, r.index);
    let n_groups = groups(world).created_by(r.origin);
    if n_groups == 0 {
        return None;
    }
    let group = if g.chance(50) {
        g.below((n_groups / 10).max(1))
    } else {
        g.below(n_groups)
    };
    let n_users = users(world).created_by(r.origin);
    let fresh = n_users.saturating_sub(layout.users);
    if fresh > 0 && g.chance(40) {
        let user = layout.users + g.below(fresh);
        if joined.insert((group, user)) {
            return Some((group, user));
        }
    }
    let slot = next_slot
        .entry(group)
        .or_insert_with(|| layout.slots(group));
    let user = layout.slot_user(group, *slot)?;
    *slot += 1;
    Some((group, user))
}

/// The members of `group` now, in membership-record order, strictly after record
/// `after`: initial ones not removed, then added ones; users deleted since are left out.
pub fn members(
    world: &World,
    changes: &Changes,
    group: u64,
    after: Option<u64>,
    max: usize,
) -> Vec<Edge> {
    let layout = Layout::of(world);
    let users = users(world);
    let live = |u: u64| users.get(u).is_some();
    let past = |record: u64| after.is_none_or(|a| record > a);
    let mut out = Vec::new();
    for record in layout.edges_of(group).filter(|r| past(*r)) {
        if out.len() >= max {
            return out;
        }
        let Some((_, slot)) = layout.edge(record) else {
            continue;
        };
        let Some(user) = layout.slot_user(group, slot) else {
            continue;
        };
        if changes.base_removed(group, record) || !live(user) {
            continue;
        }
        out.push(Edge {
            record,
            group,
            user,
            added: i64::MIN,
            removed: None,
        });
    }
    let added = changes
        .added
        .get(&group)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for e in added
        .iter()
        .filter(|e| e.removed.is_none() && past(e.record) && live(e.user))
    {
        if out.len() >= max {
            break;
        }
        out.push(*e);
    }
    out
}

/// The (group, user) membership record `index` joins, if it names one.
pub fn edge_of(world: &World, index: u64) -> Option<(u64, u64)> {
    let layout = Layout::of(world);
    match layout.edge(index) {
        Some((g, slot)) => Some((g, layout.slot_user(g, slot)?)),
        None => Changes::of(world)
            .added
            .values()
            .flatten()
            .find(|e| e.record == index)
            .map(|e| (e.group, e.user)),
    }
}

/// Membership record `index` as `<group id>:<user id>` in a vendor's ids (neither vendor
/// has an id for a membership); `:<index>` when it names none.
pub fn membership_label(
    world: &World,
    index: u64,
    group_id: impl Fn(u64) -> String,
    user_id: impl Fn(u64) -> String,
) -> String {
    match edge_of(world, index) {
        Some((g, u)) => format!("{}:{}", group_id(g), user_id(u)),
        None => format!(":{index}"),
    }
}

/// When `group`'s membership last changed: its initial time or the latest change.
pub fn membership_updated(changes: &Changes, group: u64, base: i64) -> i64 {
    changes.last.get(&group).map_or(base, |t| base.max(*t))
}

/// Membership changes of `group` in `(since, until]`: (added users, removed users).
pub fn changes_since(
    changes: &Changes,
    group: u64,
    since: i64,
    until: i64,
) -> (Vec<u64>, Vec<u64>) {
    let within = |t: i64| t > since && t <= until;
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for e in changes.added.get(&group).into_iter().flatten() {
        let gone = e.removed.filter(|t| *t <= until);
        match gone {
            None if within(e.added) => added.push(e.user),
            Some(t) if within(t) && e.added <= since => removed.push(e.user),
            _ => {}
        }
    }
    for e in changes.removed.get(&group).into_iter().flatten() {
        if e.removed.is_some_and(within) {
            removed.push(e.user);
        }
    }
    (added, removed)
}

/// Groups with membership changes in `(since, until]`, in index order.
pub fn changed_groups(changes: &Changes, since: i64, until: i64) -> Vec<u64> {
    let mut groups: Vec<u64> = changes
        .added
        .keys()
        .chain(changes.removed.keys())
        .copied()
        .filter(|g| {
            let (a, r) = changes_since(changes, *g, since, until);
            !a.is_empty() || !r.is_empty()
        })
        .collect();
    groups.sort_unstable();
    groups.dedup();
    groups
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::{
        collection::Change,
        idp::collections::{all_specs, MEMBERSHIPS},
    };

    fn world(users: u64, groups: u64, edges: u64) -> World {
        let [u, g, a, p, m] = all_specs(1_000_000);
        World::new(
            7,
            1_700_000_000_000_000_000,
            &[(u, users), (g, groups), (a, 3), (p, 9), (m, edges)],
        )
    }

    #[test]
    fn the_layout_lists_each_initial_membership_once_and_no_user_twice() {
        let w = world(500, 37, 2_000);
        let layout = Layout::of(&w);
        let mut seen = HashSet::new();
        for g in 0..37 {
            let records: Vec<u64> = layout.edges_of(g).collect();
            assert_eq!(records.len() as u64, layout.slots(g), "group {g}");
            assert!(records.windows(2).all(|p| p[0] < p[1]), "ascending");
            let users: HashSet<u64> = records
                .iter()
                .map(|r| {
                    let (group, slot) = layout.edge(*r).expect("an initial record");
                    assert_eq!(group, g);
                    layout.slot_user(g, slot).expect("a user")
                })
                .collect();
            assert_eq!(users.len(), records.len(), "group {g} lists nobody twice");
            seen.extend(records);
        }
        assert_eq!(seen.len(), 2_000, "every record belongs to one group");
        let big = layout.slots(0);
        assert!(big > layout.slots(36) * 3, "the first tenth are big groups");
    }

    #[test]
    fn permutations_are_bijections() {
        for n in [1u64, 2, 17, 1_000] {
            let all: HashSet<u64> = (0..n).filter_map(|k| permuted(9, k, n)).collect();
            assert_eq!(all.len() as u64, n);
            assert!(all.iter().all(|u| *u < n));
            assert_eq!(permuted(9, n, n), None);
        }
    }

    #[test]
    fn added_and_removed_members_show_in_lists_and_changes() {
        let w = world(50, 5, 40);
        let before: usize = (0..5)
            .map(|g| members(&w, &Changes::of(&w), g, None, usize::MAX).len())
            .sum();
        assert_eq!(before, 40);
        let t0 = memberships(&w).latest();
        w.advance(&[(
            MEMBERSHIPS,
            Change {
                new: 6,
                updated: 0,
                deleted: 4,
            },
        )])
        .unwrap();
        let changes = Changes::of(&w);
        let after: usize = (0..5)
            .map(|g| members(&w, &changes, g, None, usize::MAX).len())
            .sum();
        assert_eq!(after, 42);
        let (added, removed) = (0..5)
            .map(|g| changes_since(&changes, g, t0, i64::MAX))
            .fold((0, 0), |(a, r), (x, y)| (a + x.len(), r + y.len()));
        assert_eq!((added, removed), (6, 4));
        assert!(changed_groups(&changes, t0, i64::MAX)
            .iter()
            .all(|g| *g < 5));
        assert!(changed_groups(&changes, i64::MAX - 1, i64::MAX).is_empty());
        let last = memberships(&w).latest();
        assert!((0..5).any(|g| membership_updated(&changes, g, 0) == last));
        assert!(edge_of(&w, 0).is_some() && edge_of(&w, 45).is_some());
    }
}
