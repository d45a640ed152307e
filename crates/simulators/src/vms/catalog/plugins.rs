//! The check catalogue: every severity from info to critical, local package checks per
//! platform, remote service checks, and a few informational plugins without CVEs.

use super::{Family, Plugin};

/// A catalogue row; the table below is data, kept one row per line.
#[allow(clippy::too_many_arguments)]
const fn p(
    id: u32,
    name: &'static str,
    (family, family_id, kind): (&'static str, u32, &'static str),
    os: Option<Family>,
    (severity, cvss3, cvss3_vector, cvss2): (u8, f64, &'static str, f64),
    cves: &'static [&'static str],
    (has_patch, synopsis, solution): (bool, &'static str, &'static str),
    port: (u16, &'static str, &'static str),
    package: Option<(&'static str, &'static str, &'static str)>,
    (product, fix_ref): ((&'static str, &'static str), &'static str),
    (exploit, kev, published, weight): (u8, bool, &'static str, u32),
) -> Plugin {
    Plugin {
        id,
        name,
        family,
        family_id,
        kind,
        os,
        severity,
        cvss3,
        cvss3_vector,
        cvss2,
        cves,
        has_patch,
        synopsis,
        solution,
        port,
        package,
        product,
        fix_ref,
        exploit,
        kev,
        published,
        weight,
    }
}

const W: Option<Family> = Some(Family::Windows);
const L: Option<Family> = Some(Family::Linux);
const M: Option<Family> = Some(Family::Mac);
const LOCAL: (u16, &str, &str) = (0, "TCP", "general");
const WINBUL: (&str, u32, &str) = ("Windows : Microsoft Bulletins", 41, "local");
const UBUNTU: (&str, u32, &str) = ("Ubuntu Local Security Checks", 14, "local");
const RHEL: (&str, u32, &str) = ("Red Hat Local Security Checks", 15, "local");
const MISC: (&str, u32, &str) = ("Misc.", 5, "remote");
const SETTINGS: (&str, u32, &str) = ("Settings", 41, "remote");
const PATCH_WIN: &str = "Apply the cumulative security update published by Microsoft.";
const PATCH_PKG: &str = "Update the affected packages.";
const AV_NET: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const AV_LOCAL: &str = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H";
const AV_MED: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N";
const AV_LOW: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N";

/// Every check, with how often it is found.
#[rustfmt::skip]
pub const PLUGINS: &[Plugin] = &[
    p(19506, "Nessus Scan Information", SETTINGS, None, (0, 0.0, "", 0.0), &[], (false, "This plugin displays information about the Nessus scan.", "n/a"), LOCAL, None, (("Tenable", "Nessus"), ""), (0, false, "2005-08-26", 30)),
    p(11219, "Nessus SYN scanner", ("Port scanners", 3, "remote"), None, (0, 0.0, "", 0.0), &[], (false, "It is possible to determine which TCP ports are open.", "Protect your target with an IP filter."), (443, "TCP", "www"), None, (("Tenable", "Nessus"), ""), (0, false, "2009-02-04", 25)),
    p(21745, "OS Security Patch Assessment Failed", SETTINGS, None, (0, 0.0, "", 0.0), &[], (false, "Errors prevented OS security patch assessment.", "Fix the credentials used for local checks."), LOCAL, None, (("Tenable", "Nessus"), ""), (0, false, "2006-06-23", 6)),
    p(57608, "SMB Signing not required", MISC, W, (2, 5.3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", 5.0), &[], (false, "Signing is not required on the remote SMB server.", "Enforce message signing in the host's configuration."), (445, "TCP", "cifs"), None, (("Microsoft", "Windows SMB"), "SMB signing policy"), (0, false, "2012-01-19", 12)),
    p(51192, "SSL Certificate Cannot Be Trusted", ("General", 20, "remote"), None, (2, 6.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N", 6.4), &[], (false, "The SSL certificate for this service cannot be trusted.", "Purchase or generate a proper SSL certificate for this service."), (443, "TCP", "www"), None, (("OpenSSL", "TLS service"), "Certificate replacement"), (0, false, "2010-12-15", 12)),
    p(104743, "TLS Version 1.0 Protocol Detection", ("Service detection", 22, "remote"), None, (2, 6.5, AV_MED, 6.1), &[], (true, "The remote service encrypts traffic using an older version of TLS.", "Enable support for TLS 1.2 and 1.3, and disable support for TLS 1.0."), (3389, "TCP", "msrdp"), None, (("Microsoft", "Remote Desktop"), "TLS configuration"), (0, false, "2017-11-22", 10)),
    p(187315, "SSH Terrapin Prefix Truncation Weakness (CVE-2023-48795)", MISC, None, (2, 5.9, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", 4.3), &["CVE-2023-48795"], (true, "The remote SSH server is vulnerable to a MitM prefix truncation attack.", "Upgrade the SSH server and client to a version that implements strict key exchange."), (22, "TCP", "ssh"), Some(("openssh-server", "8.9p1-3ubuntu0.4", "8.9p1-3ubuntu0.6")), (("OpenBSD", "OpenSSH 8.9"), "USN-6560-1"), (30, false, "2023-12-18", 9)),
    p(201194, "OpenSSH < 9.8 RCE (regreSSHion)", MISC, L, (3, 8.1, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.3), &["CVE-2024-6387"], (true, "The SSH server running on the remote host is affected by a remote code execution vulnerability.", "Upgrade to OpenSSH version 9.8 or later."), (22, "TCP", "ssh"), Some(("openssh-server", "8.9p1-3ubuntu0.7", "8.9p1-3ubuntu0.10")), (("OpenBSD", "OpenSSH 8.9"), "USN-6859-1"), (60, false, "2024-07-01", 6)),
    p(193868, "Microsoft Windows Security Update (April 2024)", WINBUL, W, (3, 8.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 9.3), &["CVE-2024-26234", "CVE-2024-29988"], (true, "The remote Windows host is affected by multiple vulnerabilities.", PATCH_WIN), LOCAL, None, (("Microsoft", "Windows"), "KB5036893"), (90, true, "2024-04-09", 10)),
    p(200344, "Microsoft Windows Security Update (June 2024)", WINBUL, W, (4, 9.8, AV_NET, 10.0), &["CVE-2024-30080", "CVE-2024-30078"], (true, "The remote Windows host is affected by multiple vulnerabilities, including remote code execution in MSMQ.", PATCH_WIN), LOCAL, None, (("Microsoft", "Windows"), "KB5039212"), (30, false, "2024-06-11", 9)),
    p(205457, "Microsoft Windows TCP/IP IPv6 RCE (August 2024)", WINBUL, W, (4, 9.8, AV_NET, 10.0), &["CVE-2024-38063"], (true, "The remote Windows host is affected by a remote code execution vulnerability in TCP/IP.", PATCH_WIN), LOCAL, None, (("Microsoft", "Windows"), "KB5041585"), (30, false, "2024-08-13", 7)),
    p(168693, "Microsoft Windows Print Spooler Elevation of Privilege", WINBUL, W, (3, 7.8, AV_LOCAL, 7.2), &["CVE-2022-38028"], (true, "The remote Windows host is affected by an elevation of privilege vulnerability.", PATCH_WIN), LOCAL, None, (("Microsoft", "Windows"), "KB5018410"), (90, true, "2022-10-11", 6)),
    p(182857, "Microsoft Edge (Chromium) < 117.0.2045.60 (CVE-2023-4863)", ("Windows", 42, "local"), W, (3, 8.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 9.3), &["CVE-2023-4863"], (true, "The web browser installed on the remote host is affected by a heap buffer overflow in libwebp.", "Upgrade to Microsoft Edge version 117.0.2045.60 or later."), LOCAL, Some(("msedge.exe", "116.0.1938.81", "117.0.2045.60")), (("Microsoft", "Edge 116"), "Edge 117.0.2045.60"), (90, true, "2023-09-12", 7)),
    p(176937, "Microsoft .NET Core SEoL", ("Windows", 42, "local"), W, (4, 10.0, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), &[], (false, "An unsupported version of .NET Core is installed on the remote host.", "Upgrade to a version of .NET that is currently supported."), LOCAL, Some(("Microsoft .NET Core", "3.1.32", "8.0.8")), (("Microsoft", ".NET Core 3.1"), ".NET 8"), (0, false, "2022-12-13", 4)),
    p(192711, "Mozilla Firefox < 124.0.1", ("Windows", 42, "local"), W, (4, 9.8, AV_NET, 10.0), &["CVE-2024-29943", "CVE-2024-29944"], (true, "A web browser installed on the remote host is affected by multiple vulnerabilities.", "Upgrade to Mozilla Firefox version 124.0.1 or later."), LOCAL, Some(("firefox.exe", "123.0", "124.0.1")), (("Mozilla", "Firefox 123"), "mfsa2024-15"), (30, false, "2024-03-22", 4)),
    p(184085, "Ubuntu 22.04 LTS : Linux kernel vulnerabilities (USN-6462-1)", UBUNTU, L, (3, 7.8, AV_LOCAL, 7.2), &["CVE-2023-31085", "CVE-2023-4244"], (true, "The remote Ubuntu host is missing one or more security updates.", PATCH_PKG), LOCAL, Some(("linux-image-5.15.0-105-generic", "5.15.0-105.115", "5.15.0-107.117")), (("Canonical", "linux 5.15.0"), "USN-6462-1"), (0, false, "2023-10-31", 8)),
    p(190364, "Ubuntu 22.04 LTS : glibc vulnerability (USN-6620-1)", UBUNTU, L, (3, 7.8, AV_LOCAL, 7.2), &["CVE-2023-6246"], (true, "The remote Ubuntu host is missing a security update for glibc.", PATCH_PKG), LOCAL, Some(("libc6", "2.35-0ubuntu3.4", "2.35-0ubuntu3.6")), (("GNU", "glibc 2.35"), "USN-6620-1"), (30, false, "2024-01-30", 7)),
    p(193503, "Ubuntu 22.04 LTS : XZ Utils backdoor (USN-6738-1)", UBUNTU, L, (4, 10.0, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), &["CVE-2024-3094"], (true, "The remote host has a backdoored version of xz-utils installed.", PATCH_PKG), LOCAL, Some(("liblzma5", "5.6.0-0.1", "5.4.5-0.3")), (("Tukaani", "xz-utils 5.6.0"), "USN-6738-1"), (60, false, "2024-03-29", 2)),
    p(182966, "Ubuntu 22.04 LTS : curl vulnerabilities (USN-6429-1)", UBUNTU, L, (4, 9.8, AV_NET, 10.0), &["CVE-2023-38545", "CVE-2023-38546"], (true, "The remote Ubuntu host is missing security updates for curl.", PATCH_PKG), LOCAL, Some(("curl", "7.81.0-1ubuntu1.13", "7.81.0-1ubuntu1.14")), (("curl", "curl 7.81.0"), "USN-6429-1"), (30, false, "2023-10-11", 6)),
    p(200108, "RHEL 9 : kernel (RHSA-2024:3618)", RHEL, L, (3, 7.0, "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 6.9), &["CVE-2024-1086"], (true, "The remote Red Hat host is missing a security update for kernel.", PATCH_PKG), LOCAL, Some(("kernel", "5.14.0-427.13.1.el9_4", "5.14.0-427.20.1.el9_4")), (("Red Hat", "kernel 5.14.0"), "RHSA-2024:3618"), (90, true, "2024-06-05", 6)),
    p(192167, "RHEL 9 : openssl (RHSA-2024:1234)", RHEL, L, (1, 3.7, AV_LOW, 2.6), &["CVE-2023-5678"], (true, "The remote Red Hat host is missing a security update for openssl.", PATCH_PKG), LOCAL, Some(("openssl", "3.0.7-24.el9", "3.0.7-27.el9")), (("OpenSSL", "openssl 3.0.7"), "RHSA-2024:1234"), (0, false, "2023-11-06", 6)),
    p(159490, "Apache Log4j 2.x < 2.17.1 RCE", ("Misc.", 5, "combined"), L, (4, 10.0, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), &["CVE-2021-44228", "CVE-2021-45046"], (true, "A package installed on the remote host is affected by a remote code execution vulnerability.", "Upgrade to Apache Log4j version 2.17.1 or later."), (8080, "TCP", "www"), Some(("log4j-core", "2.14.1", "2.17.1")), (("Apache", "log4j 2.14.1"), "Log4j 2.17.1"), (90, true, "2021-12-10", 3)),
    p(166046, "Apache HTTP Server 2.4.x < 2.4.54 Multiple Vulnerabilities", ("Web Servers", 11, "remote"), L, (3, 9.1, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H", 7.5), &["CVE-2022-31813", "CVE-2022-30556"], (true, "The remote web server is affected by multiple vulnerabilities.", "Upgrade to Apache version 2.4.54 or later."), (80, "TCP", "www"), Some(("apache2", "2.4.52", "2.4.54")), (("Apache", "httpd 2.4.52"), "Apache 2.4.54"), (30, false, "2022-06-08", 4)),
    p(180254, "PostgreSQL 12.x < 12.16 Multiple Vulnerabilities", ("Databases", 31, "combined"), L, (3, 8.8, "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 6.5), &["CVE-2023-39417"], (true, "The database server is affected by an SQL injection vulnerability.", "Upgrade to PostgreSQL 12.16 or later."), (5432, "TCP", "postgresql"), Some(("postgresql-12", "12.15", "12.16")), (("PostgreSQL", "PostgreSQL 12.15"), "PostgreSQL 12.16"), (0, false, "2023-08-10", 3)),
    p(197886, "macOS 14.x < 14.6 Multiple Vulnerabilities", ("MacOS X Local Security Checks", 45, "local"), M, (4, 9.8, AV_NET, 10.0), &["CVE-2024-27878", "CVE-2024-40774"], (true, "The remote host is missing a macOS update that fixes multiple vulnerabilities.", "Upgrade to macOS 14.6 or later."), LOCAL, None, (("Apple", "macOS 14.5"), "macOS 14.6"), (0, false, "2024-07-29", 5)),
    p(201028, "Google Chrome < 126.0.6478.126", ("MacOS X Local Security Checks", 45, "local"), M, (3, 8.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 9.3), &["CVE-2024-6290", "CVE-2024-6291"], (true, "A web browser installed on the remote macOS host is affected by multiple vulnerabilities.", "Upgrade to Google Chrome version 126.0.6478.126 or later."), LOCAL, Some(("Google Chrome", "125.0.6422.141", "126.0.6478.126")), (("Google", "Chrome 125"), "Chrome 126.0.6478.126"), (30, false, "2024-06-24", 4)),
    p(42873, "SSL Medium Strength Cipher Suites Supported (SWEET32)", ("General", 20, "remote"), None, (1, 3.7, AV_LOW, 5.0), &["CVE-2016-2183"], (false, "The remote service supports the use of medium strength SSL ciphers.", "Reconfigure the affected application to avoid use of medium strength ciphers."), (443, "TCP", "www"), None, (("OpenSSL", "TLS service"), "Cipher configuration"), (0, false, "2016-08-24", 10)),
    p(10114, "ICMP Timestamp Request Remote Date Disclosure", ("General", 20, "remote"), None, (1, 2.1, "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 2.1), &["CVE-1999-0524"], (false, "It is possible to determine the exact time set on the remote host.", "Filter out the ICMP timestamp requests (13), and the outgoing ICMP timestamp replies (14)."), (0, "ICMP", "general"), None, (("IETF", "ICMP"), "Firewall rule"), (0, false, "1999-08-01", 8)),
];
