//! The sync engine: scheduler, workers with leases, the connector runs and health
//! derivation; plus the keyring that seals credentials.

mod engine;
pub mod health;
pub mod keyring;
pub mod probe;
// Public for the benchmarks, which build rows the way the engine does.
pub mod rows;
mod run;
pub mod settings;
pub mod uptime;
pub mod webhooks;

pub use engine::{Engine, JobOutcome, Roles};
pub use keyring::Keyring;
pub use settings::EngineSettings;
