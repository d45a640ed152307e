//! Network identifiers in one format whatever the vendor's.

use std::net::IpAddr;

/// Lowercase colon-separated MAC (`aa:bb:cc:dd:ee:ff`) from `:`/`-`/`.`-separated or bare
/// 12-hex forms in any case; None for anything else or the all-zero address.
pub fn normalize_mac(raw: &str) -> Option<String> {
    let hex: String = raw
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if hex.len() != 12
        || !hex.chars().all(|c| c.is_ascii_hexdigit())
        || hex.chars().all(|c| c == '0')
    {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(
        (0..6)
            .map(|i| &hex[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// Collected addresses, split by family, deduplicated, in first-seen order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Addresses {
    pub ipv4s: Vec<String>,
    pub ipv6s: Vec<String>,
    pub macs: Vec<String>,
}

impl Addresses {
    /// Adds an IP; masked (`3.122.240.x`), empty or unparseable values are dropped.
    pub fn ip(&mut self, raw: &str) {
        let raw = raw.trim();
        // Interface-scoped IPv6 (`fe80::1%eth0`): keep the address.
        let bare = raw.split('%').next().unwrap_or(raw);
        match bare.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) if !v4.is_unspecified() => {
                super::push_unique(&mut self.ipv4s, v4.to_string())
            }
            Ok(IpAddr::V6(v6)) if !v6.is_unspecified() => {
                super::push_unique(&mut self.ipv6s, v6.to_string())
            }
            _ => {}
        }
    }

    pub fn ip_opt(&mut self, raw: Option<String>) {
        if let Some(r) = raw {
            self.ip(&r);
        }
    }

    pub fn mac(&mut self, raw: &str) {
        if let Some(m) = normalize_mac(raw) {
            super::push_unique(&mut self.macs, m);
        }
    }

    pub fn mac_opt(&mut self, raw: Option<String>) {
        if let Some(r) = raw {
            self.mac(&r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_in_every_vendor_format() {
        for raw in [
            "14-7d-da-ad-ac-71",
            "14:7D:DA:AD:AC:71",
            "147DDAAD AC71",
            "147ddaadac71",
        ] {
            assert_eq!(
                normalize_mac(raw).as_deref(),
                Some("14:7d:da:ad:ac:71"),
                "{raw}"
            );
        }
        assert_eq!(normalize_mac("00-00-00-00-00-00"), None);
        assert_eq!(normalize_mac("nope"), None);
    }

    #[test]
    fn ips_split_and_dedupe() {
        let mut a = Addresses::default();
        for ip in [
            "10.0.0.1",
            "3.122.240.x",
            "",
            "2a02:cf40::",
            "10.0.0.1",
            "fe80::1%eth0",
            "0.0.0.0",
        ] {
            a.ip(ip);
        }
        assert_eq!(a.ipv4s, vec!["10.0.0.1"]);
        assert_eq!(a.ipv6s, vec!["2a02:cf40::", "fe80::1"]);
    }
}
