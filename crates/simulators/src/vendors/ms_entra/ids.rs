//! Directory object ids: GUIDs that encode the record's index (one key per kind), so a
//! lookup decodes an id instead of keeping a table.

use crate::ids::{decode_guid_id, guid_id};

/// A kind of directory object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(u64);

pub const USER: Kind = Kind(0xe47a_0001);
pub const GROUP: Kind = Kind(0xe47a_0002);
/// An app registration's object id.
pub const APPLICATION: Kind = Kind(0xe47a_0003);
/// An app registration's client id (`appId`, shared with its service principal).
pub const APP_ID: Kind = Kind(0xe47a_0004);
pub const SERVICE_PRINCIPAL: Kind = Kind(0xe47a_0005);
pub const POLICY: Kind = Kind(0xe47a_0006);

/// The id of record `index` of `kind`.
pub fn encode(kind: Kind, seed: u64, index: u64) -> String {
    guid_id(seed ^ kind.0, index, false)
}

/// The index `id` encodes, if it is an id of `kind` under `seed`.
pub fn decode(kind: Kind, seed: u64, id: &str) -> Option<u64> {
    decode_guid_id(seed ^ kind.0, &id.to_ascii_lowercase())
}
