//! What the simulated fleet and its threats look like, independent of any vendor's format:
//! a device's operating system, names and addresses; an alert's scenario, process and
//! hashes. EDR vendor folders render these in their own shapes and enum spellings.

use super::{
    catalog::{
        Family, Os, Scenario, AD_DOMAINS, AGENT_VERSIONS, LINUX_PREFIXES, MACS, OSES, SCENARIOS,
        SERVERS, SRV_PREFIXES, WIN_PREFIXES, WORKSTATIONS,
    },
    collections::{alert_device, devices, stream},
};
use crate::{
    dataset::RecordRef,
    fake::{ipv6, mac_bytes, private_ipv4, public_ipv4, user_name, Rng, DAY, MIN, SEC},
    ids::base36_code,
    world::World,
};

/// A device as the simulated tenant knows it.
#[derive(Debug, Clone)]
pub struct DeviceCore {
    pub index: u64,
    pub version: u32,
    pub os: &'static Os,
    pub hostname: String,
    /// Active Directory domain (NetBIOS name), None when not joined.
    pub domain: Option<&'static str>,
    pub user: String,
    pub local_ip: String,
    pub ipv6: String,
    pub external_ip: String,
    pub gateway_ip: String,
    pub mac: [u8; 6],
    pub gateway_mac: [u8; 6],
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub serial: String,
    /// A cloud instance (AWS) for some servers: (instance id, region, account).
    pub cloud: Option<(String, &'static str, String)>,
    /// 0..3: which site / group / OU the device belongs to.
    pub site: usize,
    pub first_seen: i64,
    pub last_seen: i64,
    pub updated: i64,
    pub agent_version_index: usize,
}

impl DeviceCore {
    /// A laptop (for vendors that tell laptops and desktops apart).
    pub fn is_laptop(&self) -> bool {
        !self.os.server
            && (self.hostname.starts_with("LAPTOP")
                || self.hostname.starts_with("LT-")
                || self.os.family == Family::Mac)
    }

    pub fn agent_version(&self) -> &'static str {
        AGENT_VERSIONS[self.agent_version_index]
    }
}

