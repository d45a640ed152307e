//! The dataset's ranges, orders, pages and changes.

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

#[test]
fn deleted_records_leave_listings_and_leave_tombstones() {
    let now = 1_000_000_000_000_000_000;
    let d = Dataset::new(10, now, 10_000, 1_000);
    let all = TimeRange::default();
    d.touch(1, now);
    let gone = d.delete(3, now);
    assert_eq!(gone.len(), 3);
    let added = d.add(1, now);
    assert_eq!((d.len(), d.created()), (8, 11));
    assert_eq!(d.count(all), 8);
    for order in [
        Order::UpdatedAsc,
        Order::UpdatedDesc,
        Order::IndexAsc,
        Order::IndexDesc,
    ] {
        let listed = walk(&d, all, order, 3);
        assert_eq!(listed.len(), 8, "{order:?}");
        assert!(gone.iter().all(|g| !listed.contains(g)), "{order:?}");
        assert!(listed.contains(&added[0]));
    }
    let by_offset: Vec<u64> = (0..8)
        .step_by(3)
        .flat_map(|off| ids(&d.page_at(all, Order::UpdatedAsc, off, 3)))
        .collect();
    assert_eq!(by_offset, walk(&d, all, Order::UpdatedAsc, 4));
    for g in &gone {
        assert_eq!(d.get(*g), None);
        let t = d.tombstone(*g).expect("tombstone");
        assert!(t.updated >= now);
    }
    let tombs = d.deleted(all, None, 10);
    assert_eq!(ids(&tombs), gone, "oldest deletion first");
    assert_eq!(
        ids(&d.deleted(all, tombs.first().map(Key::of), 10)),
        &gone[1..]
    );
    // Changes skip deleted records; deleting everything leaves nothing to change.
    assert!(d.touch(20, now).iter().all(|i| !gone.contains(i)));
    assert_eq!(d.delete(100, now).len(), 8);
    assert_eq!((d.len(), d.count(all)), (0, 0));
    assert!(d.touch(5, now).is_empty());
}

#[test]
fn created_by_counts_records_that_existed_then() {
    let now = 1_000_000_000_000_000_000;
    let d = Dataset::new(5, now, 10_000, 1_000);
    assert_eq!(d.created_by(now), 5, "initial records predate every change");
    d.add(2, now + 10_000);
    d.add(1, now + 50_000);
    d.delete(1, now + 60_000);
    assert_eq!(d.created_by(now + 5_000), 5);
    assert_eq!(d.created_by(now + 11_000), 7);
    assert_eq!(d.created_by(now + 50_000), 8);
    assert_eq!(
        d.created_by(i64::MAX),
        8,
        "deleted records were created too"
    );
}
