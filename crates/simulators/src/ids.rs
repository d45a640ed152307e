//! Vendor-shaped identifiers that encode a record's index, so entity lookups decode an id
//! back to its record instead of keeping a table. Every decoder checks its answer by
//! encoding the index again: a made-up id never matches a record.

use crate::fake::Rng;

const C1: u64 = 0xBF58_476D_1CE4_E5B9;
const C2: u64 = 0x94D0_49BB_1331_11EB;

/// The multiplicative inverse of odd `a` modulo 2^64 (Newton's iteration).
const fn inverse(a: u64) -> u64 {
    let mut inv = a;
    let mut i = 0;
    while i < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(inv)));
        i += 1;
    }
    inv
}

const C1_INV: u64 = inverse(C1);
const C2_INV: u64 = inverse(C2);

fn unxorshift(y: u64, s: u32) -> u64 {
    let mut x = y;
    for _ in 0..(64 / s + 1) {
        x = y ^ (x >> s);
    }
    x
}

/// A bijection on u64 that scatters consecutive inputs.
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(C1);
    x ^= x >> 29;
    x = x.wrapping_mul(C2);
    x ^ (x >> 32)
}

/// The inverse of [`mix64`].
pub fn unmix64(mut x: u64) -> u64 {
    x = unxorshift(x, 32);
    x = x.wrapping_mul(C2_INV);
    x = unxorshift(x, 29);
    x = x.wrapping_mul(C1_INV);
    unxorshift(x, 31)
}

fn round_fn(r: u64, key: u64, round: u64, m: u64) -> u64 {
    Rng::for_record(key, round, r).next_u64() % m
}

/// A keyed permutation of `0..m*m` (a four-round Feistel network on base-`m` halves):
/// decimal ids that look random yet decode.
pub fn feistel(x: u64, m: u64, key: u64) -> u64 {
    let (mut l, mut r) = (x / m % m, x % m);
    for round in 0..4 {
        (l, r) = (r, (l + round_fn(r, key, round, m)) % m);
    }
    l * m + r
}

/// A 7-character base-36 code unique per index below 10^10 (host-name suffixes), keyed.
pub fn base36_code(index: u64, key: u64) -> String {
    let mut n = feistel(index, 100_000, key);
    let mut s = Vec::new();
    for _ in 0..7 {
        s.push(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(n % 36) as usize]);
        n /= 36;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The inverse of [`feistel`].
pub fn unfeistel(y: u64, m: u64, key: u64) -> u64 {
    let (mut l, mut r) = (y / m % m, y % m);
    for round in (0..4).rev() {
        (l, r) = ((r + m - round_fn(l, key, round, m)) % m, l);
    }
    l * m + r
}

/// `len` (≥ 16) lowercase hex digits: 16 that encode `index`, then filler derived from it.
pub fn hex_id(key: u64, index: u64, len: usize) -> String {
    let mut s = format!("{:016x}", mix64(index ^ key));
    s.push_str(&Rng::for_record(key, 0x1d, index).hex(len.saturating_sub(16)));
    s
}

/// The index encoded in a [`hex_id`], if `s` is one.
pub fn decode_hex_id(key: u64, s: &str, len: usize) -> Option<u64> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let head = u64::from_str_radix(&s[..16], 16).ok()?;
    let index = unmix64(head) ^ key;
    (hex_id(key, index, len) == s.to_ascii_lowercase()).then_some(index)
}

/// A GUID whose first 16 hex digits encode `index`.
pub fn guid_id(key: u64, index: u64, upper: bool) -> String {
    let h = hex_id(key, index, 32);
    let g = format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    );
    if upper {
        g.to_ascii_uppercase()
    } else {
        g
    }
}

/// The index encoded in a [`guid_id`].
pub fn decode_guid_id(key: u64, s: &str) -> Option<u64> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let index = decode_hex_id(key, &hex.to_ascii_lowercase(), 32)?;
    let upper = s.chars().any(|c| c.is_ascii_uppercase());
    (guid_id(key, index, upper) == s).then_some(index)
}

/// A snowflake-like numeric id: increasing with `index`, 18–19 digits.
pub fn snowflake(base: u64, key: u64, index: u64) -> u64 {
    base + (index << 22) + (Rng::for_record(key, 0x5f, index).next_u64() & 0x3f_ffff)
}

/// The index encoded in a [`snowflake`].
pub fn decode_snowflake(base: u64, key: u64, s: &str) -> Option<u64> {
    let id: u64 = s.parse().ok()?;
    let index = id.checked_sub(base)? >> 22;
    (snowflake(base, key, index) == id).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_round_trip_and_reject_strangers() {
        for i in [0u64, 1, 2, 999, 123_456_789, u64::MAX / 3] {
            assert_eq!(unmix64(mix64(i)), i);
        }
        for i in [0u64, 1, 77, 9_999_999, 99_999_999] {
            let y = feistel(i, 10_000, 42);
            assert!(y < 100_000_000);
            assert_eq!(unfeistel(y, 10_000, 42), i);
        }
        let id = hex_id(7, 12345, 32);
        assert_eq!(id.len(), 32);
        assert_eq!(decode_hex_id(7, &id, 32), Some(12345));
        assert_eq!(decode_hex_id(8, &id, 32), None);
        assert_eq!(
            decode_hex_id(7, "00000000000000000000000000000000", 32),
            None
        );
        let g = guid_id(9, 5, true);
        assert_eq!(decode_guid_id(9, &g), Some(5));
        let base = 1_300_000_000_000_000_000;
        let s = snowflake(base, 3, 1_000_000).to_string();
        assert_eq!(s.len(), 19);
        assert_eq!(decode_snowflake(base, 3, &s), Some(1_000_000));
        assert!(snowflake(base, 3, 1) > snowflake(base, 3, 0));
        assert_eq!(decode_snowflake(base, 3, "123"), None);
    }
}
