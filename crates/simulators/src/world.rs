//! The simulated tenant: its devices and alerts (lazily generated, changing over time)
//! and its clock. Vendor modules render these records in their own formats.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::{
    dataset::Dataset,
    fake::{Rng, DAY, HOUR},
};

/// Stream numbers for [`Rng::for_record`], so different kinds of values never share a
/// random sequence.
pub mod stream {
    pub const DEVICE: u64 = 1;
    pub const ALERT: u64 = 2;
    pub const ALERT_DEVICE: u64 = 3;
    pub const TENANT: u64 = 4;
    pub const CREDENTIAL: u64 = 5;
    pub const TOKEN: u64 = 6;
    pub const DEVICE_CHANGE: u64 = 7;
}

/// How far back the initial devices' update times reach (devices check in daily).
pub const DEVICE_SPAN: i64 = 7 * DAY;
/// How far back the initial alerts' update times reach.
pub const ALERT_SPAN: i64 = 30 * DAY;

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

    /// Epoch nanoseconds now.
    pub fn now_ns(&self) -> i64 {
        self.start_ns + self.started.elapsed().as_nanos() as i64
    }
}

/// Changes to make to the data at once (see [`crate::SimControl::advance`]).
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
            new_alerts: 5,
            updated_alerts: 5,
            new_devices: 1,
            updated_devices: 3,
        }
    }
}

/// The records one advance changed, by index.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub new_alerts: Vec<u64>,
    pub updated_alerts: Vec<u64>,
    pub new_devices: Vec<u64>,
    pub updated_devices: Vec<u64>,
}

/// Devices and alerts of one simulated tenant.
pub struct World {
    pub seed: u64,
    pub devices: Dataset,
    pub alerts: Dataset,
    pub clock: Clock,
}

impl World {
    /// `res` is the vendor's timestamp precision for (devices, alerts), in nanoseconds.
    pub fn new(seed: u64, devices: u64, alerts: u64, start_ns: i64, res: (i64, i64)) -> World {
        // Initial records end an hour before the start, so every later change sorts after them.
        let end = start_ns - HOUR;
        World {
            seed,
            devices: Dataset::new(devices, end, DEVICE_SPAN, res.0),
            alerts: Dataset::new(alerts, end, ALERT_SPAN, res.1),
            clock: Clock::new(start_ns),
        }
    }

    /// The device (index) alert `alert` concerns: half of all alerts fall on the first
    /// tenth of the devices, as real alert volume is skewed.
    pub fn alert_device(&self, alert: u64) -> u64 {
        let n = self.devices.base_count().max(1);
        let mut r = Rng::for_record(self.seed, stream::ALERT_DEVICE, alert);
        if r.chance(50) {
            r.below((n / 10).max(1))
        } else {
            r.below(n)
        }
    }

    /// Applies `spec` now.
    pub fn advance(&self, spec: AdvanceSpec) -> Changes {
        let now = self.clock.now_ns();
        Changes {
            updated_devices: self.devices.touch(spec.updated_devices, now),
            new_devices: self.devices.add(spec.new_devices, now),
            updated_alerts: self.alerts.touch(spec.updated_alerts, now),
            new_alerts: self.alerts.add(spec.new_alerts, now),
        }
    }
}
