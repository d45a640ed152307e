//! What an asset and a finding are, independent of any vendor's format: an asset's names,
//! addresses and operating system; a finding's check, state and times. A finding's state
//! follows its version: each change fixes an open finding or reopens a fixed one, and its
//! times stay consistent (`first_found ≤ last_found`, a fix after the last sighting, a
//! reopening after the last fix).

use super::{
    catalog::{AssetOs, Family, Plugin, OSES, PLUGINS},
    collections::{assets, finding_asset, findings, stream},
};
use crate::{
    dataset::RecordRef,
    fake::{ipv6, mac_bytes, private_ipv4, Rng, DAY, HOUR, MIN, SEC},
    ids::base36_code,
    world::World,
};

/// AD / DNS domains assets' FQDNs end in.
const DOMAINS: &[&str] = &["corp.example.com", "prod.example.net", "lab.example.org"];
const WIN_PREFIXES: &[&str] = &["WS", "LT", "DESKTOP", "SRV", "DC", "SQL"];
const LINUX_PREFIXES: &[&str] = &["web", "api", "db", "build", "k8s-node", "cache"];
/// Sites assets are tagged with (Tenable `tag.Location`, Spotlight host groups).
pub const SITES: &[&str] = &["Dallas", "London", "Singapore"];
const MAKERS: &[&str] = &[
    "Dell Inc.",
    "HP",
    "Lenovo",
    "VMware, Inc.",
    "Amazon EC2",
    "Google",
];

/// An asset as the simulated tenant knows it.
#[derive(Debug, Clone)]
pub struct AssetCore {
    pub index: u64,
    pub os: &'static AssetOs,
    /// Short host name (`WS-0A1B2C3`, `web-0a1b2c3`).
    pub hostname: String,
    pub fqdn: String,
    pub netbios: Option<String>,
    pub ipv4: String,
    pub ipv6: String,
    pub mac: [u8; 6],
    /// A scanning agent is installed (Tenable `has_agent`; Spotlight `managed_by`).
    pub has_agent: bool,
    pub manufacturer: &'static str,
    /// An AWS instance id for cloud hosts.
    pub instance_id: Option<String>,
    /// 0..3: which site the asset is in ([`SITES`]).
    pub site: usize,
    /// 0 Critical, 1 High, 2 Noncritical, 3 Unassigned.
    pub criticality: usize,
    pub internet_facing: bool,
    pub created: i64,
    pub last_seen: i64,
    pub updated: i64,
}

/// The asset behind record `r` of the assets collection.
pub fn asset(world: &World, r: &RecordRef) -> AssetCore {
    let mut g = Rng::for_record(world.seed, stream::ASSET, r.index);
    let os = pick_os(&mut g);
    let code = base36_code(r.index, world.seed ^ 0x7a55);
    let hostname = match os.family {
        Family::Windows => format!("{}-{code}", g.pick(WIN_PREFIXES)),
        Family::Mac => format!("MBP-{code}"),
        Family::Linux => format!("{}-{}", g.pick(LINUX_PREFIXES), code.to_lowercase()),
    };
    let domain = g.pick(DOMAINS);
    let manufacturer = match os.family {
        Family::Mac => "Apple Inc.",
        _ => g.pick(MAKERS),
    };
    let created = if r.index >= assets(world).base_count() {
        r.origin
    } else {
        r.origin - g.range(7, 400) * DAY - g.range(0, 86_399) * SEC
    };
    let mut a = AssetCore {
        index: r.index,
        os,
        fqdn: format!("{}.{domain}", hostname.to_lowercase()),
        netbios: (os.family == Family::Windows).then(|| hostname.to_uppercase()),
        hostname,
        ipv4: private_ipv4(&mut g),
        ipv6: ipv6(&mut g),
        mac: mac_bytes(&mut g),
        has_agent: g.chance(70),
        instance_id: (manufacturer == "Amazon EC2").then(|| format!("i-{}", g.hex(17))),
        manufacturer,
        site: g.below(SITES.len() as u64) as usize,
        criticality: g.weighted(&[(0, 10), (1, 20), (2, 30), (3, 40)]),
        internet_facing: g.chance(15),
        created,
        last_seen: r.updated - g.range(0, 600) * SEC,
        updated: r.updated,
    };
    // A rescan may find the asset on a new address (DHCP) or with an agent installed.
    let mut change = Rng::for_record(world.seed, stream::ASSET_CHANGE, r.index);
    for _ in 0..r.version {
        if change.chance(25) {
            a.ipv4 = private_ipv4(&mut change);
        }
        if change.chance(10) {
            a.has_agent = true;
        }
    }
    a
}

/// The state of a finding (Tenable's names; other vendors map them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    Fixed,
    Reopened,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "OPEN",
            State::Fixed => "FIXED",
            State::Reopened => "REOPENED",
        }
    }
}

/// Which checks a vendor reports: every plugin, or only those with a CVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    CveOnly,
}

/// A finding as the simulated tenant knows it (cheap: no strings).
#[derive(Debug, Clone, Copy)]
pub struct FindingCore {
    pub index: u64,
    pub asset: u64,
    pub plugin: &'static Plugin,
    pub state: State,
    /// A fixed finding on a host that stopped reporting (Spotlight `expired`).
    pub stale: bool,
    pub first_found: i64,
    pub last_found: i64,
    pub last_fixed: Option<i64>,
    pub updated: i64,
    /// Uniform draws vendor folders use for their own values (scan ids, hashes).
    pub roll: [u64; 2],
}

