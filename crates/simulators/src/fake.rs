//! Deterministic, realistic-looking values. Every record is a pure function of
//! (seed, stream, index), so any record can be generated on demand and a dataset of any
//! size needs no memory.

use chrono::{DateTime, NaiveDate, Utc};

/// Nanoseconds in one second.
pub const SEC: i64 = 1_000_000_000;
/// Nanoseconds in one minute, hour and day.
pub const MIN: i64 = 60 * SEC;
pub const HOUR: i64 = 60 * MIN;
pub const DAY: i64 = 24 * HOUR;

/// SplitMix64: tiny, fast and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator for record `index` of `stream` under `seed`.
    pub fn for_record(seed: u64, stream: u64, index: u64) -> Rng {
        let mut r = Rng(seed
            ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)
            ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next_u64();
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight: `(value, weight)` pairs, weights need not sum to anything.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut roll = self.below(total);
        for (item, w) in items {
            if roll < u64::from(*w) {
                return *item;
            }
            roll -= u64::from(*w);
        }
        items[items.len() - 1].0
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// `len` lowercase hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }

    /// `len` decimal digits, the first one non-zero.
    pub fn digits(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        s.push(char::from(b'1' + self.below(9) as u8));
        while s.len() < len {
            s.push(char::from(b'0' + self.below(10) as u8));
        }
        s
    }

    /// `len` characters from `alphabet`.
    pub fn chars(&mut self, len: usize, alphabet: &[u8]) -> String {
        (0..len).map(|_| char::from(self.pick(alphabet))).collect()
    }

    /// A random (v4-shaped) GUID, lowercase.
    pub fn guid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            ["8", "9", "a", "b"][self.below(4) as usize],
            &h[17..20],
            &h[20..32]
        )
    }
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub const FIRST_NAMES: &[&str] = &[
    "alice", "bob", "carol", "dmitri", "eva", "farid", "grace", "hiro", "ines", "jamal", "kai",
    "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "viktor",
    "wen", "ximena", "yusuf", "zoe",
];
pub const LAST_NAMES: &[&str] = &[
    "adams",
    "brandt",
    "chen",
    "diaz",
    "eriksen",
    "fischer",
    "garcia",
    "haddad",
    "ivanova",
    "jones",
    "kowalski",
    "lindqvist",
    "moreau",
    "nakamura",
    "okafor",
    "patel",
    "rossi",
    "silva",
    "tanaka",
    "weber",
];

/// A user's login name, e.g. `priya.tanaka`.
pub fn user_name(r: &mut Rng) -> String {
    format!("{}.{}", r.pick(FIRST_NAMES), r.pick(LAST_NAMES))
}

/// A private IPv4 address.
pub fn private_ipv4(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("10.{}.{}.{}", r.below(256), r.below(256), 1 + r.below(254)),
        1 => format!(
            "172.{}.{}.{}",
            16 + r.below(16),
            r.below(256),
            1 + r.below(254)
        ),
        _ => format!("192.168.{}.{}", r.below(256), 1 + r.below(254)),
    }
}

/// A public-looking IPv4 address from the documentation ranges (never a real party).
pub fn public_ipv4(r: &mut Rng) -> String {
    let (a, b, c) = r.pick(&[(192u8, 0u8, 2u8), (198, 51, 100), (203, 0, 113)]);
    format!("{a}.{b}.{c}.{}", 1 + r.below(254))
}

/// A global IPv6 address in the documentation prefix.
pub fn ipv6(r: &mut Rng) -> String {
    format!(
        "2001:db8:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
        r.below(0x10000),
        r.below(0x10000),
        r.below(0x10000),
        r.below(0x10000),
        r.below(0x10000),
        1 + r.below(0xfffe)
    )
}

/// Six bytes of a unicast MAC address.
pub fn mac_bytes(r: &mut Rng) -> [u8; 6] {
    let v = r.next_u64().to_be_bytes();
    [v[0] & 0xfe, v[1], v[2], v[3], v[4], v[5]]
}

