//! OCSF observables with the `type_id`s the API serves (0–30 and 99).
//!
//! OCSF 1.5 added File Path (45), but the served enum stops at 30, so a path is an
//! `OTHER` (99) observable named `file.path`. Names are OCSF attribute paths
//! (`process.cmd_line`, `device.ip`, …).

use tributary_model::edr::{Alert, Device, Observable, ObservableType as T};

use super::{file::real_hash, net::normalize_mac, net::parse_ip};

/// Collects observables. A value is kept once per type (host and user names and hashes
/// compared without case): the first name it was added under wins, so add the most
/// specific source first.
#[derive(Debug, Default)]
pub struct Observables {
    items: Vec<Observable>,
}

impl Observables {
    /// Adds `value` (trimmed; empty values are skipped) as `kind` named `name`.
    pub fn add(&mut self, name: &str, kind: T, value: Option<&str>) {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return;
        };
        // Host and user names and hashes are case-insensitive; paths and URLs are not.
        let folded = matches!(kind, T::Hostname | T::UserName | T::EmailAddress | T::Hash);
        let same = |o: &Observable| {
            o.kind() == kind
                && (o.value == value || (folded && o.value.eq_ignore_ascii_case(value)))
        };
        if self.items.iter().any(same) {
            return;
        }
        self.items.push(Observable::new(name, kind, value));
    }

    /// A file hash (8) named `{prefix}.hashes.{algorithm}`; all-zero and non-hex values
    /// are dropped, hex is lowercased.
    pub fn hash(&mut self, prefix: &str, algorithm: &str, value: Option<&str>) {
        let h = real_hash(value.map(str::to_owned));
        self.add(
            &format!("{prefix}.hashes.{algorithm}"),
            T::Hash,
            h.as_deref(),
        );
    }

    /// A file name (7) named `{prefix}.name`.
    pub fn file_name(&mut self, prefix: &str, value: Option<&str>) {
        self.add(&format!("{prefix}.name"), T::FileName, value);
    }

    /// A file path: OTHER (99) named `{prefix}.path` (see the module doc).
    pub fn file_path(&mut self, prefix: &str, value: Option<&str>) {
        self.add(&format!("{prefix}.path"), T::Other, value);
    }

    /// The alert's file: its hashes (strongest first), name and path, under `file`.
    pub fn alert_file(&mut self, a: &Alert) {
        self.hash("file", "sha256", a.process_sha256.as_deref());
        self.hash("file", "sha1", a.process_sha1.as_deref());
        self.hash("file", "md5", a.process_md5.as_deref());
        self.file_name("file", a.process_filename.as_deref());
        self.file_path("file", a.process_filepath.as_deref());
    }

    /// The alert's process: name, command line and pid, under `process`.
    pub fn alert_process(&mut self, a: &Alert) {
        self.add(
            "process.name",
            T::ProcessName,
            a.process_filename.as_deref(),
        );
        self.add(
            "process.cmd_line",
            T::CommandLine,
            a.process_command_line.as_deref(),
        );
        self.add("process.pid", T::ProcessId, a.pid.as_deref());
    }

    /// An IP address (2); masked or unparseable values are dropped.
    pub fn ip(&mut self, name: &str, value: Option<&str>) {
        if let Some(ip) = value.and_then(parse_ip) {
            self.add(name, T::IpAddress, Some(&ip.to_string()));
        }
    }

    /// A MAC address (3), normalized; invalid values are dropped.
    pub fn mac(&mut self, name: &str, value: Option<&str>) {
        if let Some(m) = value.and_then(normalize_mac) {
            self.add(name, T::MacAddress, Some(&m));
        }
    }

    /// The device's host names and FQDNs (1), IPs (2) and MACs (3).
    pub fn device(&mut self, d: &Device) {
        for h in d.hostnames.iter().chain(&d.fqdns) {
            self.add("device.hostname", T::Hostname, Some(h));
        }
        for ip in d.ipv4s.iter().chain(&d.ipv6s) {
            self.ip("device.ip", Some(ip));
        }
        for m in &d.mac_addresses {
            self.mac("device.mac", Some(m));
        }
    }

    /// An indicator whose kind the vendor names (CrowdStrike `ioc_type`: `hash_sha256`,
    /// `domain`, `ipv4`, …), named `ioc.{kind}`; an unknown kind is OTHER (99).
    pub fn indicator(&mut self, kind: &str, value: Option<&str>) {
        let k = kind.trim().to_ascii_lowercase();
        let name = format!("ioc.{k}");
        match k.as_str() {
            "hash_sha256" | "sha256" | "hash_sha1" | "sha1" | "hash_md5" | "md5" => {
                let h = real_hash(value.map(str::to_owned));
                self.add(&name, T::Hash, h.as_deref());
            }
            "domain" | "hostname" => self.add(&name, T::Hostname, value),
            "ipv4" | "ipv6" | "ip" | "ip_address" => self.ip(&name, value),
            "url" => self.add(&name, T::UrlString, value),
            "email" | "email_address" => self.add(&name, T::EmailAddress, value),
            "filename" | "file_name" => self.add(&name, T::FileName, value),
            "command_line" | "cmdline" => self.add(&name, T::CommandLine, value),
            "registry_key" => self.add(&name, T::RegistryKey, value),
            _ => self.add(&name, T::Other, value),
        }
    }

    /// The observables in the order they were added.
    pub fn build(self) -> Vec<Observable> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(o: Observables) -> Vec<(String, u8, String)> {
        o.build()
            .into_iter()
            .map(|x| (x.name.clone(), x.kind().type_id(), x.value.clone()))
            .collect()
    }

    #[test]
    fn types_names_and_dedupe() {
        let mut o = Observables::default();
        o.hash("file", "sha256", Some("AB12"));
        o.hash("process.parent_process.file", "sha256", Some("ab12"));
        o.hash(
            "file",
            "sha1",
            Some("0000000000000000000000000000000000000000"),
        );
        o.file_name("file", Some(" x.exe "));
        o.add("device.hostname", T::Hostname, Some("WS-1"));
        o.add("src_endpoint.hostname", T::Hostname, Some("ws-1"));
        o.file_name("file", Some("X.EXE"));
        o.file_path("file", Some("C:\\x.exe"));
        o.ip("device.ip", Some("3.122.240.x"));
        o.ip("device.ip", Some("10.0.0.1"));
        o.mac("device.mac", Some("AA-BB-CC-00-11-22"));
        o.mac("device.mac", Some("bad"));
        o.add("process.pid", T::ProcessId, Some("42"));
        o.add("process.pid", T::ProcessId, Some(""));
        o.add("process.pid", T::ProcessId, None);
        assert_eq!(
            ids(o),
            vec![
                ("file.hashes.sha256".into(), 8, "ab12".into()),
                ("file.name".into(), 7, "x.exe".into()),
                ("device.hostname".into(), 1, "WS-1".into()),
                ("file.name".into(), 7, "X.EXE".into()),
                ("file.path".into(), 99, "C:\\x.exe".into()),
                ("device.ip".into(), 2, "10.0.0.1".into()),
                ("device.mac".into(), 3, "aa:bb:cc:00:11:22".into()),
                ("process.pid".into(), 15, "42".into()),
            ]
        );
    }

    #[test]
    fn indicators_are_typed_by_kind() {
        let mut o = Observables::default();
        for (kind, value) in [
            ("hash_sha256", "CD34"),
            ("hash_md5", "0000"),
            ("domain", "evil.example"),
            ("ipv4", "198.51.100.1"),
            ("ipv6", "nope"),
            ("url", "http://evil.example/x"),
            ("filename", "x.exe"),
            ("command_line", "x.exe -y"),
            ("registry_key", "HKLM\\Run"),
            ("Behavior", "b-1"),
        ] {
            o.indicator(kind, Some(value));
        }
        let got: Vec<(String, u8)> = ids(o).into_iter().map(|(n, t, _)| (n, t)).collect();
        let want: Vec<(String, u8)> = [
            ("ioc.hash_sha256", 8),
            ("ioc.domain", 1),
            ("ioc.ipv4", 2),
            ("ioc.url", 6),
            ("ioc.filename", 7),
            ("ioc.command_line", 13),
            ("ioc.registry_key", 28),
            ("ioc.behavior", 99),
        ]
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t))
        .collect();
        assert_eq!(got, want);
    }
}
