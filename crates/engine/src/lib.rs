//! The sync engine: scheduler, workers with leases, the connector runs and health
//! derivation; plus the keyring that seals credentials.

pub mod advisories;
mod engine;
pub mod freshness;
pub mod health;
pub mod incidents;
pub mod invites;
pub mod keyring;
mod loops;
pub mod pipeline;
pub mod probe;
pub mod probes;
pub mod retention;
mod run;
pub mod settings;
pub mod uptime;
pub mod webhooks;

pub use engine::{Engine, Enqueued, JobOutcome};
pub use keyring::Keyring;
pub use loops::Roles;
pub use settings::EngineSettings;
