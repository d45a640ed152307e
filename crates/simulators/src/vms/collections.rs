//! The VMS collections: assets and findings, each finding on one asset.

use crate::{
    collection::{Change, CollectionSpec},
    dataset::Dataset,
    fake::DAY,
    world::{stream::named, World},
};

/// The assets collection.
pub const ASSETS: &str = "assets";
/// The findings collection.
pub const FINDINGS: &str = "findings";

/// Most assets and findings at start (ids encode indices in fixed-width fields).
pub const MAX_ASSETS: u64 = 10_000_000;
pub const MAX_FINDINGS: u64 = 50_000_000;

/// How far back the initial assets' update times reach (scanned weekly).
pub const ASSET_SPAN: i64 = 14 * DAY;
/// How far back the initial findings' update times reach (a quarter of scans).
pub const FINDING_SPAN: i64 = 90 * DAY;

/// Stream numbers of the VMS record kinds (see [`crate::world::stream`]).
pub mod stream {
    use super::named;

    pub const ASSET: u64 = named("vms-asset");
    pub const ASSET_CHANGE: u64 = named("vms-asset-change");
    pub const FINDING: u64 = named("vms-finding");
    pub const FINDING_ASSET: u64 = named("vms-finding-asset");
}

/// The assets collection at the vendor's timestamp precision: one tick scans three
/// assets again, discovers one and retires none.
pub const fn assets_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: ASSETS,
        default_count: 50,
        max: MAX_ASSETS,
        span_ns: ASSET_SPAN,
        resolution_ns,
        refers_to: None,
        tick: Change {
            new: 1,
            updated: 3,
            deleted: 0,
        },
    }
}

/// The findings collection at the vendor's timestamp precision: one tick finds twenty
/// new findings and fixes or reopens ten.
pub const fn findings_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: FINDINGS,
        default_count: 500,
        max: MAX_FINDINGS,
        span_ns: FINDING_SPAN,
        resolution_ns,
        refers_to: Some(ASSETS),
        tick: Change {
            new: 20,
            updated: 10,
            deleted: 0,
        },
    }
}

/// The world's assets.
pub fn assets(world: &World) -> &Dataset {
    world.records(ASSETS)
}

/// The world's findings.
pub fn findings(world: &World) -> &Dataset {
    world.records(FINDINGS)
}

/// The asset (index) finding `i` is on (skewed like alerts on devices).
pub fn finding_asset(world: &World, i: u64) -> u64 {
    world.related(stream::FINDING_ASSET, i, ASSETS)
}

/// Whether finding `i` is listed: its asset still exists (an asset deleted or aged out
/// takes its findings with it, with no FIXED event, as Tenable's age-out does).
pub fn finding_live(world: &World, i: u64) -> bool {
    let assets = assets(world);
    // Nothing deleted (the usual case): no lookup per finding.
    assets.len() == assets.created() || assets.get(finding_asset(world, i)).is_some()
}
