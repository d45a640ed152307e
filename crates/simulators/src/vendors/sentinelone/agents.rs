//! SentinelOne agent objects (the shape of `GET /web/api/v2.1/agents` records) and the
//! tenant (account, sites, groups) they belong to.

use serde_json::{json, Value};

use crate::{
    dataset::RecordRef,
    edr::{
        catalog::{Family, AGENT_VERSIONS},
        profiles::{device, DeviceCore},
    },
    fake::progressed,
    fake::{fmt_ts, mac_string, Rng, DAY, HOUR, MIN},
    ids::{decode_snowflake, mix64, snowflake},
    world::{stream, World},
};

/// Agent ids: 19-digit snowflakes that grow with the index.
fn agent_base(seed: u64) -> u64 {
    1_300_000_000_000_000_000 + mix64(seed ^ 0xa6e7) % 100_000_000_000_000_000
}

pub(crate) fn agent_id(seed: u64, index: u64) -> String {
    snowflake(agent_base(seed), seed, index).to_string()
}

pub(crate) fn decode_agent_id(seed: u64, id: &str) -> Option<u64> {
    decode_snowflake(agent_base(seed), seed, id)
}

/// The account, its sites and their groups.
pub(crate) struct Tenant {
    pub account_id: String,
    pub account_name: &'static str,
    pub sites: Vec<(String, &'static str)>,
    /// Per site: (Default Group, Servers, Laptops) ids.
    pub groups: Vec<[String; 3]>,
}

const ACCOUNTS: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Wayne Logistics",
];
const SITES: [&str; 3] = ["Default site", "HQ", "Remote Workers"];
pub(crate) const GROUPS: [&str; 3] = ["Default Group", "Servers", "Laptops"];

impl Tenant {
    pub fn new(seed: u64) -> Tenant {
        let mut r = Rng::for_record(seed, stream::TENANT, 0x51);
        let base = 900_000_000_000_000_000 + r.below(50_000_000_000_000_000);
        let id = |n: u64| (base + (n << 22) + (mix64(seed ^ n) & 0x3f_ffff)).to_string();
        Tenant {
            account_id: id(0),
            account_name: r.pick(ACCOUNTS),
            sites: (0..3).map(|s| (id(1 + s), SITES[s as usize])).collect(),
            groups: (0..3)
                .map(|s| [id(10 + s * 3), id(11 + s * 3), id(12 + s * 3)])
                .collect(),
        }
    }

    /// (site id, site name, group id, group name) of a device.
    pub fn placement(&self, d: &DeviceCore) -> (&str, &str, &str, &'static str) {
        let g = if d.os.server {
            1
        } else if d.is_laptop() {
            2
        } else {
            0
        };
        let (site_id, site_name) = &self.sites[d.site];
        (site_id, site_name, &self.groups[d.site][g], GROUPS[g])
    }
}

pub(crate) fn os_type(d: &DeviceCore) -> &'static str {
    match d.os.family {
        Family::Windows if d.os.legacy => "windows_legacy",
        Family::Windows => "windows",
        Family::Mac => "macos",
        Family::Linux => "linux",
    }
}

pub(crate) fn machine_type(d: &DeviceCore, r: &mut Rng) -> &'static str {
    if d.os.k8s {
        "kubernetes node"
    } else if d.os.server {
        r.weighted(&[("server", 96), ("storage", 2), ("unknown", 2)])
    } else if d.is_laptop() {
        "laptop"
    } else {
        "desktop"
    }
}

/// Connection state, moving on with each check-in.
pub(crate) fn network_status(d: &DeviceCore, r: &mut Rng) -> &'static str {
    const CYCLE: [&str; 4] = ["connected", "disconnecting", "disconnected", "connecting"];
    let start = r.weighted(&[
        ("connected", 85),
        ("disconnected", 10),
        ("connecting", 3),
        ("disconnecting", 2),
    ]);
    progressed(start, d.version, &CYCLE)
}

