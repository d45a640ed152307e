//! Helpers every vendor mapping shares: tolerant reading of vendor JSON, timestamps,
//! network identifiers, host/OS/directory facts, files and hashes, MITRE ATT&CK, OCSF
//! observables, and empty normalized records to fill in. All of it is pure and never
//! panics on any input.

pub mod fields;
pub mod file;
pub mod host;
pub mod idp;
pub mod mitre;
pub mod net;
pub mod observables;
pub mod record;
#[cfg(test)]
pub(crate) mod testkit;
pub mod time;

pub use fields::*;
pub use file::{basename, join_path, real_hash};
pub use time::parse_time;
