//! What a vendor declares about each kind of record it serves ([`CollectionSpec`]), and
//! the changes a collection goes through ([`Change`]). The world holds one dataset per
//! declared collection; core code never needs to know which kinds exist.

use serde::{Deserialize, Serialize};

/// One kind of record a vendor serves (devices, alerts, findings, users, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionSpec {
    /// The name the admin API, `--count NAME=N` and reports use.
    pub name: &'static str,
    /// Records at start when the configuration does not say.
    pub default_count: u64,
    /// Most records at start (vendor ids encode indices in fixed-width fields).
    pub max: u64,
    /// How far back the initial records' update times reach.
    pub span_ns: i64,
    /// Timestamp precision, in nanoseconds: a rendered time is exactly the stored one.
    pub resolution_ns: i64,
    /// A collection every record refers to (alerts → devices, findings → assets): it must
    /// not be empty when this one is not.
    pub refers_to: Option<&'static str>,
    /// What one tick of `--advance-every` (or an empty `POST /_sim/advance`) changes.
    pub tick: Change,
}

/// Changes to one collection at once: each with an update time later than every earlier
/// one. Which records change follows a fixed stride, so the same seed gives the same ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Change {
    /// Records created now.
    pub new: u64,
    /// Existing records moved one version on (status progressions, check-ins, fixes).
    pub updated: u64,
    /// Existing records deleted now (they leave listings; tombstones remain).
    pub deleted: u64,
}

impl Change {
    /// Whether this changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Change::default()
    }
}

/// What one change did to a collection: the records' indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Indices of the records created.
    pub new: Vec<u64>,
    /// Indices of the records moved one version on.
    pub updated: Vec<u64>,
    /// Indices of the records deleted.
    pub deleted: Vec<u64>,
}

/// A collection name the simulator does not serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown collection {name:?}: expected one of {expected:?}")]
pub struct UnknownCollection {
    pub name: String,
    pub expected: Vec<&'static str>,
}