/// A MAC as SentinelOne agents report it: separators and case vary by platform.
pub(crate) fn mac(d: &DeviceCore, bytes: [u8; 6]) -> String {
    match d.os.family {
        Family::Windows => mac_string(bytes, "-", true),
        Family::Mac => mac_string(bytes, ":", false),
        Family::Linux => mac_string(bytes, ":", true),
    }
}

pub(crate) fn interfaces(d: &DeviceCore, seed: u64) -> Value {
    let name = match d.os.family {
        Family::Windows => "Ethernet",
        Family::Mac => "en0",
        Family::Linux => "eth0",
    };
    json!([{
        "gatewayIp": d.gateway_ip,
        "gatewayMacAddress": mac(d, d.gateway_mac),
        "id": snowflake(agent_base(seed) + 7, seed, d.index).to_string(),
        "inet": [d.local_ip],
        "inet6": [d.ipv6],
        "name": name,
        "physical": mac(d, d.mac),
    }])
}

/// State that depends on the seed and the device but not its rendering.
pub(crate) struct AgentState {
    pub uuid: String,
    pub machine_type: &'static str,
    pub network_status: &'static str,
    pub mitigation: &'static str,
    pub active_threats: u64,
    pub decommissioned: bool,
    pub os_arch: &'static str,
}

pub(crate) fn agent_state(seed: u64, d: &DeviceCore) -> AgentState {
    let mut r = Rng::for_record(seed, 0x5101, d.index);
    let decommissioned = r.chance(2);
    AgentState {
        uuid: r.hex(32),
        machine_type: machine_type(d, &mut r),
        network_status: if decommissioned {
            "disconnected"
        } else {
            network_status(d, &mut r)
        },
        mitigation: r.weighted(&[("protect", 80), ("detect", 20)]),
        active_threats: if r.chance(8) { 1 + r.below(3) } else { 0 },
        decommissioned,
        os_arch: match d.os.family {
            Family::Mac => "ARM64",
            Family::Windows if d.os.legacy => "32 bit",
            _ => "64 bit",
        },
    }
}

