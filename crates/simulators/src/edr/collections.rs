//! The EDR collections: devices (agents, hosts, machines) and alerts (threats, detections),
//! each alert concerning one device. Also the EDR shorthand for changing them
//! ([`AdvanceSpec`]), which the admin API and tests use.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    collection::{Change, CollectionSpec},
    dataset::{Dataset, RecordRef},
    fake::DAY,
    filter::collect_paths,
    world::World,
};

/// The devices collection.
pub const DEVICES: &str = "devices";
/// The alerts collection.
pub const ALERTS: &str = "alerts";

/// Sizes when the configuration does not say.
pub const DEFAULT_DEVICES: u64 = 50;
pub const DEFAULT_ALERTS: u64 = 200;

/// Largest dataset sizes (ids encode indices in fixed-width fields).
pub const MAX_DEVICES: u64 = 10_000_000;
pub const MAX_ALERTS: u64 = 50_000_000;

/// How far back the initial devices' update times reach (devices check in daily).
pub const DEVICE_SPAN: i64 = 7 * DAY;
/// How far back the initial alerts' update times reach.
pub const ALERT_SPAN: i64 = 30 * DAY;

/// One tick of activity: a device enrols, three check in; five alerts are raised and
/// five move on.
const DEVICE_TICK: Change = Change {
    new: 1,
    updated: 3,
    deleted: 0,
};
const ALERT_TICK: Change = Change {
    new: 5,
    updated: 5,
    deleted: 0,
};

/// Stream numbers of the EDR record kinds (see [`crate::world::stream`]).
pub mod stream {
    pub const DEVICE: u64 = 1;
    pub const ALERT: u64 = 2;
    pub const ALERT_DEVICE: u64 = 3;
    pub const DEVICE_CHANGE: u64 = 7;
}

/// The devices collection at the vendor's timestamp precision.
pub const fn devices_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: DEVICES,
        default_count: DEFAULT_DEVICES,
        max: MAX_DEVICES,
        span_ns: DEVICE_SPAN,
        resolution_ns,
        refers_to: None,
        tick: DEVICE_TICK,
    }
}

/// The alerts collection at the vendor's timestamp precision.
pub const fn alerts_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: ALERTS,
        default_count: DEFAULT_ALERTS,
        max: MAX_ALERTS,
        span_ns: ALERT_SPAN,
        resolution_ns,
        refers_to: Some(DEVICES),
        tick: ALERT_TICK,
    }
}

/// The world's devices.
pub fn devices(world: &World) -> &Dataset {
    world.records(DEVICES)
}

/// The world's alerts.
pub fn alerts(world: &World) -> &Dataset {
    world.records(ALERTS)
}

/// The device (index) alert `alert` concerns (skewed: half of all alerts fall on the first
/// tenth of the devices).
pub fn alert_device(world: &World, alert: u64) -> u64 {
    world.related(stream::ALERT_DEVICE, alert, DEVICES)
}

/// A world of `devices` and `alerts` at a fixed start, for field lists and tests.
/// `collections` are the vendor's (devices first): they carry its timestamp precision.
pub fn sample_world(seed: u64, collections: &[CollectionSpec], devices: u64, alerts: u64) -> World {
    let sized = [(collections[0], devices), (collections[1], alerts)];
    World::new(seed, 1_700_000_000_000_000_000, &sized)
}

/// Every dotted field path of `collection`'s records in a sample world of `(devices,
/// alerts)`: the fields a vendor's query language may name, learned from what `render`
/// (the vendor's) produces.
pub fn field_paths(
    collections: &[CollectionSpec],
    (devices, alerts): (u64, u64),
    collection: &str,
    render: impl Fn(&World, &RecordRef) -> Value,
) -> HashSet<String> {
    let world = sample_world(7, collections, devices, alerts);
    let data = world.records(collection);
    let mut out = HashSet::new();
    for r in (0..data.len()).filter_map(|i| data.get(i)) {
        collect_paths(&render(&world, &r), "", &mut out);
    }
    out
}

/// Changes to make to the EDR data at once (see [`crate::SimControl::advance`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdvanceSpec {
    /// Alerts created now.
    pub new_alerts: u64,
    /// Existing alerts whose status moves one step on (and whose update time moves to now).
    pub updated_alerts: u64,
    /// Devices enrolled now.
    pub new_devices: u64,
    /// Existing devices that check in now (new last-seen time, state changes).
    pub updated_devices: u64,
}

impl AdvanceSpec {
    /// A small, typical batch of activity (used by `--advance-every`).
    pub fn tick() -> AdvanceSpec {
        AdvanceSpec {
            new_alerts: ALERT_TICK.new,
            updated_alerts: ALERT_TICK.updated,
            new_devices: DEVICE_TICK.new,
            updated_devices: DEVICE_TICK.updated,
        }
    }

    /// The same changes per collection: devices first, then alerts.
    pub fn changes(&self) -> [(&'static str, Change); 2] {
        let devices = Change {
            new: self.new_devices,
            updated: self.updated_devices,
            deleted: 0,
        };
        let alerts = Change {
            new: self.new_alerts,
            updated: self.updated_alerts,
            deleted: 0,
        };
        [(DEVICES, devices), (ALERTS, alerts)]
    }
}