/// A MAC address in `sep`-separated pairs, upper or lower case.
pub fn mac_string(bytes: [u8; 6], sep: &str, upper: bool) -> String {
    let parts: Vec<String> = bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect();
    parts.join(sep)
}

/// A Windows domain account SID.
pub fn sid(r: &mut Rng) -> String {
    format!(
        "S-1-5-21-{}-{}-{}-{}",
        1_000_000_000 + r.below(3_000_000_000),
        1_000_000_000 + r.below(3_000_000_000),
        1_000_000_000 + r.below(3_000_000_000),
        1000 + r.below(90_000)
    )
}

/// A timestamp with `digits` fractional digits (0, 3, 6, 7 or 9) and a `Z`.
pub fn fmt_ts(ns: i64, digits: u32) -> String {
    let t = DateTime::from_timestamp_nanos(ns);
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    let frac = ns.rem_euclid(SEC);
    match digits {
        0 => format!("{base}Z"),
        3 => format!("{base}.{:03}Z", frac / 1_000_000),
        6 => format!("{base}.{:06}Z", frac / 1_000),
        7 => format!("{base}.{:07}Z", frac / 100),
        _ => format!("{base}.{frac:09}Z"),
    }
}

/// Parses an RFC 3339 time (any fraction, `Z` or an offset), also a bare `YYYY-MM-DD`,
/// `YYYY-MM-DDZ` or a zone-less time taken as UTC, into epoch nanoseconds.
pub fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt();
    }
    let bare = s.strip_suffix('Z').unwrap_or(s);
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(bare, "%Y-%m-%dT%H:%M:%S%.f") {
        return t.and_utc().timestamp_nanos_opt();
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(bare, "%Y-%m-%dT%H:%M") {
        return t.and_utc().timestamp_nanos_opt();
    }
    NaiveDate::parse_from_str(bare, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_utc().timestamp_nanos_opt())
}

/// Epoch nanoseconds of `t`.
pub fn ns_of(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(0)
}

/// .NET ticks (100 ns since 0001-01-01), as some vendors' ids carry them.
pub fn dotnet_ticks(ns: i64) -> i64 {
    ns / 100 + 621_355_968_000_000_000
}

/// Rounds `ns` down to a multiple of `res`.
pub fn floor_to(ns: i64, res: i64) -> i64 {
    ns - ns.rem_euclid(res.max(1))
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
    fn statuses_progress_along_their_cycle() {
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

    #[test]
    fn deterministic_per_record() {
        let a = Rng::for_record(42, 1, 7).next_u64();
        assert_eq!(a, Rng::for_record(42, 1, 7).next_u64());
        assert_ne!(a, Rng::for_record(42, 1, 8).next_u64());
        assert_ne!(a, Rng::for_record(43, 1, 7).next_u64());
    }

    #[test]
    fn timestamps_round_trip_at_each_precision() {
        let ns = 1_600_000_000_123_456_789;
        assert_eq!(fmt_ts(ns, 7), "2020-09-13T12:26:40.1234567Z");
        assert_eq!(fmt_ts(ns, 6), "2020-09-13T12:26:40.123456Z");
        assert_eq!(fmt_ts(ns, 9), "2020-09-13T12:26:40.123456789Z");
        assert_eq!(fmt_ts(ns, 0), "2020-09-13T12:26:40Z");
        assert_eq!(parse_ts(&fmt_ts(ns, 9)), Some(ns));
        assert_eq!(parse_ts("2020-09-13T12:26:40.1234567Z"), Some(ns - 89));
        assert_eq!(parse_ts("2018-08-01Z"), parse_ts("2018-08-01T00:00:00Z"));
        assert_eq!(parse_ts("2020-09-13T12:26:40.123456"), Some(ns - 789));
        assert!(parse_ts("yesterday").is_none());
        assert_eq!(dotnet_ticks(0), 621_355_968_000_000_000);
    }

    #[test]
    fn weighted_picks_only_listed_values() {
        let mut r = Rng::for_record(1, 2, 3);
        let items = [("a", 1), ("b", 0), ("c", 5)];
        for _ in 0..200 {
            assert_ne!(r.weighted(&items), "b");
        }
        let g = r.guid();
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
    }
}
