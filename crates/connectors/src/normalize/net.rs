//! Network identifiers in one format whatever the vendor's: MACs as lowercase
//! `aa:bb:cc:dd:ee:ff`, IPs parsed and split by family.

use std::net::IpAddr;

use super::fields::push_unique;

/// Lowercase colon-separated MAC from `aa:bb:…`, `AA-BB-…` or bare 12-hex forms in any
/// case. None for anything else, and for the all-zero and broadcast addresses, which
/// name no interface (Defender reports loopbacks as `000000000000`).
pub fn normalize_mac(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let hex: String = if raw.len() == 12 {
        raw.to_owned()
    } else {
        let sep = if raw.contains(':') { ':' } else { '-' };
        let groups: Vec<&str> = raw.split(sep).collect();
        if groups.len() != 6 || groups.iter().any(|g| g.len() != 2) {
            return None;
        }
        groups.concat()
    };
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    if hex == "000000000000" || hex == "ffffffffffff" {
        return None;
    }
    let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

/// Parses an IP address as vendors write them: an IPv6 zone (`fe80::1%eth0`) or a
/// prefix length (`10.0.0.5/24`) is dropped. None for masked values (`3.122.240.x`),
/// empty strings, and the unspecified and loopback addresses, which say nothing about
/// the device.
pub fn parse_ip(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    let bare = raw.split(['%', '/']).next().unwrap_or(raw);
    let ip = bare.parse::<IpAddr>().ok()?.to_canonical();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// Addresses collected from several vendor fields: split by family, deduplicated, in
/// first-seen order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Addresses {
    pub ipv4s: Vec<String>,
    pub ipv6s: Vec<String>,
    pub macs: Vec<String>,
}

impl Addresses {
    /// Adds an IP if [`parse_ip`] accepts it.
    pub fn ip(&mut self, raw: &str) {
        match parse_ip(raw) {
            Some(IpAddr::V4(v4)) => push_unique(&mut self.ipv4s, v4.to_string()),
            Some(IpAddr::V6(v6)) => push_unique(&mut self.ipv6s, v6.to_string()),
            None => {}
        }
    }

    /// Adds every IP of `raws`.
    pub fn ips<S: AsRef<str>>(&mut self, raws: impl IntoIterator<Item = S>) {
        for r in raws {
            self.ip(r.as_ref());
        }
    }

    /// Adds a MAC if [`normalize_mac`] accepts it.
    pub fn mac(&mut self, raw: &str) {
        if let Some(m) = normalize_mac(raw) {
            push_unique(&mut self.macs, m);
        }
    }

    /// Adds every MAC of `raws`.
    pub fn macs<S: AsRef<str>>(&mut self, raws: impl IntoIterator<Item = S>) {
        for r in raws {
            self.mac(r.as_ref());
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
            "14-7D-DA-AD-AC-71",
            "14:7D:DA:AD:AC:71",
            "14:7d:da:ad:ac:71",
            "147DDAADAC71",
            "147ddaadac71",
            " 14:7d:da:ad:ac:71 ",
        ] {
            assert_eq!(
                normalize_mac(raw).as_deref(),
                Some("14:7d:da:ad:ac:71"),
                "{raw}"
            );
        }
    }

    #[test]
    fn invalid_macs_are_dropped() {
        for raw in [
            "",
            "nope",
            "14-7d-da-ad-ac",
            "14-7d-da-ad-ac-71-00",
            "14:7d-da:ad-ac:71",
            "147ddaadac7",
            "147ddaadac7g",
            "1-47d-da-ad-ac-71",
            "00-00-00-00-00-00",
            "000000000000",
            "FF:FF:FF:FF:FF:FF",
            "é4:7d:da:ad:ac:7",
        ] {
            assert_eq!(normalize_mac(raw), None, "{raw}");
        }
    }

    #[test]
    fn ips_split_dedupe_and_keep_order() {
        let mut a = Addresses::default();
        a.ips([
            "10.0.0.2",
            "3.122.240.x",
            "",
            "2A02:CF40::",
            "10.0.0.1",
            "10.0.0.2",
            "fe80::1%eth0",
            "0.0.0.0",
            "127.0.0.1",
            "::1",
            "::",
            "192.168.1.5/24",
            "::ffff:10.0.0.9",
            "not an ip",
        ]);
        assert_eq!(
            a.ipv4s,
            vec!["10.0.0.2", "10.0.0.1", "192.168.1.5", "10.0.0.9"]
        );
        assert_eq!(a.ipv6s, vec!["2a02:cf40::", "fe80::1"]);
        a.macs(["AA-BB-CC-00-11-22", "aabbcc001122", "bad"]);
        assert_eq!(a.macs, vec!["aa:bb:cc:00:11:22"]);
    }
}