/// The state a finding that started as `start` is in after `version` changes: a change
/// fixes an open or reopened finding and reopens a fixed one.
pub fn state_after(start: State, version: u32) -> State {
    match (start, version) {
        (s, 0) => s,
        (State::Fixed, v) if v % 2 == 1 => State::Reopened,
        (State::Fixed, _) => State::Fixed,
        (_, v) if v % 2 == 1 => State::Fixed,
        _ => State::Reopened,
    }
}

/// A check that applies to `family`, within `scope`.
fn pick_plugin(g: &mut Rng, family: Family, scope: Scope) -> &'static Plugin {
    let weights: Vec<(usize, u32)> = PLUGINS
        .iter()
        .enumerate()
        .filter(|(_, p)| p.fits(family) && (scope == Scope::All || !p.cves.is_empty()))
        .map(|(i, p)| (i, p.weight))
        .collect();
    &PLUGINS[g.weighted(&weights)]
}

/// The finding behind record `r` of the findings collection.
pub fn finding(world: &World, r: &RecordRef, scope: Scope) -> FindingCore {
    finding_on(world, r, scope, finding_asset(world, r.index))
}

/// The finding behind record `r`, on asset `asset_index` (vendors that place findings
/// on assets their own way: Qualys lists detections host by host).
pub fn finding_on(world: &World, r: &RecordRef, scope: Scope, asset_index: u64) -> FindingCore {
    let mut g = Rng::for_record(world.seed, stream::FINDING, r.index);
    let family = asset_family(world, asset_index);
    let plugin = pick_plugin(&mut g, family, scope);
    let new = r.index >= findings(world).base_count();
    // Findings created later were just found: open.
    let start = if new {
        State::Open
    } else {
        g.weighted(&[(State::Open, 70), (State::Fixed, 20), (State::Reopened, 10)])
    };
    let first_found = if new {
        r.origin
    } else {
        r.origin - g.range(0, 120) * DAY - g.range(0, 86_399) * SEC
    };
    // Initial records say when they were last seen or fixed before their base time.
    let earlier = (r.updated - g.range(1, 14) * DAY - g.range(0, 23) * HOUR).max(first_found);
    let state = state_after(start, r.version);
    let (last_found, last_fixed) = match (state, r.version) {
        (State::Open, _) => (r.updated, None),
        (State::Fixed, 0) => (earlier, Some(r.updated)),
        (State::Reopened, 0) => (r.updated, Some(earlier)),
        // The change before the last one was the other side of the cycle.
        (State::Fixed, _) => (r.prior, Some(r.updated)),
        (State::Reopened, _) => (r.updated, Some(r.prior)),
    };
    FindingCore {
        index: r.index,
        asset: asset_index,
        plugin,
        state,
        stale: state == State::Fixed && r.version == 0 && g.chance(15),
        first_found,
        last_found: last_found.max(first_found),
        last_fixed,
        updated: r.updated,
        roll: [g.next_u64(), g.next_u64()],
    }
}

/// The OS family of asset `index` (an OS does not change), without the rest of it.
fn asset_family(world: &World, index: u64) -> Family {
    pick_os(&mut Rng::for_record(world.seed, stream::ASSET, index)).family
}

/// An asset's OS: the first draw of its generator.
fn pick_os(g: &mut Rng) -> &'static AssetOs {
    let weights: Vec<(usize, u32)> = OSES
        .iter()
        .enumerate()
        .map(|(i, o)| (i, o.weight))
        .collect();
    &OSES[g.weighted(&weights)]
}

/// The current record of asset `index` (its last state when it was deleted).
pub fn asset_ref(world: &World, index: u64) -> RecordRef {
    let data = assets(world);
    data.get(index)
        .or_else(|| data.tombstone(index))
        .unwrap_or(RecordRef {
            index,
            version: 0,
            updated: 0,
            origin: 0,
            prior: 0,
        })
}

/// A scan's start: a few minutes before a finding's last sighting.
pub fn scan_start(f: &FindingCore) -> i64 {
    f.last_found - ((f.roll[0] % 50) as i64 + 2) * MIN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vms::collections::{assets_spec, findings_spec};

    #[test]
    fn states_cycle_and_times_stay_ordered() {
        assert_eq!(state_after(State::Open, 1), State::Fixed);
        assert_eq!(state_after(State::Open, 2), State::Reopened);
        assert_eq!(state_after(State::Open, 3), State::Fixed);
        assert_eq!(state_after(State::Fixed, 1), State::Reopened);
        assert_eq!(state_after(State::Reopened, 1), State::Fixed);
        let w = World::new(
            3,
            1_700_000_000_000_000_000,
            &[(assets_spec(SEC), 50), (findings_spec(SEC), 500)],
        );
        let data = findings(&w);
        data.touch(200, w.clock.now_ns());
        data.touch(100, w.clock.now_ns() + SEC);
        let mut seen = [0; 3];
        for i in 0..500 {
            let f = finding(&w, &data.get(i).unwrap(), Scope::All);
            assert!(f.plugin.fits(asset(&w, &asset_ref(&w, f.asset)).os.family));
            assert!(f.first_found <= f.last_found, "{f:?}");
            match f.state {
                State::Open => assert!(f.last_fixed.is_none()),
                State::Fixed => assert!(f.last_fixed.unwrap() >= f.last_found, "{f:?}"),
                State::Reopened => assert!(f.last_fixed.unwrap() <= f.last_found, "{f:?}"),
            }
            seen[f.state as usize] += 1;
            let spot = finding(&w, &data.get(i).unwrap(), Scope::CveOnly);
            assert!(!spot.plugin.cves.is_empty());
            assert_eq!((spot.state, spot.asset), (f.state, f.asset));
        }
        assert!(seen.iter().all(|n| *n > 20), "{seen:?}");
    }
}
