//! Helpers every vendor mapping uses: tolerant field access, network identifiers, time,
//! MITRE ATT&CK and OCSF observables.

pub mod fields;
pub mod mitre;
pub mod net;
pub mod observables;

pub use fields::*;
