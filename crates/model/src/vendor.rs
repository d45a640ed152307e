//! Vendor names.
//!
//! The model carries a vendor's *name* only. Which vendors exist, what they export and how
//! to reach them is the connector registry's to say (`tributary_connectors::registry`), so
//! a new vendor is a folder and a registry line and never an edit here. A [`Vendor`] is a
//! well-formed name; a known vendor is one the registry resolves.

use std::{borrow::Cow, fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::{
    openapi::{schema::SchemaType, ObjectBuilder, RefOr, Schema, Type},
    PartialSchema, ToSchema,
};

/// Longest vendor name (`CROWDSTRIKE_SPOTLIGHT` is 21).
const MAX_LEN: usize = 32;

/// A name of at most 32 ASCII letters, digits and underscores, kept inline so that it is
/// `Copy` like the enum it replaced.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Name {
    len: u8,
    bytes: [u8; MAX_LEN],
}

impl Name {
    /// `s` in the given case, if it is a well-formed name.
    const fn new(s: &str, upper: bool) -> Option<Name> {
        let src = s.as_bytes();
        if src.is_empty() || src.len() > MAX_LEN || !src[0].is_ascii_alphabetic() {
            return None;
        }
        let mut bytes = [0u8; MAX_LEN];
        let mut i = 0;
        while i < src.len() {
            let b = src[i];
            if !(b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            bytes[i] = if upper {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            };
            i += 1;
        }
        Some(Name {
            len: src.len() as u8,
            bytes,
        })
    }

    /// The same name in the given case.
    const fn with_case(self, upper: bool) -> Name {
        let mut bytes = self.bytes;
        let mut i = 0;
        while i < self.len as usize {
            bytes[i] = if upper {
                bytes[i].to_ascii_uppercase()
            } else {
                bytes[i].to_ascii_lowercase()
            };
            i += 1;
        }
        Name {
            len: self.len,
            bytes,
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked in `new`).
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

/// Alphabetical order.
impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A vendor as it appears on a connection (`CROWDSTRIKE`, `SENTINELONE`, …): the
/// documented upper-case enum of the wire contract.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vendor(Name);

/// A vendor as it appears inside normalized records (`crowdstrike`, …): the connection
/// name in lower case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceVendor(Name);

/// A string that cannot be a vendor name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a vendor name (letters, digits and `_`, at most 32)")]
pub struct InvalidVendorName(pub String);

impl Vendor {
    /// A vendor constant, e.g. `Vendor::named("CROWDSTRIKE")`; a malformed name fails to
    /// compile when used in a `const`.
    pub const fn named(name: &'static str) -> Vendor {
        match Name::new(name, true) {
            Some(n) => Vendor(n),
            None => panic!("malformed vendor name"),
        }
    }

    /// Parses a connection name (`CROWDSTRIKE`) or a record name (`crowdstrike`).
    pub fn parse(s: &str) -> Result<Vendor, InvalidVendorName> {
        Name::new(s.trim(), true)
            .map(Vendor)
            .ok_or_else(|| InvalidVendorName(s.chars().take(64).collect()))
    }

    /// The wire name on connections, e.g. `MS_DEFENDER_ENDPOINT`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The lower-case name used inside normalized records.
    pub const fn source(self) -> SourceVendor {
        SourceVendor(self.0.with_case(false))
    }
}

impl SourceVendor {
    /// Parses a record name (`crowdstrike`) or a connection name (`CROWDSTRIKE`).
    pub fn parse(s: &str) -> Result<SourceVendor, InvalidVendorName> {
        Vendor::parse(s).map(Vendor::source)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub const fn vendor(self) -> Vendor {
        Vendor(self.0.with_case(true))
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SourceVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SourceVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = InvalidVendorName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vendor::parse(s)
    }
}

impl Serialize for Vendor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Vendor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        Vendor::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SourceVendor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SourceVendor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        SourceVendor::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A string schema; the API fills in the enum of registered vendors when it builds the
/// OpenAPI document.
fn name_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .into()
}

impl PartialSchema for Vendor {
    fn schema() -> RefOr<Schema> {
        name_schema("A vendor, as named on connections (e.g. `CROWDSTRIKE`).")
    }
}

impl ToSchema for Vendor {}

impl PartialSchema for SourceVendor {
    fn schema() -> RefOr<Schema> {
        name_schema("A vendor, as named inside normalized records (e.g. `crowdstrike`).")
    }
}

impl ToSchema for SourceVendor {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for name in ["CROWDSTRIKE", "SENTINELONE", "MS_DEFENDER_ENDPOINT"] {
            let v = Vendor::parse(name).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
            assert_eq!(v.as_str(), name);
            let lower = name.to_ascii_lowercase();
            assert_eq!(v.source().as_str(), lower);
            assert_eq!(
                serde_json::to_string(&v.source()).unwrap(),
                format!("\"{lower}\"")
            );
            assert_eq!(v.source().vendor(), v);
            assert_eq!(Vendor::parse(&lower).unwrap(), v);
            let back: Vendor = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(back, v);
        }
        const CS: Vendor = Vendor::named("CROWDSTRIKE");
        assert_eq!(CS, Vendor::parse("crowdstrike").unwrap());
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in ["", "9LIVES", "A-B", "A B", &"X".repeat(33), "CROWDSTRİKE"] {
            assert!(Vendor::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Vendor>("\"no way\"").is_err());
    }
}
