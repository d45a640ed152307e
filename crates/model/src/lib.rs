//! Tributary's shared vocabulary: vendor names, categories, connections, credentials,
//! jobs, connection health and the normalized records of each category (EDR: seed `002`).
//!
//! Everything here is plain data plus the pure rules that belong to the data
//! (health precedence, record ids). No I/O.

pub mod advisory;
pub mod category;
pub mod connection;
pub mod credentials;
pub mod edr;
pub mod export;
pub mod freshness;
pub mod health;
pub mod idp;
pub mod ids;
pub mod job;
pub mod micros;
pub mod options;
pub mod page;
pub mod record;
pub mod secret;
pub mod validation;
pub mod vendor;
pub mod vms;
mod wire_enum;

pub use advisory::{Advisory, AdvisoryChange, AdvisoryCode};
pub use category::Category;
pub use connection::{Connection, ConnectionState};
pub use export::DataExportType;
pub use freshness::{ExportFreshness, FreshnessFacts};
pub use health::{Health, HealthDetail, HealthName, HealthSource, HealthStatus, ResolutionOwner};
pub use secret::Secret;
pub use vendor::{SourceVendor, Vendor};
