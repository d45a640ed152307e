//! OCSF observables (`type_id` 0–30 and 99 as the API documents them).

use std::net::IpAddr;

use tributary_model::edr::{Observable, ObservableType};

/// Collects observables without duplicates (same name, type and value).
#[derive(Debug, Default)]
pub struct Observables {
    items: Vec<Observable>,
}

impl Observables {
    pub fn add(&mut self, name: &str, kind: ObservableType, value: Option<&str>) {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return;
        };
        if self
            .items
            .iter()
            .any(|o| o.name == name && o.kind() == kind && o.value == value)
        {
            return;
        }
        self.items.push(Observable::new(name, kind, value));
    }

    pub fn hash(&mut self, algorithm: &str, value: Option<&str>) {
        self.add(
            &format!("file.hashes.{algorithm}"),
            ObservableType::Hash,
            value,
        );
    }

    /// A file path: OCSF has no path type in the served range, so OTHER named `file.path`.
    pub fn path(&mut self, value: Option<&str>) {
        self.add("file.path", ObservableType::Other, value);
    }

    pub fn ip(&mut self, name: &str, value: &str) {
        if value.trim().parse::<IpAddr>().is_ok() {
            self.add(name, ObservableType::IpAddress, Some(value));
        }
    }

    /// An indicator whose kind the vendor names (`sha256`, `domain`, `ip`, …).
    pub fn indicator(&mut self, kind: &str, value: Option<&str>) {
        let k = kind.to_ascii_lowercase();
        match k.as_str() {
            "sha256" | "sha1" | "md5" | "hash_sha256" | "hash_md5" | "hash_sha1" => {
                self.hash(k.trim_start_matches("hash_"), value)
            }
            "domain" | "hostname" => self.add("domain", ObservableType::Hostname, value),
            "ipv4" | "ipv6" | "ip" | "ip_address" => {
                if let Some(v) = value {
                    self.ip("ip", v);
                }
            }
            "url" => self.add("url", ObservableType::UrlString, value),
            "email" => self.add("email", ObservableType::EmailAddress, value),
            "filename" | "file_name" => self.add("file.name", ObservableType::FileName, value),
            _ => self.add(&format!("indicator.{k}"), ObservableType::Other, value),
        }
    }

    pub fn build(self) -> Vec<Observable> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupes_and_types() {
        let mut o = Observables::default();
        o.hash("sha256", Some("ab"));
        o.hash("sha256", Some("ab"));
        o.path(Some("C:\\x.exe"));
        o.ip("device.ip", "not-an-ip");
        o.indicator("domain", Some("evil.example"));
        let v = o.build();
        assert_eq!(v.len(), 3);
        assert_eq!(
            (
                v[0].kind().type_id(),
                v[1].kind().type_id(),
                v[2].kind().type_id()
            ),
            (8, 99, 1)
        );
    }
}
