//! The simulated tenant: one lazily generated, time-ordered dataset per collection its
//! vendor declares, and its clock. Vendor folders render these records in their own
//! formats; category modules (e.g. `edr`) say what a record of a kind looks like.

use std::time::Instant;

use crate::{
    collection::{Change, Changed, CollectionSpec, UnknownCollection},
    dataset::Dataset,
    fake::{Rng, HOUR},
};

/// Stream numbers for [`Rng::for_record`], so different kinds of values never share a
/// random sequence. Category modules own the streams of their record kinds (small fixed
/// numbers for the existing ones; [`stream::named`] for new ones).
pub mod stream {
    pub const TENANT: u64 = 4;
    pub const CREDENTIAL: u64 = 5;
    pub const TOKEN: u64 = 6;

    /// A stream for `name` (FNV-1a with the top bit set): distinct per name and never one
    /// of the small fixed numbers, so a new kind needs no entry here.
    pub const fn named(name: &str) -> u64 {
        let bytes = name.as_bytes();
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut i = 0;
        while i < bytes.len() {
            h = (h ^ bytes[i] as u64).wrapping_mul(0x100_0000_01b3);
            i += 1;
        }
        h | 1 << 63
    }
}

/// The simulated "now": a start time plus real elapsed time.
#[derive(Debug)]
pub struct Clock {
    start_ns: i64,
    started: Instant,
}

impl Clock {
    pub fn new(start_ns: i64) -> Clock {
        Clock {
            start_ns,
            started: Instant::now(),
        }
    }

    /// Epoch nanoseconds when the simulator started.
    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }

    /// Epoch nanoseconds now.
    pub fn now_ns(&self) -> i64 {
        self.start_ns + self.started.elapsed().as_nanos() as i64
    }
}

/// The collections of one simulated tenant.
pub struct World {
    pub seed: u64,
    pub clock: Clock,
    collections: Vec<(CollectionSpec, Dataset)>,
}

impl World {
    /// `collections` are the vendor's declared collections with their sizes at start.
    pub fn new(seed: u64, start_ns: i64, collections: &[(CollectionSpec, u64)]) -> World {
        // Initial records end an hour before the start, so every later change sorts after them.
        let end = start_ns - HOUR;
        let collections = collections
            .iter()
            .map(|(spec, count)| {
                let data = Dataset::new(*count, end, spec.span_ns, spec.resolution_ns);
                (*spec, data)
            })
            .collect();
        World {
            seed,
            clock: Clock::new(start_ns),
            collections,
        }
    }

    /// The collection `name`, if this world has it.
    pub fn get(&self, name: &str) -> Option<&Dataset> {
        self.collections
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(_, d)| d)
    }

    /// The collection `name`, which the vendor declared: asking for another is a bug in
    /// the vendor folder, not something a request can cause.
    pub fn records(&self, name: &str) -> &Dataset {
        self.get(name)
            .unwrap_or_else(|| panic!("this simulator declares no {name:?} collection"))
    }

    /// The declared collections, in declaration order.
    pub fn specs(&self) -> impl Iterator<Item = &CollectionSpec> {
        self.collections.iter().map(|(s, _)| s)
    }

    /// Live records per collection, in declaration order.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        self.collections
            .iter()
            .map(|(s, d)| (s.name, d.len()))
            .collect()
    }

    /// The record of `target` that record `index` of another collection refers to (an
    /// alert's device, a finding's asset): half of them fall on the first tenth of the
    /// targets, as real volume is skewed. `stream` is the referring kind's own.
    pub fn related(&self, stream: u64, index: u64, target: &str) -> u64 {
        let n = self.get(target).map_or(0, Dataset::base_count).max(1);
        let mut r = Rng::for_record(self.seed, stream, index);
        if r.chance(50) {
            r.below((n / 10).max(1))
        } else {
            r.below(n)
        }
    }

    /// Applies `changes` now, in order (within a collection: updates, deletions, then new
    /// records).
    pub fn advance(
        &self,
        changes: &[(&str, Change)],
    ) -> Result<Vec<(&'static str, Changed)>, UnknownCollection> {
        // Every name is checked first, so a bad request changes nothing.
        if let Some((name, _)) = changes.iter().find(|(n, _)| self.get(n).is_none()) {
            return Err(UnknownCollection {
                name: (*name).to_owned(),
                expected: self.specs().map(|s| s.name).collect(),
            });
        }
        let now = self.clock.now_ns();
        let mut out = Vec::with_capacity(changes.len());
        for (name, change) in changes {
            let Some((spec, data)) = self.collections.iter().find(|(s, _)| s.name == *name) else {
                continue;
            };
            let changed = Changed {
                updated: data.touch(change.updated, now),
                deleted: data.delete(change.deleted, now),
                new: data.add(change.new, now),
            };
            out.push((spec.name, changed));
        }
        Ok(out)
    }

    /// What one tick changes: each collection's declared tick.
    pub fn tick(&self) -> Vec<(&'static str, Change)> {
        self.specs().map(|s| (s.name, s.tick)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::DAY;

    const THINGS: CollectionSpec = CollectionSpec {
        name: "things",
        default_count: 10,
        max: 1000,
        span_ns: DAY,
        resolution_ns: 1_000,
        refers_to: None,
        tick: Change {
            new: 1,
            updated: 2,
            deleted: 1,
        },
    };

    #[test]
    fn collections_are_named_and_change_together() {
        let parts = CollectionSpec {
            name: "parts",
            refers_to: Some("things"),
            ..THINGS
        };
        let w = World::new(1, 1_700_000_000_000_000_000, &[(THINGS, 10), (parts, 40)]);
        assert_eq!(w.counts(), vec![("things", 10), ("parts", 40)]);
        assert!(w.get("nope").is_none());
        let changed = w.advance(&w.tick()).expect("declared");
        assert_eq!(changed.len(), 2);
        let (name, c) = &changed[0];
        assert_eq!((*name, c.new.len(), c.updated.len()), ("things", 1, 2));
        assert_eq!(c.deleted.len(), 1);
        assert!(w.records("things").get(c.deleted[0]).is_none());
        assert_eq!(w.counts(), vec![("things", 10), ("parts", 40)]);
        let one = Change {
            new: 1,
            ..Change::default()
        };
        let err = w.advance(&[("things", one), ("nope", one)]).unwrap_err();
        assert_eq!(err.expected, vec!["things", "parts"]);
        assert_eq!(w.records("things").created(), 11, "nothing changed");
        assert!((0..40).all(|i| w.related(stream::named("parts"), i, "things") < 10));
        assert_ne!(stream::named("parts"), stream::named("things"));
        assert!(stream::named("things") > stream::TOKEN);
    }
}
