//! Okta's 20-character object ids (`00u…` users, `00g…` groups, `0oa…` apps, `00p…`
//! policies): a three-character prefix, eleven base-62 characters that encode the record's
//! index, three of filler and the org's three-character suffix (`4x6`, `5d7`), so a
//! lookup decodes an id instead of keeping a table. Also the API token's shape.

use crate::{
    fake::{Rng, ALNUM},
    ids::{mix64, unmix64},
    world::stream,
};

/// A kind of Okta object: its id prefix and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub prefix: &'static str,
    key: u64,
}

pub const USER: Kind = Kind {
    prefix: "00u",
    key: 0x0c7a_0001,
};
pub const GROUP: Kind = Kind {
    prefix: "00g",
    key: 0x0c7a_0002,
};
pub const APP: Kind = Kind {
    prefix: "0oa",
    key: 0x0c7a_0003,
};
pub const POLICY: Kind = Kind {
    prefix: "00p",
    key: 0x0c7a_0004,
};
/// The org itself (in app ORNs).
pub const ORG: Kind = Kind {
    prefix: "00o",
    key: 0x0c7a_0006,
};
/// User types (`type.id` of every user).
pub const USER_TYPE: Kind = Kind {
    prefix: "oty",
    key: 0x0c7a_0005,
};

const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62(mut n: u64) -> String {
    let mut out = [b'0'; 11];
    for slot in out.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unbase62(s: &str) -> Option<u64> {
    s.bytes().try_fold(0u64, |acc, b| {
        let d = B62.iter().position(|c| *c == b)? as u64;
        acc.checked_mul(62)?.checked_add(d)
    })
}

/// The org's id suffix, per seed.
fn org_suffix(seed: u64) -> String {
    Rng::for_record(seed, stream::TENANT, 0x0c7a).chars(3, b"0123456789abcdefghijklmnopqrstuvwxyz")
}

/// The id of record `index` of `kind`.
pub fn encode(kind: Kind, seed: u64, index: u64) -> String {
    let key = seed ^ kind.key;
    let filler = Rng::for_record(key, 0x1d, index).chars(3, ALNUM);
    format!(
        "{}{}{}{}",
        kind.prefix,
        base62(mix64(index ^ key)),
        filler,
        org_suffix(seed)
    )
}

/// The index `id` encodes, if it is an id of `kind` under `seed`.
pub fn decode(kind: Kind, seed: u64, id: &str) -> Option<u64> {
    if id.len() != 20 || !id.starts_with(kind.prefix) || !id.is_ascii() {
        return None;
    }
    let index = unmix64(unbase62(&id[3..14])?) ^ (seed ^ kind.key);
    (encode(kind, seed, index) == id).then_some(index)
}

/// An Okta API token (`00` and 40 characters), per seed and credential.
pub fn api_token(seed: u64, key: u64) -> String {
    let mut r = Rng::for_record(seed, stream::CREDENTIAL, key);
    format!(
        "00{}",
        r.chars(
            40,
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
        )
    )
}

/// An error id (`errorId`): `oae` and 22 characters.
pub fn error_id() -> String {
    let mut r = Rng::for_record(uuid::Uuid::new_v4().as_u128() as u64, 0, 0);
    format!(
        "oae{}",
        r.chars(
            22,
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_strangers() {
        for i in [0u64, 1, 99_999, 1_000_000] {
            let id = encode(USER, 42, i);
            assert_eq!(id.len(), 20, "{id}");
            assert!(id.starts_with("00u"));
            assert_eq!(decode(USER, 42, &id), Some(i));
            assert_eq!(decode(GROUP, 42, &id), None);
            assert_eq!(decode(USER, 43, &id), None);
        }
        assert_ne!(encode(USER, 42, 1), encode(USER, 42, 2));
        assert_eq!(decode(USER, 42, "00u00000000000000000"), None);
        assert_eq!(api_token(1, 2).len(), 42);
    }
}
