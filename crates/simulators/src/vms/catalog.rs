//! What the scanned estate and its weaknesses look like, independent of any vendor's format:
//! operating systems of assets, and a catalogue of checks (a plugin, the CVEs it covers,
//! scores, whether a patch exists, the fix, the port and package involved).

/// An operating-system family: which checks apply to an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Windows,
    Linux,
    Mac,
}

/// An asset's operating system.
#[derive(Debug)]
pub struct AssetOs {
    /// As a scanner reports it (Tenable `operating_system`).
    pub name: &'static str,
    /// As an agent reports it (Spotlight `os_version`).
    pub version: &'static str,
    pub family: Family,
    pub server: bool,
    pub build: &'static str,
    pub weight: u32,
}

const fn os(
    name: &'static str,
    version: &'static str,
    family: Family,
    server: bool,
    build: &'static str,
    weight: u32,
) -> AssetOs {
    AssetOs {
        name,
        version,
        family,
        server,
        build,
        weight,
    }
}

pub const OSES: &[AssetOs] = &[
    os(
        "Microsoft Windows 11 Enterprise",
        "Windows 11",
        Family::Windows,
        false,
        "22631",
        24,
    ),
    os(
        "Microsoft Windows 10 Enterprise",
        "Windows 10",
        Family::Windows,
        false,
        "19045",
        20,
    ),
    os(
        "Microsoft Windows Server 2022 Standard",
        "Windows Server 2022",
        Family::Windows,
        true,
        "20348",
        10,
    ),
    os(
        "Microsoft Windows Server 2019 Datacenter",
        "Windows Server 2019",
        Family::Windows,
        true,
        "17763",
        9,
    ),
    os(
        "Microsoft Windows Server 2016 Standard",
        "Windows Server 2016",
        Family::Windows,
        true,
        "14393",
        5,
    ),
    os(
        "Linux Kernel 5.15.0-105-generic on Ubuntu 22.04",
        "Ubuntu 22.04",
        Family::Linux,
        true,
        "5.15.0-105",
        11,
    ),
    os(
        "Linux Kernel 6.8.0-45-generic on Ubuntu 24.04",
        "Ubuntu 24.04",
        Family::Linux,
        true,
        "6.8.0-45",
        5,
    ),
    os(
        "Linux Kernel 5.14.0-427.el9.x86_64 on Red Hat Enterprise Linux 9.4",
        "RHEL 9.4",
        Family::Linux,
        true,
        "5.14.0-427",
        6,
    ),
    os(
        "Linux Kernel 3.10.0-1160.el7.x86_64 on CentOS Linux release 7.9.2009 (Core)",
        "CentOS 7.9",
        Family::Linux,
        true,
        "3.10.0-1160",
        2,
    ),
    os(
        "Linux Kernel 6.1.0-37-cloud-amd64 on Debian 12",
        "Debian GNU 12",
        Family::Linux,
        true,
        "6.1.0-37",
        3,
    ),
    os(
        "Mac OS X 14.5",
        "macOS Sonoma (14)",
        Family::Mac,
        false,
        "23F79",
        5,
    ),
];

/// A check a scanner runs and the weakness it reports.
#[derive(Debug)]
pub struct Plugin {
    pub id: u32,
    pub name: &'static str,
    pub family: &'static str,
    pub family_id: u32,
    /// `local` (credentialed), `remote` or `combined`.
    pub kind: &'static str,
    /// The systems it applies to (None: any, e.g. a network service).
    pub os: Option<Family>,
    /// 0 info, 1 low, 2 medium, 3 high, 4 critical.
    pub severity: u8,
    pub cvss3: f64,
    pub cvss3_vector: &'static str,
    pub cvss2: f64,
    pub cves: &'static [&'static str],
    pub has_patch: bool,
    pub synopsis: &'static str,
    pub solution: &'static str,
    /// Port, protocol and service it was found on (port 0: a local check).
    pub port: (u16, &'static str, &'static str),
    /// (package, installed version, fixed version) for package checks.
    pub package: Option<(&'static str, &'static str, &'static str)>,
    /// (vendor, product) of the affected software.
    pub product: (&'static str, &'static str),
    /// The fix's reference (a KB, an advisory) for remediation records.
    pub fix_ref: &'static str,
    /// 0 unproven, 30 available, 60 easily accessible, 90 actively used (Spotlight scale).
    pub exploit: u8,
    /// Listed in CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
    /// Vulnerability publication date (`YYYY-MM-DD`).
    pub published: &'static str,
    pub weight: u32,
}

impl Plugin {
    /// Whether the plugin applies to an asset of `family`.
    pub fn fits(&self, family: Family) -> bool {
        self.os.is_none_or(|f| f == family)
    }
}

/// The severity names, by id (Tenable `severity`).
pub const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

mod plugins;
pub use plugins::PLUGINS;