/// The device behind record `r` of the devices collection.
pub fn device(world: &World, r: &RecordRef) -> DeviceCore {
    let mut g = Rng::for_record(world.seed, stream::DEVICE, r.index);
    let weights: Vec<(usize, u32)> = OSES
        .iter()
        .enumerate()
        .map(|(i, o)| (i, o.weight))
        .collect();
    let os = &OSES[g.weighted(&weights)];
    let code = base36_code(r.index, world.seed ^ 0x4057);
    let hostname = match os.family {
        Family::Windows if os.server => format!("{}-{}", g.pick(SRV_PREFIXES), code),
        Family::Windows => format!("{}-{}", g.pick(WIN_PREFIXES), code),
        Family::Mac => format!("MBP-{code}"),
        Family::Linux if os.k8s => format!("k8s-node-{}", code.to_lowercase()),
        Family::Linux => format!("{}-{}", g.pick(LINUX_PREFIXES), code.to_lowercase()),
    };
    let domain = (os.family == Family::Windows && g.chance(80)).then(|| g.pick(AD_DOMAINS));
    let (manufacturer, model) = match os.family {
        Family::Mac => g.pick(MACS),
        _ if os.server => g.pick(SERVERS),
        _ => g.pick(WORKSTATIONS),
    };
    let cloud = (manufacturer == "Amazon EC2" || (os.family == Family::Linux && g.chance(60)))
        .then(|| {
            (
                format!("i-{}", g.hex(17)),
                g.pick(&["us-east-1", "eu-west-1", "us-west-2"]),
                g.digits(12),
            )
        });
    let first_seen = r.origin - 30 * DAY - g.range(0, 400) * DAY - g.range(0, 86_399) * SEC;
    let mut device = DeviceCore {
        index: r.index,
        version: r.version,
        os,
        hostname,
        domain,
        user: user_name(&mut g),
        local_ip: private_ipv4(&mut g),
        ipv6: ipv6(&mut g),
        external_ip: public_ipv4(&mut g),
        gateway_ip: String::new(),
        mac: mac_bytes(&mut g),
        gateway_mac: mac_bytes(&mut g),
        manufacturer,
        model,
        serial: g.chars(12, b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"),
        cloud,
        site: g.below(3) as usize,
        first_seen: if r.index >= devices(world).base_count() {
            r.origin - g.range(1, 30) * MIN
        } else {
            first_seen
        },
        last_seen: r.updated - g.range(0, 90) * SEC,
        updated: r.updated,
        agent_version_index: g.below(AGENT_VERSIONS.len() as u64 - 1) as usize,
    };
    let mut parts: Vec<&str> = device.local_ip.rsplitn(2, '.').collect();
    parts.reverse();
    device.gateway_ip = format!("{}.1", parts[0]);
    // Each check-in may bring a sensor update; changes move the device along.
    let mut change = Rng::for_record(world.seed, stream::DEVICE_CHANGE, r.index);
    for _ in 0..r.version {
        if change.chance(30) && device.agent_version_index + 1 < AGENT_VERSIONS.len() {
            device.agent_version_index += 1;
        }
        if change.chance(20) {
            device.local_ip = private_ipv4(&mut change);
        }
    }
    device
}

/// An alert as the simulated tenant knows it.
#[derive(Debug, Clone)]
pub struct AlertCore {
    pub index: u64,
    pub version: u32,
    pub device: DeviceCore,
    pub scenario: &'static Scenario,
    /// A 1–100 score (vendors map it to their own scale).
    pub severity: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub pid: u32,
    pub parent_pid: u32,
    pub user: String,
    pub user_sid: String,
    /// When the first event happened, when the alert was created, when last updated.
    pub event_time: i64,
    pub created: i64,
    pub updated: i64,
    /// Uniform draws that vendor modules use to pick their own enum values consistently.
    pub roll: [u64; 4],
}

impl AlertCore {
    pub fn file_path(&self, sep: char) -> String {
        format!("{}{sep}{}", self.scenario.folder, self.scenario.filename)
    }

    pub fn command_line(&self) -> String {
        let exe = self.file_path(if self.device.os.family == Family::Windows {
            '\\'
        } else {
            '/'
        });
        if exe.contains(' ') {
            format!("\"{exe}\" {}", self.scenario.args)
        } else {
            format!("{exe} {}", self.scenario.args)
        }
    }
}

/// The alert behind record `r` of the alerts collection (its device in its current state).
pub fn alert(world: &World, r: &RecordRef) -> AlertCore {
    let mut g = Rng::for_record(world.seed, stream::ALERT, r.index);
    let device_index = alert_device(world, r.index);
    let device_ref = devices(world).get(device_index).unwrap_or(RecordRef {
        index: device_index,
        version: 0,
        updated: r.origin,
        origin: r.origin,
        prior: r.origin,
    });
    let device = device(world, &device_ref);
    let candidates: Vec<(usize, u32)> = SCENARIOS
        .iter()
        .enumerate()
        .filter(|(_, s)| s.family == device.os.family)
        .map(|(i, s)| (i, s.weight))
        .collect();
    let scenario = &SCENARIOS[g.weighted(&candidates)];
    let created = r.origin - g.range(1, 5) * SEC;
    AlertCore {
        index: r.index,
        version: r.version,
        scenario,
        severity: g.range(scenario.severity.0, scenario.severity.1),
        sha256: g.hex(64),
        sha1: g.hex(40),
        md5: g.hex(32),
        pid: 1000 + g.below(60_000) as u32,
        parent_pid: 400 + g.below(20_000) as u32,
        user: device.user.clone(),
        user_sid: crate::fake::sid(&mut g),
        event_time: created - g.range(20, 600) * SEC,
        created,
        updated: r.updated,
        roll: [g.next_u64(), g.next_u64(), g.next_u64(), g.next_u64()],
        device,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edr::collections::{alerts, alerts_spec, devices_spec};

    #[test]
    fn devices_and_alerts_are_consistent() {
        let w = World::new(
            42,
            1_700_000_000_000_000_000,
            &[(devices_spec(1_000), 200), (alerts_spec(1_000), 500)],
        );
        let mut names = std::collections::HashSet::new();
        for i in 0..200 {
            let d = device(&w, &devices(&w).get(i).unwrap());
            assert!(names.insert(d.hostname.clone()), "hostnames are unique");
            assert!(d.first_seen < d.last_seen);
        }
        for i in 0..500 {
            let a = alert(&w, &alerts(&w).get(i).unwrap());
            assert_eq!(a.scenario.family, a.device.os.family);
            assert!(a.event_time < a.created && a.created <= a.updated);
            assert!((1..=100).contains(&a.severity));
        }
    }
}