/// The agent for record `r`.
pub(crate) fn render(world: &World, t: &Tenant, r: &RecordRef) -> Value {
    let d = device(world, r);
    let s = agent_state(world.seed, &d);
    let mut g = Rng::for_record(world.seed, 0x5102, d.index);
    let (site_id, site_name, group_id, group_name) = t.placement(&d);
    let ts = |ns: i64| fmt_ts(ns, 6);
    let scan_start = d.first_seen + 5 * MIN;
    let mut agent = json!({
        "accountId": t.account_id, "accountName": t.account_name,
        "activeDirectory": {
            "computerDistinguishedName": d.domain.map(|dom| format!("CN={},OU=Computers,DC={},DC=example", d.hostname, dom.to_lowercase())),
            "computerMemberOf": [], "lastUserDistinguishedName": null, "lastUserMemberOf": []
        },
        "activeThreats": s.active_threats,
        "agentVersion": format!("23.4.{}.{}", d.agent_version_index + 1, 100 + d.index % 300),
        "allowRemoteShell": g.chance(30),
        "appsVulnerabilityStatus": g.weighted(&[("up_to_date", 60), ("patch_required", 25), ("not_applicable", 15)]),
        "cloudProviders": cloud_providers(&d),
        "computerName": d.hostname,
        "consoleMigrationStatus": "N/A",
        "coreCount": 2 << g.below(3), "cpuCount": 1 + g.below(2),
        "cpuId": if d.os.family == Family::Mac { "Apple M2" } else { "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz" },
        "createdAt": ts(d.first_seen),
        "detectionState": null,
        "domain": d.domain.unwrap_or("WORKGROUP"),
        "encryptedApplications": false,
        "externalId": "",
        "externalIp": d.external_ip,
        "firewallEnabled": g.chance(85),
        "firstFullModeTime": null,
        "groupId": group_id, "groupIp": masked_ip(&d.external_ip), "groupName": group_name,
        "id": agent_id(world.seed, d.index),
        "inRemoteShellSession": false,
        "infected": s.active_threats > 0,
        "installerType": match d.os.family { Family::Windows => ".msi", Family::Mac => ".pkg", Family::Linux => ".deb" },
        "isActive": s.network_status == "connected" && !s.decommissioned,
        "isDecommissioned": s.decommissioned,
        "isPendingUninstall": false, "isUninstalled": false,
        "isUpToDate": d.agent_version_index + 1 >= AGENT_VERSIONS.len() - 1,
        "lastActiveDate": ts(d.last_seen),
        "lastIpToMgmt": d.local_ip,
        "lastLoggedInUserName": d.user,
        "licenseKey": "",
        "locationEnabled": false, "locationType": "not_applicable", "locations": null,
        "machineType": s.machine_type,
        "missingPermissions": if d.os.family == Family::Mac { json!(["user_action_needed_fda"]) } else { json!([]) },
        "mitigationMode": s.mitigation, "mitigationModeSuspicious": "detect",
        "modelName": d.model,
        "networkInterfaces": interfaces(&d, world.seed),
        "networkQuarantineEnabled": false,
        "networkStatus": s.network_status,
        "operationalState": "na", "operationalStateExpiration": null,
        "osArch": s.os_arch, "osName": d.os.full_name, "osRevision": d.os.build,
        "osStartTime": fmt_ts(crate::fake::floor_to(d.last_seen - 9 * HOUR, 1_000_000_000), 0),
        "osType": os_type(&d),
        "osUsername": if d.os.family == Family::Windows { Value::Null } else { json!(d.user) },
        "rangerStatus": g.weighted(&[("NotApplicable", 60), ("Enabled", 30), ("Disabled", 10)]),
        "rangerVersion": null,
        "registeredAt": ts(d.first_seen - 4_000_000),
        "remoteProfilingState": "disabled", "remoteProfilingStateExpiration": null,
        "scanAbortedAt": null, "scanFinishedAt": ts(scan_start + 40 * MIN),
        "scanStartedAt": ts(scan_start), "scanStatus": "finished",
        "siteId": site_id, "siteName": site_name,
        "storageName": null, "storageType": null,
        "tags": {"sentinelone": tags(&d, world.seed)},
        "threatRebootRequired": false,
        "totalMemory": 4096 << g.below(3),
        "updatedAt": ts(d.updated),
        "userActionsNeeded": if g.chance(5) { json!(["reboot_needed"]) } else { json!([]) },
        "uuid": s.uuid,
    });
    if s.decommissioned {
        agent["isActive"] = json!(false);
    }
    agent
}

fn cloud_providers(d: &DeviceCore) -> Value {
    match &d.cloud {
        None => json!({}),
        Some((instance, region, account)) => json!({"AWS": {
            "awsRole": null, "awsSecurityGroups": ["sg-0a1b2c3d"], "awsSubnetIds": ["subnet-0f1e2d3c"],
            "cloudAccount": account, "cloudImage": "ami-0c55b159cbfafe1f0", "cloudInstanceId": instance,
            "cloudInstanceSize": "t3.large", "cloudLocation": region, "cloudNetwork": "vpc-0a9b8c7d",
            "cloudTags": []
        }}),
    }
}

fn tags(d: &DeviceCore, seed: u64) -> Value {
    if d.index % 4 != 0 {
        return json!([]);
    }
    let env = if d.os.server { "prod" } else { "corp" };
    json!([{
        "assignedAt": fmt_ts(d.first_seen + DAY, 6), "assignedBy": "soc.admin",
        "assignedById": (agent_base(seed) - 99).to_string(),
        "id": (agent_base(seed) - 98).to_string(), "key": "env", "value": env
    }])
}

/// Masked like the console shows group IPs: `203.0.113.x`.
fn masked_ip(ip: &str) -> String {
    match ip.rsplit_once('.') {
        Some((head, _)) => format!("{head}.x"),
        None => ip.to_owned(),
    }
}

/// Values SentinelOne might add later.
pub(crate) fn unknown_enum(agent: &mut Value) {
    agent["osType"] = json!("ios");
    agent["machineType"] = json!("iot");
    agent["networkStatus"] = json!("quarantined");
    agent["mitigationMode"] = json!("observe");
}
